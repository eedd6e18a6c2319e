"""The servers x scenarios matrix on every server available here, several configurations of
one server under their own labels, and a server that ignores SIGINT and SIGTERM."""
import json
from html.parser import HTMLParser

from conftest import available_servers, labour, run_json

WEDGED_SERVER = r'''
import os, signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        # Readiness as labour's worker app answers it: naming the run dir it was started for.
        body = b"Hello!"
        if self.path == "/__labour__/ready":
            body = ("ready %d %s" % (os.getpid(), os.path.basename(sys.argv[3]))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
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

    # Every test of a matrix carries the monitor's figures; servers that die with their
    # worker say so, and the second console table shows it.
    for (label, scenario), t in cells.items():
        m = t["monitor"]
        assert m["processes"]["peak"] >= 1 and m["rss_bytes"]["peak"] > 0, (label, m)
        died = [e for e in m["exits"]["first"] if e["leader"]]
        if scenario == "Plain":
            assert not died, (label, died)
    assert "server processes:" in proc.stdout

    # The saved run renders again as one well-formed HTML page linking every cell to its test.
    page_file = tmp_path / "results.html"
    labour("report", str(out / "results.json"), "--report", f"html:{page_file}", check=0, timeout=60)
    page = WellFormed()
    page.feed(page_file.read_text())
    assert page.open == [] and page.errors == [], (page.open, page.errors)
    # Three matrices (verdicts, Labour's, processes) link every cell.
    assert len([a for a in page.links if a.startswith("#test-")]) == 3 * 2 * len(servers)
    assert {i for i in page.ids if i.startswith("test-")} == {f"test-{i}" for i in range(2 * len(servers))}


class WellFormed(HTMLParser):
    """Checks that every element is closed in order; collects links and ids."""
    VOID = {"meta"}

    def __init__(self):
        super().__init__()
        self.open, self.errors, self.links, self.ids = [], [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "href" in attrs:
            self.links.append(attrs["href"])
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <x .../>: nothing left open

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.errors.append((tag, self.open[-3:]))
        else:
            self.open.pop()


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
    doc = run_json(tmp_path, "run", "--server", f"command:command={{python}} {script} {{host}} {{port}} {{run_dir}}",
                   "--scenario", "Plain", "-n", "10", timeout=120)
    (test,) = doc["tests"]
    # Every innocent request got its 200; the one deliberate 404 of Plain's schedule gets a 200
    # too from this hand-made server, so it alone is unexpected.
    assert test["status"] == "completed" and test["totals"]["sent"] == 10
    assert test["totals"]["innocent_sent"] == 9 and test["totals"]["innocent_unexpected"] == 0
    assert test["supervision"]["stop_signal"] == "SIGKILL"
    assert test["supervision"]["exit"] == "killed by SIGKILL"


def test_report_shows_an_interrupted_matrix_from_its_cells_and_quiet_and_color_are_honoured(tmp_path):
    out = tmp_path / "out"
    labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain,SIGSEGV", "-n", "30", "--no-pin", "--out", str(out),
           check=0, timeout=120)
    # As an interrupted matrix leaves it: cells.jsonl with its finished cells, no results.json.
    (out / "results.json").unlink()
    lines = (out / "cells.jsonl").read_text().splitlines()
    (out / "cells.jsonl").write_text(lines[0] + "\n")
    proc = labour("report", str(out), check=0, timeout=60)
    assert "wsgiref" in proc.stdout and "Plain" in proc.stdout and "SIGSEGV" not in proc.stdout.split("verdicts:")[1]
    assert "the 1 cells an unfinished matrix kept" in proc.stdout
    (out / "cells.jsonl").write_text(lines[0] + "\nnot json\n")
    proc = labour("report", str(out), timeout=60)
    assert proc.returncode == 2 and "cells.jsonl:2: not a labour results line" in proc.stderr, proc.stderr

    (out / "cells.jsonl").write_text("\n".join(lines) + "\n")
    quiet = labour("--quiet", "report", str(out / "cells.jsonl"), check=0, timeout=60)
    assert quiet.stdout == ""
    coloured = labour("--color", "always", "report", str(out / "cells.jsonl"), check=0, timeout=60)
    assert "\x1b[" in coloured.stdout
    plain = labour("report", str(out / "cells.jsonl"), check=0, timeout=60)  # not a terminal: auto is off
    assert "\x1b[" not in plain.stdout
    labour("--color", "always", "report", str(out / "cells.jsonl"), "--report", f"console:{tmp_path}/c.txt",
           check=0, timeout=60)
    assert "\x1b[" in (tmp_path / "c.txt").read_text()  # always means always
    labour("report", str(out / "cells.jsonl"), "--report", f"console:{tmp_path}/p.txt", check=0, timeout=60)
    assert "\x1b[" not in (tmp_path / "p.txt").read_text()
