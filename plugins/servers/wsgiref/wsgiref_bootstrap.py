"""labour bootstrap: serve the worker app with the standard library's wsgiref (one thread)."""
import socket
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import labour_prelude


class QuietHandler(WSGIRequestHandler):
    """Drops the per-request access line; errors still reach stderr."""

    def log_request(self, code="-", size="-"):
        pass


class Server(WSGIServer):
    # An IPv6 literal needs an AF_INET6 socket; the stdlib server assumes IPv4.
    address_family = socket.AF_INET


def main():
    args = labour_prelude.arguments()
    app = labour_prelude.load_app(args)
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
