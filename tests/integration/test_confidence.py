"""Verdicts with confidence (issue 20): borderline evidence is marked and rerun on request,
resources are judged, and the new [verdict] keys are checked before any server starts."""
import pytest

from conftest import labour, need, one_line_error, run_json


def the_test(doc):
    (test,) = doc["tests"]
    assert test["status"] == "completed", test.get("error")
    return test


def test_hypercorn_stream_grows_past_the_rss_bound_and_a_flat_server_is_judged_as_before(tmp_path, servers,
                                                                                        no_leftovers):
    # hypercorn 0.13 (Debian's python3-hypercorn) runs a WSGI app through
    # hypercorn/middleware/wsgi.py, whose _WSGIInstance.run_wsgi_app extends one bytearray with
    # every chunk of the response before sending any of it: an endless body grows without end.
    need(servers, "hypercorn", "gunicorn")
    hyper = the_test(run_json(tmp_path, "run", "--server", "hypercorn", "--scenario", "Stream", timeout=240))
    assert hyper["figures"]["rss_growth_mib"] > 256, hyper["figures"]
    assert hyper["verdict"]["value"] == "degraded" and hyper["verdict"]["figure"] == "rss_growth_mib"
    assert "RSS +" in hyper["verdict"]["reason"] and "(bound 256 MiB)" in hyper["verdict"]["reason"]
    assert hyper["verdict"]["certainty"] == "certain"
    # gunicorn's sync worker writes each chunk to the socket as it comes: its memory stays flat,
    # and its verdict is whatever its innocent requests saw.
    flat = the_test(run_json(tmp_path, "run", "--server", "gunicorn", "--scenario", "Stream", timeout=240))
    assert flat["figures"]["rss_growth_mib"] < 64, flat["figures"]
    assert flat["verdict"]["figure"] != "rss_growth_mib"
    assert "RSS" not in flat["verdict"]["summary"]


# One innocent request waits behind a 0.3 s sleep on wsgiref (one thread serves all), the few
# others are fast: the sample's p99 is that one request, far past x10, so the test is
# degraded; but the evidence is a single record, so it is borderline.
ONE_SLOW = """name = "OneSlow"
policy = "spaced"
requests = 4
concurrency = 1
timeout = 5.0
[phases]
baseline_requests = 50
baseline_duration = 0.5
recovery_duration = 2.0
[[behaviour]]
name = "PlainResponse"
weight = 3
[[behaviour]]
name = "Sleeping"
weight = 1
params = { seconds = 0.3 }
"""


def test_a_single_slow_request_is_borderline_and_repeat_auto_reruns_only_that_cell(tmp_path, no_leftovers):
    scenario = tmp_path / "one_slow.toml"
    scenario.write_text(ONE_SLOW)
    doc = run_json(tmp_path, "matrix", "--servers", "wsgiref", "--scenarios", f"{scenario},Plain",
                   "--repeat", "auto", "--out", str(tmp_path / "out"), timeout=300)
    slow, plain = doc["tests"]
    assert slow["figures"]["fault_p99_ms"] > 250, slow["figures"]
    assert slow["intervals"]["p99_ratio"]["low"] <= 10 < slow["intervals"]["p99_ratio"]["high"]
    runs = slow["repeat"]["runs"]
    assert slow["repeat"]["auto"] is True and 1 < len(runs) <= 5
    assert all(r["verdict"]["value"] == "degraded" for r in runs), runs
    # Every run was borderline, so auto went on to its limit; the runs agree: that is certain.
    assert all(r["verdict"]["certainty"] == "borderline" for r in runs)
    assert len(runs) == 5
    assert slow["verdict"]["certainty"] == "certain"
    assert slow["verdict"]["interval"]["figure"] == "p99_ratio" and slow["verdict"]["interval"]["bound"] == 10
    # A certain cell runs once.
    assert plain["verdict"]["certainty"] == "certain" and "repeat" not in plain


def test_the_repeat_budget_ends_the_reruns(tmp_path, no_leftovers):
    scenario = tmp_path / "one_slow.toml"
    scenario.write_text(ONE_SLOW)
    doc = run_json(tmp_path, "run", "--server", "wsgiref", "--scenario", str(scenario), "--repeat", "auto",
                   "--repeat-budget", "100ms", timeout=120)
    runs = the_test(doc)["repeat"]["runs"]
    assert len(runs) == 2, runs  # the first rerun spent the whole budget


@pytest.mark.parametrize("line, words", [
    ("confidence = 0.5", ["'confidence' must be above 0.5 and below 0.999"]),
    ("confidence = 1.0", ["'confidence'"]),
    ("max_rss_growth_mib = -1", ["'max_rss_growth_mib'"]),
    ("max_fds_growth = -3", ["'max_fds_growth'"]),
    ("allow_sigkill_stop = 1", ["'allow_sigkill_stop' must be true or false"]),
    ("max_threads = 3", ["max_threads", "max_threads_growth"]),
])
def test_new_verdict_keys_are_checked_before_any_server_starts(tmp_path, line, words):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'name = "Bad"\nrequests = 10\n[verdict]\n{line}\n[[behaviour]]\nname = "PlainResponse"\n')
    proc = labour("run", "--server", "wsgiref", "--scenario", str(bad), timeout=60)
    one_line_error(proc, str(bad), *words)


@pytest.mark.parametrize("args, words", [
    (["--repeat", "banana"], ["--repeat 'banana'", "or auto"]),
    (["--repeat", "0"], ["--repeat '0'"]),
    (["--repeat-budget", "5m"], ["--repeat-budget '5m'", "--repeat auto"]),
    (["--repeat", "auto", "--repeat-budget", "soon"], ["--repeat-budget 'soon'"]),
])
def test_repeat_flags_are_checked(args, words):
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", "Plain", *args, timeout=60), *words)
