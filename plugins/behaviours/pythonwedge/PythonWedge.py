"""PythonWedge worker half: a pure-Python busy loop that holds the worker.

seconds == 0: spins forever (no sleeps, no I/O, no C call that releases the GIL; only the
interpreter's own periodic GIL hand-off lets other threads of the process run).
seconds > 0: spins until that much monotonic time has passed, then answers 200, so a
bounded wedge is also a plain (slow) success.
"""

import time


def _spin_forever():
    n = 0
    while True:
        n += 1


def _spin_for(seconds):
    deadline = time.monotonic() + seconds
    n = 0
    while True:
        n += 1
        # time.monotonic() does not release the GIL; check it only now and then.
        if n & 0x3FF == 0 and time.monotonic() >= deadline:
            return n


def handle(environ, start_response, params, ctx):
    seconds = params["seconds"]
    if seconds == 0:
        _spin_forever()
    loops = _spin_for(seconds)
    body = ("spun %d loops for %s seconds\n" % (loops, seconds)).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
