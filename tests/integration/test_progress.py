"""Live progress inside a cell: on a terminal, `labour run` and `labour matrix` redraw one
stderr line while a test runs (its phase, that phase's requests, innocent failures);
through a pipe only the plain per-cell lines of a matrix appear; --quiet shows nothing."""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

from conftest import LABOUR, labour

# One innocent behaviour: a baseline, a fault phase of 3 s (redrawn about six times), and a
# recovery that ends after ten answers.
SCENARIO = """name = "progress-test"
duration = 3
concurrency = 2
timeout = 5.0
policy = "spaced"

[phases]
baseline_duration = 0.5
recovery_duration = 1.0
recovered_after = 10

[[behaviour]]
name = "PlainResponse"
weight = 1
"""

# "wsgiref x progress-test  fault 1.5 s  1 234 requests ..." as drawn after "\r\033[K".
LIVE = re.compile(r"(\S+) x progress-test  (baseline|fault|recovery) ([0-9.]+) s  ([0-9][0-9 ]*) requests")


def scenario(tmp_path):
    f = tmp_path / "progress.toml"
    f.write_text(SCENARIO)
    return str(f)


def run_on_terminal(args, tmp_path, timeout=120):
    """Runs labour with stderr on a pseudo-terminal (stdout to a file); returns (exit code,
    everything written to the terminal). Killed by its process group on timeout."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))  # wide: no cut
    with open(tmp_path / "stdout.txt", "wb") as out:
        proc = subprocess.Popen([LABOUR, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=slave,
                                start_new_session=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"labour did not finish within {timeout} s; so far:\n"
                                     + b"".join(chunks).decode(errors="replace"))
            ready, _, _ = select.select([master], [], [], min(left, 1.0))
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return code, b"".join(chunks).decode(errors="replace")


def redraws(text, label):
    """(phase, seconds, requests) of every live line drawn for `label`, in order."""
    found = []
    for segment in text.split("\r\x1b[K"):
        m = LIVE.search(segment)
        if m and m.group(1) == label:
            found.append((m.group(2), float(m.group(3)), int(m.group(4).replace(" ", ""))))
    return found


def assert_live(text, label="wsgiref"):
    lines = redraws(text, label)
    assert len(lines) >= 2, f"no redraws seen:\n{text!r}"
    phases = {p for p, _, _ in lines}
    assert "fault" in phases, lines
    fault = [n for p, _, n in lines if p == "fault"]
    assert len(fault) >= 2, lines
    assert fault == sorted(fault) and fault[-1] > fault[0], f"the fault phase's count does not grow: {lines}"
    order = ["starting", "baseline", "fault", "recovery", "stopping"]
    shown = [order.index(p) for p in re.findall(r" x progress-test  (" + "|".join(order) + r") [0-9.]+ s", text)]
    assert shown == sorted(shown), f"phases out of order: {text!r}"
    # Nothing is drawn after the cell ended: the last thing on the terminal clears the line.
    assert text.endswith("\r\x1b[K"), repr(text[-300:])


def test_run_redraws_its_line_on_a_terminal(tmp_path):
    code, text = run_on_terminal(["run", "--server", "wsgiref", "--scenario", scenario(tmp_path)], tmp_path)
    assert code == 0, text
    assert_live(text)
    assert "cell 1/1" not in text and "eta" not in text  # `labour run`: one test, no matrix line
    assert "verdicts" in (tmp_path / "stdout.txt").read_text()


def test_matrix_redraws_the_cell_line_on_a_terminal_without_control_characters(tmp_path):
    # A label with an escape sequence and a bell: shown escaped (labour/printable.hpp).
    code, text = run_on_terminal(["matrix", "--servers", "wsgiref:label=w\x1b[31m\x07g", "--scenarios",
                                  scenario(tmp_path)], tmp_path)
    assert code == 0, text
    assert_live(text, label=r"w\x1b[31m\x07g")
    assert re.search(r"cell 1/1  w\\x1b\[31m\\x07g x progress-test  fault [0-9.]+ s  [0-9 ]+ requests  "
                     r"innocent failures [0-9.]+ %  elapsed [0-9]+:[0-9]{2}  eta ", text), repr(text)
    assert "\x07" not in text and text.count("\x1b") == text.count("\x1b[K"), repr(text)


def test_quiet_terminal_shows_no_progress(tmp_path):
    code, text = run_on_terminal(["--quiet", "matrix", "--servers", "wsgiref", "--scenarios", scenario(tmp_path)],
                                 tmp_path)
    assert code == 0, text
    assert "progress-test" not in text and "\x1b[K" not in text, repr(text)


def test_without_a_terminal_no_redraws(tmp_path):
    sc = scenario(tmp_path)
    run = labour("run", "--server", "wsgiref", "--scenario", sc, check=0, timeout=120)
    assert "requests" not in run.stderr and "\r" not in run.stderr, run.stderr
    assert "progress-test" not in run.stderr  # `labour run` prints no progress line through a pipe
    matrix = labour("matrix", "--servers", "wsgiref", "--scenarios", sc, check=0, timeout=120)
    assert "\r" not in matrix.stderr and "\x1b" not in matrix.stderr, repr(matrix.stderr)
    cells = [line for line in matrix.stderr.splitlines() if line.startswith("cell ")]
    assert len(cells) == 1, matrix.stderr  # one plain line for the cell, as before
    assert re.fullmatch(r"cell 1/1  wsgiref x progress-test  elapsed 0:00  eta \?", cells[0]), matrix.stderr
    assert not LIVE.search(matrix.stderr)
