"""labour bootstrap: serve the worker app with Twisted's WSGIResource (reactor + thread pool)."""
import signal
import sys

from twisted.internet import reactor
from twisted.logger import (FilteringLogObserver, LogLevel, LogLevelFilterPredicate, globalLogBeginner,
                            textFileLogObserver)
from twisted.web.server import Site
from twisted.web.wsgi import WSGIResource

import labour_prelude

args = labour_prelude.arguments(("--threads", dict(type=int)))

# Warnings and errors (tracebacks from the app) to stderr; access lines (info) dropped.
globalLogBeginner.beginLoggingTo(
    [FilteringLogObserver(textFileLogObserver(sys.stderr), [LogLevelFilterPredicate(LogLevel.warn)])],
    redirectStandardIO=False)
app = labour_prelude.load_app(args, take_sigint=False)
reactor.suggestThreadPoolSize(args.threads)
resource = WSGIResource(reactor, reactor.getThreadPool(), app)
reactor.listenTCP(args.port, Site(resource), interface=args.host)
print("twisted serving on %s port %d with up to %d threads" % (args.host, args.port, args.threads), flush=True)
signal.signal(signal.SIGINT, signal.default_int_handler)  # the reactor only takes over the default
# The reactor turns SIGINT/SIGTERM into reactor.stop(); run() returns after the thread pool
# has been joined (which waits for requests still running).
reactor.run()
