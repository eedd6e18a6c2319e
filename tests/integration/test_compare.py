"""`labour compare` on two real runs where only a server option changed. gunicorn's sync
worker serves one request at a time ("the default worker type is a synchronous worker class
that handles a single request at a time", gunicorn's docs/source/design.rst, Sync Workers),
so innocent requests wait behind one that sleeps 2 s; with worker_class=gthread and 4
threads they do not. The verdict changes, compare shows
it and exits non-zero; comparing a run with itself shows nothing and exits 0."""
import json

from conftest import labour

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
[[behaviour]]
name = "PlainResponse"
weight = 40
[[behaviour]]
name = "Sleeping"
weight = 1
params = { seconds = 2.0 }
"""


def run(tmp_path, name, options):
    scenario = tmp_path / "sleepy.toml"
    scenario.write_text(SLEEPY)
    out = tmp_path / name
    # One label for both configurations: they are the same cells, run another way.
    labour("matrix", "--servers", f"gunicorn:{options},label=gunicorn", "--scenarios", f"Plain,{scenario}",
           "-n", "100", "--no-pin", "--out", str(out), check=0, timeout=300)
    return out


def test_compare_shows_the_verdict_a_server_option_changed_and_exits_non_zero(tmp_path):
    threaded = run(tmp_path, "gthread", "worker_class=gthread,threads=4")
    sync = run(tmp_path, "sync", "worker_class=sync,workers=1")
    verdicts = {name: {t["scenario"]["name"]: t["verdict"]["value"]
                       for t in json.loads((tmp_path / name / "results.json").read_text())["tests"]}
                for name in ("gthread", "sync")}
    assert verdicts["gthread"]["Sleepy"] == "robust" and verdicts["sync"]["Sleepy"] == "degraded", verdicts

    report = tmp_path / "compare.json"
    proc = labour("compare", str(threaded), str(sync), "--report", "console", "--report", f"json:{report}",
                  "--report", f"markdown:{tmp_path}/compare.md", timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "gunicorn x Sleepy: robust -> degraded (worse)  REGRESSION" in proc.stdout, proc.stdout
    # What moved beyond the noise: the p99 ratio when its intervals are apart, or the silence
    # one sync worker imposes (a few slow answers give the p99 a wide interval).
    assert "p99_ratio" in proc.stdout or "longest_outage_s" in proc.stdout, proc.stdout
    doc = json.loads(report.read_text())
    sleepy = next(c for c in doc["cells"] if c["scenario"] == "Sleepy")
    assert sleepy["regression"] and sleepy["verdict_change"] == "worse"
    assert any(f["name"] in ("p99_ratio", "longest_outage_s") and f["worse"] for f in sleepy["figures"])
    assert doc["regressions"] >= 1
    assert "robust → degraded **regression**" in (tmp_path / "compare.md").read_text()

    # The other way round it is an improvement, not a regression.
    back = labour("compare", str(sync), str(threaded), "--report", f"json:{tmp_path}/back.json", timeout=60)
    sleepy = next(c for c in json.loads((tmp_path / "back.json").read_text())["cells"] if c["scenario"] == "Sleepy")
    assert sleepy["verdict_change"] == "better" and not sleepy["regression"], back.stdout

    same = labour("compare", str(sync), str(sync), timeout=60)
    assert same.returncode == 0 and "0 regressed" in same.stdout, same.stdout


def test_compare_names_the_cells_missing_on_each_side_and_refuses_documents_without_any_in_common(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain,SIGSEGV", "-n", "40", "--no-pin", "--out", str(a),
           check=0, timeout=120)
    labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain,LightSleep", "-n", "40", "--no-pin", "--out", str(b),
           check=0, timeout=120)
    proc = labour("compare", str(a), str(b), timeout=60)
    assert f"only in {a}: wsgiref x SIGSEGV" in proc.stdout and f"only in {b}: wsgiref x LightSleep" in proc.stdout
    c = tmp_path / "c"
    labour("matrix", "--servers", "waitress", "--scenarios", "Plain", "-n", "40", "--no-pin", "--out", str(c),
           check=0, timeout=120)
    proc = labour("compare", str(a), str(c), timeout=60)
    assert proc.returncode == 2 and "no cell in common" in proc.stderr, proc.stderr
    proc = labour("compare", str(a), str(tmp_path / "nothing"), timeout=60)
    assert proc.returncode == 2 and "does not exist" in proc.stderr, proc.stderr
    proc = labour("compare", str(a), str(b), "--report", "html", timeout=60)
    assert proc.returncode == 2 and "compare renders console, markdown or json" in proc.stderr, proc.stderr
