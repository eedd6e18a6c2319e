"""The worker halves, through the dispatcher and wsgiref.validate."""

import os
import subprocess
import time

import pytest

from conftest import MiB, call, run_isolated


@pytest.mark.parametrize("status,size", [(200, 6), (200, 0), (201, 1), (404, 10), (418, 3),
                                         (500, 100000), (503, 2 * MiB + 7), (599, 1)])
def test_plain_response_answers_status_and_exact_size(app, status, size):
    r = call(app, "/PlainResponse?status=%d&bytes=%d" % (status, size))
    assert r.code == status
    assert len(r.body) == size
    assert int(r.header("Content-Length")) == size


@pytest.mark.parametrize("status", [204, 304])
def test_plain_response_without_body(app, status):
    r = call(app, "/PlainResponse?status=%d&bytes=0" % status)
    assert r.code == status and r.body == b""
    assert r.header("Content-Type") is None


def test_plain_response_head(app):
    assert call(app, "/PlainResponse?status=200&bytes=6", method="HEAD").code == 200


def test_sleeping_sleeps_then_answers_200(app):
    start = time.monotonic()
    r = call(app, "/Sleeping?seconds=0.3")
    assert time.monotonic() - start >= 0.3
    assert r.code == 200
    assert "slept 0.3 seconds" in r.text


def test_sleeping_zero(app):
    assert call(app, "/Sleeping?seconds=0").code == 200


@pytest.mark.parametrize("source", ["zero", "file"])
@pytest.mark.parametrize("size,block", [(1, 512), (1000, 512), (MiB, 65536), (3 * MiB + 5, 65536),
                                        (2 * MiB + 1, 16 * MiB)])
def test_iobound_reads_the_requested_amount(app, source, size, block):
    r = call(app, "/IOBound?bytes=%d&source=%s&block=%d" % (size, source, block))
    assert r.code == 200
    assert r.text == "read %d bytes\n" % size


def test_iobound_file_reads_its_declared_data_file(app_dir):
    from conftest import iobound_data, load_app
    os.remove(iobound_data(app_dir))
    app = load_app(app_dir)
    assert call(app, "/IOBound?bytes=1000&source=zero&block=512").code == 200
    with pytest.raises(FileNotFoundError) as info:
        call(app, "/IOBound?bytes=1000&source=file&block=512")
    assert iobound_data(app_dir) in str(info.value)


def test_iobound_empty_data_file_is_an_error_not_a_hang(app_dir):
    from conftest import iobound_data, load_app
    open(iobound_data(app_dir), "wb").close()
    app = load_app(app_dir)
    with pytest.raises(OSError, match="ended after 0"):
        call(app, "/IOBound?bytes=1000&source=file&block=512")


def test_leak_memory_keeps_resident_blocks(app):
    state = app.BEHAVIOURS["LeakMemory"].ctx.state
    r = call(app, "/LeakMemory?bytes=100000")
    assert r.code == 200 and r.text == "kept 100000 bytes in 1 blocks\n"
    r = call(app, "/LeakMemory?bytes=300000")
    assert r.text == "kept 400000 bytes in 2 blocks\n"
    r = call(app, "/LeakMemory?bytes=0")
    assert r.text == "kept 400000 bytes in 3 blocks\n"
    blocks = state["blocks"]
    assert [len(b) for b in blocks] == [100000, 300000, 0]
    # every page written, so the kernel had to back it with memory
    assert all(blocks[1][i] == 1 for i in range(0, 300000, 4096))
    # the state belongs to LeakMemory only
    assert app.BEHAVIOURS["Sleeping"].ctx.state == {}


def _rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_leak_memory_grows_resident_memory(app):
    before = _rss_kib()
    assert call(app, "/LeakMemory?bytes=%d" % (64 * MiB)).code == 200
    assert _rss_kib() - before >= 60 * 1024


def test_python_wedge_with_seconds_spins_then_answers_200(app):
    start = time.monotonic()
    r = call(app, "/PythonWedge?seconds=0.2")
    assert time.monotonic() - start >= 0.2
    assert r.code == 200 and r.text.startswith("spun ")


def test_python_wedge_forever_does_not_answer(app_dir):
    with pytest.raises(subprocess.TimeoutExpired):
        run_isolated(app_dir, ["/PythonWedge?seconds=0"], timeout=3)


def test_python_wedge_is_a_pure_python_loop():
    # No sleeping, no I/O, no C calls that would release the GIL inside the loops.
    from conftest import worker_half_path
    with open(worker_half_path("PythonWedge")) as f:
        source = f.read()
    loops = source[source.index("def _spin_forever"):source.index("def handle")]
    for forbidden in ("sleep", "select", "read", "wait", "ctypes", "import"):
        assert forbidden not in loops


def test_sigsegv_really_segfaults(app_dir):
    code, out = run_isolated(app_dir, ["/__labour__/ready", "/SIGSEGV"], timeout=60)
    assert out.startswith("imported\n200 OK ready "), out
    assert code == -11, out


def test_sigsegv_is_not_a_kill(app_dir):
    from conftest import worker_half_path
    with open(worker_half_path("SIGSEGV")) as f:
        source = f.read()
    assert "os.kill" not in source and "signal" not in source.replace("SIGSEGV", "")


@pytest.mark.parametrize("code", [0, 1, 3, 255])
def test_exit_process_ends_the_process_with_its_code(app_dir, code):
    status, out = run_isolated(app_dir, ["/__labour__/ready", "/ExitProcess?code=%d" % code], timeout=60)
    assert out.startswith("imported\n200 OK ready "), out
    assert status == code, out
    assert "Traceback" not in out  # os._exit: no exception, no cleanup


def test_abort_dies_of_sigabrt(app_dir):
    status, out = run_isolated(app_dir, ["/__labour__/ready", "/Abort"], timeout=60)
    assert out.startswith("imported\n200 OK ready "), out
    assert status == -6, out


def raise_exception_module():
    import importlib.util
    from conftest import worker_half_path
    spec = importlib.util.spec_from_file_location("raise_exception_half", worker_half_path("RaiseException"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("where,started,chunks", [("before_start", False, 0), ("after_start", True, 0),
                                                  ("in_body", True, 1)])
def test_raise_exception_fails_where_it_is_told(where, started, chunks):
    half = raise_exception_module()
    seen, got = [], []

    def start_response(status, headers, exc_info=None):
        seen.append(status)
        return lambda data: None

    with pytest.raises(half.LabourApplicationError):
        for chunk in half.handle({}, start_response, {"where": where}, None):
            got.append(chunk)
    assert seen == (["200 OK"] if started else [])
    assert len(got) == chunks


def violation(kind):
    """(start_response calls, body chunks) of one WSGIViolation request, recorded as they are."""
    import importlib.util
    from conftest import worker_half_path
    spec = importlib.util.spec_from_file_location("wsgi_violation_half", worker_half_path("WSGIViolation"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    calls = []
    body = list(module.handle({}, lambda status, headers, exc_info=None: calls.append((status, headers)),
                              {"kind": kind}, None))
    return calls, body


def test_each_wsgi_violation_breaks_exactly_its_rule_of_pep_3333():
    calls, body = violation("no_start_response")
    assert calls == [] and all(isinstance(c, bytes) for c in body)
    calls, body = violation("start_response_twice")
    assert [status for status, _ in calls] == ["200 OK", "201 Created"]
    calls, body = violation("str_body")
    assert len(calls) == 1 and body and all(isinstance(c, str) for c in body)
    calls, body = violation("bad_status")
    assert [status for status, _ in calls] == ["abc"]
    calls, body = violation("bad_header")
    (status, headers), = calls
    assert status == "200 OK"
    assert [v for _, v in headers if "\r\n" in v] == ["a\r\nX-Injected: yes"]


def ticks_during(app, target):
    """How often a Python thread of this process got to run while `target` was served."""
    import threading
    ticks, stop = [], threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.05)
    start = time.monotonic()
    r = call(app, target)
    end = time.monotonic()
    stop.set()
    thread.join()
    assert r.code == 200 and end - start >= 0.5
    return sum(1 for t in ticks if start + 0.05 < t < end - 0.05)


def test_native_wedge_holds_the_gil_native_sleep_releases_it(app):
    assert ticks_during(app, "/NativeWedge?seconds=0.6") == 0
    assert ticks_during(app, "/NativeSleep?seconds=0.6") >= 20


def test_native_wedge_outlasts_a_signal_and_restores_the_mask(app):
    import signal
    import threading
    seen = []
    old = signal.signal(signal.SIGUSR1, lambda *a: seen.append(time.monotonic()))
    try:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        start = time.monotonic()
        assert call(app, "/NativeWedge?seconds=0.8").code == 200
        assert time.monotonic() - start >= 0.8  # not cut short by the signal
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
        time.sleep(0.05)
        assert seen and seen[0] >= start + 0.75  # the handler ran only after the call
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_deadlock_never_returns(app_dir):
    with pytest.raises(subprocess.TimeoutExpired):
        run_isolated(app_dir, ["/Deadlock"], timeout=3)


def worker_half(name):
    """The worker half's module alone, as the dispatcher imports it."""
    import importlib.util
    from conftest import worker_half_path
    spec = importlib.util.spec_from_file_location("half_" + name, worker_half_path(name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_fd_leak_keeps_its_descriptors_open_across_requests(app):
    before = open_fds()
    try:
        assert call(app, "/FDLeak?count=7").text == "keeping 7 descriptors\n"
        assert call(app, "/FDLeak?count=5").text == "keeping 12 descriptors\n"
        assert open_fds() == before + 12
    finally:
        for fd in app.BEHAVIOURS["FDLeak"].ctx.state.get("fds", []):
            os.close(fd)


FD_LIMIT_SCRIPT = r"""
import resource, sys
sys.path.insert(0, sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
import labour_app, wsgiref.util
env = {"PATH_INFO": "/FDLeak", "QUERY_STRING": "count=100"}
wsgiref.util.setup_testing_defaults(env)
try:
    labour_app.application(env, lambda s, h, e=None: None)
except OSError as e:
    print("raised", e.errno)
"""


def test_fd_leak_at_the_limit_raises_emfile_out_of_the_application(app_dir):
    import errno
    import sys
    out = subprocess.run([sys.executable, "-c", FD_LIMIT_SCRIPT, app_dir], capture_output=True,
                         text=True, timeout=60).stdout
    assert out == "raised %d\n" % errno.EMFILE


def test_thread_leak_leaves_threads_that_never_end(app):
    import threading
    before = threading.active_count()
    r = call(app, "/ThreadLeak?count=4")
    assert r.text == "%d threads in this process\n" % (before + 4)
    time.sleep(0.1)
    leaked = [t for t in threading.enumerate() if t.name == "labour-leaked"]
    assert len(leaked) >= 4 and all(t.daemon and t.is_alive() for t in leaked)


def leaked_pid(response):
    assert response.code == 200
    return int(response.text.split()[2])


def proc_stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return {"ppid": int(fields[1]), "pgrp": int(fields[2]), "session": int(fields[3])}


def inherited(pid, fd_target):
    return any(os.readlink("/proc/%d/fd/%s" % (pid, fd)) == fd_target for fd in os.listdir("/proc/%d/fd" % pid))


@pytest.mark.parametrize("mode", ["child", "daemon"])
def test_child_leak_leaves_a_process_in_or_out_of_our_group(app, mode, tmp_path):
    import signal
    # An inheritable descriptor, as uWSGI's listening socket is: a daemon's exec keeps it,
    # Popen's close_fds does not.
    marker = tmp_path / "inheritable"
    marker.write_text("x")
    fd = os.open(str(marker), os.O_RDONLY)
    os.set_inheritable(fd, True)
    try:
        pid = leaked_pid(call(app, "/ChildLeak?mode=%s&seconds=30" % mode))
    finally:
        os.close(fd)
    try:
        time.sleep(0.2)  # the daemon's exec
        stat = proc_stat(pid)
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            assert f.read().split(b"\0")[:2] == [b"/bin/sleep", b"30"]
        if mode == "child":
            assert stat["ppid"] == os.getpid() and stat["pgrp"] == os.getpgrp()
            assert not inherited(pid, str(marker))
        else:
            assert stat["session"] == stat["pgrp"] != os.getsid(0)  # a session of its own
            assert stat["ppid"] != os.getpid()
            assert inherited(pid, str(marker))
    finally:
        os.kill(pid, signal.SIGKILL)
        for child in app.BEHAVIOURS["ChildLeak"].ctx.state.get("children", []):
            child.wait()  # the Popen kept by the worker half, reaped so it warns of nothing


def test_slow_body_streams_its_chunks_interval_apart():
    half = worker_half("SlowBody")
    headers = []
    body = half.handle({}, lambda s, h, e=None: headers.extend(h), {"chunks": 3, "interval": 0.2}, None)
    start = time.monotonic()
    times = [(chunk, time.monotonic() - start) for chunk in body]
    assert [c for c, _ in times] == [b"chunk 1 of 3\n", b"chunk 2 of 3\n", b"chunk 3 of 3\n"]
    assert times[0][1] < 0.1 and times[2][1] >= 0.4
    assert "Content-Length" not in dict(headers)


@pytest.mark.parametrize("mode,size", [("whole", 0), ("whole", 3 * MiB + 1), ("blocks", 1),
                                       ("blocks", 65536 * 3), ("blocks", 3 * MiB + 1)])
def test_huge_body_sends_exactly_its_bytes(app, mode, size):
    r = call(app, "/HugeBody?bytes=%d&mode=%s" % (size, mode))
    assert r.code == 200 and len(r.body) == size
    assert r.header("Content-Length") == (str(size) if mode == "whole" else None)


def test_endless_body_streams_until_closed():
    half = worker_half("EndlessBody")
    body = half.handle({}, lambda s, h, e=None: None, {"block": 1000}, None)
    chunks = [next(body) for _ in range(5000)]
    assert all(c == b"y" * 1000 for c in chunks)
    body.close()  # what a server does once the client has gone
    with pytest.raises(StopIteration):
        next(body)


@pytest.mark.parametrize("mode,sent", [("short", 50), ("long", 200)])
def test_bad_content_length_declares_what_it_does_not_send(mode, sent):
    half = worker_half("BadContentLength")
    headers = []
    body = b"".join(half.handle({}, lambda s, h, e=None: headers.extend(h), {"mode": mode, "length": 100}, None))
    assert dict(headers)["Content-Length"] == "100" and len(body) == sent


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_flood_writes_its_bytes_to_its_stream(app, capfd, stream):
    r = call(app, "/OutputFlood?bytes=%d&stream=%s" % (MiB + 3, stream))
    import sys
    fd = (sys.stdout if stream == "stdout" else sys.stderr).fileno()  # capfd's, while it captures
    assert r.text == "wrote %d bytes to %s (fd %d)\n" % (MiB + 3, stream, fd)
    out, err = capfd.readouterr()
    flood, other = (out, err) if stream == "stdout" else (err, out)
    assert len(flood) == MiB + 3 and other == ""


IGNORE_SCRIPT = r"""
import os, signal, sys, threading, time
sys.path.insert(0, sys.argv[1])
import labour_app, wsgiref.util
env = {"PATH_INFO": "/IgnoreTermination", "QUERY_STRING": ""}
wsgiref.util.setup_testing_defaults(env)
answer = []
# Served by a thread other than the main one, as most servers do: signal.signal would fail.
t = threading.Thread(target=lambda: answer.extend(labour_app.application(env, lambda s, h, e=None: None)))
t.start(); t.join()
print(answer[0].decode().strip(), flush=True)
os.kill(os.getpid(), signal.SIGTERM)
os.kill(os.getpid(), signal.SIGINT)
time.sleep(0.2)
print("still here", flush=True)
"""


def test_ignore_termination_survives_sigterm_and_sigint_set_from_any_thread(app_dir):
    import sys
    proc = subprocess.run([sys.executable, "-c", IGNORE_SCRIPT, app_dir], capture_output=True, text=True,
                          timeout=60)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and lines[-1] == "still here", proc
    mask = int(lines[0].rsplit(" ", 1)[1], 16)
    assert mask & (1 << 1) and mask & (1 << 14)  # SIGINT (2) and SIGTERM (15), bit n-1


MEMORY_SCRIPT = r"""
import resource, sys
sys.path.insert(0, sys.argv[1])
import labour_app, wsgiref.util
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
env = {"PATH_INFO": "/MemoryHog", "QUERY_STRING": "bytes=%d&seconds=0" % (200 << 20)}
wsgiref.util.setup_testing_defaults(env)
before = rss()
body = b"".join(labour_app.application(env, lambda s, h, e=None: None))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(body.decode().strip(), peak - before, rss() - before)
"""


def test_memory_hog_touches_its_memory_and_gives_it_back(app_dir):
    import sys
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, app_dir], capture_output=True, text=True,
                         timeout=60).stdout.split()
    assert " ".join(out[:4]) == "used and freed %d" % (200 * MiB)
    peak_growth, kept = int(out[5]), int(out[6])
    assert peak_growth >= 190 * MiB  # resident, not only reserved
    assert kept < 20 * MiB  # and freed before the answer


@pytest.mark.parametrize("size", [0, 1, 65536, 3 * MiB + 7])
def test_read_input_reads_the_whole_body(app, size):
    r = call(app, "/ReadInput?bytes=%d&mode=length" % size, method="POST", body=b"u" * size)
    assert r.code == 200 and r.text == "read %d bytes\n" % size


def test_read_input_all_calls_read_without_a_size_as_pep_3333_forbids(app):
    import io
    # wsgiref.validate's input wrapper refuses read() with no size: PEP 3333's read(size).
    with pytest.raises(AssertionError):
        call(app, "/ReadInput?bytes=10&mode=all", method="POST", body=b"u" * 10)
    half = worker_half("ReadInput")
    environ = {"wsgi.input": io.BytesIO(b"u" * (3 * MiB + 7)), "CONTENT_LENGTH": "5"}
    body = half.handle(environ, lambda s, h, e=None: None, {"mode": "all"}, None)
    assert body == [b"read %d bytes\n" % (3 * MiB + 7)]  # to the end of input, past CONTENT_LENGTH


def test_read_input_takes_post_only(app):
    r = call(app, "/ReadInput?bytes=1&mode=length")
    assert r.code == 405 and r.header("Allow") == "POST"
