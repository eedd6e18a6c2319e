"""labour bootstrap: serve the worker app with cheroot.wsgi.Server (one process, thread pool)."""
import argparse
import importlib
import signal
import sys

from cheroot import wsgi

parser = argparse.ArgumentParser()
for name in ("--app-dir", "--module", "--callable", "--host"):
    parser.add_argument(name, required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--numthreads", type=int, required=True)
args = parser.parse_args()

# Stop on SIGINT even if the parent left it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, args.app_dir)
app = getattr(importlib.import_module(args.module), args.callable)
server = wsgi.Server((args.host, args.port), app, numthreads=args.numthreads)
print("cheroot serving on %s port %d with %d threads" % (args.host, args.port, args.numthreads), flush=True)
try:
    server.start()
except KeyboardInterrupt:
    pass
finally:
    # Joins the worker threads: waits for requests still running.
    server.stop()
