"""LeakMemory worker half: keeps a block of `bytes` bytes per request, for the process's life.

Every page of the block is written, so the memory is resident, not just reserved.
"""

_PAGE = 4096


def handle(environ, start_response, params, ctx):
    size = params["bytes"]
    block = bytearray(size)
    for offset in range(0, size, _PAGE):
        block[offset] = 1
    blocks = ctx.state.setdefault("blocks", [])
    blocks.append(block)
    kept = sum(len(b) for b in list(blocks))
    body = ("kept %d bytes in %d blocks\n" % (kept, len(blocks))).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
