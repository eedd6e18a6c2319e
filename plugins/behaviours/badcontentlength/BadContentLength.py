"""BadContentLength worker half: declares Content-Length `length`, then sends half (short) or twice (long) that."""


def handle(environ, start_response, params, ctx):
    length = params["length"]
    body = b"a" * (length // 2 if params["mode"] == "short" else length * 2)
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(length))])
    return [body]
