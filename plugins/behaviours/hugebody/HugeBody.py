"""HugeBody worker half: a body of `bytes` bytes.

  whole   one bytes object built per request, sent with its Content-Length
  blocks  a generator of 64 KiB blocks (one block object reused), no Content-Length
"""

_BLOCK = 65536


def _blocks(size):
    block = b"x" * _BLOCK
    left = size
    while left > 0:
        n = min(left, _BLOCK)
        left -= n
        yield block if n == _BLOCK else block[:n]


def handle(environ, start_response, params, ctx):
    size = params["bytes"]
    if params["mode"] == "whole":
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(size))])
        return [b"x" * size]
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return _blocks(size)
