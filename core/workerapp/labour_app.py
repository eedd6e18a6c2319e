"""labour worker app: the WSGI dispatcher that runs inside the server under test.

Contract (the C++ writer, core/workerapp/worker_app.cpp, and this file must agree)
==================================================================================

Run dir layout, written by labour::workerapp::write_worker_app(run_dir, behaviours):

    <run_dir>/                         mode 0700, made by make_run_dir() ("labour-XXXXXX")
      app/                             mode 0700; the server's python path / chdir
        labour_app.py                  this file (embedded in the binary as the C array
                                       labour_dispatcher_source / _size)
        labour_behaviours/<Name>.py    each behaviour's worker half (embedded in its .so)
        labour_files/<Name>/           the data files the behaviour declares (may be empty)
        behaviours.json                names, modules, methods, parameter specs (format below)

behaviours.json (UTF-8; every key is always present):

    {"format": 2,
     "behaviours": [
       {"name": "PlainResponse",
        "module": "labour_behaviours/PlainResponse.py",
        "method": "GET",
        "files_dir": "labour_files/PlainResponse",
        "params": [
          {"name": "status", "type": "int", "min": 100, "max": 599, "choices": []},
          ...]},
       ...]}

  - name: [A-Za-z][A-Za-z0-9_-]*, the route; module: app-dir relative path of its worker half;
    method: the one method its route accepts (GET also accepts HEAD); files_dir: app-dir
    relative folder of its declared data files.
  - type: "int" | "float" | "bool" | "string" | "enum"; min/max: a number or null (int
    params get integer bounds); choices: the allowed values of an enum, [] otherwise.

Dispatcher: module `labour_app`, WSGI callable `application`.
  - At import it reads behaviours.json from its own folder and imports every worker half
    by file path (importlib); a missing or broken file fails the import with a message
    naming it, so the server fails to start instead of answering wrongly.
  - GET|HEAD /__labour__/ready  -> 200 "ready <pid> <run>": the pid of the answering process
    and the name of the run dir holding app/, so labour knows the answer is its own server's
    (another labour's server may have taken the port meanwhile).
  - <method> /<Name>?<query>    -> the behaviour's handle(), for the method it declared
    (GET: GET and HEAD); any other method -> 405 naming the allowed ones; unknown name -> 404.
  - Every parameter of the behaviour must be given exactly once (the host always sends the
    full set in schema order, defaults filled in). Missing, repeated or unknown parameters
    and values of the wrong type, out of range or not among the choices -> 400 with a
    one-line text/plain body naming the parameter.
    int: decimal digits with an optional sign; float: a finite decimal number; bool:
    true|false; enum: one of the choices; string: at most 1024 characters of text.
  - Parameters are data: nothing a request names is executed, imported or opened.
  - Errors raised by a worker half are not caught: the server's own handling (usually a
    500) is part of what labour measures.

Worker half (labour_behaviours/<Name>.py): the contract: docs/writing-plugins.md.

The whole app passes wsgiref.validate.
"""

import importlib.util
import json
import math
import os
import re
from http import HTTPStatus
from urllib.parse import unquote_plus

APP_DIR = os.path.dirname(os.path.abspath(__file__))
READY_PATH = "/__labour__/ready"
RUN_NAME = os.path.basename(os.path.dirname(APP_DIR))
SPEC_FILE = "behaviours.json"
SPEC_FORMAT = 2

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_INT = re.compile(r"[+-]?[0-9]{1,19}\Z")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?\Z")
_MAX_QUERY = 8192
_MAX_STRING = 1024


class Context:
    """What a worker half gets besides environ and its parameters."""

    def __init__(self, name, app_dir, files_dir):
        self.name = name
        self.app_dir = app_dir
        self.files_dir = files_dir
        self.state = {}


class BadParameter(Exception):
    """A request parameter that fails its spec; the message is the one-line 400 body."""


class _Behaviour:
    def __init__(self, name, module, methods, params, ctx):
        self.name = name
        self.module = module
        self.methods = methods  # what its route accepts
        self.params = params  # list of spec dicts, schema order
        self.by_name = {p["name"]: p for p in params}
        self.ctx = ctx


def _show(text):
    """A request value quoted for an error line: ASCII only, bounded length."""
    if len(text) > 40:
        text = text[:40] + "..."
    return ascii(text)


def _fail_load(why):
    raise ImportError("labour worker app in %s: %s" % (APP_DIR, why))


def _load():
    path = os.path.join(APP_DIR, SPEC_FILE)
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        _fail_load("cannot read %s: %s" % (SPEC_FILE, e))
    if not isinstance(doc, dict) or doc.get("format") != SPEC_FORMAT:
        _fail_load("%s is not format %d" % (SPEC_FILE, SPEC_FORMAT))
    behaviours = {}
    modules_dir = os.path.join(APP_DIR, "labour_behaviours")
    for entry in doc.get("behaviours", []):
        name = entry.get("name", "")
        if not isinstance(name, str) or not _NAME.match(name):
            _fail_load("behaviour name %r is not [A-Za-z][A-Za-z0-9_-]*" % (name,))
        if name in behaviours:
            _fail_load("behaviour %s is listed twice" % name)
        module_path = os.path.normpath(os.path.join(APP_DIR, entry.get("module", "")))
        if os.path.dirname(module_path) != modules_dir:
            _fail_load("module of %s must be in labour_behaviours/" % name)
        spec = importlib.util.spec_from_file_location(
            "labour_behaviour_" + name.replace("-", "_"), module_path)
        if spec is None:
            _fail_load("cannot import %s" % module_path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as e:
            _fail_load("worker half of %s (%s) failed to import: %s: %s"
                       % (name, module_path, type(e).__name__, e))
        if not callable(getattr(module, "handle", None)):
            _fail_load("worker half of %s (%s) defines no handle()" % (name, module_path))
        method = entry.get("method", "")
        if not isinstance(method, str) or not re.fullmatch(r"[A-Z]{1,32}", method):
            _fail_load("method of %s is %r, not an HTTP method" % (name, method))
        methods = ("GET", "HEAD") if method == "GET" else (method,)
        files_dir = os.path.normpath(os.path.join(APP_DIR, entry.get("files_dir", "")))
        if os.path.dirname(files_dir) != os.path.join(APP_DIR, "labour_files"):
            _fail_load("files_dir of %s must be in labour_files/" % name)
        params = entry.get("params", [])
        for p in params:
            if p.get("type") not in ("int", "float", "bool", "string", "enum"):
                _fail_load("parameter %r of %s has unknown type %r"
                           % (p.get("name"), name, p.get("type")))
        behaviours[name] = _Behaviour(name, module, methods, params, Context(name, APP_DIR, files_dir))
    return behaviours


BEHAVIOURS = _load()


def _convert(spec, raw):
    """The Python value of `raw` under `spec`, or BadParameter."""
    name, kind = spec["name"], spec["type"]
    if kind == "int":
        if not _INT.match(raw):
            raise BadParameter("bad parameter '%s': %s is not an integer" % (name, _show(raw)))
        value = int(raw)
    elif kind == "float":
        if not _FLOAT.match(raw):
            raise BadParameter("bad parameter '%s': %s is not a decimal number" % (name, _show(raw)))
        value = float(raw)
        if not math.isfinite(value):
            raise BadParameter("bad parameter '%s': %s is not finite" % (name, _show(raw)))
    elif kind == "bool":
        if raw not in ("true", "false"):
            raise BadParameter("bad parameter '%s': %s is not true or false" % (name, _show(raw)))
        return raw == "true"
    elif kind == "enum":
        if raw not in spec["choices"]:
            raise BadParameter("bad parameter '%s': %s is not one of %s"
                               % (name, _show(raw), "|".join(spec["choices"])))
        return raw
    else:  # string: plain data, bounded
        if len(raw) > _MAX_STRING:
            raise BadParameter("bad parameter '%s': longer than %d characters" % (name, _MAX_STRING))
        return raw
    low, high = spec.get("min"), spec.get("max")
    if low is not None and value < low:
        raise BadParameter("bad parameter '%s': %s is below the minimum %s" % (name, raw, low))
    if high is not None and value > high:
        raise BadParameter("bad parameter '%s': %s is above the maximum %s" % (name, raw, high))
    return value


def _parse(behaviour, query):
    """The validated parameter dict of one request, or BadParameter."""
    if len(query) > _MAX_QUERY:
        raise BadParameter("bad query: longer than %d bytes" % _MAX_QUERY)
    given = {}
    for piece in query.split("&"):
        if not piece:
            continue
        key, sep, raw = piece.partition("=")
        key = unquote_plus(key, encoding="latin-1")
        if key not in behaviour.by_name:
            known = ", ".join(p["name"] for p in behaviour.params) or "none"
            raise BadParameter("unknown parameter %s for %s (known: %s)"
                               % (_show(key), behaviour.name, known))
        if not sep:
            raise BadParameter("bad parameter '%s': no value (write %s=<value>)" % (key, key))
        if key in given:
            raise BadParameter("bad parameter '%s': given more than once" % key)
        given[key] = _convert(behaviour.by_name[key], unquote_plus(raw, encoding="latin-1"))
    for p in behaviour.params:
        if p["name"] not in given:
            raise BadParameter("missing parameter '%s' for %s" % (p["name"], behaviour.name))
    check = getattr(behaviour.module, "check", None)
    if check is not None:
        why = check(given)
        if why:
            raise BadParameter(why)
    return given


def status_line(code):
    """'200 OK' for 200; a generic reason for codes HTTPStatus does not know."""
    try:
        return "%d %s" % (code, HTTPStatus(code).phrase)
    except ValueError:
        return "%d Status %d" % (code, code)


def _text(start_response, code, text, extra_headers=()):
    body = (text + "\n").encode("utf-8")
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    headers.extend(extra_headers)
    start_response(status_line(code), headers)
    return [body]


def application(environ, start_response):
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "") or "/"
    if path == READY_PATH:
        methods = ("GET", "HEAD")
        behaviour = None
    else:
        behaviour = BEHAVIOURS.get(path[1:]) if path.startswith("/") else None
        if behaviour is None:
            return _text(start_response, 404, "no behaviour at %s (known: %s)"
                         % (_show(path), ", ".join(sorted(BEHAVIOURS)) or "none"))
        methods = behaviour.methods
    if method not in methods:
        allowed = ", ".join(methods)
        return _text(start_response, 405, "method %s not allowed at %s; use %s"
                     % (_show(method), _show(path), allowed), [("Allow", allowed)])
    if behaviour is None:
        return _text(start_response, 200, "ready %d %s" % (os.getpid(), RUN_NAME))
    try:
        params = _parse(behaviour, environ.get("QUERY_STRING", ""))
    except BadParameter as e:
        return _text(start_response, 400, str(e))
    return behaviour.module.handle(environ, start_response, params, behaviour.ctx)
