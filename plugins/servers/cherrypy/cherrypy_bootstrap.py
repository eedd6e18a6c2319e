"""labour bootstrap: serve the worker app with CherryPy (tree.graft + engine, cheroot thread pool)."""
import logging

import cherrypy

import labour_prelude

args = labour_prelude.arguments(("--thread-pool", dict(type=int)))

app = labour_prelude.load_app(args)
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
