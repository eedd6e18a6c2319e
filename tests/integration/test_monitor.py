"""The monitor's figures in the results, from real servers misbehaving: memory that leaks,
workers that die by SIGSEGV and are respawned, workers recycled by max_requests."""
from conftest import labour, run_json, scenario_file

MIB = 1024 * 1024


def monitored(tmp_path, server, scenario, *extra):
    doc = run_json(tmp_path, "run", "--server", server, "--no-innocent", "--scenario", scenario,
                   "--monitor-interval", "20ms",
                   *extra, timeout=180)
    (test,) = doc["tests"]
    assert test["status"] == "completed", test.get("error")
    return test["monitor"]


def test_a_leak_shows_as_resident_memory_that_grows_by_what_was_leaked(tmp_path, no_leftovers):
    m = monitored(tmp_path, "wsgiref", scenario_file(tmp_path, "LeakMemory", "bytes = 1048576", requests=60, concurrency=2))
    grown = m["rss_bytes"]["end"] - m["rss_bytes"]["start"]
    assert 50 * MIB <= grown <= 90 * MIB, m["rss_bytes"]
    assert m["processes"] == {"start": 1, "end": 1, "peak": 1}
    assert m["exits"]["total"] == 0 and m["joined"] == 0
    series = m["series"]
    assert len(series["t_s"]) >= 2 and len(series["rss_bytes"]) == len(series["t_s"])
    assert series["rss_bytes"][-1] == m["rss_bytes"]["end"]
    assert m["cpu_seconds"] > 0
    assert series["cpu_s"] == sorted(series["cpu_s"]), "CPU time never goes backwards"


def test_workers_killed_by_sigsegv_are_counted_with_their_signal_and_respawned(tmp_path, no_leftovers):
    m = monitored(tmp_path, "gunicorn:workers=2", scenario_file(tmp_path, "SIGSEGV", requests=20, timeout=5.0))
    assert m["exits"]["total"] >= 15, m["exits"]
    assert m["joined"] >= 15, m
    if m["exits_seen_by"] == "process events":
        assert m["exits"]["causes"] == {"killed by SIGSEGV": m["exits"]["total"]}
    else:  # samples alone see a cause only when the exit is caught as a zombie
        assert set(m["exits"]["causes"]) <= {"killed by SIGSEGV", "unknown"}
    assert not any(e["leader"] for e in m["exits"]["first"]), "the gunicorn master survives"


def test_workers_recycled_by_max_requests_exit_cleanly(tmp_path, no_leftovers):
    m = monitored(tmp_path, "gunicorn:workers=2,max_requests=10",
                  scenario_file(tmp_path, "PlainResponse", requests=100))
    assert m["exits"]["total"] >= 5, m["exits"]
    if m["exits_seen_by"] == "process events":
        assert m["exits"]["causes"] == {"exit status 0": m["exits"]["total"]}
    assert m["processes"]["peak"] == 3  # the master and two workers (one may still boot at the start)


def test_a_bad_monitor_interval_is_refused_with_the_valid_range(tmp_path):
    proc = labour("run", "--server", "wsgiref", "--scenario", "Plain", "--monitor-interval", "5ms", timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "--monitor-interval '5ms'" in proc.stderr and "10ms" in proc.stderr
