"""A server that writes the CPUs it may run on to a file, then serves the worker app with
wsgiref. Arguments: host port app_dir app_module app_callable report_path."""
import importlib
import os
import pathlib
import sys
from wsgiref.simple_server import make_server

host, port, app_dir, app_module, app_callable, report = sys.argv[1:7]
pathlib.Path(report).write_text(",".join(map(str, sorted(os.sched_getaffinity(0)))))
sys.path.insert(0, app_dir)
app = getattr(importlib.import_module(app_module), app_callable)
make_server(host, int(port), app).serve_forever()
