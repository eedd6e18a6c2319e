"""What labour measured is what happened: innocent traffic that always observes, the exact dose,
phases that keep their evidence, a fully started reference, outages from silence, and a
plugin's failure kept apart from the server's. Each truth is shown on a server where it holds
and, where the servers differ, its absence on another.

Sources:
- gunicorn sync worker: one request at a time per worker (docs/source/design.rst, "Sync
  Workers"); `timeout`: "Workers silent for more than this many seconds are killed and
  restarted" (docs/source/settings.rst; arbiter.py murder_workers).
- gunicorn gthread: a thread pool per worker, keep-alive connections kept open (design.rst
  "AsyncIO Workers"/gthread; workers/gthread.py).
- gunicorn's arbiter spawns `workers` processes after it binds (arbiter.py manage_workers,
  spawn_workers); the first worker answers while the others still import the app.
- gunicorn workers leave when their parent changes (workers/base.py, "Parent changed,
  shutting down").
- waitress: a pool of 4 threads in one process (docs "Arguments to waitress.serve").
- cheroot: its listen queue (`request_queue_size`) is 5 (cheroot/server.py HTTPServer), and
  after a request whose body is shorter than its Content-Length it answers 500 and then the
  application's own response on the same connection (seen on this machine, cheroot 9.0.0).
- SIGSTOP freezes a process until SIGCONT (signal(7)).
"""
import os
import signal
import threading
import time

from conftest import (behaviour, marked_processes, need, no_leftovers, run_json, servers,  # noqa: F401
                      the_test)


def scenario(tmp_path, text, name="s"):
    f = tmp_path / f"{name}.toml"
    f.write_text(text)
    return str(f)


def run(tmp_path, server, text, *extra, check=None):
    doc = run_json(tmp_path, "run", "--server", server, "--no-pin", "--scenario", scenario(tmp_path, text), *extra,
                   check=check)
    return the_test(doc)


def phase(test, name):
    return next(p for p in test["phases"] if p["name"] == name)


# One wedge that never ends, in the middle of 2000 plain requests, at concurrency 1: before
# innocent requests had connections of their own, none was in flight while the wedge ran, and
# gunicorn's only worker spinning until its arbiter killed it was graded robust. (One wedge:
# every wedge holds a waitress thread for ever, and four would hold all of them.)
WEDGE_AT_CONCURRENCY_1 = """
name = "WedgeAlone"
policy = "spaced"
requests = 2000
concurrency = 1
timeout = 1.0
[phases]
stall = 8
recovery_duration = 6
[[behaviour]]
name = "PlainResponse"
weight = 1999
[[behaviour]]
name = "PythonWedge"
weight = 1
params = { seconds = 0 }
"""


def test_a_wedge_at_concurrency_1_fails_a_single_worker_and_spins_on_in_a_thread_pool(tmp_path, servers,
                                                                                       no_leftovers):
    need(servers, "gunicorn", "waitress")
    # gunicorn, one sync worker: its only worker spins; innocent requests wait for it.
    g = run(tmp_path, "gunicorn:workers=1,timeout=3", WEDGE_AT_CONCURRENCY_1)
    assert g["verdict"]["value"] != "robust", g["verdict"]
    assert g["figures"]["innocent_failed"] > 0, g["figures"]
    assert behaviour(g, "PythonWedge")["sent"] >= 1
    # waitress: three more threads serve innocent requests beside the wedged one, so none
    # fails; but waitress has no way to end a thread (waitress/task.py, WSGITask.execute, calls
    # the application and iterates it to the end; channel_timeout only closes idle
    # connections), so the wedged one spins on once the load is over, and a server burning a
    # core for nothing is not robust.
    w = run(tmp_path, "waitress", WEDGE_AT_CONCURRENCY_1)
    assert w["figures"]["innocent_failed"] == 0
    assert w["figures"]["busy_after_pct"] > 50, w["figures"]
    assert w["verdict"]["value"] == "degraded" and w["verdict"]["figure"] == "busy_after_pct", w["verdict"]
    # gunicorn's arbiter killed its spinning worker (timeout=3): nothing burns afterwards.
    assert g["figures"]["busy_after_pct"] < 50, g["figures"]


# A 3 s sleep sent last: it is still in the server when the fault phase's 1.5 s end.
SLEEP_AT_THE_END = """
name = "SleepAtTheEnd"
policy = "spaced"
duration = 1.5
concurrency = 1
timeout = 6.0
[phases]
stall = 5
recovery_duration = 6
[[behaviour]]
name = "PlainResponse"
weight = 1000
[[behaviour]]
name = "Sleeping"
weight = 1
params = { seconds = 3.0 }
"""


def test_a_misbehaviour_in_flight_at_the_phase_end_is_counted_and_its_damage_judged(tmp_path, servers,
                                                                                     no_leftovers):
    need(servers, "wsgiref", "waitress")
    # wsgiref serves one request at a time: the sleep holds it into the recovery phase.
    t = run(tmp_path, "wsgiref", SLEEP_AT_THE_END)
    sleeping = behaviour(t, "Sleeping")
    assert sleeping["sent"] >= 1, sleeping
    assert sleeping["outcomes"].get("held", 0) + sum(
        n for k, n in sleeping["outcomes"].items() if k.startswith("http_")) == sleeping["sent"]
    assert t["verdict"]["value"] != "robust", t["verdict"]
    # waitress answers beside the sleep: the same dose, no damage.
    w = run(tmp_path, "waitress", SLEEP_AT_THE_END)
    assert behaviour(w, "Sleeping")["sent"] >= 1
    assert w["verdict"]["value"] == "robust", w["verdict"]


SEGFAULTS = """
name = "Segfaults"
policy = "spaced"
requests = 200
concurrency = 2
timeout = 3.0
[phases]
recovery_duration = 4
[[behaviour]]
name = "PlainResponse"
weight = 196
[[behaviour]]
name = "SIGSEGV"
weight = 4
"""


def test_every_segfault_sent_is_one_worker_death_with_keep_alive(tmp_path, servers, no_leftovers):
    need(servers, "gunicorn")
    # gthread keeps connections alive: a misbehaviour sent again after a closed kept-alive
    # connection used to be a second worker death the document did not count.
    t = run(tmp_path, "gunicorn:workers=2,worker_class=gthread,threads=2", SEGFAULTS)
    sent = behaviour(t, "SIGSEGV")["sent"]
    assert sent == 4, behaviour(t, "SIGSEGV")
    assert t["monitor"]["exits"]["causes"].get("killed by SIGSEGV", 0) == sent, t["monitor"]["exits"]
    assert phase(t, "fault")["resends"] >= 0


def test_the_baseline_starts_once_every_worker_has_started(tmp_path, servers, no_leftovers):
    need(servers, "gunicorn")
    t = run(tmp_path, "gunicorn:workers=4", 'name = "p"\nrequests = 200\nconcurrency = 2\n'
            '[[behaviour]]\nname = "PlainResponse"\n')
    # The monitor's first sample (the baseline's start) already has the master and 4 workers.
    assert t["supervision"]["settled"] is True, t["supervision"]
    assert t["monitor"]["processes"]["start"] == 5, t["monitor"]["processes"]
    assert t["monitor"]["workers_joined"] == 0
    # Their start (about 10 MiB each to import) is not the fault's growth.
    assert abs(t["figures"]["rss_growth_mib"]) < 8, t["figures"]["rss_growth_mib"]


def test_slowloris_against_cheroot_is_delivered_whole_or_says_how_many_connected(tmp_path, servers, no_leftovers):
    need(servers, "cheroot")
    for _ in range(2):
        t = run(tmp_path, "cheroot", 'name = "loris"\npolicy = "spaced"\nduration = 2.0\nconcurrency = 2\n'
                'timeout = 1.0\n[phases]\nstall = 1.5\nrecovery_duration = 2.0\n'
                '[[behaviour]]\nname = "PlainResponse"\n'
                '[[behaviour]]\nname = "Slowloris"\nparams = { connections = 20, interval = 1.0 }\n')
        loris = behaviour(t, "Slowloris")
        if loris["connected"] < 20:
            assert t["verdict"]["value"] != "robust", (loris, t["verdict"])
            if t["verdict"]["value"] == "inconclusive":
                assert f"established {loris['connected']} of its 20 connections" in t["verdict"]["reason"]
        else:
            assert loris["connected"] == 20


def test_a_stray_second_response_is_the_misbehaviours_not_an_innocent_failure(tmp_path, servers, no_leftovers):
    need(servers, "cheroot")
    t = run(tmp_path, "cheroot", 'name = "bcl"\npolicy = "spaced"\nrequests = 120\nconcurrency = 2\n'
            'timeout = 2.0\n[[behaviour]]\nname = "PlainResponse"\nweight = 110\n'
            '[[behaviour]]\nname = "BadContentLength"\nweight = 10\nparams = { mode = "long" }\n')
    bcl = behaviour(t, "BadContentLength")
    assert bcl["sent"] == 10
    assert bcl["outcomes"].get("http_500", 0) >= 1, bcl
    assert t["figures"]["innocent_failed"] == 0, t["verdict"]


def find_gunicorn_master(timeout=20.0):
    """The running gunicorn master: a gunicorn process of this session whose parent is not one
    (labour), with worker children (the adapter's version probe has none)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parents = {}
        for pid in marked_processes():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
                with open(f"/proc/{pid}/stat") as f:
                    parents[pid] = (int(f.read().rsplit(")", 1)[1].split()[1]), b"gunicorn" in cmd)
            except OSError:
                continue
        for pid, (ppid, gunicorn) in parents.items():
            has_workers = any(p == pid for p, _ in parents.values())
            if gunicorn and ppid not in parents and has_workers:
                return pid
        time.sleep(0.05)
    return None


def test_a_main_process_killed_from_outside_is_in_the_verdict(tmp_path, servers, no_leftovers):
    need(servers, "gunicorn")
    killed = []

    def kill_master():
        pid = find_gunicorn_master()
        if pid:
            time.sleep(2.0)  # into the fault phase
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    killer = threading.Thread(target=kill_master)
    killer.start()
    t = run(tmp_path, "gunicorn:workers=2", 'name = "p"\nduration = 4.0\nconcurrency = 2\n'
            '[phases]\nrecovery_duration = 2\n[[behaviour]]\nname = "PlainResponse"\n')
    killer.join()
    assert killed, "the gunicorn master was not found"
    assert t["figures"]["death_s"] is not None
    assert t["verdict"]["value"] in ("degraded", "down"), t["verdict"]
    assert "main process" in t["verdict"]["reason"]


def test_a_slow_open_model_is_not_mistaken_for_a_slow_server(tmp_path, servers, no_leftovers):
    need(servers, "waitress")
    # Four requests, two of them a deliberate 404: at 1 request/s the recovery phase used to need
    # ten answers in a row at the fault phase's pace, longer than it may last.
    t = run(tmp_path, "waitress", 'name = "slow"\npolicy = "spaced"\nduration = 1.0\nconcurrency = 2\n'
            '[[behaviour]]\nname = "PlainResponse"\n'
            '[[behaviour]]\nname = "PlainResponse"\nparams = { status = 404 }\n', "--rate", "1", "-d", "4s")
    assert t["verdict"]["value"] == "robust", t["verdict"]
    assert phase(t, "recovery")["ended_by"] == "recovered"


FROZEN = """
name = "Frozen"
policy = "spaced"
duration = 4.0
concurrency = 2
timeout = 5.0
[phases]
stall = 5
recovery_duration = 3
[[behaviour]]
name = "PlainResponse"
[[event]]
at = "1s"
action = "freeze_worker"
seconds = 2.0
"""


def test_two_seconds_without_an_answer_is_an_outage(tmp_path, servers, no_leftovers):
    need(servers, "gunicorn", "waitress")
    # One gunicorn worker frozen for 2 s: nothing fails (the timeout is 5 s), nothing answers.
    g = run(tmp_path, "gunicorn:workers=1", FROZEN)
    silent = [o for o in g["outages"] if o["silent"]]
    assert silent, g["outages"]
    assert max(o["end_s"] - o["start_s"] for o in silent) >= 1.5
    assert g["verdict"]["value"] != "robust", g["verdict"]
    # Two workers: the other one answers while one is frozen, so no silence.
    g2 = run(tmp_path, "gunicorn:workers=2", FROZEN)
    assert not [o for o in g2["outages"] if o["silent"]], g2["outages"]


def test_a_judge_that_throws_is_the_plugins_failure(tmp_path, servers, no_leftovers):
    need(servers, "waitress")
    plugins = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(os.environ["LABOUR_BIN"]))),
                           "test-plugins-judge")
    doc = run_json(tmp_path, "--plugin-dir", plugins, "run", "--server", "waitress", "--no-pin", "--scenario",
                   scenario(tmp_path, 'name = "j"\npolicy = "spaced"\nrequests = 100\nconcurrency = 2\n'
                            '[[behaviour]]\nname = "PlainResponse"\nweight = 9\n'
                            '[[behaviour]]\nname = "ThrowingJudge"\nweight = 1\n'))
    t = the_test(doc)
    assert t["verdict"]["value"] == "inconclusive", t["verdict"]
    assert "ThrowingJudge" in t["verdict"]["reason"]
    assert behaviour(t, "ThrowingJudge")["judge_errors"] == behaviour(t, "ThrowingJudge")["sent"] > 0
