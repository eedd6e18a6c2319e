# The worker half: answers 418 with one "tea\n" per cup.
def handle(environ, start_response, params, ctx):
    body = b"tea\n" * params["cups"]
    start_response("418 I'm a teapot", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
