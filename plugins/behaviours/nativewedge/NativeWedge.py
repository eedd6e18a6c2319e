"""NativeWedge worker half: libc's nanosleep called through ctypes.PyDLL, which keeps the GIL.

Every catchable signal is blocked in this thread for the call, so that it is what a C
extension spinning with the GIL is: no Python code runs anywhere in the process until it
returns (a signal sent to the process waits for the GIL in the thread that takes it), and
only SIGKILL ends it early. seconds = 0 is for ever.
"""

import ctypes
import signal

_WITH_GIL = ctypes.PyDLL(None)
_CATCHABLE = signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}
_FOREVER_STEP = 3600.0


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _native_sleep(seconds):
    """nanosleep for `seconds`, resumed with what is left if a signal cuts it short."""
    request = _Timespec(int(seconds), int((seconds - int(seconds)) * 1e9))
    left = _Timespec()
    while _WITH_GIL.nanosleep(ctypes.byref(request), ctypes.byref(left)) != 0:
        request, left = left, _Timespec()


def handle(environ, start_response, params, ctx):
    seconds = params["seconds"]
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _CATCHABLE)
    try:
        if seconds > 0:
            _native_sleep(seconds)
        else:
            while True:
                _native_sleep(_FOREVER_STEP)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    body = ("held the GIL in a native call for %g seconds\n" % seconds).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
