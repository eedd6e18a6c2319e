"""IgnoreTermination worker half: sets SIGTERM and SIGINT to SIG_IGN for the whole process.

Through libc's signal() (ctypes), because Python's signal.signal works only in the main
thread and most servers run the application in another. A disposition is per process, so
this holds for every thread of the worker; Python does not undo it, and signal.getsignal
keeps showing the old handler, so the answer reads the kernel's view (/proc/self/status).
"""

import ctypes
import signal

_SIG_IGN = 1
_libc = ctypes.CDLL(None, use_errno=True)
_libc.signal.restype = ctypes.c_void_p
_libc.signal.argtypes = (ctypes.c_int, ctypes.c_void_p)


def _ignored_mask():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("SigIgn:"):
                return line.split()[1]
    return "unknown"


def handle(environ, start_response, params, ctx):
    for sig in (signal.SIGTERM, signal.SIGINT):
        _libc.signal(sig, _SIG_IGN)
    body = ("ignoring SIGTERM and SIGINT; SigIgn %s\n" % _ignored_mask()).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
