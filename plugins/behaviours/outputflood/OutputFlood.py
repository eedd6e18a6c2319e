"""OutputFlood worker half: writes `bytes` bytes of text lines to sys.stdout or sys.stderr.

Through sys.stdout/sys.stderr as the server set them up, so a server that redirects them
(uWSGI binds both to fd 2) decides where the flood lands. Lines of 1 KiB, flushed at the end.
"""

import sys

_LINE = "labour OutputFlood " + "x" * (1024 - 20) + "\n"  # 1024 bytes


def handle(environ, start_response, params, ctx):
    stream = sys.stdout if params["stream"] == "stdout" else sys.stderr
    size = params["bytes"]
    lines, rest = divmod(size, len(_LINE))
    for _ in range(lines):
        stream.write(_LINE)
    stream.write(_LINE[len(_LINE) - rest:])
    stream.flush()
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = -1  # a stream the server replaced with one that has no descriptor
    body = ("wrote %d bytes to %s (fd %d)\n" % (size, params["stream"], fd)).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
