"""The servers x scenarios matrix on every server available here, several configurations of
one server under their own labels, and a server that ignores SIGINT and SIGTERM."""
import json

from conftest import available_servers, labour, run_json

WEDGED_SERVER = r'''
import signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"Hello!")
    def log_message(self, *args):
        pass
HTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
'''


def test_matrix_all_servers_plain_and_sigsegv_prints_labours_table(tmp_path, no_leftovers):
    servers = [n for n, row in available_servers().items() if row["available"] and n != "command"]
    out = tmp_path / "out"
    proc = labour("matrix", "--servers", "all", "--scenarios", "Plain,SIGSEGV", "-n", "20", "-c", "2",
                  "--out", str(out), timeout=900)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout[proc.stdout.index("matrix:"):]
    header = table.splitlines()[1]
    assert "Plain" in header and "SIGSEGV" in header
    for name in servers:
        assert any(line.split()[0] == name for line in table.splitlines()[2:] if line.strip()), (name, table)
    doc = json.loads((out / "results.json").read_text())
    cells = {(t["label"], t["scenario"]["name"]): t for t in doc["tests"]}
    assert len(cells) == 2 * len(servers)
    for (label, scenario), t in cells.items():
        assert t["status"] == "completed", (label, scenario, t.get("error"))
        assert t["supervision"]["orphans"] == 0
        plain = next(b for b in t["behaviours"] if b["name"] == "PlainResponse")
        if scenario == "Plain":
            assert plain["unexpected"] == 0, (label, plain)  # every server answers plain requests
    assert len((out / "cells.jsonl").read_text().splitlines()) == 2 * len(servers)


def test_several_configurations_of_one_server_under_their_own_labels(tmp_path, no_leftovers):
    doc = run_json(tmp_path, "matrix", "--servers", "gunicorn:workers=1,label=g1", "gunicorn:workers=2,label=g2",
                   "--scenarios", "Plain", "-n", "20", timeout=300)
    by_label = {t["label"]: t for t in doc["tests"]}
    assert set(by_label) == {"g1", "g2"}
    assert by_label["g1"]["server"]["options"]["workers"] == "1"
    assert by_label["g2"]["server"]["options"]["workers"] == "2"


def test_duplicate_labels_and_scenarios_are_refused():
    proc = labour("matrix", "--servers", "wsgiref", "wsgiref", "--scenarios", "Plain")
    assert proc.returncode == 2 and "label 'wsgiref' is used twice" in proc.stderr
    proc = labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain,Plain")
    assert proc.returncode == 2 and "scenario name 'Plain' appears twice" in proc.stderr


def test_a_server_that_ignores_sigint_and_sigterm_is_killed_and_that_is_recorded(tmp_path, no_leftovers):
    script = tmp_path / "wedged_server.py"
    script.write_text(WEDGED_SERVER)
    doc = run_json(tmp_path, "run", "--server", f"command:command={{python}} {script} {{host}} {{port}}",
                   "--scenario", "Plain", "-n", "10", timeout=120)
    (test,) = doc["tests"]
    assert test["status"] == "completed" and test["totals"]["expected"] == 10
    assert test["supervision"]["stop_signal"] == "SIGKILL"
    assert test["supervision"]["exit"] == "killed by SIGKILL"
