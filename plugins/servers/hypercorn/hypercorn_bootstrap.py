"""labour bootstrap: serve the worker app with hypercorn (asyncio) through a WSGI-to-ASGI wrapper.

hypercorn 0.13 has no WSGI support of its own, so the app is wrapped:
  hypercorn  hypercorn.middleware.AsyncioWSGIMiddleware: each request runs in a thread pool
  asgiref    asgiref.wsgi.WsgiToAsgi: every request runs in one shared thread
"""
import asyncio
import concurrent.futures
import signal

from hypercorn.asyncio import serve
from hypercorn.config import Config

import labour_prelude

args = labour_prelude.arguments(
    ("--wrapper", dict(choices=("hypercorn", "asgiref"))),
    ("--threads", dict(type=int)),
    ("--graceful-timeout", dict(type=float)),
)

app = labour_prelude.load_app(args, take_sigint=False)
if args.wrapper == "hypercorn":
    from hypercorn.middleware import AsyncioWSGIMiddleware

    asgi_app = AsyncioWSGIMiddleware(app)
else:
    from asgiref.wsgi import WsgiToAsgi

    asgi_app = WsgiToAsgi(app)

config = Config()
config.bind = ["[%s]:%d" % (args.host, args.port) if ":" in args.host else "%s:%d" % (args.host, args.port)]
config.accesslog = None  # no per-request lines
config.errorlog = "-"  # errors (tracebacks) to stderr
config.graceful_timeout = args.graceful_timeout


async def main():
    loop = asyncio.get_running_loop()
    # AsyncioWSGIMiddleware runs requests in the loop's default executor.
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=args.threads))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("hypercorn serving on %s port %d (wrapper: %s)" % (args.host, args.port, args.wrapper), flush=True)
    await serve(asgi_app, config, shutdown_trigger=stop.wait)


asyncio.run(main())
