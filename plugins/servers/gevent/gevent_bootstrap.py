"""labour bootstrap: serve the worker app with gevent.pywsgi (one process, greenlets)."""
import argparse
import sys

parser = argparse.ArgumentParser()
for name in ("--app-dir", "--module", "--callable", "--host"):
    parser.add_argument(name, required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--monkey-patch", choices=("true", "false"), default="false")
args = parser.parse_args()

if args.monkey_patch == "true":
    # Must run before anything else imports socket, threading, time, ...
    from gevent import monkey

    monkey.patch_all()

import importlib  # noqa: E402
import signal  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402

# Stop on SIGINT even if the parent left it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, args.app_dir)
app = getattr(importlib.import_module(args.module), args.callable)
# log=None drops the per-request access line; error_log (stderr) keeps tracebacks.
server = WSGIServer((args.host, args.port), app, log=None)
print("gevent.pywsgi serving on %s port %d (monkey-patched: %s)" % (args.host, args.port, args.monkey_patch),
      flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    server.stop(timeout=1)
