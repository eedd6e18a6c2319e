"""SlowRead worker half: a body of `bytes` bytes with its Content-Length, in 64 KiB blocks, so
the worker writes (and waits on the socket) for as long as the client takes to read."""

_BLOCK = 65536


def _blocks(size):
    block = b"r" * _BLOCK
    while size > 0:
        n = min(size, _BLOCK)
        size -= n
        yield block if n == _BLOCK else block[:n]


def handle(environ, start_response, params, ctx):
    size = params["bytes"]
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))])
    return _blocks(size)
