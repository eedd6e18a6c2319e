"""labour bootstrap: serve the worker app with tornado's WSGIContainer (app on the IOLoop thread)."""
import argparse
import asyncio
import importlib
import logging
import signal
import sys

from tornado.httpserver import HTTPServer
from tornado.wsgi import WSGIContainer

parser = argparse.ArgumentParser()
for name in ("--app-dir", "--module", "--callable", "--host"):
    parser.add_argument(name, required=True)
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()

# Warnings and errors (tracebacks) to stderr; tornado.access lines are INFO and dropped.
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
# Stop on SIGINT even if the parent left it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, args.app_dir)
app = getattr(importlib.import_module(args.module), args.callable)


async def main():
    server = HTTPServer(WSGIContainer(app))
    server.listen(args.port, address=args.host)
    print("tornado serving on %s port %d" % (args.host, args.port), flush=True)
    await asyncio.Event().wait()


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
