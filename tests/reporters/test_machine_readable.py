"""The csv and junit reporters' output, written by the real binary (`labour report`) and
read back by real parsers: Python's csv module and its XML parser. Run by ctest
(tests/reporters/CMakeLists.txt) with LABOUR_BIN and LABOUR_SOURCE_DIR set."""
import csv
import io
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

HERE = os.path.join(os.environ.get("LABOUR_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                    "tests", "reporters")
SAMPLES = ["results-real.json", "results-v2.json", "results-edge.json"]
FFFD = "\ufffd"


def labour_report(sample, reporter, *options):
    binary = os.environ.get("LABOUR_BIN")
    if not binary:
        pytest.fail("LABOUR_BIN is not set (run through ctest)")
    cmd = [binary, "report", os.path.join(HERE, sample), "--report", reporter + ":-"]
    for o in options:
        cmd += ["--report-opt", o]
    done = subprocess.run(cmd, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def document(sample):
    with open(os.path.join(HERE, sample), encoding="utf-8") as f:
        return json.load(f)


def csv_rows(sample):
    raw = labour_report(sample, "csv")
    assert raw.endswith(b"\r\n")
    # RFC 4180: every record ends with CRLF; a bare LF only inside a quoted field.
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True)
    return list(reader), raw


@pytest.mark.parametrize("sample", SAMPLES)
def test_csv_one_row_per_behaviour_and_one_per_cell_without(sample):
    rows, _ = csv_rows(sample)
    header, body = rows[0], rows[1:]
    for column in ("label", "server", "server_version", "scenario", "status", "verdict", "verdict_reason",
                   "behaviour", "innocent", "weight", "sent", "expected", "unexpected", "p50_ms", "p99_ms",
                   "innocent_failure_pct", "innocent_p99_ratio", "recovery_s"):
        assert column in header
    assert all(len(r) == len(header) for r in body)
    tests = document(sample)["tests"]
    assert len(body) == sum(max(1, len(t.get("behaviours") or [])) for t in tests)
    col = {name: i for i, name in enumerate(header)}
    it = iter(body)
    for t in tests:
        behaviours = t.get("behaviours") or [None]
        for b in behaviours:
            r = next(it)
            label = t["label"]
            guarded = "'" + label if label[:1] in ("=", "+", "-", "@", "\t", "\r") else label
            assert r[col["label"]] == guarded
            assert r[col["scenario"]] == t["scenario"]["name"]
            assert r[col["status"]] == t["status"]
            if b is None:
                assert r[col["behaviour"]] == "" and r[col["sent"]] == ""
                continue
            assert r[col["behaviour"]] == b["name"]
            assert int(r[col["sent"]]) == b["sent"]
            assert int(r[col["expected"]]) + int(r[col["unexpected"]]) == b["sent"]
            figures = t.get("figures") or {}
            for column, figure in (("innocent_failure_pct", "innocent_failure_pct"),
                                   ("innocent_p99_ratio", "p99_ratio"), ("recovery_s", "recovery_s")):
                value = figures.get(figure)
                if value is None:
                    assert r[col[column]] == ""
                else:
                    assert float(r[col[column]]) == pytest.approx(value)


def test_csv_quoting_and_formula_guard():
    rows, raw = csv_rows("results-edge.json")
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    labels = [r[col["label"]] for r in body]
    # A label with a comma and quotes is quoted on the wire and reads back whole.
    assert b'"gunicorn ""fast"", sync",' in raw
    assert labels.count('gunicorn "fast", sync') == 4
    # Text that a spreadsheet would evaluate gets a leading quote.
    assert "'=HYPERLINK(\"http://example.invalid\",\"x\")" in labels
    assert "'@evil" in labels and "'-dash" in labels and "'\tTabbed" in labels
    text_columns = ("label", "server", "server_version", "scenario", "status", "error", "verdict",
                    "verdict_summary", "verdict_reason", "labour_verdict", "behaviour", "params")
    assert not any(r[col[c]][:1] in ("=", "+", "-", "@", "\t", "\r") for r in body for c in text_columns)
    assert next(r for r in body if r[col["server"]] == "wsgiref")[col["server_version"]] == "'+dev"
    # Numbers are never guarded: every numeric column parses as a number or is empty.
    for r in body:
        for c in ("weight", "sent", "expected", "unexpected", "p50_ms", "p99_ms", "innocent_failure_pct",
                  "innocent_p99_ratio", "recovery_s"):
            if r[col[c]]:
                float(r[col[c]])
    # A line break stays inside its field; other control characters are replaced.
    waitress = next(r for r in body if r[col["server"]] == "waitress")
    assert "\n" in waitress[col["error"]]
    assert "\x07" not in waitress[col["error"]] and "\x1b" not in waitress[col["error"]]
    assert FFFD in waitress[col["error"]]


@pytest.mark.parametrize("sample", SAMPLES)
def test_junit_parses_and_counts_add_up(sample):
    root = ET.fromstring(labour_report(sample, "junit"))
    assert root.tag == "testsuites"
    tests = document(sample)["tests"]
    labels = list(dict.fromkeys(t["label"] for t in tests))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [label.replace("\x00", FFFD) for label in labels]
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in suites:
        cases = s.findall("testcase")
        got = {"tests": len(cases),
               "failures": sum(1 for c in cases if c.find("failure") is not None),
               "errors": sum(1 for c in cases if c.find("error") is not None),
               "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        assert {k: int(s.get(k)) for k in got} == got
        for k in total:
            total[k] += got[k]
        mine = [t for t in tests if t["label"] == s.get("name")]
        assert [c.get("name") for c in cases] == [t["scenario"]["name"] for t in mine]
        for c, t in zip(cases, mine):
            assert c.get("classname") == t["label"]
            assert float(c.get("time")) == pytest.approx(t.get("duration_s", 0))
            failure = c.find("failure")
            if t["status"] == "completed" and t["verdict"]["value"] not in ("robust", "degraded"):
                assert failure is not None
                assert failure.get("type") == t["verdict"]["value"]
                assert failure.get("message") == t["verdict"]["reason"]
            else:
                assert failure is None
    assert {k: int(root.get(k)) for k in total} == total


def test_junit_escaping_reads_back():
    root = ET.fromstring(labour_report("results-edge.json", "junit"))
    names = [s.get("name") for s in root.findall("testsuite")]
    assert 'gunicorn "fast", sync' in names
    assert "waitress <b>&amp;</b>" in names  # markup stays text
    assert "\tTabbed" in names  # white space in an attribute survives as a reference
    error = root.find("testsuite[@name='waitress <b>&amp;</b>']/testcase/error")
    message = error.get("message")
    assert "\n" in message and "\x07" not in message and "\x1b" not in message and "\x00" not in message
    assert message.endswith(FFFD + "end")
    assert error.get("type") == "failed"
    skipped = root.find("testsuite[@name='-dash']/testcase/skipped")
    assert skipped.get("message") == "interrupted"
