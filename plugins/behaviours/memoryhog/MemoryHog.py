"""MemoryHog worker half: one bytearray of `bytes` bytes, every page written, held `seconds`, freed.

A block this large is mmap'd by malloc and given back to the system at once when freed,
so the process's RSS falls right after the request.
"""

import time

_PAGE = 4096


def handle(environ, start_response, params, ctx):
    size = params["bytes"]
    block = bytearray(size)
    for offset in range(0, size, _PAGE):
        block[offset] = 1
    time.sleep(params["seconds"])
    del block
    body = ("used and freed %d bytes\n" % size).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
