"""Gates for CI (`--fail-on`, a scenario's [thresholds]) on real runs: a real server's real
verdict passes or breaches them, labour exits 0 or 1 as docs/cli.md says, and a bad gate is
exit 2 before any server starts. wsgiref serves one request at a time, so a request that
sleeps 2 s holds up the innocent ones behind it (degraded: p99 some 2000 ms against a
baseline of a few ms, far beyond the x40 allowed, however busy the machine); waitress's
thread pool does not."""
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import SOURCE_DIR, labour
from test_load import serving, Hello

SLEEPY = """name = "Sleepy"
requests = 80
concurrency = 4
timeout = 5.0
policy = "spaced"
[phases]
baseline_requests = 200
[verdict]
max_p50_ratio = 40
max_p99_ratio = 40
{thresholds}
[[behaviour]]
name = "PlainResponse"
weight = 40
[[behaviour]]
name = "Sleeping"
weight = 1
params = {{ seconds = 2.0 }}
"""


def scenario(tmp_path, thresholds=""):
    path = tmp_path / "sleepy.toml"
    path.write_text(SLEEPY.format(thresholds=thresholds))
    return str(path)


def gate_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("labour: gate ")]


def test_fail_on_passes_and_fails_a_real_run_as_the_verdicts_say(tmp_path):
    sleepy = scenario(tmp_path)
    gate = "verdict in robust"
    # waitress keeps innocent requests going beside a sleeping one: the gate holds.
    ok = labour("run", "--server", "waitress", "--scenario", sleepy, "--fail-on", gate,
                "--fail-on", "innocent_failure_pct<1", "--report", f"json:{tmp_path}/ok.json", timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert gate_lines(ok.stderr) == ["labour: gate PASS verdict in robust (1 test)",
                                     "labour: gate PASS innocent_failure_pct<1 (1 test)"]
    doc = json.loads((tmp_path / "ok.json").read_text())
    assert [g["passed"] for g in doc["gates"]] == [True, True]
    # wsgiref makes them wait: degraded, so the same gate fails the run with exit 1.
    bad = labour("run", "--server", "wsgiref", "--scenario", sleepy, "--fail-on", gate,
                 "--fail-on", "p99_ratio<40", timeout=120)
    assert bad.returncode == 1, bad.stderr
    lines = gate_lines(bad.stderr)
    assert lines[0].startswith("labour: gate FAIL verdict in robust: 1 of 1 test: wsgiref x Sleepy (degraded)"), lines
    assert lines[1].startswith("labour: gate FAIL p99_ratio<40: 1 of 1 test: wsgiref x Sleepy ("), lines
    assert "degraded" in bad.stdout  # the report is still printed


def test_a_scenarios_thresholds_gate_its_own_tests_in_a_matrix(tmp_path):
    sleepy = scenario(tmp_path, '[thresholds]\nverdict = "in robust"\ninnocent_failure_pct = ["<1", "<=5"]')
    out = tmp_path / "out"
    proc = labour("matrix", "--servers", "wsgiref", "waitress", "--scenarios", f"Plain,{sleepy}", "-n", "100",
                  "--no-pin", "--out", str(out), timeout=300)
    assert proc.returncode == 1, proc.stderr
    lines = gate_lines(proc.stderr)
    assert "labour: gate FAIL verdict in robust [scenario Sleepy]: 1 of 2 tests: wsgiref x Sleepy (degraded)" in lines
    assert "labour: gate PASS innocent_failure_pct <1 [scenario Sleepy] (2 tests)" in lines, lines
    doc = json.loads((out / "results.json").read_text())
    assert {g["scenario"] for g in doc["gates"]} == {"Sleepy"}  # Plain has none


@pytest.mark.parametrize("gate, message", [
    ("latency<5", "unknown figure 'latency' (known: innocent_sent,"),
    ("p99_ratio~5", "write FIGURE OP NUMBER"),
    ("p99_ratio<five", "'five' is not a finite number"),
    ("verdict in robust,wobbly", "unknown verdict 'wobbly'"),
    ("certainty == sure", "unknown certainty 'sure' (known: certain, borderline)"),
])
def test_a_bad_gate_is_exit_2_before_any_server_starts(gate, message, tmp_path):
    proc = labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain", "--fail-on", gate,
                  "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and f"--fail-on '{gate}'" in line and message in line, line
    assert not (tmp_path / "out").exists()


def test_a_gate_that_fails_the_run_fails_its_junit_report_too(tmp_path):
    # innocent_sent is never below 1 in a test that ran: the gate fails whatever the server
    # did, and the job with it (exit 1); the JUnit report must not be green.
    out, xml = tmp_path / "out", tmp_path / "junit.xml"
    md, html = tmp_path / "report.md", tmp_path / "report.html"
    proc = labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain", "-n", "60", "--no-pin",
                  "--fail-on", "innocent_sent<1", "--fail-on", "certainty == certain", "--out", str(out),
                  "--report", f"junit:{xml}", "--report", f"markdown:{md}", "--report", f"html:{html}", timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "labour: gate FAIL innocent_sent<1: 1 of 1 test: wsgiref x Plain (" in proc.stderr, proc.stderr
    root = ET.parse(xml).getroot()
    assert int(root.get("failures")) >= 1, ET.tostring(root)
    (gates,) = [s for s in root.iter("testsuite") if s.get("name") == "gates"]
    cases = {c.get("name"): c for c in gates.iter("testcase")}
    assert set(cases) == {"innocent_sent<1", "certainty == certain"}
    failure = cases["innocent_sent<1"].find("failure")
    assert failure is not None and failure.get("type") == "gate", ET.tostring(gates)
    assert failure.get("message").startswith("FAIL innocent_sent<1: 1 of 1 test: wsgiref x Plain (")
    # A document without certainty (or with a certain verdict) passes the certainty gate.
    doc = json.loads((out / "results.json").read_text())
    if doc["tests"][0]["verdict"].get("certainty", "certain") == "certain":
        assert cases["certainty == certain"].find("failure") is None
    if shutil.which("xmllint"):
        xsd = Path(SOURCE_DIR) / "tests" / "reporters" / "junit.xsd"
        check = subprocess.run(["xmllint", "--noout", "--schema", str(xsd), str(xml)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    assert "**FAIL** innocent\\_sent&lt;1" in md.read_text()
    assert '<td class="failed">FAIL</td><td>innocent_sent&lt;1</td>' in html.read_text()
    # `labour report` renders the saved document with its gates: still a failure.
    again = tmp_path / "again.xml"
    labour("report", str(out), "--report", f"junit:{again}", timeout=60)
    assert 'type="gate"' in again.read_text()


def test_a_bad_threshold_in_a_scenario_names_the_file_and_line(tmp_path):
    sleepy = scenario(tmp_path, '[thresholds]\nlatency = "<5"')
    proc = labour("run", "--server", "wsgiref", "--scenario", sleepy, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert f"{sleepy}:12:11: [thresholds] 'latency <5'" in proc.stderr and "unknown figure 'latency'" in proc.stderr, proc.stderr
    proc = labour("run", "--server", "wsgiref", "--scenario", scenario(tmp_path, "[thresholds]\nrecovery_s = 5"),
                  timeout=60)
    assert proc.returncode == 2 and "write the condition as a string" in proc.stderr, proc.stderr


def test_load_takes_fail_on_too():
    with serving(Hello) as base:
        ok = labour("load", "--url", base + "/", "-c", "2", "-n", "200", "--fail-on", "errors<1",
                    "--fail-on", "requests_per_second>1", timeout=60)
        assert ok.returncode == 0, ok.stderr
        assert gate_lines(ok.stderr) == ["labour: gate PASS errors<1 (1 test)",
                                         "labour: gate PASS requests_per_second>1 (1 test)"]
        bad = labour("load", "--url", base + "/", "-c", "2", "-n", "200", "--fail-on", "requests<100", timeout=60)
        assert bad.returncode == 1 and "labour: gate FAIL requests<100" in bad.stderr, bad.stderr
        worse = labour("load", "--url", base + "/", "-n", "10", "--fail-on", "verdict in robust", timeout=60)
        assert worse.returncode == 2 and "there is no verdict here" in worse.stderr, worse.stderr
