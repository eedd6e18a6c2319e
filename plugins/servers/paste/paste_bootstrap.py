"""labour bootstrap: serve the worker app with paste.httpserver (one process, thread pool)."""
import argparse
import importlib
import signal
import sys

from paste import httpserver

parser = argparse.ArgumentParser()
for name in ("--app-dir", "--module", "--callable", "--host"):
    parser.add_argument(name, required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--threadpool", type=int, required=True)
args = parser.parse_args()

# Stop on SIGINT even if the parent left it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, args.app_dir)
app = getattr(importlib.import_module(args.module), args.callable)
# serve() prints "serving on ...", returns the server after KeyboardInterrupt. Paste's pool
# asserts spawn_if_under (default 5) <= workers, so small pools need it lowered.
server = httpserver.serve(app, host=args.host, port=str(args.port), use_threadpool=True,
                          threadpool_workers=args.threadpool,
                          threadpool_options={"spawn_if_under": min(5, args.threadpool)})
# Stops the worker threads (paste's pool gives stuck ones a bounded time).
server.server_close()
