"""Builds worker apps for the tests exactly as core/workerapp/worker_app.cpp writes them.

Layout and behaviours.json format: see the contract at the top of core/workerapp/labour_app.py.
SPECS mirrors the parameter schemas of the C++ client halves; tests/behaviours checks the
real writer's output against the same format.
"""

import importlib.util
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import wsgiref.util
import wsgiref.validate

import pytest

SOURCE_DIR = os.environ.get(
    "LABOUR_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
DISPATCHER = os.path.join(SOURCE_DIR, "core", "workerapp", "labour_app.py")
MiB = 1024 * 1024
GiB = 1024 * MiB
DATA_FILE_SIZE = MiB


def _param(name, kind, low=None, high=None, choices=()):
    return {"name": name, "type": kind, "min": low, "max": high, "choices": list(choices)}


# name -> (plugin folder, params in schema order), as the writer emits them.
SPECS = {
    "PlainResponse": ("plainresponse", [_param("status", "int", 100, 599),
                                        _param("bytes", "int", 0, 100 * MiB)]),
    "Sleeping": ("sleeping", [_param("seconds", "float", 0, 3600)]),
    "IOBound": ("iobound", [_param("bytes", "int", 1, GiB),
                            _param("source", "enum", choices=("zero", "file")),
                            _param("block", "int", 512, 16 * MiB)]),
    "LeakMemory": ("leakmemory", [_param("bytes", "int", 0, GiB)]),
    "PythonWedge": ("pythonwedge", [_param("seconds", "float", 0, 3600)]),
    "SIGSEGV": ("sigsegv", []),
    "ExitProcess": ("exitprocess", [_param("code", "int", 0, 255)]),
    "Abort": ("abort", []),
    "RaiseException": ("raiseexception", [_param("where", "enum",
                                                 choices=("before_start", "after_start", "in_body"))]),
    "NativeWedge": ("nativewedge", [_param("seconds", "float", 0, 3600)]),
    "NativeSleep": ("nativesleep", [_param("seconds", "float", 0, 3600)]),
    "Deadlock": ("deadlock", []),
    "WSGIViolation": ("wsgiviolation", [_param("kind", "enum", choices=(
        "no_start_response", "start_response_twice", "str_body", "bad_status", "bad_header"))]),
    "FDLeak": ("fdleak", [_param("count", "int", 1, 100000)]),
    "ThreadLeak": ("threadleak", [_param("count", "int", 1, 1000)]),
    "ChildLeak": ("childleak", [_param("mode", "enum", choices=("child", "daemon")),
                                _param("seconds", "int", 1, 86400)]),
    "SlowBody": ("slowbody", [_param("chunks", "int", 1, 10000), _param("interval", "float", 0, 3600)]),
    "HugeBody": ("hugebody", [_param("bytes", "int", 0, 4 * GiB),
                              _param("mode", "enum", choices=("whole", "blocks"))]),
    "EndlessBody": ("endlessbody", [_param("block", "int", 1, 16 * MiB)]),
    "BadContentLength": ("badcontentlength", [_param("mode", "enum", choices=("short", "long")),
                                              _param("length", "int", 2, MiB)]),
    "OutputFlood": ("outputflood", [_param("bytes", "int", 0, 4 * GiB),
                                    _param("stream", "enum", choices=("stdout", "stderr"))]),
    "IgnoreTermination": ("ignoretermination", []),
    "MemoryHog": ("memoryhog", [_param("bytes", "int", 0, 4 * GiB), _param("seconds", "float", 0, 3600)]),
    "ReadInput": ("readinput", [_param("bytes", "int", 0, 256 * MiB),
                                _param("mode", "enum", choices=("length", "all"))]),
    # Client-driven behaviours: their scripts shape the connection; the worker halves answer
    # what reaches the application.
    "Slowloris": ("slowloris", [_param("connections", "int", 1, 100000), _param("interval", "float", 0.01, 600),
                                _param("complete_after", "int", 0, 100000)]),
    "SlowUpload": ("slowupload", [_param("connections", "int", 1, 100000), _param("bytes", "int", 1, GiB),
                                  _param("rate", "int", 1, GiB)]),
    "SlowRead": ("slowread", [_param("connections", "int", 1, 100000), _param("bytes", "int", 1, 16 * GiB),
                              _param("rate", "int", 1, GiB), _param("window", "int", 256, 16 * MiB)]),
    "IdleHog": ("idlehog", [_param("connections", "int", 1, 100000)]),
    "AbortMidRequest": ("slowupload", [_param("connections", "int", 1, 100000),
                                            _param("bytes", "int", 2, 16 * MiB),
                                            _param("at", "enum", choices=("headers", "body"))]),
    "Pipelining": ("pipelining", [_param("connections", "int", 1, 100000), _param("depth", "int", 2, 100)]),
    "OversizedHeaders": ("oversizedheaders", [_param("connections", "int", 1, 100000),
                                              _param("bytes", "int", 1, 16 * MiB)]),
    "MalformedRequest": ("malformedrequest", [_param("connections", "int", 1, 100000),
                                              _param("kind", "enum", choices=(
                                                  "tls_hello", "bad_version", "no_colon", "nul_in_header",
                                                  "two_lengths", "negative_length", "bad_chunk_size",
                                                  "length_and_chunked"))]),
}


# The method each behaviour declares (GET unless named here), as its plugin does.
METHODS = {"ReadInput": "POST", "SlowUpload": "POST", "AbortMidRequest": "POST", "MalformedRequest": "POST"}


def iobound_data(app_dir):
    return os.path.join(app_dir, "labour_files", "IOBound", "data")


# Worker halves that another behaviour's file serves (the plugin's CMakeLists.txt names it).
SHARED_HALVES = {"AbortMidRequest": "SlowUpload"}


def worker_half_path(name):
    folder, _ = SPECS[name]
    return os.path.join(SOURCE_DIR, "plugins", "behaviours", folder, SHARED_HALVES.get(name, name) + ".py")


def behaviours_json(names):
    doc = {"format": 2, "behaviours": [
        {"name": n, "module": "labour_behaviours/%s.py" % n, "method": METHODS.get(n, "GET"),
         "files_dir": "labour_files/" + n, "params": SPECS[n][1]} for n in names]}
    return json.dumps(doc, indent=2) + "\n"


def build_app(run_dir, names=tuple(SPECS)):
    """Writes <run_dir>/app as the C++ writer does and returns its path."""
    app_dir = os.path.join(str(run_dir), "app")
    os.makedirs(os.path.join(app_dir, "labour_behaviours"), mode=0o700)
    shutil.copyfile(DISPATCHER, os.path.join(app_dir, "labour_app.py"))
    for n in names:
        shutil.copyfile(worker_half_path(n), os.path.join(app_dir, "labour_behaviours", n + ".py"))
    with open(os.path.join(app_dir, "behaviours.json"), "w", encoding="utf-8") as f:
        f.write(behaviours_json(names))
    for n in names:
        os.makedirs(os.path.join(app_dir, "labour_files", n), mode=0o700)
    # IOBound's declared data file (the plugin's own bytes differ; any non-zero MiB will do).
    if "IOBound" in names:
        with open(iobound_data(app_dir), "wb") as f:
            f.write(bytes(range(1, 256)) * (DATA_FILE_SIZE // 255) + b"\x01" * (DATA_FILE_SIZE % 255))
    return app_dir


_counter = itertools.count()


def load_app(app_dir):
    """Imports <app_dir>/labour_app.py afresh (its own module object, its own state)."""
    spec = importlib.util.spec_from_file_location(
        "labour_app_under_test_%d" % next(_counter), os.path.join(app_dir, "labour_app.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def code(self):
        return int(self.status.split(" ", 1)[0])

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def text(self):
        return self.body.decode("utf-8")


def call(module, target, method="GET", body=None, environ_extra=None, content_length=None):
    """One request through wsgiref.validate (which raises on any WSGI violation)."""
    path, _, query = target.partition("?")
    environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query}
    if body is not None:
        length = len(body) if content_length is None else content_length
        environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(length)})
    environ.update(environ_extra or {})
    wsgiref.util.setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers
        return lambda data: None

    app = wsgiref.validate.validator(module.application)
    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return Response(seen["status"], seen["headers"], body)


# Runs targets against the app in a separate interpreter, for requests that kill or hold it.
CALL_SCRIPT = r"""
import sys, wsgiref.util, wsgiref.validate
sys.path.insert(0, sys.argv[1])
import labour_app
print("imported", flush=True)
app = wsgiref.validate.validator(labour_app.application)
for target in sys.argv[2:]:
    path, _, query = target.partition("?")
    environ = {"SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query}
    wsgiref.util.setup_testing_defaults(environ)
    status = []
    result = app(environ, lambda s, h, e=None: status.append(s) or (lambda d: None))
    body = b"".join(result)
    result.close()
    print(status[0], body.decode("latin-1").strip(), flush=True)
"""


def run_isolated(app_dir, targets, timeout):
    """(returncode, stdout) of a child interpreter serving `targets`; raises TimeoutExpired
    after killing the child if it does not finish in `timeout` seconds."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONFAULTHANDLER", None)
    proc = subprocess.Popen([sys.executable, "-c", CALL_SCRIPT, app_dir] + list(targets),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            preexec_fn=_no_core_dumps)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out.decode("utf-8", "replace")


def _no_core_dumps():
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@pytest.fixture
def app_dir(tmp_path):
    return build_app(tmp_path)


@pytest.fixture
def app(app_dir):
    return load_app(app_dir)
