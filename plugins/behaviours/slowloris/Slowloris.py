"""Slowloris worker half: reached only when a slow request is finished; answers 200."""

_BODY = b"slowloris request finished\n"


def handle(environ, start_response, params, ctx):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(_BODY)))])
    return [_BODY]
