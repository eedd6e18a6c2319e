"""labour bootstrap: serve the worker app with gevent.pywsgi (one process, greenlets)."""

import labour_prelude

args = labour_prelude.arguments(("--monkey-patch", dict(choices=("true", "false"), default="false")))

if args.monkey_patch == "true":
    # Must run before anything else imports socket, threading, time, ...
    from gevent import monkey

    monkey.patch_all()


from gevent.pywsgi import WSGIServer  # noqa: E402

app = labour_prelude.load_app(args)
# log=None drops the per-request access line; error_log (stderr) keeps tracebacks.
server = WSGIServer((args.host, args.port), app, log=None)
print("gevent.pywsgi serving on %s port %d (monkey-patched: %s)" % (args.host, args.port, args.monkey_patch),
      flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    server.stop(timeout=1)
