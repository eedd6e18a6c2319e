"""labour's bootstrap prelude: what every server bootstrap does, done one way.

labour writes this next to the adapter's bootstrap in the run dir and runs
`python <run_dir>/<bootstrap>.py --app-dir D --module M --callable C --host H --port P <the
adapter's own flags>`, so `import labour_prelude` finds it (the script's folder is sys.path[0]).
Only the standard library, and nothing imported here that a gevent or eventlet bootstrap
must patch first: it parses arguments before its monkey-patching, and loads the app after.
"""
import argparse
import importlib
import sys


def arguments(*extra):
    """The arguments labour passes, plus the adapter's own: (flag, argparse options) pairs,
    required unless they name a default."""
    parser = argparse.ArgumentParser()
    for name in ("--app-dir", "--module", "--callable", "--host"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    for flag, options in extra:
        parser.add_argument(flag, required="default" not in options, **options)
    return parser.parse_args()


def load_app(args, take_sigint=True):
    """Imports the worker app's WSGI callable from the app folder. take_sigint: SIGINT raises
    KeyboardInterrupt even if the parent left it ignored (a server that installs its own
    handlers, e.g. a reactor or an event loop, passes False)."""
    if take_sigint:
        import signal

        signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, args.app_dir)
    return getattr(importlib.import_module(args.module), args.callable)
