"""ThreadLeak worker half: starts `count` daemon threads that wait for ever, then answers 200.

Daemon threads, so a worker that exits (recycled, stopped) is not held up joining them:
the leak costs threads and their stacks, not the ability to stop.
"""

import threading

_NEVER = threading.Event()  # never set: every leaked thread waits on it


def handle(environ, start_response, params, ctx):
    for _ in range(params["count"]):
        threading.Thread(target=_NEVER.wait, name="labour-leaked", daemon=True).start()
    body = ("%d threads in this process\n" % threading.active_count()).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
