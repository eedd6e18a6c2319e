"""The dispatcher: readiness, routing, parameter validation, loading errors."""

import json
import os
import subprocess

import pytest

from conftest import METHODS, SPECS, build_app, call, load_app, run_isolated


def assert_one_line_error(response, code, *words):
    assert response.code == code, response.text
    assert response.header("Content-Type").startswith("text/plain")
    text = response.text
    assert text.endswith("\n") and "\n" not in text[:-1], repr(text)
    for w in words:
        assert w in text, (w, text)


def test_ready_answers_with_the_pid_and_the_run(app, app_dir):
    r = call(app, "/__labour__/ready")
    assert r.code == 200
    run = os.path.basename(os.path.dirname(os.path.abspath(app_dir)))
    assert run and r.text == "ready %d %s\n" % (os.getpid(), run)
    assert int(r.header("Content-Length")) == len(r.body)


def test_ready_answers_head_too(app):
    assert call(app, "/__labour__/ready", method="HEAD").code == 200


def test_loads_every_behaviour_with_its_spec(app, app_dir):
    assert sorted(app.BEHAVIOURS) == sorted(SPECS)
    for name, behaviour in app.BEHAVIOURS.items():
        assert [p["name"] for p in behaviour.params] == [p["name"] for p in SPECS[name][1]]
        assert behaviour.ctx.app_dir == app_dir
        assert behaviour.ctx.files_dir == os.path.join(app_dir, "labour_files", name)
        declared = METHODS.get(name, "GET")
        assert behaviour.methods == (("GET", "HEAD") if declared == "GET" else (declared,))
        assert behaviour.ctx.state == {}


@pytest.mark.parametrize("target", ["/", "/Nope", "/plainresponse", "/PlainResponse/x",
                                    "/../labour_app", "/labour_behaviours/Sleeping.py",
                                    "/__labour__/other", "//PlainResponse"])
def test_unknown_route_is_404(app, target):
    assert_one_line_error(call(app, target), 404, "no behaviour")


def test_other_methods_are_405(app):
    r = call(app, "/PlainResponse?status=200&bytes=6", method="POST")
    assert_one_line_error(r, 405, "POST")
    assert r.header("Allow") == "GET, HEAD"


def declare_method(app_dir, name, method):
    """Rewrites behaviours.json as the writer would for a behaviour that declares `method`."""
    path = os.path.join(app_dir, "behaviours.json")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for entry in doc["behaviours"]:
        if entry["name"] == name:
            entry["method"] = method
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def test_a_route_accepts_the_method_its_behaviour_declares_and_no_other(app_dir):
    declare_method(app_dir, "PlainResponse", "POST")
    app = load_app(app_dir)
    assert call(app, "/PlainResponse?status=200&bytes=6", method="POST").code == 200
    for other in ("GET", "HEAD", "PUT"):
        r = call(app, "/PlainResponse?status=200&bytes=6", method=other)
        assert_one_line_error(r, 405, other)
        assert r.header("Allow") == "POST"
    # Another behaviour keeps its own declaration.
    assert call(app, "/Sleeping?seconds=0", method="GET").code == 200
    assert call(app, "/Sleeping?seconds=0", method="POST").code == 405


def test_a_declared_method_that_is_not_one_fails_the_import(app_dir):
    declare_method(app_dir, "Sleeping", "get me")
    with pytest.raises(ImportError, match="method of Sleeping is 'get me', not an HTTP method"):
        load_app(app_dir)


@pytest.mark.parametrize("target,param", [
    ("/Sleeping?seconds=0&foo=1", "foo"),                         # unknown parameter
    ("/SIGSEGV?x=1", "x"),                                        # no parameters at all
    ("/PlainResponse?status=abc&bytes=6", "status"),              # not an int
    ("/PlainResponse?status=200.0&bytes=6", "status"),            # float for an int
    ("/PlainResponse?status=0x10&bytes=6", "status"),
    ("/PlainResponse?status=&bytes=6", "status"),                 # empty value
    ("/PlainResponse?status=99&bytes=6", "status"),               # below min
    ("/PlainResponse?status=600&bytes=6", "status"),              # above max
    ("/PlainResponse?status=200&bytes=-1", "bytes"),
    ("/PlainResponse?status=200&bytes=104857601", "bytes"),
    ("/PlainResponse?status=200", "bytes"),                       # missing
    ("/PlainResponse?status=200&status=201&bytes=0", "status"),   # repeated
    ("/Sleeping?seconds", "seconds"),                             # no value
    ("/Sleeping?seconds=abc", "seconds"),
    ("/Sleeping?seconds=nan", "seconds"),
    ("/Sleeping?seconds=inf", "seconds"),
    ("/Sleeping?seconds=1e999", "seconds"),
    ("/Sleeping?seconds=-0.1", "seconds"),
    ("/Sleeping?seconds=3600.5", "seconds"),
    ("/IOBound?bytes=10&source=/etc/passwd&block=512", "source"),  # not a choice
    ("/IOBound?bytes=10&source=ZERO&block=512", "source"),
    ("/IOBound?bytes=0&source=zero&block=512", "bytes"),
    ("/IOBound?bytes=10&source=zero&block=511", "block"),
    ("/LeakMemory?bytes=1073741825", "bytes"),
    ("/PythonWedge?seconds=-1", "seconds"),
    ("/PlainResponse?status=150&bytes=0", "status"),              # 1xx is never final
    ("/PlainResponse?status=204&bytes=6", "bytes"),               # 204 has no body
])
def test_bad_parameters_are_400_naming_the_parameter(app, target, param):
    assert_one_line_error(call(app, target), 400, "'%s'" % param)


def test_error_lines_do_not_echo_long_or_odd_values(app):
    r = call(app, "/Sleeping?seconds=" + "9" * 5000 + "%0a%ff")
    assert_one_line_error(r, 400, "seconds")
    assert len(r.body) < 300
    r = call(app, "/Sleeping?seconds=1&x=" + "a" * 9000)
    assert_one_line_error(r, 400, "query")


def test_parameters_are_percent_decoded(app):
    r = call(app, "/PlainResponse?%73tatus=2%30%30&bytes=%36")
    assert r.code == 200 and len(r.body) == 6


def test_order_of_parameters_does_not_matter(app):
    r = call(app, "/IOBound?block=512&source=zero&bytes=1024")
    assert r.code == 200 and r.text == "read 1024 bytes\n"


def _expect_import_error(app_dir, *words):
    with pytest.raises(ImportError) as info:
        load_app(app_dir)
    for w in words:
        assert w in str(info.value)


def test_missing_behaviours_json_fails_the_import(tmp_path):
    app_dir = build_app(tmp_path)
    os.remove(os.path.join(app_dir, "behaviours.json"))
    _expect_import_error(app_dir, "behaviours.json")


def test_worker_half_without_handle_fails_the_import(tmp_path):
    app_dir = build_app(tmp_path, ["Sleeping"])
    with open(os.path.join(app_dir, "labour_behaviours", "Sleeping.py"), "w") as f:
        f.write("x = 1\n")
    _expect_import_error(app_dir, "Sleeping", "handle")


def test_module_outside_labour_behaviours_fails_the_import(tmp_path):
    app_dir = build_app(tmp_path, ["Sleeping"])
    path = os.path.join(app_dir, "behaviours.json")
    with open(path) as f:
        doc = json.load(f)
    doc["behaviours"][0]["module"] = "labour_behaviours/../labour_app.py"
    with open(path, "w") as f:
        json.dump(doc, f)
    _expect_import_error(app_dir, "labour_behaviours/")


def test_only_listed_behaviours_are_routed(tmp_path):
    app = load_app(build_app(tmp_path, ["PlainResponse"]))
    assert call(app, "/PlainResponse?status=200&bytes=1").code == 200
    assert call(app, "/Sleeping?seconds=0").code == 404


def test_app_imports_as_labour_app_in_a_fresh_interpreter(app_dir):
    code, out = run_isolated(app_dir, ["/__labour__/ready", "/PlainResponse?status=201&bytes=2"], 60)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "imported"
    assert lines[1].startswith("200 OK ready ")
    assert lines[2] == "201 Created xx"


def test_runs_on_the_system_python():
    out = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(3, 11)"
