"""labour bootstrap: serve the worker app with the standard library's wsgiref (one thread)."""
import argparse
import importlib
import signal
import socket
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class QuietHandler(WSGIRequestHandler):
    """Drops the per-request access line; errors still reach stderr."""

    def log_request(self, code="-", size="-"):
        pass


class Server(WSGIServer):
    # An IPv6 literal needs an AF_INET6 socket; the stdlib server assumes IPv4.
    address_family = socket.AF_INET


def main():
    parser = argparse.ArgumentParser()
    for name in ("--app-dir", "--module", "--callable", "--host"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # Stop on SIGINT even if the parent left it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, args.app_dir)
    app = getattr(importlib.import_module(args.module), args.callable)
    if ":" in args.host:
        Server.address_family = socket.AF_INET6
    httpd = make_server(args.host, args.port, app, server_class=Server, handler_class=QuietHandler)
    print("wsgiref serving on %s port %d" % (args.host, args.port), flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
