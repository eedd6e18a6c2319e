"""FDLeak worker half: opens `count` descriptors of /dev/null and keeps them for the process's life.

When the process's table is full, os.open raises OSError (EMFILE) out of handle(): the
application's error, handled by the server as it handles any.
"""

import os


def handle(environ, start_response, params, ctx):
    kept = ctx.state.setdefault("fds", [])
    for _ in range(params["count"]):
        kept.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
    body = ("keeping %d descriptors\n" % len(kept)).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
