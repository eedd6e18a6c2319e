"""Pipelining worker half: answers each of the pipelined requests with a short 200."""

_BODY = b"pipelined\n"


def handle(environ, start_response, params, ctx):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(_BODY)))])
    return [_BODY]
