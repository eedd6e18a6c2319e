"""The worker halves of the client-driven behaviours (Slowloris, SlowUpload, ...): what answers
when their requests reach the application. Their connection scripts run in the engine
(tests/engine/script_test.cpp) and against real servers (tests/integration)."""

import pytest

from conftest import MiB, call

ALL = "connections=1"


def test_slowloris_answers_a_finished_request(app):
    r = call(app, "/Slowloris?connections=50&interval=1&complete_after=3")
    assert r.code == 200 and r.text == "slowloris request finished\n"


@pytest.mark.parametrize("size", [1, 65536, 3 * 65536 + 7])
def test_slow_upload_reads_the_whole_body_and_counts_it(app, size):
    r = call(app, "/SlowUpload?connections=1&bytes=%d&rate=1024" % size, method="POST", body=b"u" * size)
    assert r.code == 200 and r.text == "read %d bytes\n" % size


def test_slow_upload_stops_where_the_body_ends(app):
    # A client that went away mid-upload: the server's wsgi.input ends early, the count says so.
    r = call(app, "/SlowUpload?connections=1&bytes=1000&rate=10", method="POST", body=b"u" * 300,
             content_length=1000)
    assert r.text == "read 300 bytes\n"


def test_slow_upload_refuses_get(app):
    assert call(app, "/SlowUpload?connections=1&bytes=10&rate=10").code == 405


@pytest.mark.parametrize("size", [1, 65536, MiB + 3])
def test_slow_read_streams_exactly_its_bytes_with_their_length(app, size):
    r = call(app, "/SlowRead?connections=1&bytes=%d&rate=16384&window=4096" % size)
    assert r.code == 200
    assert int(r.header("Content-Length")) == size
    assert len(r.body) == size and set(r.body) == {ord("r")}


def test_idle_hog_answers_if_ever_reached(app):
    assert call(app, "/IdleHog?connections=100").code == 200


@pytest.mark.parametrize("got,declared", [(65536, 65536), (100, 65536), (0, 10)])
def test_abort_mid_request_reads_what_arrives(app, got, declared):
    r = call(app, "/AbortMidRequest?connections=1&bytes=%d&at=body" % declared, method="POST",
             body=b"a" * got, content_length=declared)
    assert r.code == 200 and r.text == "read %d bytes\n" % got


def test_pipelining_answers_each_request(app):
    r = call(app, "/Pipelining?connections=1&depth=4")
    assert r.code == 200 and r.text == "pipelined\n"


def test_oversized_headers_says_what_reached_the_application(app):
    r = call(app, "/OversizedHeaders?connections=1&bytes=70000",
             environ_extra={"HTTP_X_LABOUR_BIG": "a" * 70000})
    assert r.code == 200 and r.text == "header of 70000 bytes reached the application\n"


@pytest.mark.parametrize("body", [b"", b"smuggle"])
def test_malformed_request_says_the_application_was_reached(app, body):
    r = call(app, "/MalformedRequest?connections=1&kind=two_lengths", method="POST", body=body)
    assert r.code == 200
    assert r.text == "two_lengths reached the application with a %d-byte body\n" % len(body)


def test_malformed_request_survives_a_length_that_is_not_a_number(app):
    # Some servers pass "5, 7" on for two Content-Length headers (uWSGI does); the half must
    # still answer, so that what is measured is the server's choice, not a crash here. (Such an
    # environ is itself invalid, so wsgiref.validate is not in the way here.)
    import io
    import wsgiref.util
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/MalformedRequest",
               "QUERY_STRING": "connections=1&kind=two_lengths", "CONTENT_LENGTH": "5, 7",
               "wsgi.input": io.BytesIO(b"smuggle")}
    wsgiref.util.setup_testing_defaults(environ)
    seen = []
    body = b"".join(app.application(environ, lambda status, headers, exc=None: seen.append(status)))
    assert seen == ["200 OK"] and b"with a 0-byte body" in body


@pytest.mark.parametrize("name,query", [
    ("Slowloris", "connections=0&interval=1&complete_after=0"),
    ("SlowRead", "connections=1&bytes=10&rate=10&window=100"),
    ("MalformedRequest", "connections=1&kind=smuggle"),
    ("Pipelining", "connections=1&depth=1"),
])
def test_parameters_are_checked_as_declared(app, name, query):
    method = "POST" if name == "MalformedRequest" else "GET"
    r = call(app, "/%s?%s" % (name, query), method=method, body=b"" if method == "POST" else None)
    assert r.code == 400
