"""NativeSleep worker half: libc's nanosleep called through ctypes.CDLL, which releases the GIL.

Other threads of the process run meanwhile. A signal that cuts the call short lets this
thread's Python handlers run (as after any native call), then the rest is slept.
"""

import ctypes

_WITHOUT_GIL = ctypes.CDLL(None, use_errno=True)


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def handle(environ, start_response, params, ctx):
    seconds = params["seconds"]
    request = _Timespec(int(seconds), int((seconds - int(seconds)) * 1e9))
    left = _Timespec()
    while _WITHOUT_GIL.nanosleep(ctypes.byref(request), ctypes.byref(left)) != 0:
        request, left = left, _Timespec()
    body = ("waited in a native call for %g seconds\n" % seconds).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
