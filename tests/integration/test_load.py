"""`labour load`, the engine alone against a running server: counts, JSON, and Ctrl-C."""
import contextlib
import json
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import LABOUR, labour


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"Hello!")

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(handler):
    """A threaded HTTP server on 127.0.0.1 for the block; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server():
    with serving(Hello) as base:
        yield base + "/"


def test_load_counts_exactly_and_prints_json(server):
    proc = labour("load", "--url", server, "-c", "4", "-n", "500", "--json", check=0, timeout=60)
    doc = json.loads(proc.stdout)
    assert doc["requests"] == 500 and doc["outcomes"] == {"http_200": 500}, doc
    assert doc["interrupted"] is False and doc["latency_us"]["count"] == 500
    # The results document's names for the same figures (docs/results-schema.md).
    assert doc["requests_per_second"] > 0 and "requests_per_sec" not in doc
    assert set(doc["latency_us"]) == {"count", "min", "p50", "p90", "p99", "p999", "max", "mean"}
    assert doc["errors"] == 0


class Failing(Hello):
    def do_GET(self):
        self.send_response(500 if self.path == "/fail" else 302)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_errors_are_what_the_engine_found_unexpected():
    """Errors are the engine's unexpected outcomes: a 500 is one, a redirect is not."""
    with serving(Failing) as base:
        failing = json.loads(labour("load", "--url", base + "/fail", "-c", "2", "-n", "30", "--json",
                                    check=0, timeout=60).stdout)
        assert failing["errors"] == 30 and failing["outcomes"] == {"http_500": 30}, failing
        assert failing["latency_us"] == {"count": 0}  # only expected outcomes are timed
        moved = json.loads(labour("load", "--url", base + "/moved", "-n", "10", "--json",
                                  check=0, timeout=60).stdout)
        assert moved["errors"] == 0 and moved["outcomes"] == {"http_302": 10}, moved
        text = labour("load", "--url", base + "/fail", "-n", "5", check=0, timeout=60).stdout
        assert "Errors:       5: http_500 5\n" in text, text


def test_ctrl_c_stops_the_load_and_still_reports(server):
    proc = subprocess.Popen([LABOUR, "load", "--url", server, "-c", "2", "-d", "60s", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] is True
    assert doc["duration_s"] < 30

