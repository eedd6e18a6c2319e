"""labour bootstrap: serve the worker app with Twisted's WSGIResource (reactor + thread pool)."""
import argparse
import importlib
import signal
import sys

from twisted.internet import reactor
from twisted.logger import (FilteringLogObserver, LogLevel, LogLevelFilterPredicate, globalLogBeginner,
                            textFileLogObserver)
from twisted.web.server import Site
from twisted.web.wsgi import WSGIResource

parser = argparse.ArgumentParser()
for name in ("--app-dir", "--module", "--callable", "--host"):
    parser.add_argument(name, required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--threads", type=int, required=True)
args = parser.parse_args()

# Warnings and errors (tracebacks from the app) to stderr; access lines (info) dropped.
globalLogBeginner.beginLoggingTo(
    [FilteringLogObserver(textFileLogObserver(sys.stderr), [LogLevelFilterPredicate(LogLevel.warn)])],
    redirectStandardIO=False)
sys.path.insert(0, args.app_dir)
app = getattr(importlib.import_module(args.module), args.callable)
reactor.suggestThreadPoolSize(args.threads)
resource = WSGIResource(reactor, reactor.getThreadPool(), app)
reactor.listenTCP(args.port, Site(resource), interface=args.host)
print("twisted serving on %s port %d with up to %d threads" % (args.host, args.port, args.threads), flush=True)
signal.signal(signal.SIGINT, signal.default_int_handler)  # the reactor only takes over the default
# The reactor turns SIGINT/SIGTERM into reactor.stop(); run() returns after the thread pool
# has been joined (which waits for requests still running).
reactor.run()
