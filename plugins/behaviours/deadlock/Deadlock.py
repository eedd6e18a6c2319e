"""Deadlock worker half: a thread that takes a lock it already holds waits for ever.

threading.Lock is not reentrant, so the second acquire blocks in the kernel with no CPU.
As in any Python program, a signal handler can still run in this thread and end it by
raising (gunicorn's SIGABRT handler on its worker timeout does).
"""

import threading


def handle(environ, start_response, params, ctx):
    lock = threading.Lock()
    lock.acquire()
    lock.acquire()  # never returns
    raise RuntimeError("Deadlock: a non-reentrant lock was acquired twice")
