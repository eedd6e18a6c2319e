"""SlowBody worker half: a generator body of `chunks` lines, `interval` seconds apart.

No Content-Length: each server frames it its own way (chunked, or ended by closing the
connection). time.sleep releases the GIL between chunks.
"""

import time


def _chunks(count, interval):
    for i in range(count):
        if i:
            time.sleep(interval)
        yield b"chunk %d of %d\n" % (i + 1, count)


def handle(environ, start_response, params, ctx):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return _chunks(params["chunks"], params["interval"])
