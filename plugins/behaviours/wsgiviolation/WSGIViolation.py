"""WSGIViolation worker half: one way of breaking PEP 3333, chosen by `kind`.

  no_start_response     returns a body without ever calling start_response
  start_response_twice  calls start_response twice without exc_info (the second: 201)
  str_body              returns a str where bytes are required
  bad_status            the status "abc": no three-digit code, no reason phrase
  bad_header            a header value holding CR LF, which would inject a second header

Each is exactly the bug, nothing else: the server's checks (or their absence) decide what
the client gets.
"""

_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def handle(environ, start_response, params, ctx):
    kind = params["kind"]
    if kind == "no_start_response":
        return [b"a body without a status\n"]
    if kind == "start_response_twice":
        start_response("200 OK", _TEXT)
        start_response("201 Created", _TEXT)
        return [b"two statuses\n"]
    if kind == "str_body":
        start_response("200 OK", _TEXT)
        return ["a str, not bytes\n"]
    if kind == "bad_status":
        start_response("abc", _TEXT)
        return [b"no status code\n"]
    start_response("200 OK", _TEXT + [("X-Labour", "a\r\nX-Injected: yes")])
    return [b"an injected header\n"]
