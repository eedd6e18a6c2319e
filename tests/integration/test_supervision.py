"""labour interrupted mid-matrix: SIGINT/SIGTERM stop the server cleanly and keep the
finished cells; SIGKILL leaves no server behind either; --resume completes the rest."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import LABOUR, marked_processes, wait_for_no_marked_processes


def start_matrix(tmp_path, out):
    # Plain first (quick), then HeavySleep, long enough to be interrupted in the middle.
    scen = tmp_path / "slow.toml"
    scen.write_text('name = "Slow"\nduration = 20\nconcurrency = 2\ntimeout = 5.0\n'
                    '[[behaviour]]\nname = "PlainResponse"\nweight = 9\n'
                    '[[behaviour]]\nname = "Sleeping"\nweight = 1\nparams = { seconds = 0.2 }\n')
    return subprocess.Popen([LABOUR, "matrix", "--servers", "wsgiref", "--scenarios", f"Plain,{scen}",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL), scen


def wait_for_cells(out, n, timeout=60):
    deadline = time.monotonic() + timeout
    cells = out / "cells.jsonl"
    while time.monotonic() < deadline:
        if cells.exists() and len(cells.read_text().splitlines()) >= n:
            return
        time.sleep(0.1)
    raise AssertionError(f"{n} cells not written in {timeout}s")


def server_running(before, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if [p for p in marked_processes() if p not in before]:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_finished_cells_and_resume_completes(tmp_path, sig):
    before = set(marked_processes())
    out = tmp_path / "out"
    proc, scen = start_matrix(tmp_path, out)
    try:
        wait_for_cells(out, 1)
        assert server_running(before), "the second cell's server never started"
        time.sleep(0.5)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert not wait_for_no_marked_processes(before)
    lines = (out / "cells.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["scenario"]["name"] == "Plain"
    assert json.loads(lines[0])["status"] == "completed"
    results = json.loads((out / "results.json").read_text())
    assert results["tests"][0]["scenario"]["name"] == "Plain"
    # A resume with other load options would mix cells of two plans: refused, nothing changed.
    command = [LABOUR, "matrix", "--servers", "wsgiref", "--scenarios", f"Plain,{scen}", "--out", str(out), "--resume"]
    other = subprocess.run(command + ["--requests", "20"], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    assert other.returncode == 2 and "holds a matrix of other" in other.stderr, other.stderr
    # Resume with the options it was started with runs only what is missing (the interrupted cell).
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert resumed.returncode == 0, resumed.stderr
    cells = [json.loads(l) for l in (out / "cells.jsonl").read_text().splitlines()]
    assert [c["scenario"]["name"] for c in cells] == ["Plain", "Slow"]
    assert all(c["status"] == "completed" for c in cells)
    # The finished cell was kept as it was, not run again.
    assert cells[0] == json.loads(lines[0])
    assert not wait_for_no_marked_processes(before)


def test_sigkill_leaves_no_server(tmp_path):
    before = set(marked_processes())
    out = tmp_path / "out"
    proc, _ = start_matrix(tmp_path, out)
    try:
        wait_for_cells(out, 1)
        assert server_running(before)
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not wait_for_no_marked_processes(before, timeout=10), "a server outlived labour's SIGKILL"


def test_interrupt_while_a_server_is_starting_stops_it_at_once(tmp_path):
    """A server that never answers: Ctrl-C must not wait out the readiness timeout."""
    before = set(marked_processes())
    proc = subprocess.Popen([LABOUR, "run", "--server", "command:command=sleep 300 {port}", "--scenario", "Plain",
                             "--ready-timeout", "120"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        assert server_running(before)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert not wait_for_no_marked_processes(before)
