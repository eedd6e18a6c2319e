"""labour bootstrap: serve the worker app with werkzeug.serving.run_simple."""
import logging
import sys

from werkzeug.serving import run_simple

import labour_prelude

args = labour_prelude.arguments(
    ("--threaded", dict(choices=("true", "false"))),
    ("--processes", dict(type=int)),
)

app = labour_prelude.load_app(args)
# werkzeug logs every request at INFO; keep warnings and errors (tracebacks) only.
logger = logging.getLogger("werkzeug")
logger.addHandler(logging.StreamHandler(sys.stderr))
logger.setLevel(logging.WARNING)
print("werkzeug serving on %s port %d (threaded: %s, processes: %d)"
      % (args.host, args.port, args.threaded, args.processes), flush=True)
try:
    # No reloader (it would re-exec), no debugger (it would run code from requests).
    run_simple(args.host, args.port, app, threaded=args.threaded == "true", processes=args.processes,
               use_reloader=False, use_debugger=False)
except KeyboardInterrupt:
    pass
