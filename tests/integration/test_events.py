"""Lifecycle events under load (issue 11): a reload, a killed or frozen worker, a graceful stop
and a signal, fired at real servers whose documented handling differs, asserting the
difference. Each server's declaration comes from its own documentation or source (named in its
adapter and in docs/servers.md, "Lifecycle"); each pair was first tried by hand on Debian 12
(gunicorn 20.1.0, uWSGI 2.0.21, uvicorn 0.17.6, waitress 2.1.2, cheroot 9.0.0)."""
import re

from conftest import behaviour, labour, one_line_error, run_json, the_test
from test_verdicts import documented_fields


def scenario(tmp_path, events, duration=3.0, timeout=2.0, sleeping=None, concurrency=4):
    """PlainResponse (and Sleeping(`sleeping` s) at 1 in 20), then `events` (TOML text)."""
    text = (f'name = "events-test"\npolicy = "spaced"\nduration = {duration}\nconcurrency = {concurrency}\n'
            f'timeout = {timeout}\n[phases]\nbaseline_requests = 50\nbaseline_duration = 0.5\nstall = 2.0\n'
            'recovery_duration = 2.0\n[[behaviour]]\nname = "PlainResponse"\nweight = 19\n')
    if sleeping:
        text += f'[[behaviour]]\nname = "Sleeping"\nweight = 1\nparams = {{ seconds = {sleeping} }}\n'
    f = tmp_path / "events.toml"
    f.write_text(text + events)
    return str(f)


def run(tmp_path, server, events, **kw):
    return the_test(run_json(tmp_path, "run", "--server", server, "--scenario", scenario(tmp_path, events, **kw)))


def one_event(test):
    (event,) = test["events"]
    assert event["fired"] and not event["failed"], event
    return event


RELOAD = '[[event]]\nat = "1s"\naction = "reload"\n'


def test_a_reload_keeps_gunicorn_serving_and_stops_uwsgi_until_it_has_reexecuted(tmp_path, no_leftovers):
    # Both reload on SIGHUP, keep their main process and replace both workers, dropping nothing
    # (gunicorn docs, signals: "HUP: Reload the configuration, start the new worker processes
    # ... and gracefully shutdown older workers"; uWSGI docs, Management: SIGHUP "gracefully
    # reload all the workers and the master process"). gunicorn starts the new workers while
    # the old ones still serve, so nothing waits long; uWSGI's master waits for every old worker
    # to finish, then re-executes itself and only then spawns new ones (core/master_checks.c,
    # master_utils.c uwsgi_reload): every request meanwhile waits, about 1.2 s by hand.
    slowest = {}
    for server in ("gunicorn:workers=2", "uwsgi:processes=2"):
        test = run(tmp_path, server, RELOAD, concurrency=2, timeout=5.0)
        e = one_event(test)
        assert e["detail"].startswith("SIGHUP to the main process"), (server, e)
        assert e["dropped"] == 0 and e["back_after_s"] == 0, (server, e)
        assert e["processes_joined"]["total"] >= 2 and e["processes_exited"]["total"] >= 2, (server, e)
        assert not any(x["leader"] for x in e["processes_exited"]["first"]), (server, e)
        assert test["figures"]["events_slowest_ms"] == e["innocent_slowest_ms"], (server, test["figures"])
        slowest[server] = e["innocent_slowest_ms"]
    assert slowest["uwsgi:processes=2"] >= 800 > 500 > slowest["gunicorn:workers=2"], slowest


def test_a_server_without_a_reload_is_unsupported_and_runs_nothing(tmp_path, no_leftovers):
    # waitress handles no signals at all (no signal handler anywhere in waitress 2.1.2): it has
    # no reload, and its adapter says so.
    doc = run_json(tmp_path, "run", "--server", "waitress", "--scenario", scenario(tmp_path, RELOAD))
    (test,) = doc["tests"]
    assert test["status"] == "completed", test
    assert test["verdict"]["value"] == "unsupported", test["verdict"]
    assert "waitress has no graceful reload" in test["verdict"]["reason"], test["verdict"]
    assert "phases" not in test and "supervision" not in test  # no server was started


KILL = '[[event]]\nat = "1s"\naction = "kill_worker"\n'


def test_a_killed_worker_is_replaced_by_gunicorn_and_never_by_uvicorn(tmp_path, no_leftovers):
    # gunicorn's arbiter reaps a dead worker and spawns another at once (gunicorn docs,
    # design.rst; arbiter.py reap_workers, manage_workers). uvicorn's multiprocess supervisor
    # only waits for its workers to be told to exit (uvicorn/supervisors/multiprocess.py,
    # 0.17.6): one killed is never replaced.
    test = run(tmp_path, "gunicorn:workers=2", KILL)
    e = one_event(test)
    killed = int(re.fullmatch(r"SIGKILL to worker (\d+)", e["detail"]).group(1))
    assert [x["cause"] for x in e["processes_exited"]["first"] if x["pid"] == killed] == ["killed by SIGKILL"], e
    assert e["processes_joined"]["total"] >= 1 and test["figures"]["respawns"] >= 1, (e, test["figures"])
    assert e["back_after_s"] is not None and e["back_after_s"] < 1.0, e
    assert test["verdict"]["value"] in ("robust", "degraded"), test["verdict"]

    test = run(tmp_path, "uvicorn:workers=2", KILL)
    e = one_event(test)
    killed = int(re.fullmatch(r"SIGKILL to worker (\d+)", e["detail"]).group(1))
    assert [x["cause"] for x in e["processes_exited"]["first"] if x["pid"] == killed] == ["killed by SIGKILL"], e
    assert e["processes_joined"]["total"] == 0 and test["figures"]["respawns"] == 0, (e, test["figures"])


def test_killing_a_worker_of_a_server_without_workers_is_unsupported(tmp_path, no_leftovers):
    doc = run_json(tmp_path, "run", "--server", "cheroot", "--scenario", scenario(tmp_path, KILL))
    assert doc["tests"][0]["verdict"]["value"] == "unsupported"
    assert "has no worker processes apart from its main one" in doc["tests"][0]["verdict"]["reason"]


FREEZE = '[[event]]\nat = "1s"\naction = "freeze_worker"\nseconds = 1.5\n'


def test_a_frozen_worker_is_an_outage_with_one_gunicorn_worker_and_one_request_with_two(tmp_path, no_leftovers):
    # A stopped process does not accept, and gunicorn's sync worker closes every connection
    # after its response (gunicorn docs, design.rst: sync workers do not support keep-alive),
    # so with two workers the other one takes every new connection: only the request the frozen
    # one held waits past the 1 s timeout. With one worker, everything waits for it: the
    # requests in flight time out, and the next ones wait in the backlog until it resumes.
    test = run(tmp_path, "gunicorn:workers=1", FREEZE, duration=3.5, timeout=1.0)
    e = one_event(test)
    assert e["detail"].startswith("SIGSTOP to worker"), e
    assert e["resumed_s"] - e["fired_s"] >= 1.4, e
    assert e["dropped"] >= 3 and e["failures"].get("first_byte_timeout", 0) >= 3, e
    assert e["back_after_s"] is not None and e["back_after_s"] >= 0.9, e
    assert e["innocent_slowest_ms"] >= 300, e
    assert test["verdict"]["value"] == "degraded", test["verdict"]
    assert "the freeze_worker at 1.0 s dropped" in test["verdict"]["reason"], test["verdict"]

    test = run(tmp_path, "gunicorn:workers=2", FREEZE, duration=3.5, timeout=1.0)
    e = one_event(test)
    assert e["dropped"] <= 1, e
    assert e["answered"] > 100, e


STOP = '[[event]]\nat = "1s"\naction = "graceful_stop"\n'


def test_a_graceful_stop_answers_what_cheroot_took_and_waitress_cancels_what_it_queued(tmp_path, no_leftovers):
    # Both stop on SIGINT as labour starts them, each with one worker thread, so that requests
    # queue. cheroot's stop() closes its listening socket, then lets its worker finish the
    # connections it holds (cheroot/server.py HTTPServer.stop): later connections are refused,
    # which a stop may do, and nothing it took is lost. waitress's run() ends its loop and calls
    # task_dispatcher.shutdown(), which cancels the tasks still queued (waitress/server.py run,
    # task.py ThreadedTaskDispatcher.shutdown: "Canceling N pending task(s)" in its log, seen
    # by hand): requests it had read are closed unanswered, which a graceful stop must not do.
    test = run(tmp_path, "cheroot:numthreads=1", STOP, duration=3.5, sleeping=1.0)
    e = one_event(test)
    assert e["detail"].startswith("SIGINT to the main process"), e
    assert e["dropped"] == 0 and e["refused"] >= 1, e
    # The requests it had taken were answered; after the listener closed, refused.
    sleeping = behaviour(test, "Sleeping")["outcomes"]
    assert sleeping.get("http_200", 0) >= 1 and set(sleeping) <= {"http_200", "connect_refused"}, sleeping
    assert test["verdict"]["value"] == "robust", test["verdict"]
    assert [p["name"] for p in test["phases"]] == ["baseline", "fault"]  # nothing to recover

    test = run(tmp_path, "waitress:threads=1", STOP, duration=3.5, sleeping=1.0)
    e = one_event(test)
    assert e["dropped"] >= 1, e
    assert set(e["failures"]) - {"connect_refused"} <= {"reset_before_response", "eof_before_response"}, e
    assert test["verdict"]["value"] == "degraded", test["verdict"]
    assert test["verdict"]["figure"] == "events_dropped", test["verdict"]


def test_a_signal_event_sigterm_takes_waitress_down(tmp_path, no_leftovers):
    # waitress installs no handler: SIGTERM's default action ends it at once.
    test = run(tmp_path, "waitress", '[[event]]\nat = 0.5\naction = "signal"\nsignal = "SIGTERM"\n')
    e = one_event(test)
    assert e["detail"].startswith("SIGTERM to the main process"), e
    assert test["verdict"]["value"] == "down", test["verdict"]
    assert any(x["leader"] and x["cause"] == "killed by SIGTERM" for x in e["processes_exited"]["first"]), e


def test_every_event_field_is_documented_and_present(tmp_path, no_leftovers):
    test = run(tmp_path, "gunicorn:workers=2", KILL)
    documented = documented_fields("## An event")
    (e,) = test["events"]
    for key in e:
        assert key in documented, f"event field '{key}' is not documented"
    for path, (when, _) in documented.items():
        if when in ("always", "fired events"):
            assert path in e, f"documented event field '{path}' is missing"
    for key in ("events_dropped", "events_back_s"):
        assert test["figures"][key] is not None, key


# ---- bad input: one line naming the key, exit 2, before any server starts ----

def bad(tmp_path, events, *args, duration="duration = 3.0\n"):
    f = tmp_path / "bad.toml"
    f.write_text(f'name = "bad"\n{duration}[[behaviour]]\nname = "PlainResponse"\n' + events)
    return labour("run", "--server", "wsgiref", "--scenario", str(f), *args, timeout=30)


def test_events_outside_the_phase_or_malformed_are_refused_with_their_place(tmp_path):
    cases = [
        ('[[event]]\nat = 5\naction = "reload"\n', (), "bad.toml:5:1", "is not within the fault phase, which lasts 3 s"),
        ('[[event]]\nat = 1\naction = "explode"\n', (), "bad.toml:7:10", "'action' must be one of reload"),
        ('[[event]]\naction = "reload"\n', (), "bad.toml:5:1", "needs 'at'"),
        ('[[event]]\nat = 1\naction = "freeze_worker"\n', (), "bad.toml:5:1", "freeze_worker needs 'seconds'"),
        ('[[event]]\nat = 1\naction = "reload"\nseconds = 2\n', (), "bad.toml:8:11", "'seconds' is for freeze_worker only"),
        ('[[event]]\nat = 1\naction = "signal"\nsignal = "SIGNOPE"\n', (), "bad.toml:8:10", "must be a signal's name"),
        ('[[event]]\nat = "soon"\naction = "reload"\n', (), "bad.toml:6:6", "not a duration"),
        ('[[event]]\nat = 1\naction = "reload"\nwhen = 2\n', (), "bad.toml:8:8", "unknown key 'when'"),
        ('[[event]]\nat = 2.5\naction = "reload"\n', ("-d", "2"), "bad.toml:5:1", "lasts 2 s"),
        ('[[event]]\nat = 1\naction = "reload"\n', ("-n", "100"), "bad.toml:5:1", "needs a duration"),
    ]
    for events, args, where, what in cases:
        one_line_error(bad(tmp_path, events, *args), where, what)
    one_line_error(bad(tmp_path, '[[event]]\nat = 1\naction = "reload"\n', duration="requests = 10\n"),
                   "bad.toml", "needs a duration")


def test_client_driven_behaviours_refuse_a_weight_a_zero_rate_and_too_many_connections(tmp_path):
    f = tmp_path / "weighted.toml"
    f.write_text('name = "w"\nduration = 1\n[[behaviour]]\nname = "PlainResponse"\n'
                 '[[behaviour]]\nname = "Slowloris"\nweight = 3\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f), timeout=30),
                   "weighted.toml:5:1", "Slowloris", "takes no weight")
    f.write_text('name = "r"\nduration = 1\n[[behaviour]]\nname = "PlainResponse"\n'
                 '[[behaviour]]\nname = "SlowUpload"\nparams = { rate = 0 }\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f), timeout=30), "weighted.toml:5:1",
                   "SlowUpload", "rate")
    f.write_text('name = "c"\nduration = 1\n[[behaviour]]\nname = "PlainResponse"\n'
                 '[[behaviour]]\nname = "IdleHog"\nparams = { connections = 5000 }\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f), timeout=30,
                          prefix=("prlimit", "--nofile=1024:1024")),
                   "5000 client-driven connections", "file descriptors", "1024")
    f.write_text('name = "o"\nduration = 1\n[[behaviour]]\nname = "IdleHog"\n')
    one_line_error(labour("run", "--server", "wsgiref", "--scenario", str(f), timeout=30),
                   "every behaviour is client-driven")
