"""labour bootstrap: serve the worker app with eventlet.wsgi (one process, green threads)."""
import argparse
import sys

parser = argparse.ArgumentParser()
for name in ("--app-dir", "--module", "--callable", "--host"):
    parser.add_argument(name, required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--monkey-patch", choices=("true", "false"), default="false")
parser.add_argument("--max-size", type=int, required=True)
args = parser.parse_args()

import eventlet  # noqa: E402

if args.monkey_patch == "true":
    eventlet.monkey_patch()

import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402

import eventlet.wsgi  # noqa: E402

# Stop on SIGINT even if the parent left it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, args.app_dir)
app = getattr(importlib.import_module(args.module), args.callable)
# Access lines are logged at INFO, errors at ERROR: keep only warnings and worse.
log = logging.getLogger("labour.eventlet")
log.addHandler(logging.StreamHandler(sys.stderr))
log.setLevel(logging.WARNING)
family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
sock = eventlet.listen((args.host, args.port), family=family)
print("eventlet.wsgi serving on %s port %d (monkey-patched: %s)" % (args.host, args.port, args.monkey_patch),
      flush=True)
try:
    # Returns (after closing the socket) when KeyboardInterrupt reaches it.
    eventlet.wsgi.server(sock, app, log=log, max_size=args.max_size, debug=False)
except KeyboardInterrupt:
    pass
