"""ChildLeak worker half: leaves one process behind per request, which runs /bin/sleep `seconds`.

  child   subprocess.Popen, kept but never waited for. Popen closes inherited descriptors
          (close_fds) and the child stays in the server's process group.
  daemon  the classic daemon: fork, setsid, fork again, stdio to /dev/null, exec. Only the
          descriptors that are not close-on-exec survive the exec, as in any naive
          daemoniser: whether the server's listening socket is among them is the server's
          doing. The middle process is waited for, so no zombie is left.

Both inherit the environment, labour's marker included.
"""

import os
import subprocess

_SLEEP = "/bin/sleep"


def _daemon(seconds):
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:  # only async-signal-safe calls from here: the server may have threads
        try:
            os.setsid()
            if os.fork() == 0:
                os.write(write_end, str(os.getpid()).encode("ascii"))
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.execv(_SLEEP, [_SLEEP, str(seconds)])
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as r:
        return int(r.read(32) or b"0")


def handle(environ, start_response, params, ctx):
    seconds = params["seconds"]
    if params["mode"] == "child":
        child = subprocess.Popen([_SLEEP, str(seconds)], stdin=subprocess.DEVNULL)
        ctx.state.setdefault("children", []).append(child)  # kept, so never reaped
        pid = child.pid
    else:
        pid = _daemon(seconds)
    body = ("left process %d behind (%s)\n" % (pid, params["mode"])).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
