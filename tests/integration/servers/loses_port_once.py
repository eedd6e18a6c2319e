"""A server that loses the race for its port once: on its first start the port is taken
(by this very process, so the failure is wsgiref's own bind error); started again, it
serves. Arguments: host port app_dir app_module app_callable run_dir."""
import importlib
import os
import socket
import sys
from wsgiref.simple_server import make_server

host, port, app_dir, app_module, app_callable, run_dir = sys.argv[1:7]
port = int(port)
first_start = os.path.join(run_dir, "lost-the-port-once")
if not os.path.exists(first_start):
    open(first_start, "w").close()
    taker = socket.socket()
    taker.bind((host, port))
    taker.listen()
sys.path.insert(0, app_dir)
app = getattr(importlib.import_module(app_module), app_callable)
make_server(host, port, app).serve_forever()
