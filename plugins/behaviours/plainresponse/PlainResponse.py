"""PlainResponse worker half: answers `status` with a body of exactly `bytes` bytes."""

from http import HTTPStatus

_CHUNK = 64 * 1024
# Statuses that cannot carry a body in HTTP/1.1 (1xx are interim, never final).
_NO_BODY = (204, 304)


def check(params):
    status, size = params["status"], params["bytes"]
    if status < 200:
        return "bad parameter 'status': %d is an interim (1xx) status; use 200..599" % status
    if status in _NO_BODY and size != 0:
        return "bad parameter 'bytes': a %d response has no body; use bytes=0" % status
    return None


def _body(size):
    chunk = b"x" * min(size, _CHUNK)
    while size > 0:
        piece = chunk if size >= len(chunk) else chunk[:size]
        size -= len(piece)
        yield piece


def handle(environ, start_response, params, ctx):
    status, size = params["status"], params["bytes"]
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Status %d" % status
    if status in _NO_BODY:
        start_response("%d %s" % (status, reason), [])
        return []
    start_response("%d %s" % (status, reason),
                   [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))])
    return _body(size)
