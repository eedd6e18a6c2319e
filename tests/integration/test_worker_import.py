"""A behaviour whose worker half compiles but does not import (the test plugin BadImport,
built into <build>/test-plugins-badimport, never the real plugin folder): `labour list` and
`labour doctor` name it with Python's own error line, and `run`, `matrix` and `serve` refuse
it before any server starts. With the normal plugins there is no such line, and the check is
one python process for all behaviours."""
import json
import os
import re
import subprocess

from conftest import LABOUR, labour, no_leftovers, one_line_error, scenario_file  # noqa: F401

BAD_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(LABOUR))), "test-plugins-badimport")
PYTHON_LINE = "ModuleNotFoundError: No module named 'labour_no_such_module'"
NOT_IMPORT = "worker half does not import"


def bad(*args, **kw):
    assert os.path.isfile(os.path.join(BAD_DIR, "labour_behaviour_badimport.so")), BAD_DIR
    return labour("--plugin-dir", BAD_DIR, *args, **kw)


def behaviour_blocks(stdout):
    """{name: text of its entry} of the behaviours section of `labour list`."""
    section = stdout.split("behaviours:\n", 1)[1]
    section = re.split(r"^\S.*:\n", section, maxsplit=1, flags=re.M)[0]  # up to the next section
    blocks = {}
    for block in re.split(r"^(?=  \S)", section, flags=re.M):
        if block.strip():
            blocks[block.split()[0]] = block
    return blocks


# ---- labour list ----

def test_list_marks_the_behaviour_and_gives_pythons_line(tmp_path):
    for args in (["list"], ["list", "behaviours"]):
        proc = bad(*args, check=0, timeout=60)
        assert "rejected" not in proc.stderr, proc.stderr
        blocks = behaviour_blocks(proc.stdout)
        block = blocks["BadImport"]
        first, second = block.splitlines()[:2]
        assert first.startswith("  BadImport ") and first.endswith("[broken]"), block
        assert second == f"    {NOT_IMPORT}: {PYTHON_LINE}", block
        assert "PlainResponse" in blocks
        others = [b for name, b in blocks.items() if name != "BadImport"]
        assert len(others) >= 13 and not any(NOT_IMPORT in b or "[broken]" in b for b in others), others


def test_list_json_has_the_error_as_a_field():
    rows = json.loads(bad("list", "behaviours", "--json", check=0, timeout=60).stdout)
    by_name = {r["name"]: r for r in rows}
    assert by_name["BadImport"]["worker_import_error"] == PYTHON_LINE
    assert by_name["BadImport"]["file"].endswith("labour_behaviour_badimport.so")
    assert all(r["worker_import_error"] is None for r in rows if r["name"] != "BadImport")


def test_listing_servers_or_scenarios_alone_shows_no_behaviour():
    proc = bad("list", "servers", check=0, timeout=60)
    assert "BadImport" not in proc.stdout and NOT_IMPORT not in proc.stdout


# ---- labour doctor ----

def test_doctor_reports_the_behaviour_as_a_problem():
    proc = bad("doctor", timeout=120)
    assert proc.returncode == 0, proc.stderr  # as for every other problem doctor reports
    lines = [l for l in proc.stdout.splitlines() if "BadImport" in l]
    assert len(lines) == 1, proc.stdout
    assert lines[0].startswith(f"broken behaviour BadImport: {NOT_IMPORT} under /usr/bin/python3: {PYTHON_LINE}")
    assert "labour_behaviour_badimport.so" in lines[0]
    assert "worker halves of all" not in proc.stdout


def test_doctor_json_has_a_behaviour_row_and_kind_on_every_row():
    rows = json.loads(bad("doctor", "--json", check=0, timeout=120).stdout)
    assert all(r["kind"] in ("server", "behaviour") for r in rows), rows
    (row,) = [r for r in rows if r["kind"] == "behaviour"]
    assert row["name"] == "BadImport" and row["available"] is False
    assert row["reason"] == f"{NOT_IMPORT}: {PYTHON_LINE}"
    assert row["interpreter"] == "/usr/bin/python3" and row["file"].endswith("labour_behaviour_badimport.so")
    assert {"wsgiref", "gunicorn", "cogen"} <= {r["name"] for r in rows if r["kind"] == "server"}


# ---- run, matrix, serve: refused before any server starts ----

def test_run_with_the_behaviour_fails_early_naming_it(tmp_path, no_leftovers):
    scenario = scenario_file(tmp_path, "BadImport", weight_plain=1)
    proc = bad("run", "--server", "wsgiref", "--scenario", scenario, timeout=60)
    line = one_line_error(proc, "scenario BadImport-test", "behaviour 'BadImport'",
                          f"{NOT_IMPORT} under /usr/bin/python3: {PYTHON_LINE}")
    assert "did not start" not in line


def test_matrix_with_the_behaviour_fails_early_and_runs_no_cell(tmp_path, no_leftovers):
    scenario = scenario_file(tmp_path, "BadImport", weight_plain=1)
    out = tmp_path / "out"
    proc = bad("matrix", "--servers", "wsgiref", "--scenarios", f"Plain,{scenario}", "--out", str(out),
               timeout=60)
    one_line_error(proc, "scenario BadImport-test", "behaviour 'BadImport'", PYTHON_LINE)
    assert not (out / "cells.jsonl").exists() or (out / "cells.jsonl").read_text() == ""


def test_serve_refuses_it_since_it_hosts_every_behaviour(no_leftovers):
    proc = bad("serve", "--server", "wsgiref", timeout=60)
    one_line_error(proc, "serve", "behaviour 'BadImport'", PYTHON_LINE)


def test_a_run_that_does_not_use_the_behaviour_is_not_affected(tmp_path, no_leftovers):
    proc = bad("-q", "run", "--server", "wsgiref", "--scenario", "Plain", "-n", "5", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "BadImport" not in proc.stderr


def test_the_check_leaves_no_temporary_folder(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    for args in (["list", "behaviours"], ["run", "--server", "wsgiref", "--scenario",
                                          scenario_file(tmp_path, "BadImport", weight_plain=1)]):
        proc = subprocess.run([LABOUR, "--plugin-dir", BAD_DIR, *args], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(tmp)})
        assert PYTHON_LINE in proc.stdout + proc.stderr, proc
        assert os.listdir(tmp) == [], os.listdir(tmp)


# ---- the normal plugins ----

def test_the_normal_plugins_show_no_such_line():
    proc = labour("list", check=0, timeout=60)
    assert NOT_IMPORT not in proc.stdout and "[broken]" not in proc.stdout
    assert "BadImport" not in proc.stdout
    rows = json.loads(labour("list", "behaviours", "--json", check=0, timeout=60).stdout)
    assert len(rows) >= 13 and all(r["worker_import_error"] is None for r in rows), rows
    doctor = labour("doctor", check=0, timeout=120)
    assert NOT_IMPORT not in doctor.stdout
    assert f"behaviours: the worker halves of all {len(rows)} import under /usr/bin/python3" in doctor.stdout
    assert all(r["kind"] == "server" for r in json.loads(labour("doctor", "--json", check=0, timeout=120).stdout))


def test_list_checks_every_behaviour_in_one_python_process():
    # -vv logs the check once: every behaviour tried by the one process, none failing.
    proc = labour("-vv", "list", "behaviours", check=0, timeout=60)
    names = behaviour_blocks(proc.stdout)
    checks = re.findall(r"worker halves: (\d+) of (\d+) tried in one (\S+) process in [0-9.]+ s, (\d+) do not import",
                        proc.stderr)
    assert len(checks) == 1, proc.stderr
    tried, given, python, failing = checks[0]
    assert int(tried) == int(given) == len(names) >= 13, (checks, sorted(names))
    assert python == "/usr/bin/python3" and failing == "0"
