"""labour bootstrap: serve the worker app with cheroot.wsgi.Server (one process, thread pool)."""

from cheroot import wsgi

import labour_prelude

args = labour_prelude.arguments(("--numthreads", dict(type=int)))

app = labour_prelude.load_app(args)
server = wsgi.Server((args.host, args.port), app, numthreads=args.numthreads)
print("cheroot serving on %s port %d with %d threads" % (args.host, args.port, args.numthreads), flush=True)
try:
    server.start()
except KeyboardInterrupt:
    pass
finally:
    # Joins the worker threads: waits for requests still running.
    server.stop()
