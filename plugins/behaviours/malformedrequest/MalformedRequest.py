"""MalformedRequest worker half: reached only if the server passed a malformed request on;
answers 200 "reached the application" with the body it read."""


def handle(environ, start_response, params, ctx):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    text = ("%s reached the application with a %d-byte body\n" % (params["kind"], len(body))).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(text)))])
    return [text]
