"""IdleHog worker half: its connections send nothing, so it is reached only by hand (labour
serve); answers 200."""

_BODY = b"idle connections send no request\n"


def handle(environ, start_response, params, ctx):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(_BODY)))])
    return [_BODY]
