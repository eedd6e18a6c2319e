"""`labour load`, the engine alone against a running server: counts, JSON, and Ctrl-C."""
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


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_load_counts_exactly_and_prints_json(server):
    proc = labour("load", "--url", server, "-c", "4", "-n", "500", "--json", check=0, timeout=60)
    doc = json.loads(proc.stdout)
    assert doc["requests"] == 500 and doc["outcomes"] == {"http_200": 500}, doc
    assert doc["interrupted"] is False and doc["latency_us"]["count"] == 500


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

