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

