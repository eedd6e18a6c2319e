"""Worker half of SlowUpload and of AbortMidRequest: reads CONTENT_LENGTH bytes of the body as
they come and answers with the count (ReadInput's mode=length). A slow upload makes the read
wait; a client that resets half way makes it end short, or raise, as the server delivers the
reset."""

_PIECE = 65536


def handle(environ, start_response, params, ctx):
    stream = environ["wsgi.input"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    got = 0
    while got < length:
        piece = stream.read(min(_PIECE, length - got))
        if not piece:
            break
        got += len(piece)
    body = ("read %d bytes\n" % got).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
