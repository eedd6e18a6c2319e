"""The catalogue's leak, stream, signal and memory behaviours (issue 9) against real servers
whose known behaviour differs, asserting that difference. Each case names where the
servers' behaviour comes from; all were first tried by hand on Debian 12 with the adapters'
own flags (gunicorn 20.1.0, uWSGI 2.0.21, waitress 2.1.2, cheroot 9.0.0, Python 3.11's
wsgiref)."""
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request

from conftest import LABOUR, exit_causes, scenario_file
from conftest import run_behaviour as run

MiB = 1024 * 1024


# ---- leak: FDLeak, ThreadLeak, ChildLeak ----

# labour hands a server the descriptor limit it was started with (core/supervisor/limits.cpp);
# 1024 makes 100 descriptors a request fill a worker's table within a dozen requests.
LOW_FD_LIMIT = ("prlimit", "--nofile=1024:1024")


def test_fd_leak_waitress_answers_500_gunicorn_closes_without_a_word(tmp_path, no_leftovers):
    # At EMFILE the worker half's os.open raises OSError. waitress turns any application
    # error into its own 500 page (waitress/task.py, utilities.py InternalServerError);
    # gunicorn's sync worker takes any EnvironmentError for a socket error, logs "Socket
    # error processing request." and closes (gunicorn/workers/sync.py handle).
    for server, failure in (("waitress", "http_500"), ("gunicorn:workers=1", "eof_before_response")):
        test, b = run(tmp_path, server, "FDLeak", "count = 100", requests=15, prefix=LOW_FD_LIMIT)
        assert 8 <= b["outcomes"].get("http_200", 0) <= 10, (server, b)  # 1024 fds: the 11th request fails
        assert set(b["outcomes"]) == {"http_200", failure}, (server, b)
        assert test["monitor"]["fds"]["end"] >= 1000, (server, test["monitor"]["fds"])
        assert test["monitor"]["exits"]["total"] == 0, server  # the worker lives on, full


def test_thread_leak_gunicorn_recycles_its_worker_uwsgi_does_not_yet(tmp_path, no_leftovers):
    # The same max_requests=3 on both: gunicorn's sync worker stops after 3 requests and the
    # master replaces it, leaked threads and all (gunicorn/workers/sync.py, nr >= max_requests).
    # uWSGI ignores max-requests until a worker has lived --min-worker-lifetime, 60 s by
    # default (`uwsgi --help`), so in a short test its threads only grow.
    test, b = run(tmp_path, "gunicorn:workers=1,max_requests=3", "ThreadLeak", "count = 100", requests=10)
    assert b["expected"] == 10, b
    assert test["monitor"]["threads"]["peak"] <= 3 * 100 + 10, test["monitor"]["threads"]
    assert test["figures"]["respawns"] == 3, test["figures"]
    test, b = run(tmp_path, "uwsgi:processes=1,max_requests=3", "ThreadLeak", "count = 100", requests=10)
    assert b["expected"] == 10, b
    assert test["monitor"]["threads"]["end"] >= 10 * 100, test["monitor"]["threads"]
    assert test["figures"]["respawns"] == 0, test["figures"]


def test_child_leak_daemons_are_found_killed_and_counted_and_uwsgi_lends_them_its_sockets(tmp_path, no_leftovers):
    # Only processes that leave the server's process group outlive its stop: labour finds
    # them by their marker, kills and counts them (supervision.orphans). A Popen child stays
    # in the group and goes with it.
    test, b = run(tmp_path, "gunicorn:workers=1", "ChildLeak", 'mode = "child", seconds = 120', requests=2)
    assert b["expected"] == 2 and test["supervision"]["orphans"] == 0, (b, test["supervision"])
    # gunicorn sets close-on-exec on its sockets in every worker (gunicorn/workers/base.py
    # init_process), so each daemon takes nothing with it: both requests answer, two orphans,
    # and the daemons' middle processes are no worker respawns.
    test, b = run(tmp_path, "gunicorn:workers=1", "ChildLeak", 'mode = "daemon", seconds = 120', requests=2)
    assert b["outcomes"] == {"http_200": 2}, b
    assert test["supervision"]["orphans"] == 2, test["supervision"]
    assert test["figures"]["respawns"] == 0 and test["figures"]["worker_exits"] == 0, test["figures"]
    # uWSGI leaves every descriptor inheritable unless --close-on-exec is given (`uwsgi
    # --help`): the daemon keeps the client's connection open after the worker closed it, so
    # labour's next request on that connection is read by no one and times out.
    test, b = run(tmp_path, "uwsgi:processes=1", "ChildLeak", 'mode = "daemon", seconds = 120', requests=2)
    assert b["outcomes"] == {"http_200": 1, "first_byte_timeout": 1}, b
    assert test["supervision"]["orphans"] == 1, test["supervision"]


# ---- stream: SlowBody, HugeBody, EndlessBody, BadContentLength ----

def innocent_beside(tmp_path, server, name, params, timeout=5.0):
    """Two connections, 20 innocent requests to one misbehaving: (test, its behaviour)."""
    return run(tmp_path, server, name, params, weight_plain=20, requests=42, timeout=timeout, concurrency=2)


def test_slow_body_holds_wsgiref_s_one_thread_waitress_serves_beside_it(tmp_path, no_leftovers):
    # wsgiref serves one request at a time (socketserver serve_forever); waitress hands the
    # stream to one of its threads and its I/O thread writes each chunk (waitress/task.py).
    test, b = innocent_beside(tmp_path, "wsgiref", "SlowBody", "chunks = 3, interval = 0.5")
    assert b["outcomes"] == {"http_200": 2}, b
    assert test["figures"]["fault_p99_ms"] >= 700, test["figures"]
    assert test["verdict"]["value"] == "degraded"
    test, b = innocent_beside(tmp_path, "waitress", "SlowBody", "chunks = 3, interval = 0.5")
    assert b["outcomes"] == {"http_200": 2}, b
    assert test["figures"]["fault_p99_ms"] < 300, test["figures"]


def test_huge_body_cheroot_buffers_copies_wsgiref_sends_the_app_s_own(tmp_path, no_leftovers):
    # wsgiref writes the application's bytes object as it is (wsgiref/handlers.py write);
    # cheroot copies it on its way out and keeps part of that memory afterwards (observed:
    # 100 MiB answers took its RSS from 24 MB to a 417 MB peak and 214 MB after).
    size = 100 * MiB
    for server, low, high in (("cheroot", 1.5 * size, None), ("wsgiref", None, 1.3 * size)):
        test, b = run(tmp_path, server, "HugeBody", f"bytes = {size}", requests=3, timeout=10.0)
        assert b["expected"] == 3, (server, b)  # every byte arrived
        rss = test["monitor"]["rss_bytes"]
        growth = rss["peak"] - rss["start"]
        assert (low is None or growth >= low) and (high is None or growth <= high), (server, rss)


def test_endless_body_costs_wsgiref_its_only_thread_waitress_serves_beside_it(tmp_path, no_leftovers):
    # Every server closes the iterator once writing to a client that gave up fails (PEP 3333
    # close(); wsgiref/handlers.py, waitress/channel.py ClientDisconnected): both are back at
    # once. Meanwhile wsgiref's one thread streams until labour's client gives up.
    test, b = innocent_beside(tmp_path, "wsgiref", "EndlessBody", "block = 16384", timeout=2.0)
    assert b["outcomes"] == {"total_timeout": 2}, b
    figures = test["figures"]
    # The innocent request behind the stream waits for it: it times out, or is answered late.
    assert figures["innocent_failure_pct"] > 0 or figures["fault_p99_ms"] >= 1500, figures
    assert test["verdict"]["value"] == "degraded" and figures["recovery_s"] is not None
    test, b = innocent_beside(tmp_path, "waitress", "EndlessBody", "block = 16384", timeout=2.0)
    assert b["outcomes"] == {"total_timeout": 2}, b
    assert test["figures"]["innocent_failure_pct"] == 0 and test["figures"]["fault_p99_ms"] < 1000, test["figures"]


def test_bad_content_length_waitress_checks_it_cheroot_does_not(tmp_path, no_leftovers):
    # waitress closes a response that falls short of its Content-Length and cuts one that
    # runs over (waitress/task.py write, finish: "application returned too few bytes").
    # cheroot keeps the connection open for the missing bytes, and for the surplus sends a
    # 500 of its own ahead of the application's response (cheroot/wsgi.py write).
    test, b = run(tmp_path, "waitress", "BadContentLength", 'mode = "short"', requests=3, timeout=2.0)
    assert b["outcomes"] == {"truncated_body": 3} and b["expected"] == 3, b
    test, b = run(tmp_path, "cheroot", "BadContentLength", 'mode = "short"', requests=3, timeout=2.0)
    assert b["outcomes"] == {"total_timeout": 3} and b["expected"] == 0, b
    test, b = run(tmp_path, "waitress", "BadContentLength", 'mode = "long"', requests=3, timeout=2.0)
    assert b["outcomes"] == {"http_200": 3} and b["expected"] == 3, b  # cut at the declared 100 bytes
    # One connection per request: cheroot's surplus (the application's own 200 and all its
    # bytes) follows its 500, and on a kept-alive connection a client that asks again before
    # those bytes arrive reads them as the answer to its next request, a desync (by hand: a
    # 200 for the second request now and then).
    test, b = run(tmp_path, "cheroot", "BadContentLength", 'mode = "long"', requests=3, timeout=2.0,
                  extra=("--no-keepalive",))
    assert b["outcomes"] == {"http_500": 3} and b["expected"] == 0, b


def test_read_input_without_a_size_hangs_wsgiref_gunicorn_bounds_it(tmp_path, no_leftovers):
    # PEP 3333: an application must not read past CONTENT_LENGTH. wsgiref hands it the
    # socket's own file (wsgiref/simple_server.py get_stdin), so read() waits for an end of
    # input the client never sends; gunicorn's Body stops at the length (gunicorn/http/body.py).
    test, b = run(tmp_path, "wsgiref", "ReadInput", 'mode = "all"', requests=2, timeout=2.0)
    assert b["outcomes"] == {"first_byte_timeout": 2}, b
    test, b = run(tmp_path, "gunicorn:workers=1", "ReadInput", 'mode = "all"', requests=2, timeout=2.0)
    assert b["outcomes"] == {"http_200": 2} and b["expected"] == 2, b  # "read 65536 bytes", judged exactly
    test, b = run(tmp_path, "wsgiref", "ReadInput", 'mode = "length", bytes = 3000000', requests=2, timeout=5.0)
    assert b["outcomes"] == {"http_200": 2} and b["expected"] == 2, b


# ---- process: OutputFlood, IgnoreTermination, MemoryHog ----

def served(server, target):
    """The body of one GET of `target` from `labour serve --server SERVER`."""
    child = subprocess.Popen([LABOUR, "serve", "--server", server], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        base = None
        for line in child.stdout:
            if "serving labour's worker app at " in line:
                base = line.rsplit(" ", 1)[1].strip().rstrip("/")
            if line.startswith("Press Ctrl-C"):
                break
        assert base and base.startswith("http://127.0.0.1:"), base
        with urllib.request.urlopen(base + target, timeout=30) as answer:  # loopback only
            return answer.read().decode()
    finally:
        os.killpg(child.pid, signal.SIGINT)
        child.communicate(timeout=30)


def peak_rss_while(proc):
    """labour's own high-water mark of resident memory (VmHWM), read until it exits, and
    whether it runs under AddressSanitizer (whose quarantine keeps freed memory resident)."""
    peak, sanitized = 0, False
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                peak = max([peak] + [int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:")])
            with open(f"/proc/{proc.pid}/maps") as f:
                sanitized = sanitized or "libasan" in f.read()
        except OSError:
            pass
        time.sleep(0.05)
    return peak, sanitized


def test_output_flood_lands_in_uwsgi_s_stderr_and_labour_stays_bounded(tmp_path, no_leftovers):
    # uWSGI's python plugin binds sys.stdout to fd 2 (plugins/python/python_plugin.c, "fix
    # stdout and stderr"); gunicorn leaves the process's stdout alone (capture_output is off).
    assert served("uwsgi", "/OutputFlood?bytes=10&stream=stdout").endswith("to stdout (fd 2)\n")
    assert served("gunicorn", "/OutputFlood?bytes=10&stream=stdout").endswith("to stdout (fd 1)\n")
    # 300 MiB of output: the server log keeps within labour's LogLimits (64 MiB, cut to head
    # and tail, core/supervisor), and labour itself does not read it into memory.
    flood = 300 * MiB
    out = tmp_path / "out.json"
    proc = subprocess.Popen([LABOUR, "run", "--server", "gunicorn", "--no-pin", "--no-innocent", "--keep-run-dir",
                             "--scenario",
                             scenario_file(tmp_path, "OutputFlood", f"bytes = {flood}", requests=1, timeout=60.0),
                             "--report", f"json:{out}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    timer = threading.Timer(240, proc.kill)
    timer.start()
    try:
        peak, sanitized = peak_rss_while(proc)
    finally:
        timer.cancel()
    assert proc.returncode == 0, proc.stderr.read()
    (test,) = json.loads(out.read_text())["tests"]
    assert test["behaviours"][0]["outcomes"] == {"http_200": 1}
    run_dir = test["supervision"]["run_dir"]
    try:
        log = os.path.join(run_dir, "server.log")
        size = os.path.getsize(log)
        assert size <= 64 * MiB + 16 * MiB, size  # the cap, and what one check interval lets through
        with open(log, "rb") as f:
            assert b"labour OutputFlood" in f.read(MiB)  # the head is kept
        if not sanitized:  # ASan's quarantine holds up to 256 MiB of freed memory: no bound to check
            assert peak < 100 * MiB, peak
    finally:
        subprocess.run(["rm", "-rf", "--", run_dir], check=True)


def test_ignore_termination_gunicorn_stops_on_sigint_waitress_needs_sigkill(tmp_path, no_leftovers):
    # gunicorn's master answers SIGINT with a quick stop that sends its workers SIGQUIT, which
    # the application did not touch (gunicorn/arbiter.py handle_int, stop(graceful=False)).
    # waitress is one process that now ignores SIGINT and SIGTERM: only SIGKILL ends it.
    test, b = run(tmp_path, "gunicorn:workers=2", "IgnoreTermination", requests=4)
    assert b["expected"] == 4, b
    assert test["supervision"]["stop_signal"] == "SIGINT", test["supervision"]
    test, b = run(tmp_path, "waitress", "IgnoreTermination", requests=2)
    assert b["expected"] == 2, b
    assert test["supervision"]["stop_signal"] == "SIGKILL", test["supervision"]
    assert test["supervision"]["exit"] == "killed by SIGKILL"


def test_memory_hog_uwsgi_evil_reload_kills_it_mid_request_gunicorn_lets_it_finish(tmp_path, no_leftovers):
    # uWSGI's master samples its workers' RSS every --mem-collector-freq seconds (3 by
    # default) and SIGKILLs one above --evil-reload-on-rss "even mid-request" (`uwsgi --help`);
    # gunicorn has no memory watch. 200 MiB held for 4 s is seen by at least one sample.
    hog = "bytes = 209715200, seconds = 4"
    test, b = run(tmp_path, "uwsgi:processes=1,evil_reload_on_rss=100", "MemoryHog", hog, requests=2, timeout=3.0)
    assert b["outcomes"] == {"eof_before_response": 2}, b
    assert exit_causes(test).get("killed by SIGKILL", 0) == 2, exit_causes(test)
    test, b = run(tmp_path, "gunicorn:workers=1", "MemoryHog", hog, requests=2, timeout=3.0)
    assert b["outcomes"] == {"http_200": 2}, b
    rss = test["monitor"]["rss_bytes"]
    assert rss["peak"] - rss["start"] >= 180 * MiB, rss  # touched, so resident
    assert rss["end"] - rss["start"] < 50 * MiB, rss  # and given back
