"""Client-driven behaviours (issue 11): connections that labour's engine shapes itself, beside
innocent traffic, against real servers whose documented handling differs, asserting the
difference. Every pair was first tried by hand on Debian 12 with the adapters' own flags
(wsgiref of Python 3.11, gunicorn 20.1.0, uWSGI 2.0.21, waitress 2.1.2, gevent 22.10.2,
cheroot 9.0.0); each case names where its servers' behaviour comes from."""
import json
import os
import shutil

from conftest import SOURCE_DIR, behaviour, labour, one_line_error, run_json, the_test  # noqa: F401


def abuse(tmp_path, server, name, params, duration=2.5, timeout=1.0, extra=()):
    """PlainResponse beside one client-driven behaviour for `duration` s on `server`: the test."""
    text = (f'name = "{name}-test"\npolicy = "spaced"\nduration = {duration}\nconcurrency = 2\n'
            f'timeout = {timeout}\n[phases]\nbaseline_requests = 50\nbaseline_duration = 0.5\nstall = 1.5\n'
            'recovery_duration = 2.0\n[[behaviour]]\nname = "PlainResponse"\n'
            f'[[behaviour]]\nname = "{name}"\nparams = {{ {params} }}\n')
    scenario = tmp_path / f"{name}.toml"
    scenario.write_text(text)
    doc = run_json(tmp_path, "run", "--server", server, "--scenario", str(scenario), *extra)
    return the_test(doc)


def innocent(test):
    return behaviour(test, "PlainResponse")


def held_only(b, connections):
    """Each of the behaviour's connections was still open at the end, and nothing else."""
    return b["outcomes"] == {"held": connections} and b["unexpected"] == 0


# ---- Slowloris ----

def test_one_slowloris_connection_blocks_wsgiref_and_not_waitress(tmp_path, no_leftovers):
    # wsgiref serves one connection at a time, reading its request in the one thread
    # (socketserver.BaseServer.serve_forever; wsgiref/simple_server.py has no ThreadingMixIn), so
    # a request that never finishes holds everyone else. waitress reads requests in its I/O
    # thread and hands only complete ones to its worker threads (waitress docs, "Design";
    # waitress/channel.py received), so a slow client costs it a buffer.
    test = abuse(tmp_path, "wsgiref", "Slowloris", "connections = 1, interval = 0.5")
    assert innocent(test)["outcomes"].get("first_byte_timeout", 0) >= 1, innocent(test)
    assert test["verdict"]["value"] in ("degraded", "hung"), test["verdict"]
    assert test["phases"][1]["ended_by"] == "stalled", test["phases"][1]
    # The slow connection was never answered nor closed: it was held.
    assert held_only(behaviour(test, "Slowloris"), 1), behaviour(test, "Slowloris")
    # The recovery phase runs without it: wsgiref is back once the slow client is gone.
    assert test["phases"][2]["ended_by"] == "recovered", test["phases"][2]

    test = abuse(tmp_path, "waitress", "Slowloris", "connections = 1, interval = 0.5")
    assert test["verdict"]["value"] == "robust", test["verdict"]
    assert innocent(test)["unexpected"] == 0 and innocent(test)["sent"] > 100, innocent(test)
    assert held_only(behaviour(test, "Slowloris"), 1), behaviour(test, "Slowloris")
    # It ran beside the mix, not in its two connections, and is not in the mix's weights.
    assert behaviour(test, "Slowloris")["client_driven"] and behaviour(test, "Slowloris")["connections"] == 1
    assert behaviour(test, "Slowloris")["weight"] == 0


# ---- SlowUpload ----

def test_a_slow_upload_holds_gunicorns_sync_worker_and_not_waitress(tmp_path, no_leftovers):
    # gunicorn's sync worker handles one request at a time (gunicorn docs, design.rst) and its
    # wsgi.input reads the socket as the application reads it (gunicorn/http/body.py
    # LengthReader): a body arriving at 4 KiB/s holds the one worker. waitress buffers a
    # request's body in its I/O thread before any worker sees it (waitress/channel.py,
    # parser.py received; inbuf_overflow in its docs).
    params = "connections = 1, bytes = 65536, rate = 4096"
    test = abuse(tmp_path, "gunicorn:workers=1", "SlowUpload", params)
    assert innocent(test)["unexpected"] >= 1, innocent(test)
    assert test["verdict"]["value"] in ("degraded", "hung"), test["verdict"]
    assert held_only(behaviour(test, "SlowUpload"), 1), behaviour(test, "SlowUpload")

    test = abuse(tmp_path, "waitress", "SlowUpload", params)
    assert test["verdict"]["value"] == "robust", test["verdict"]
    assert held_only(behaviour(test, "SlowUpload"), 1), behaviour(test, "SlowUpload")


def test_a_slow_upload_that_finishes_is_read_and_answered(tmp_path, no_leftovers):
    # 16 KiB at 16 KiB/s: done within the phase, the worker half's "read 16384 bytes" is the
    # answer the behaviour expects, and the connection starts again.
    test = abuse(tmp_path, "waitress", "SlowUpload", "connections = 1, bytes = 16384, rate = 16384", duration=3.0)
    b = behaviour(test, "SlowUpload")
    assert b["outcomes"].get("http_200", 0) >= 2 and b["unexpected"] == 0, b


# ---- SlowRead ----

def test_a_slow_reader_holds_wsgirefs_thread_and_not_waitress(tmp_path, no_leftovers):
    # Once the kernel's buffers are full, a server writing 16 MiB to a reader taking 32 KiB/s
    # through a 4 KiB window blocks in send(). wsgiref writes from its one thread
    # (wsgiref/handlers.py _write: sendall); waitress's application writes into the channel's
    # output buffer (spilling to a temporary file past outbuf_overflow), which its I/O thread
    # drains as the socket allows (waitress docs, "Design"; channel.py write_soon).
    params = "connections = 1, bytes = 16777216, rate = 32768, window = 4096"
    test = abuse(tmp_path, "wsgiref", "SlowRead", params)
    assert innocent(test)["outcomes"].get("first_byte_timeout", 0) >= 1, innocent(test)
    assert test["verdict"]["value"] in ("degraded", "hung"), test["verdict"]
    assert held_only(behaviour(test, "SlowRead"), 1), behaviour(test, "SlowRead")

    test = abuse(tmp_path, "waitress", "SlowRead", params)
    assert test["verdict"]["value"] == "robust", test["verdict"]
    assert held_only(behaviour(test, "SlowRead"), 1), behaviour(test, "SlowRead")


# ---- IdleHog ----

def test_idle_connections_fill_waitress_connection_limit_and_not_gevent(tmp_path, no_leftovers):
    # waitress stops accepting once connection_limit channels are open (waitress docs,
    # "Arguments to waitress.serve": connection_limit; server.py readable()), idle or not, so
    # 20 idle connections against a limit of 10 leave innocent ones waiting in the backlog.
    # gevent's WSGIServer gives each connection a greenlet and has no such limit by default
    # (gevent/baseserver.py, spawn='default'): idle connections cost it nothing.
    test = abuse(tmp_path, "waitress:connection_limit=10", "IdleHog", "connections = 20")
    assert innocent(test)["unexpected"] >= 1, innocent(test)
    assert test["verdict"]["value"] in ("degraded", "hung"), test["verdict"]

    test = abuse(tmp_path, "gevent", "IdleHog", "connections = 20")
    assert test["verdict"]["value"] == "robust", test["verdict"]
    assert held_only(behaviour(test, "IdleHog"), 20), behaviour(test, "IdleHog")


# ---- AbortMidRequest ----

def server_log(test):
    with open(os.path.join(test["supervision"]["run_dir"], "server.log"), errors="replace") as f:
        return f.read()


def test_a_reset_mid_upload_is_logged_by_uwsgi_and_not_by_gunicorn(tmp_path, no_leftovers):
    # Both survive and keep serving; what differs is what they make of the reset. uWSGI reports
    # the short body ("[uwsgi-body-read] Error reading ... Connection reset by peer",
    # core/reader.c) and the application's read raises OSError; gunicorn's sync worker logs a
    # reset at debug level only (gunicorn/workers/sync.py handle), and labour runs it at info.
    for server, logged in (("uwsgi", True), ("gunicorn:workers=1", False)):
        test = abuse(tmp_path, server, "AbortMidRequest", "connections = 1, bytes = 65536", duration=2.0,
                     extra=("--keep-run-dir",))
        try:
            b = behaviour(test, "AbortMidRequest")
            # Every run aborted; the last may still have been running when the phase ended (held).
            assert b["sent"] >= 3 and b["outcomes"].get("held", 0) <= 1, (server, b)
            assert b["outcomes"] == {"client_abort": b["sent"] - b["outcomes"].get("held", 0),
                                     **({"held": 1} if "held" in b["outcomes"] else {})}, (server, b)
            assert test["verdict"]["value"] == "robust", (server, test["verdict"])
            assert test["monitor"]["exits"]["total"] == 0, server
            log = server_log(test)
            assert ("Connection reset by peer" in log) == logged, (server, log[-2000:])
        finally:  # kept for its log: labour leaves it to whoever asked
            shutil.rmtree(test["supervision"]["run_dir"], ignore_errors=True)


# ---- Pipelining ----

def test_waitress_answers_every_pipelined_request_wsgiref_only_the_first(tmp_path, no_leftovers):
    # waitress parses requests from the connection's buffer in order and answers each
    # (waitress/channel.py received, RFC 9112 9.3.2); wsgiref's handler speaks HTTP/1.0 and
    # closes after one response (wsgiref/handlers.py http_version = "1.0").
    test = abuse(tmp_path, "waitress", "Pipelining", "connections = 1, depth = 4", duration=1.5)
    b = behaviour(test, "Pipelining")
    assert b["sent"] >= 5 and b["outcomes"] == {"http_200": b["sent"]} and b["unexpected"] == 0, b

    test = abuse(tmp_path, "wsgiref", "Pipelining", "connections = 1, depth = 4", duration=1.5)
    b = behaviour(test, "Pipelining")
    assert b["sent"] >= 5 and b["outcomes"] == {"eof_before_response": b["sent"]}, b
    assert b["unexpected"] == b["sent"], b


# ---- OversizedHeaders ----

def test_a_16_kib_header_is_refused_by_gunicorn_and_served_by_waitress(tmp_path, no_leftovers):
    # gunicorn refuses a header field over limit_request_field_size, 8190 bytes by default
    # (gunicorn docs, settings; http/message.py), with a 400; waitress allows a whole head of
    # max_request_header_size, 256 KiB by default (waitress/adjustments.py, parser.py).
    test = abuse(tmp_path, "gunicorn:workers=1", "OversizedHeaders", "connections = 1, bytes = 16384", duration=1.5)
    b = behaviour(test, "OversizedHeaders")
    assert b["sent"] >= 3 and b["outcomes"] == {"http_400": b["sent"]} and b["unexpected"] == 0, b

    test = abuse(tmp_path, "waitress", "OversizedHeaders", "connections = 1, bytes = 16384", duration=1.5)
    b = behaviour(test, "OversizedHeaders")
    assert b["sent"] >= 3 and b["outcomes"] == {"http_200": b["sent"]} and b["unexpected"] == 0, b


# ---- MalformedRequest ----

def test_http_7_is_passed_on_by_gunicorn_refused_by_cheroot_and_wsgiref_answers_without_a_status(
        tmp_path, no_leftovers):
    # gunicorn's request-line pattern takes any HTTP/d.d (gunicorn/http/message.py VERSION_RE),
    # so an HTTP/7.0 request reaches the application, and gunicorn writes the request's version
    # into its status line (gunicorn/http/wsgi.py Response.default_headers): "HTTP/7.0 200 OK",
    # which is not an HTTP/1.x answer. cheroot refuses with 505 HTTP Version Not Supported
    # (cheroot/server.py read_request_line). The stdlib server behind wsgiref starts every
    # request as HTTP/0.9 and sends its 505 error page with no status line or headers
    # (http/server.py parse_request, send_response_only). Checked by hand on each with a raw
    # socket: gunicorn's body was the worker half's "bad_version reached the application".
    expected = {"gunicorn:workers=1": ("malformed_response", 1), "cheroot": ("http_505", 0),
                "wsgiref": ("malformed_response", 1)}
    for server, (key, unexpected_each) in expected.items():
        test = abuse(tmp_path, server, "MalformedRequest", 'connections = 1, kind = "bad_version"', duration=1.5)
        b = behaviour(test, "MalformedRequest")
        assert b["sent"] >= 3 and b["outcomes"] == {key: b["sent"]}, (server, b)
        assert b["unexpected"] == unexpected_each * b["sent"], (server, b)


def test_a_bad_chunk_size_is_refused_by_waitress_and_passed_over_by_uwsgi(tmp_path, no_leftovers):
    # waitress decodes a chunked body itself and refuses a size that is not hex with 400
    # "Invalid chunk size" (waitress/receiver.py ChunkedReceiver); uWSGI's --http-socket does not
    # decode chunked bodies for the application, so the request reaches it with an empty body
    # and the worker half answers 200 (uWSGI docs, "Chunked input"; tried by hand).
    test = abuse(tmp_path, "waitress", "MalformedRequest", 'connections = 1, kind = "bad_chunk_size"', duration=1.5)
    b = behaviour(test, "MalformedRequest")
    assert b["sent"] >= 3 and b["outcomes"] == {"http_400": b["sent"]} and b["unexpected"] == 0, b
    test = abuse(tmp_path, "uwsgi", "MalformedRequest", 'connections = 1, kind = "bad_chunk_size"', duration=1.5)
    b = behaviour(test, "MalformedRequest")
    assert b["sent"] >= 3 and b["outcomes"] == {"http_200": b["sent"]} and b["unexpected"] == b["sent"], b


def test_client_driven_connections_beyond_the_engines_limit_are_refused_before_any_server_starts(tmp_path):
    # 60000 + 60000 connections: each behaviour's own parameter allows it, the load does not.
    scenario = tmp_path / "many.toml"
    scenario.write_text('name = "many"\nduration = 1\n[[behaviour]]\nname = "PlainResponse"\n'
                        '[[behaviour]]\nname = "Slowloris"\nparams = { connections = 60000 }\n'
                        '[[behaviour]]\nname = "IdleHog"\nparams = { connections = 60000 }\n')
    proc = labour("run", "--server", "wsgiref", "--scenario", str(scenario), check=None)
    one_line_error(proc, "scenario many", "open 120000 connections together; at most 100000")


SCRIPT_PLUGINS = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(os.environ.get("LABOUR_BIN", "labour")))),
                              "test-plugins-scripts")


def with_test_plugin(tmp_path, name, *args, check=None):
    """PlainResponse and the test plugin `name` (tests/plugins/broken_plugin.c) on wsgiref."""
    assert os.path.isdir(SCRIPT_PLUGINS), SCRIPT_PLUGINS
    scenario = tmp_path / "plugin.toml"
    scenario.write_text(f'name = "t"\nrequests = 20\n[[behaviour]]\nname = "PlainResponse"\n'
                        f'[[behaviour]]\nname = "{name}"\n')
    return labour("--plugin-dir", SCRIPT_PLUGINS, "run", "--server", "wsgiref", "--scenario", str(scenario),
                  *args, check=check)


def test_a_plugin_that_is_client_driven_and_innocent_or_writes_a_short_script_is_refused(tmp_path):
    one_line_error(with_test_plugin(tmp_path, "InnocentScript"), "plugin.toml:5:1", "(InnocentScript)",
                   "innocent and client-driven")
    one_line_error(with_test_plugin(tmp_path, "ShortScript"), "(ShortScript)",
                   "labour_script_t says it is 8 bytes; ABI 2.1's is 32")


def test_a_behaviour_built_against_sdk_2_0_runs_in_the_mix(tmp_path, no_leftovers):
    # Its API ends before behaviour_on_build_script: the host must not read past it.
    out = tmp_path / "out.json"
    with_test_plugin(tmp_path, "SdkTwoZero", "--report", f"json:{out}", check=0)
    test = the_test(json.loads(out.read_text()))
    b = behaviour(test, "SdkTwoZero")
    assert b["client_driven"] is False and b["outcomes"].get("http_200", 0) >= 1, b
