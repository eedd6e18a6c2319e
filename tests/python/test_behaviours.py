"""The six worker halves, through the dispatcher and wsgiref.validate."""

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
