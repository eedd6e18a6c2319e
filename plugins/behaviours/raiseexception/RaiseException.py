"""RaiseException worker half: an uncaught exception, where the application fails.

  before_start  raises before start_response is called: nothing is decided yet.
  after_start   calls start_response("200 OK", ...) and then raises: the headers are set
                but not sent, so a server can still answer 500 (PEP 3333).
  in_body       returns a generator that yields one chunk and then raises: with no
                Content-Length the server has usually sent the headers and that chunk.

The exception is never caught here: the server's own handling is what is measured.
"""


class LabourApplicationError(Exception):
    """The exception this behaviour raises, named so that server logs show whose it is."""


_FIRST_CHUNK = b"first chunk of a body that fails\n"


def _failing_body():
    yield _FIRST_CHUNK
    raise LabourApplicationError("RaiseException: failing inside the body iterator")


def handle(environ, start_response, params, ctx):
    where = params["where"]
    if where == "before_start":
        raise LabourApplicationError("RaiseException: failing before start_response")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    if where == "after_start":
        raise LabourApplicationError("RaiseException: failing after start_response")
    return _failing_body()
