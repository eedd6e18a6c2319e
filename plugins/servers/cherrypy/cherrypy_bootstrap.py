"""labour bootstrap: serve the worker app with CherryPy (tree.graft + engine, cheroot thread pool)."""
import argparse
import importlib
import logging
import signal
import sys

import cherrypy

parser = argparse.ArgumentParser()
for name in ("--app-dir", "--module", "--callable", "--host"):
    parser.add_argument(name, required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--thread-pool", type=int, required=True)
args = parser.parse_args()

# Stop on SIGINT even if the parent left it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, args.app_dir)
app = getattr(importlib.import_module(args.module), args.callable)
cherrypy.tree.graft(app, "/")
cherrypy.config.update({
    "server.socket_host": args.host,
    "server.socket_port": args.port,
    "server.thread_pool": args.thread_pool,
    "engine.autoreload.on": False,  # never re-exec itself
    "checker.on": False,
    "log.screen": True,
})
# Errors go to stderr; the per-request access lines (INFO) are dropped.
cherrypy.log.access_log.setLevel(logging.WARNING)
# SIGTERM and SIGHUP handlers that exit the engine (SIGINT arrives as KeyboardInterrupt).
cherrypy.engine.signals.subscribe()
try:
    cherrypy.engine.start()
    print("cherrypy serving on %s port %d with %d threads" % (args.host, args.port, args.thread_pool), flush=True)
    # block() turns KeyboardInterrupt into engine.exit(), which stops the server and its threads.
    cherrypy.engine.block()
except KeyboardInterrupt:
    # SIGINT while start() was still running: the server's threads are up and not daemons,
    # so without exit() the interpreter would wait for them forever.
    cherrypy.engine.exit()
