"""Abort worker half: the worker process raises SIGABRT against itself (os.abort()).

No Python handler runs; the process dies by signal 6, with a core dump where the machine
allows one (labour's servers run with RLIMIT_CORE as inherited).
"""

import os


def handle(environ, start_response, params, ctx):
    os.abort()
