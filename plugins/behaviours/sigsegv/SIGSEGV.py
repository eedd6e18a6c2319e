"""SIGSEGV worker half: a real segmentation fault in the worker process.

ctypes.string_at(0) makes the interpreter read the C string at address 0: an invalid
memory read that the kernel answers with SIGSEGV, exactly as a crashing C extension would.
Nothing is answered; the server sees its worker die.
"""

import ctypes


def handle(environ, start_response, params, ctx):
    ctypes.string_at(0)
    # Not reached: the read above kills the process.
    raise RuntimeError("SIGSEGV: reading address 0 did not crash this process")
