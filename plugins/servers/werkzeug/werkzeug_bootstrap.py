"""labour bootstrap: serve the worker app with werkzeug.serving.run_simple."""
import argparse
import importlib
import logging
import signal
import sys

from werkzeug.serving import run_simple

parser = argparse.ArgumentParser()
for name in ("--app-dir", "--module", "--callable", "--host"):
    parser.add_argument(name, required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--threaded", choices=("true", "false"), required=True)
parser.add_argument("--processes", type=int, required=True)
args = parser.parse_args()

# Stop on SIGINT even if the parent left it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, args.app_dir)
app = getattr(importlib.import_module(args.module), args.callable)
# werkzeug logs every request at INFO; keep warnings and errors (tracebacks) only.
logger = logging.getLogger("werkzeug")
logger.addHandler(logging.StreamHandler(sys.stderr))
logger.setLevel(logging.WARNING)
print("werkzeug serving on %s port %d (threaded: %s, processes: %d)"
      % (args.host, args.port, args.threaded, args.processes), flush=True)
try:
    # No reloader (it would re-exec), no debugger (it would run code from requests).
    run_simple(args.host, args.port, app, threaded=args.threaded == "true", processes=args.processes,
               use_reloader=False, use_debugger=False)
except KeyboardInterrupt:
    pass
