"""labour bootstrap: serve the worker app with eventlet.wsgi (one process, green threads)."""
import sys

import labour_prelude

args = labour_prelude.arguments(
    ("--monkey-patch", dict(choices=("true", "false"), default="false")),
    ("--max-size", dict(type=int)),
)

import eventlet  # noqa: E402

if args.monkey_patch == "true":
    eventlet.monkey_patch()

import logging  # noqa: E402
import socket  # noqa: E402

import eventlet.wsgi  # noqa: E402

app = labour_prelude.load_app(args)
# Access lines are logged at INFO, errors at ERROR: keep only warnings and worse.
log = logging.getLogger("labour.eventlet")
log.addHandler(logging.StreamHandler(sys.stderr))
log.setLevel(logging.WARNING)
family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
sock = eventlet.listen((args.host, args.port), family=family)
print("eventlet.wsgi serving on %s port %d (monkey-patched: %s)" % (args.host, args.port, args.monkey_patch),
      flush=True)
try:
    # Returns (after closing the socket) when KeyboardInterrupt reaches it.
    eventlet.wsgi.server(sock, app, log=log, max_size=args.max_size, debug=False)
except KeyboardInterrupt:
    pass
