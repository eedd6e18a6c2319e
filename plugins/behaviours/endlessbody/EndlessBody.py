"""EndlessBody worker half: a generator that yields `block` bytes for ever.

It ends only when the server calls close() on it (GeneratorExit), which a server does
once writing to the client fails, i.e. after the client gave up.
"""


def _endless(size):
    block = b"y" * size
    while True:
        yield block


def handle(environ, start_response, params, ctx):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return _endless(params["block"])
