"""labour bootstrap: serve the worker app with tornado's WSGIContainer (app on the IOLoop thread)."""
import asyncio
import logging
import sys

from tornado.httpserver import HTTPServer
from tornado.wsgi import WSGIContainer

import labour_prelude

args = labour_prelude.arguments()

# Warnings and errors (tracebacks) to stderr; tornado.access lines are INFO and dropped.
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
app = labour_prelude.load_app(args)


async def main():
    server = HTTPServer(WSGIContainer(app))
    server.listen(args.port, address=args.host)
    print("tornado serving on %s port %d" % (args.host, args.port), flush=True)
    await asyncio.Event().wait()


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
