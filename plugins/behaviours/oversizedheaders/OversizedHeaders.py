"""OversizedHeaders worker half: reached when the server accepted the big header; answers 200
with the header's length as the application saw it."""


def handle(environ, start_response, params, ctx):
    body = ("header of %d bytes reached the application\n"
            % len(environ.get("HTTP_X_LABOUR_BIG", ""))).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
