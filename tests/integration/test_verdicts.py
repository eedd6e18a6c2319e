"""Verdicts against real servers whose documented behaviour differs: each verdict is shown on
one server and its absence on another, with the source of what the server does named.

Sources:
- gunicorn's `timeout` (docs/source/settings.rst, "Workers silent for more than this many
  seconds are killed and restarted"; gunicorn/arbiter.py murder_workers, then a respawn).
- wsgiref (CPython Lib/wsgiref/simple_server.py): WSGIServer is a plain HTTPServer, no
  ThreadingMixIn: one request at a time in the main thread, no worker to replace.
- waitress (docs "Arguments to waitress.serve": threads=4): a thread pool in one process.
- uWSGI's master respawns a dead worker but throttles it: its log says "worker respawning
  too fast !!! i have to sleep a bit (2 seconds)..." (seen on this machine, uwsgi 2.0.21).
"""
import json
import re
import statistics
import time

import pytest

from conftest import SOURCE_DIR, available_servers, labour, need, run_json, servers  # noqa: F401

WEDGE_ONCE = """
name = "WedgeOnce"
policy = "spaced"
requests = 40
concurrency = 2
timeout = 0.5
[phases]
stall = 4
recovery_duration = 3
[[behaviour]]
name = "PlainResponse"
weight = 39
[[behaviour]]
name = "PythonWedge"
weight = 1
params = { seconds = 0 }
"""


def only_test(doc):
    assert len(doc["tests"]) == 1
    return doc["tests"][0]


def phase(test, name):
    return next(p for p in test["phases"] if p["name"] == name)


def test_gunicorn_wedged_once_is_degraded_with_one_outage_as_long_as_its_timeout(tmp_path, servers, no_leftovers):
    need(servers, "gunicorn")
    scenario = tmp_path / "wedge.toml"
    scenario.write_text(WEDGE_ONCE)
    timeout = 2
    t = only_test(run_json(tmp_path, "run", "--server", f"gunicorn:timeout={timeout}", "--scenario", str(scenario)))
    assert t["verdict"]["value"] == "degraded", t["verdict"]
    assert t["verdict"]["figure"] == "innocent_failure_pct"
    f = t["figures"]
    # Innocent requests queued behind the wedged sync worker time out until the master kills
    # it and a new worker serves again: one outage about `timeout` long. About: the worker's
    # last heartbeat may be up to timeout/2 old when the wedge starts (workers/sync.py waits
    # in select for timeout/2), and the arbiter looks once a second, then boots a new one.
    assert f["outages"] == 1, t["outages"]
    assert timeout / 2 <= f["longest_outage_s"] <= timeout + 2.5, t["outages"]
    assert phase(t, "fault")["ended_by"] == "requests"  # back before the stall rule (4 s)
    assert f["recovery_s"] is not None and f["recovery_s"] >= 0
    assert f["worker_exits"] >= 1 and f["respawns"] >= 1
    assert f["death_s"] is None  # the master lived
    assert t["innocent_failures"].get("first_byte_timeout", 0) >= 1
    assert phase(t, "recovery")["ended_by"] == "recovered"


def test_single_threaded_server_wedged_is_hung(tmp_path, servers, no_leftovers):
    scenario = tmp_path / "wedge.toml"
    scenario.write_text(WEDGE_ONCE)
    started = time.monotonic()
    t = only_test(run_json(tmp_path, "run", "--server", "wsgiref", "--scenario", str(scenario)))
    took = time.monotonic() - started
    assert t["verdict"]["value"] == "hung", t["verdict"]
    assert t["figures"]["death_s"] is None and t["figures"]["recovery_s"] is None
    # The stall rule ends the fault phase and the recovery phase is bounded: seconds, not
    # the 40 requests x 0.5 s timeouts of the whole load.
    assert phase(t, "fault")["ended_by"] == "stalled"
    assert phase(t, "recovery")["ended_by"] == "duration"
    assert took < 30, took


def test_single_process_server_that_segfaults_is_down_and_ends_early(tmp_path, servers, no_leftovers):
    # A duration: without the early end, refused connections would spin for all of it.
    t = only_test(run_json(tmp_path, "run", "--server", "wsgiref", "--scenario", "SIGSEGV", "-d", "20"))
    assert t["verdict"]["value"] == "down", t["verdict"]
    assert t["verdict"]["summary"].startswith("down at ")
    f = t["figures"]
    assert f["death_s"] is not None
    fault = phase(t, "fault")
    assert fault["duration_s"] < 3, fault
    recovery = phase(t, "recovery")
    assert recovery["duration_s"] < 2.5 and recovery["innocent_responses"] == 0
    # Nothing listens: a handful of refused requests confirm it, not a second of them.
    assert recovery["sent"] <= t["scenario"]["phases"]["recovered_after"] + t["scenario"]["concurrency"], recovery
    # Throughput counts responses only: refused connections are not requests served.
    # (duration_s is rounded to the millisecond)
    assert t["requests_per_second"] * fault["duration_s"] == pytest.approx(
        fault["responses"], abs=0.01 + t["requests_per_second"] * 0.0005)
    assert fault["responses"] <= 1 + fault["sent"] // 2
    assert t["innocent_failures"].get("connect_refused", 0) > 0


def test_a_preforking_server_that_segfaults_is_not_down(tmp_path, servers, no_leftovers):
    need(servers, "gunicorn")
    t = only_test(run_json(tmp_path, "run", "--server", "gunicorn", "--scenario", "SIGSEGV", "-n", "10"))
    assert t["verdict"]["value"] in ("degraded", "robust"), t["verdict"]
    assert t["figures"]["death_s"] is None
    assert t["figures"]["worker_exits"] >= 1 and t["figures"]["respawns"] >= 1


def test_waitress_under_plain_is_robust(tmp_path, servers, no_leftovers):
    need(servers, "waitress")
    t = only_test(run_json(tmp_path, "run", "--server", "waitress", "--scenario", "Plain", "-n", "300"))
    assert t["verdict"]["value"] == "robust", t["verdict"]
    assert t["figures"]["innocent_failed"] == 0
    assert t["figures"]["recovery_s"] < 0.05  # answered normally at once
    assert t["labour_verdict"] == "passed"


def test_a_misbehaviour_never_sent_is_inconclusive(tmp_path, no_leftovers):
    scenario = tmp_path / "rare.toml"
    scenario.write_text('name = "Rare"\npolicy = "repeat"\nrequests = 10\nconcurrency = 1\n'
                        '[[behaviour]]\nname = "PlainResponse"\nweight = 99\n'
                        '[[behaviour]]\nname = "Sleeping"\nweight = 1\nparams = { seconds = 0.1 }\n')
    t = only_test(run_json(tmp_path, "run", "--server", "wsgiref", "--scenario", str(scenario)))
    assert t["verdict"]["value"] == "inconclusive", t["verdict"]
    assert "Sleeping was sent 0 times" in t["verdict"]["reason"]
    assert t["figures"]["misbehaviour_sent"] == 0


def test_builtin_sigsegv_on_uwsgi_is_not_robust(tmp_path, servers, no_leftovers):
    need(servers, "uwsgi")
    t = only_test(run_json(tmp_path, "run", "--server", "uwsgi", "--scenario", "SIGSEGV", "-n", "8"))
    # The master respawns every worker, throttled, while innocent requests wait.
    assert t["verdict"]["value"] != "robust", t["verdict"]
    assert t["figures"]["worker_exits"] >= 1
    assert t["figures"]["death_s"] is None


def test_lightsleep_with_200_requests_sends_sleeping(tmp_path, no_leftovers):
    t = only_test(run_json(tmp_path, "run", "--server", "wsgiref", "--scenario", "LightSleep", "-n", "200"))
    sleeping = next(b for b in t["behaviours"] if b["name"] == "Sleeping")
    assert sleeping["sent"] >= 1
    assert t["verdict"]["value"] != "inconclusive", t["verdict"]
    # wsgiref serves one request at a time: innocent requests wait behind the sleep.
    assert t["verdict"]["value"] == "degraded" and t["verdict"]["figure"] == "p99_ratio", t["verdict"]


def test_a_long_request_counts_where_it_was_sent_and_completes_later(tmp_path, no_leftovers):
    scenario = tmp_path / "long.toml"
    scenario.write_text('name = "Long"\npolicy = "spaced"\nrequests = 4\nconcurrency = 2\n'
                        '[phases]\nbaseline_requests = 20\n'
                        '[[behaviour]]\nname = "PlainResponse"\nweight = 3\n'
                        '[[behaviour]]\nname = "Sleeping"\nweight = 1\nparams = { seconds = 0.6 }\n')
    t = only_test(run_json(tmp_path, "run", "--server", "waitress" if "waitress" in available_servers() else "wsgiref",
                           "--scenario", str(scenario)))
    tl = t["timeline"]
    sleeping = [b["name"] for b in t["behaviours"]].index("Sleeping")
    sent_in = [i for i, row in enumerate(tl["sent"]) if row[sleeping]]
    done_in = [i for i, row in enumerate(tl["completed"]) if row[sleeping]]
    assert len(sent_in) == 1 and len(done_in) == 1, (tl["sent"], tl["completed"])
    assert done_in[0] >= sent_in[0] + 5  # 0.6 s later, in 100 ms buckets
    assert sum(map(sum, tl["sent"])) == sum(map(sum, tl["completed"]))


def documented_fields(section):
    """Field paths listed in the first column of a section of docs/results-schema.md, with
    their 'when present' column (or '' for tables without one)."""
    text = open(f"{SOURCE_DIR}/docs/results-schema.md").read()
    start = text.index(section + "\n")
    end = text.find("\n#", start + len(section))
    fields = {}
    for line in text[start:end if end > 0 else None].splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        names = re.findall(r"`([^`]+)`", cells[0])
        base = names[0].rsplit(".", 1)[0] if "." in names[0] else ""
        for n in names:
            path = base + n if n.startswith(".") else n
            fields[path] = (cells[2] if len(cells) >= 4 else "", cells[-1])
    return fields


def test_repeat_gives_medians_ranges_and_the_document_matches_the_schema(tmp_path, no_leftovers):
    doc = run_json(tmp_path, "run", "--server", "wsgiref", "--scenario", "LightSleep", "-n", "100", "--repeat", "3")
    t = only_test(doc)
    r = t["repeat"]
    assert r["count"] == 3 and len(r["runs"]) == 3
    assert sum(r["verdicts"].values()) == 3
    for name, median in t["figures"].items():
        values = [run["figures"][name] for run in r["runs"] if run["figures"][name] is not None]
        if not values:
            assert median is None
            continue
        assert r["figures_min"][name] == pytest.approx(min(values), abs=1e-3)
        assert r["figures_max"][name] == pytest.approx(max(values), abs=1e-3)
        assert median == pytest.approx(statistics.median(values), abs=2e-3), name
    assert t["verdict"]["reason"].startswith("in ")

    # Every field docs/results-schema.md lists is where it says, and every field the
    # document holds is listed there.
    top = documented_fields("## Top level")
    test = documented_fields("## A test")
    figures = documented_fields("### Figures")
    phases = documented_fields("### A phase")
    behaviour = documented_fields("## A behaviour")
    required = ("always", "completed tests", "tests that ran load", "tests with a fault phase",
                "always written by labour", "always (`count` 0 when nothing was expected)",
                "completed tests that ran a fault phase")

    missing = object()

    def get(obj, path):
        for part in path.split("."):
            if not isinstance(obj, dict) or part not in obj:
                return missing
            obj = obj[part]
        return obj

    def check_required(obj, fields, where):
        for path, (when, _) in fields.items():
            parent = re.match(r"with `([^`]+)`", when)
            if when in required or (parent and get(obj, parent.group(1)) is not missing):
                assert get(obj, path) is not missing, f"{where}{path} ({when}) is missing"

    check_required(doc, top, "")
    check_required(t, test, "test.")
    open_sets = {"server.options", "innocent_failures", "monitor.exits.causes", "repeat.verdicts", "intervals"}
    for key, value in t.items():
        assert key in test, f"test field '{key}' is not documented"
        if isinstance(value, dict) and key not in ("figures",) and key not in open_sets:
            for sub in value:
                path = f"{key}.{sub}"
                if path in open_sets:
                    continue
                assert path in test or any(path in k for k in test), f"'{path}' is not documented"
    for name in t["figures"]:
        assert name in figures, f"figure '{name}' is not documented"
    for name in figures:
        assert name in t["figures"], f"documented figure '{name}' is missing"
    for p in t["phases"]:
        for key in p:
            assert key in phases, f"phase field '{key}' is not documented"
    for b in t["behaviours"]:
        for key in b:
            assert key in behaviour, f"behaviour field '{key}' is not documented"
    for key in ("phases", "thresholds"):
        meaning = test[f"scenario.{key}"][1]
        for sub in t["scenario"][key]:
            assert f"`{sub}`" in meaning, f"scenario.{key}.{sub} is not documented"
    for key in doc["environment"]:
        assert f"environment.{key}" in top, key
    assert doc["schema_version"] == 2


def test_the_scorecard_prints_even_when_reports_go_to_files_and_details_need_verbose(tmp_path, no_leftovers):
    out = tmp_path / "r.json"
    quiet = labour("run", "--server", "wsgiref", "--scenario", "Plain", "-n", "50", "--report", f"json:{out}",
                   check=0, timeout=120)
    verdict = json.loads(out.read_text())["tests"][0]["verdict"]
    assert "verdicts: servers x scenarios" in quiet.stdout
    assert verdict["summary"] in quiet.stdout
    assert "phases" not in quiet.stdout  # per-test details only with -v
    verbose = labour("-v", "run", "--server", "wsgiref", "--scenario", "Plain", "-n", "50", check=0, timeout=120)
    assert "verdicts: servers x scenarios" in verbose.stdout
    assert "phases" in verbose.stdout and "baseline" in verbose.stdout and "recovery" in verbose.stdout
    # Only JSON to stdout: nothing else may be mixed into it.
    only_json = labour("run", "--server", "wsgiref", "--scenario", "Plain", "-n", "50", "--report", "json",
                       check=0, timeout=120)
    assert json.loads(only_json.stdout)["schema_version"] == 2


def test_a_misbehaviour_the_stall_kept_from_being_sent_does_not_make_it_inconclusive(tmp_path, no_leftovers):
    # The wedge comes first (repeat policy, one connection): wsgiref's one thread spins for
    # ever, the innocent request behind it times out, and the stall ends the fault phase
    # before the Sleeping request's turn. The server hung; that is the verdict.
    scenario = tmp_path / "stall.toml"
    scenario.write_text('name = "StallFirst"\npolicy = "repeat"\nrequests = 20\nconcurrency = 1\ntimeout = 1.0\n'
                        '[phases]\nstall = 1.5\nrecovery_duration = 2.0\n'
                        '[[behaviour]]\nname = "PythonWedge"\nweight = 1\n'
                        '[[behaviour]]\nname = "PlainResponse"\nweight = 8\n'
                        '[[behaviour]]\nname = "Sleeping"\nweight = 1\nparams = { seconds = 0.1 }\n')
    t = only_test(run_json(tmp_path, "run", "--server", "wsgiref", "--no-pin", "--scenario", str(scenario)))
    fault = [p for p in t["phases"] if p["name"] == "fault"][0]
    assert fault["ended_by"] == "stalled", fault
    assert {b["name"]: b["sent"] for b in t["behaviours"]}["Sleeping"] == 0
    assert t["verdict"]["value"] == "hung", t["verdict"]
