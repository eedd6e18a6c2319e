"""Shared helpers for the integration tests: they drive the real `labour` binary against
real servers on 127.0.0.1 and check what it reports and what it leaves behind."""
import json
import os
import subprocess
import time
import uuid

import pytest

LABOUR = os.environ.get("LABOUR_BIN", "labour")
SOURCE_DIR = os.environ.get("LABOUR_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


# Every labour this session starts, and every server those start, inherit this tag: the
# checks below then see only this session's servers, not those of a test running beside it.
SESSION_TAG = f"LABOUR_TEST_SESSION={uuid.uuid4().hex}".encode()
os.environ["LABOUR_TEST_SESSION"] = SESSION_TAG.split(b"=", 1)[1].decode()


def marked_processes():
    """Pids of every live server this test session's labour started (marker and tag)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if SESSION_TAG in env and any(e.startswith(b"LABOUR_MARKER=") for e in env):
            found.append(int(entry))
    return found


def wait_for_no_marked_processes(before, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in marked_processes() if p not in before]
        if not left:
            return []
        time.sleep(0.1)
    return left


def labour(*args, timeout=300, check=None, prefix=()):
    """Runs labour (after `prefix`, e.g. prlimit's words); returns the CompletedProcess. Bounded in time."""
    proc = subprocess.run([*prefix, LABOUR, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def one_line_error(proc, *needles):
    """Bad input: exit 2, one line on stderr holding every needle, no crash or trace. Returns the line."""
    assert proc.returncode == 2, f"exit {proc.returncode}: {proc.stderr}"
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Traceback" not in proc.stderr and "terminate called" not in proc.stderr
    return lines[0]


def run_json(tmp_path, *args, check=0, timeout=300, prefix=()):
    out = tmp_path / "out.json"
    labour(*args, "--report", f"json:{out}", timeout=timeout, check=check, prefix=prefix)
    return json.loads(out.read_text())


def scenario_file(tmp_path, name, params="", weight_plain=0, requests=6, concurrency=1, timeout=3.0):
    """A scenario of one behaviour (and PlainResponse at `weight_plain` beside it, if given),
    repeat policy; returns its path."""
    text = (f'name = "{name}-test"\nrequests = {requests}\nconcurrency = {concurrency}\ntimeout = {timeout}\n'
            'policy = "repeat"\n')
    if weight_plain:
        text += f'[[behaviour]]\nname = "PlainResponse"\nweight = {weight_plain}\n'
    text += f'[[behaviour]]\nname = "{name}"\nweight = 1\n'
    if params:
        text += f"params = {{ {params} }}\n"
    f = tmp_path / f"{name}.toml"
    f.write_text(text)
    return str(f)


def the_test(doc):
    (test,) = doc["tests"]
    assert test["status"] == "completed", test
    return test


def exit_causes(test):
    """What ended the server's processes while the load ran: cause -> count."""
    return test["monitor"]["exits"]["causes"]


def behaviour(test, name):
    for b in test["behaviours"]:
        if b["name"] == name:
            return b
    raise AssertionError(f"{name} not in {test['behaviours']}")


def run_behaviour(tmp_path, server, name, params="", requests=4, timeout=3.0, weight_plain=0, concurrency=1,
                  extra=(), prefix=()):
    """One test of `name` (beside PlainResponse at `weight_plain`) on `server`: (test, its behaviour)."""
    alone = () if weight_plain else ("--no-innocent",)  # the behaviour alone: watched, not judged
    doc = run_json(tmp_path, "run", "--server", server, "--no-pin", *alone, *extra, "--scenario",
                   scenario_file(tmp_path, name, params, weight_plain=weight_plain, requests=requests,
                                 concurrency=concurrency, timeout=timeout), prefix=prefix)
    test = the_test(doc)
    return test, behaviour(test, name)


@pytest.fixture
def no_leftovers():
    """Asserts that the test left no server process behind (found by the marker)."""
    before = set(marked_processes())
    yield
    left = wait_for_no_marked_processes(before)
    assert not left, f"processes left behind: {left}"


def available_servers():
    proc = labour("doctor", "--json", check=0, timeout=120)
    return {row["name"]: row for row in json.loads(proc.stdout)}


@pytest.fixture(scope="module")
def servers():
    """The names of the servers available here."""
    return {n for n, row in available_servers().items() if row["available"]}


def need(servers, *names):
    """Skips the test, naming them, unless every server it needs is available."""
    missing = [n for n in names if n not in servers]
    if missing:
        pytest.skip(f"not installed: {missing}")
