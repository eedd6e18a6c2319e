"""ReadInput worker half: reads the request body from wsgi.input and answers with its size.

  length  read(CONTENT_LENGTH), in 64 KiB pieces: what PEP 3333 asks of an application
  all     read() with no size: to the end of input, however the server defines it
"""

_PIECE = 65536


def _read_length(stream, length):
    got = 0
    while got < length:
        piece = stream.read(min(_PIECE, length - got))
        if not piece:
            break
        got += len(piece)
    return got


def handle(environ, start_response, params, ctx):
    stream = environ["wsgi.input"]
    if params["mode"] == "all":
        got = len(stream.read())
    else:
        got = _read_length(stream, int(environ.get("CONTENT_LENGTH") or 0))
    body = ("read %d bytes\n" % got).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
