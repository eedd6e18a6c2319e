"""The catalogue's behaviours (issue 9) against real servers whose known behaviour differs,
asserting that difference. Each case names where the servers' behaviour is documented; all
were first tried by hand on Debian 12 with the adapters' own flags (gunicorn 20.1.0, uWSGI
2.0.21, waitress 2.1.2, eventlet 0.33.1, Python 3.11's wsgiref)."""
import pytest

from conftest import exit_causes, run_behaviour as run


def still_running_at_the_stop(test):
    """The server's main process was alive when labour stopped it."""
    return test["supervision"]["stop_signal"] != ""


def replaced(test, cause):
    """Respawns to expect for the workers that ended of `cause`: every one but perhaps the
    last, whose replacement may start after the monitor's last sample (a slow host, ASan)."""
    return exit_causes(test).get(cause, 0) - 1


# ---- crash: ExitProcess, Abort ----

# The crash cases run beside innocent PlainResponse requests (1:1): the recovery phase that
# follows gives a respawn, or a master's halt, the time to be seen before labour stops the
# server.
CRASH = dict(weight_plain=1, requests=8)


def test_exit_process_1_gunicorn_replaces_the_worker_wsgiref_is_gone(tmp_path, no_leftovers):
    # gunicorn/arbiter.py reap_workers: an exit status other than 3 or 4 is a worker to
    # replace, and nothing is logged for it. wsgiref is the only process there is.
    test, b = run(tmp_path, "gunicorn:workers=2", "ExitProcess", "code = 1", **CRASH)
    assert b["sent"] == 4 and b["expected"] == 4, b
    assert exit_causes(test).get("exit status 1", 0) >= 4, exit_causes(test)
    assert test["figures"]["respawns"] >= replaced(test, "exit status 1"), test["figures"]
    assert still_running_at_the_stop(test), test["supervision"]
    assert test["verdict"]["value"] != "down"

    test, b = run(tmp_path, "wsgiref", "ExitProcess", "code = 1", **CRASH)
    # The first request ended the server; the rest were refused (or reset, when one connected
    # while the dying process's listening socket was still open).
    assert b["expected"] >= 1 and b["expected"] + b["outcomes"].get("connect_refused", 0) == 4, b
    assert test["supervision"]["exit"] == "exit status 1"
    assert not still_running_at_the_stop(test)
    assert test["verdict"]["value"] == "down"


def test_exit_process_3_halts_gunicorn_and_uwsgi_respawns(tmp_path, no_leftovers):
    # gunicorn/arbiter.py reap_workers: exit status 3 (WORKER_BOOT_ERROR) raises HaltServer,
    # whether or not the worker had booted, and the master exits with it. One worker keeps
    # that status certain: with two, a second worker's exit 3 can reach the master while
    # halt() waits in stop(), its SIGCHLD handler raises HaltServer again, uncaught, and the
    # master exits 1 with a traceback (gunicorn 20.1, tried by hand: 5 of 5 runs with two
    # workers hit at once). uWSGI's master respawns any worker whose status is not one of
    # its own codes (core/master.c).
    test, b = run(tmp_path, "gunicorn:workers=1", "ExitProcess", "code = 3", **CRASH)
    assert test["supervision"]["exit"] == "exit status 3", test["supervision"]
    assert not still_running_at_the_stop(test)
    assert test["verdict"]["value"] == "down"  # the innocent requests after the halt were refused

    test, b = run(tmp_path, "uwsgi:processes=2", "ExitProcess", "code = 3", **CRASH)
    assert still_running_at_the_stop(test), test["supervision"]
    assert b["expected"] == 4 and "connect_refused" not in b["outcomes"], b
    assert exit_causes(test).get("exit status 3", 0) >= 4, exit_causes(test)
    assert test["figures"]["respawns"] >= replaced(test, "exit status 3"), test["figures"]
    assert test["verdict"]["value"] != "down"


def test_abort_gunicorn_replaces_the_worker_waitress_dies_of_it(tmp_path, no_leftovers):
    # gunicorn/arbiter.py reap_workers logs "terminated due to signal 6" and spawns another
    # worker; waitress is one process, so SIGABRT ends the server.
    test, b = run(tmp_path, "gunicorn:workers=2", "Abort", **CRASH)
    assert b["expected"] == 4, b
    assert exit_causes(test).get("killed by SIGABRT", 0) >= 4, exit_causes(test)
    assert still_running_at_the_stop(test)
    assert test["verdict"]["value"] != "down"

    test, b = run(tmp_path, "waitress", "Abort", **CRASH)
    # The first abort kills it; the next is refused, or reset when it connected while the dying
    # process's listening socket was still open (the kernel had queued it): both are its death.
    assert b["expected"] >= 1 and b["expected"] + b["outcomes"].get("connect_refused", 0) == 4, b
    assert test["supervision"]["exit"] == "killed by SIGABRT", test["supervision"]
    assert test["verdict"]["value"] == "down"


# ---- hang: NativeWedge, NativeSleep, Deadlock ----

def innocent_p99_ms_beside(tmp_path, server, name):
    """The innocent p99 of the fault phase while two 2 s native calls run beside them (20:1,
    two connections): a server that freezes whole makes some innocent request wait ~2 s."""
    test, b = run(tmp_path, server, name, "seconds = 2", weight_plain=20, requests=42, timeout=5.0,
                  concurrency=2)
    assert b["outcomes"] == {"http_200": 2}, (server, b)
    return test["figures"]["fault_p99_ms"]


def test_a_native_call_holding_the_gil_freezes_waitress_one_releasing_it_does_not(tmp_path, no_leftovers):
    # ctypes.PyDLL keeps the GIL during the call, CDLL releases it (Python's ctypes docs).
    # waitress serves from one process, an I/O thread and a pool (waitress/server.py,
    # task.py): with the GIL held even its I/O thread stops. gunicorn's other worker is
    # another process and keeps answering; wsgiref has one thread, and waits either way.
    assert innocent_p99_ms_beside(tmp_path, "waitress", "NativeWedge") >= 1500
    assert innocent_p99_ms_beside(tmp_path, "waitress", "NativeSleep") < 500
    assert innocent_p99_ms_beside(tmp_path, "gunicorn:workers=2", "NativeWedge") < 500
    assert innocent_p99_ms_beside(tmp_path, "wsgiref", "NativeSleep") >= 1500


def test_gunicorn_gthread_kills_a_worker_wedged_with_the_gil_not_one_that_released_it(tmp_path, no_leftovers):
    # A gthread worker's main thread heartbeats while the pool runs the app
    # (gunicorn/workers/gthread.py); with the GIL held it cannot, so the master's timeout
    # sends SIGABRT, which no Python handler can take, then SIGKILL (arbiter.py murder_workers).
    server = "gunicorn:worker_class=gthread,threads=4,timeout=2"
    test, b = run(tmp_path, server, "NativeWedge", "seconds = 6", requests=1)
    assert b["outcomes"] == {"eof_before_response": 1}, b
    assert exit_causes(test).get("killed by SIGKILL", 0) == 1, exit_causes(test)
    test, b = run(tmp_path, server, "NativeSleep", "seconds = 6", requests=1)
    assert b["outcomes"] == {"http_200": 1}, b
    assert test["monitor"]["exits"]["total"] == 0


def test_deadlock_gunicorn_times_the_worker_out_uwsgi_keeps_the_request(tmp_path, no_leftovers):
    # gunicorn's master aborts a sync worker silent for longer than its timeout; the
    # worker's SIGABRT handler interrupts the lock wait and exits (arbiter.py murder_workers,
    # workers/base.py handle_abort). uWSGI has no such watch unless harakiri is set, so the
    # request waits until the client's own timeout.
    test, b = run(tmp_path, "gunicorn:workers=2,timeout=2", "Deadlock", requests=2, timeout=6.0)
    assert b["outcomes"] == {"eof_before_response": 2}, b
    assert exit_causes(test).get("exit status 1", 0) >= 1, exit_causes(test)
    test, b = run(tmp_path, "uwsgi:processes=2", "Deadlock", requests=2, timeout=4.0)
    assert b["outcomes"] == {"first_byte_timeout": 2}, b
    assert test["monitor"]["exits"]["total"] == 0
    assert b["expected"] == 2


# ---- exception and protocol: RaiseException, WSGIViolation ----
# The server survives these everywhere; what differs is what the client is told. Each case:
# the behaviour's params, then two servers, each with the one outcome all four requests get
# and whether that is what the behaviour expects (a 5xx or a broken response: the failure
# shown; anything the client takes for an answer: the failure passed on as one).

PAIRS = {
    # waitress/channel.py: an exception before the headers are written is its own 500 page.
    # uWSGI 2.0.21 (plugins/python/wsgi_subhandler.c) sends nothing when the app raises and
    # --catch-exceptions is off: the connection closes with no byte of HTTP.
    "exception before start_response": ('RaiseException', 'where = "before_start"',
                                         ("waitress", "http_500", True),
                                         ("uwsgi:processes=2", "eof_before_response", True)),
    # PEP 3333 lets a server still answer 500 when the headers were set but not sent, and
    # gunicorn does (workers/base.py handle_error). uWSGI flushes the 200 the app had set,
    # with no body and no length, then closes: the client is told the request succeeded.
    "exception after start_response": ('RaiseException', 'where = "after_start"',
                                        ("gunicorn:workers=2", "http_500", True),
                                        ("uwsgi:processes=2", "http_200", False)),
    # waitress has sent the chunked headers and the first chunk when the iterator raises, and
    # closes without the last chunk (waitress/channel.py). eventlet buffers writes below 4096
    # bytes (eventlet/wsgi.py minimum_chunk_size): nothing was sent, and it answers 500.
    "exception in the body": ('RaiseException', 'where = "in_body"',
                              ("waitress", "truncated_body", True), ("eventlet", "http_500", True)),
    # wsgiref's handler fails a body with no status (wsgiref/handlers.py write); uWSGI writes
    # the body with no status line at all.
    "no start_response": ('WSGIViolation', 'kind = "no_start_response"',
                          ("wsgiref", "http_500", True), ("uwsgi:processes=2", "malformed_response", False)),
    # wsgiref asserts "Headers already set!" (handlers.py start_response); gevent's pywsgi has
    # no such check, and the second status wins.
    "start_response twice": ('WSGIViolation', 'kind = "start_response_twice"',
                             ("wsgiref", "http_500", True), ("gevent", "http_201", False)),
    # wsgiref asserts bytes (handlers.py write); eventlet encodes a str chunk as ASCII
    # (eventlet/wsgi.py) and sends it as the body.
    "str body": ('WSGIViolation', 'kind = "str_body"', ("wsgiref", "http_500", True), ("eventlet", "http_200", False)),
    # wsgiref asserts a three-digit code and a space (handlers.py start_response); uWSGI
    # writes the status it was given and adds "Unknown" (core/writer.c): not HTTP.
    "bad status": ('WSGIViolation', 'kind = "bad_status"',
                   ("wsgiref", "http_500", True), ("uwsgi:processes=2", "malformed_response", False)),
    # gunicorn checks header values against HEADER_VALUE_RE (http/wsgi.py process_headers,
    # Debian's fix of CVE-2024-1135) and answers 400, blaming the client; wsgiref checks only
    # the types (wsgiref/headers.py), so the CR LF goes out and injects a second header.
    "CR LF in a header": ('WSGIViolation', 'kind = "bad_header"',
                          ("gunicorn:workers=2", "http_400", False), ("wsgiref", "http_200", False)),
}


@pytest.mark.parametrize("case", PAIRS)
def test_two_servers_tell_the_client_different_things(tmp_path, case, no_leftovers):
    name, params, *servers = PAIRS[case]
    for server, outcome, expected in servers:
        test, b = run(tmp_path, server, name, params)
        assert b["outcomes"] == {outcome: 4}, (server, b)
        assert b["expected"] == (4 if expected else 0), (server, b)
        assert still_running_at_the_stop(test), (server, test["supervision"])
        assert test["monitor"]["exits"]["total"] == 0, (server, test["monitor"]["exits"])
