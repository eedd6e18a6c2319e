"""Bad input gets one clear line on stderr and exit code 2: never a crash, hang or trace."""
import pytest

from conftest import labour, one_line_error


def test_unknown_server_lists_known():
    one_line_error(labour("run", "--server", "nginx", "--scenario", "Plain"), "unknown server 'nginx'", "wsgiref", "gunicorn")


def test_unknown_scenario_lists_builtins():
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", "Nope"), "unknown scenario 'Nope'", "LightSleep")


def test_unknown_reporter():
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", "Plain", "--report", "xml"), "unknown reporter 'xml'", "console, csv, html, json, junit, markdown")


def test_unknown_behaviour_in_file(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "S"\nrequests = 5\n[[behaviour]]\nname = "Explode"\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f)), "unknown behaviour 'Explode'", "PlainResponse")


def test_malformed_toml_names_line_and_column(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('name = "S"\nrequests = [1,\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f)), f"{f}:")


def test_parameter_wrong_type_and_range(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "S"\nrequests = 5\n[[behaviour]]\nname = "Sleeping"\nparams = { seconds = "soon" }\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f)), "seconds='soon' is not a number")
    f.write_text('name = "S"\nrequests = 5\n[[behaviour]]\nname = "PlainResponse"\nparams = { status = 1000 }\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f)), "status='1000' is out of range")


def test_weight_not_positive(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "S"\nrequests = 5\n[[behaviour]]\nname = "PlainResponse"\nweight = 0\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f)), "'weight' must be a positive integer")


def test_requests_zero():
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", "Plain", "--requests", "0"), "--requests")


def test_bad_server_option_lists_valid_ones():
    one_line_error(labour("run", "--server", "gunicorn:wrokers=2", "--scenario", "Plain"), "unknown option 'wrokers'", "workers")
    one_line_error(labour("run", "--server", "gunicorn:workers=lots", "--scenario", "Plain"), "workers='lots' is not an integer")
    one_line_error(labour("run", "--server", "gunicorn:worker_class=fibers", "--scenario", "Plain"), "one of sync|gthread|gevent|eventlet")


def test_missing_python():
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", "Plain", "--python", "/nonexistent/python3"),
                   "--python '/nonexistent/python3'")


def test_module_not_importable_names_debian_package(tmp_path):
    # An interpreter where no server module can be imported: the adapter's probe fails and
    # labour says which Debian package provides the server.
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'waitress'\" >&2\nexit 1\n")
    fake.chmod(0o755)
    proc = labour("run", "--server", "waitress", "--scenario", "Plain", "--python", str(fake))
    one_line_error(proc, "waitress", "not available", "apt-get install")


def test_plugin_dir_that_does_not_exist():
    one_line_error(labour("--plugin-dir", "/nonexistent/plugins", "list"), "--plugin-dir '/nonexistent/plugins'")


def test_port_in_use():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        one_line_error(labour("serve", "--server", "wsgiref", "--port", str(port), timeout=60), f"--port {port}", "already in use")
    finally:
        s.close()


def test_report_of_a_file_that_is_not_results(tmp_path):
    f = tmp_path / "x.json"
    f.write_text("[1, 2]")
    one_line_error(labour("report", str(f)), "not a labour results document")


def test_bad_reporter_option_is_refused_before_any_server_starts(tmp_path):
    out = tmp_path / "out"
    proc = labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain", "--out", str(out),
                  "--report", f"json:{tmp_path}/r.json", "--report-opt", "json.indent=99")
    one_line_error(proc, "indent='99' is out of range")
    assert not (out / "cells.jsonl").exists() or (out / "cells.jsonl").read_text() == ""
    proc = labour("run", "--server", "wsgiref", "--scenario", "Plain", "--report", "json:/nonexistent/dir/r.json")
    one_line_error(proc, "folder '/nonexistent/dir' does not exist")


def test_report_of_another_schema_version_is_bad_input(tmp_path):
    f = tmp_path / "v1.json"
    f.write_text('{"schema_version": 1, "tests": []}')
    one_line_error(labour("report", str(f)), "has schema_version 1, this labour reads 2")
