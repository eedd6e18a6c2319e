"""Hostile and careless input, by family (issue 8): what labour reads is bounded and a regular
file, numbers follow one set of rules on the command line and in scenario files, unknown
names are named, and text from outside reaches the terminal with its control characters
escaped. Each case: exit 2, one line naming the input, nothing started, nothing written."""
import json
import os
import re
import shutil

import pytest

from conftest import LABOUR, labour, one_line_error

CONTROL = "\x1b]0;pwned\x07\x1b[2J\n"


def refused(proc, *needles):
    """one_line_error, with nothing of the input's control characters and nothing on stdout."""
    line = one_line_error(proc, *needles)
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert proc.stdout == ""  # nothing ran, nothing was reported
    return line


def run(*args, timeout=30):
    return labour("run", "--server", "wsgiref", *args, timeout=timeout)


# ---- what labour reads: regular files only, bounded ----

def test_scenario_from_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)  # nobody writes: reading it would block for ever
    refused(run("--scenario", str(fifo), timeout=10), f"scenario file '{fifo}'", "is a FIFO, not a regular file")


def test_scenario_from_dev_zero_is_refused_at_once(tmp_path):
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")  # never ends
    refused(run("--scenario", str(link), timeout=10), "is a character device")


def test_scenario_folder_is_refused(tmp_path):
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    refused(run("--scenario", str(folder)), "is a folder")


def test_huge_scenario_is_refused_with_its_limit(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("#" * (1024 * 1024 + 1))
    refused(run("--scenario", str(big)), "is larger than 1 MiB")


def test_scenario_with_too_many_behaviours_is_refused(tmp_path):
    many = tmp_path / "many.toml"
    many.write_text('name = "many"\nrequests = 1\n' + '[[behaviour]]\nname = "PlainResponse"\n' * 1001)
    refused(run("--scenario", str(many)), "1001 [[behaviour]] tables; at most 1000")


@pytest.mark.parametrize("command", [["report"], ["compare", "/dev/null"], ["merge", "--out", "merged"]])
def test_results_documents_from_devices_are_refused(tmp_path, command):
    proc = labour(*command[:1], "/dev/zero", *command[1:], timeout=10)
    refused(proc, "'/dev/zero'", "is a character device")


def test_report_of_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    refused(labour("report", str(fifo), timeout=10), "is a FIFO")


# ---- numbers: one set of rules, no clamping or wrapping, before any server starts ----

@pytest.mark.parametrize("flag,value,needle", [
    ("-n", "99999999999999999999999", "--requests: must be 1 to 1000000000000, not 99999999999999999999999"),
    ("-n", "1.5", "--requests: must be a whole number"),
    ("-n", "0", "--requests: must be 1 to"),
    ("--seed", "-1", "--seed: must be 0 to 9007199254740992, not -1"),
    ("--rate", "inf", "--rate: must be a finite number"),
    ("--rate", "nan", "--rate: must be a finite number"),
    ("--rate", "1e300", "--rate: must be 0 to 10000000 requests/s"),
    ("-c", "0", "--concurrency: must be 1 to 10000"),
    ("-c", "99999999999", "--concurrency: must be 1 to 10000"),
    ("--threads", "65", "--threads: must be 1 to 64"),
    ("--timeout", "-5", "--timeout: must be 1 to 3600000 ms"),
    ("--timeout", "ten", "'ten' is not a number"),
    ("-d", "1e300", "-d '1e300'"),
    ("-d", "100000", "-d '100000': must be 0.001 to 86400 s"),
])
def test_load_numbers_are_checked_with_their_limits(flag, value, needle):
    refused(run("--scenario", "Plain", flag, value), needle)


@pytest.mark.parametrize("line,needle", [
    ("requests = 0", "'requests': must be 1 to 1000000000000, not 0"),
    ("requests = 9223372036854775807", "'requests': must be 1 to 1000000000000"),
    ("requests = 5\nseed = -1", "'seed': must be 0 to 9007199254740992, not -1"),
    ("requests = 5\nrate = 1e300", "'rate': must be 0 to 10000000 requests/s"),
    ("duration = 1e300", "'duration': must be 0.001 to 86400 s"),
    ("requests = 5\nconcurrency = 10001", "'concurrency': must be 1 to 10000"),
    ("requests = 5\ntimeout = 0", "'timeout': must be 0.001 to 3600 s, not 0"),
    ("requests = 2.5", "'requests' must be an integer"),
])
def test_scenario_numbers_follow_the_same_rules(tmp_path, line, needle):
    f = tmp_path / "s.toml"
    f.write_text(f'name = "s"\n{line}\n[[behaviour]]\nname = "PlainResponse"\n')
    refused(run("--scenario", str(f)), f"{f}:", needle)


# ---- names and options: unknown ones named, nothing silently dropped ----

def test_unknown_command_is_named():
    refused(labour("frobnicate"), "unknown command 'frobnicate'", "run, matrix")


def test_unknown_option_is_named_before_a_missing_one():
    refused(labour("run", "--frob"), "unknown option '--frob'")


def test_empty_server_list_is_refused():
    refused(labour("matrix", "--servers", "", "--scenarios", "Plain"), "--servers: no server given")


def test_option_for_a_reporter_not_used_is_refused():
    refused(run("--scenario", "Plain", "--report-opt", "html.title=x"), "reporter 'html' is not used")


# ---- the terminal: control characters from outside are shown escaped ----

def test_control_characters_in_a_path_are_escaped_in_the_error(tmp_path):
    line = refused(run("--scenario", str(tmp_path / f"{CONTROL}.toml")), "does not exist")
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\n" in line


def test_control_characters_in_a_label_are_escaped_in_the_console(tmp_path, no_leftovers):
    proc = labour("run", "--server", "wsgiref:label=a\x1b[2Jb\x07", "--scenario", "Plain", "-n", "5",
                  "--report", f"json:{tmp_path / 'r.json'}", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "a\\x1b[2Jb\\x07" in proc.stdout
    # The document keeps the label as it was given: JSON escapes it its own way.
    assert json.loads((tmp_path / "r.json").read_text())["tests"][0]["label"] == "a\x1b[2Jb\x07"


# ---- server output: bounded, whatever the server prints ----

def test_a_server_that_floods_its_output_is_bounded(tmp_path, no_leftovers):
    import time
    flood = "command:command={python} -c \"while True: print('flood ' * 20000)\" {port}"  # {port}: required
    started = time.monotonic()
    proc = labour("run", "--server", flood, "--scenario", "Plain", "-n", "5", "--ready-timeout", "3",
                  timeout=120)
    took = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "did not answer" in lines[0], proc.stderr
    assert len(lines[0]) < 2000, len(lines[0])  # a few short lines of the log, not the flood
    assert took < 60, took  # the readiness deadline held (a safety net, not a timing figure)
    kept = re.search(r"\(run dir kept: (/[^)]+)\)", lines[0])
    assert kept, lines[0]
    log = os.path.join(kept.group(1), "server.log")
    try:
        assert os.path.getsize(log) < (64 << 20) + (512 << 20)  # the cap, plus one guard interval's flood
    finally:
        shutil.rmtree(kept.group(1), ignore_errors=True)


# ---- report files: found unwritable or clashing before the run, not after it ----

def test_two_reports_to_one_file_are_refused(tmp_path):
    a = tmp_path / "r.json"
    refused(run("--scenario", "Plain", "--report", f"json:{a}", "--report", f"csv:{tmp_path}/../{tmp_path.name}/r.json"),
            "is also written by --report json:")
    assert not a.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder: nothing to refuse")
def test_a_report_into_an_unwritable_folder_is_refused_before_the_run(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    refused(run("--scenario", "Plain", "--report", f"json:{folder}/r.json"), "is not writable")


# ---- a full disk: whole lines or an error, and the matrix stops ----

@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs as a full disk needs root")
def test_a_full_disk_stops_the_matrix_and_keeps_cells_jsonl_whole(tmp_path, no_leftovers):
    import subprocess
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        proc = labour("-q", "matrix", "--servers", "wsgiref", "--scenarios", "Plain,SIGSEGV", "-n", "20",
                      "--out", str(disk / "m"), timeout=300)
        assert proc.returncode == 1, proc.stderr
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and "cannot add a finished cell to" in lines[0], proc.stderr
        assert "No space left on device" in lines[0] and "--resume" in lines[0]
        for line in (disk / "m" / "cells.jsonl").read_text().splitlines():
            json.loads(line)  # every line kept is a whole cell
    finally:
        subprocess.run(["umount", str(disk)])


# ---- labour's own resources ----

def test_a_load_that_needs_more_descriptors_than_allowed_is_refused_before_any_server(tmp_path):
    import resource
    import subprocess

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, 512))

    proc = subprocess.run([LABOUR, "run", "--server", "wsgiref", "--scenario", "Plain", "-c", "1000"],
                          capture_output=True, text=True, timeout=30, preexec_fn=low_limit,
                          stdin=subprocess.DEVNULL)
    refused(proc, "scenario Plain at concurrency 1000: needs about 1069 file descriptors",
            "may open 512", "ulimit -n")


# ---- plugins that crash while they are loaded ----

def test_a_plugin_that_crashes_while_loading_is_named_and_labour_goes_on():
    plugins = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(LABOUR))), "test-plugins")
    assert os.path.isdir(plugins), plugins
    proc = labour("list", "--plugin-dir", plugins, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "labour_behaviour_crashonload.so: crashes while it is loaded (killed by SIGSEGV)" in proc.stderr
    assert "labour_behaviour_exitonload.so: exits while it is loaded (exit status 7)" in proc.stderr
    assert "PlainResponse" in proc.stdout  # every other plugin is there


@pytest.mark.parametrize("args,needle", [
    (["load", "--url", "http://127.0.0.1:9/", "-c", "0", "-n", "1"], "--connections: must be 1 to 10000"),
    (["load", "--url", "http://127.0.0.1:9/", "-n", "1e99"], "--requests: must be 1 to 1000000000000"),
    (["load", "--url", "http://127.0.0.1:9/", "-n", "5", "--rate", "-1"], "--rate: must be 0 to 10000000"),
    (["load", "--url", "http://127.0.0.1:9/", "-n", "5", "-t", "0"], "--threads: must be 1 to 64"),
    (["load", "--url", "http://127.0.0.1:9/", "-n", "5", "--timeout", "0"], "--timeout: must be 1 to 3600000 ms"),
    (["load", "--url", "http://127.0.0.1:9/", "-d", "100000"], "-d '100000': must be 0.001 to 86400 s"),
    (["matrix", "--servers", "wsgiref", "--scenarios", "Plain", "--repeat", "0"], "--repeat"),
    (["matrix", "--servers", "wsgiref", "--scenarios", "Plain", "--jobs", "0"], "--jobs"),
    (["matrix", "--servers", "wsgiref", "--scenarios", ""], "--scenarios: no scenario given"),
    (["run", "--server", "wsgiref", "--scenario", "Plain", "--frobnicate"], "--frobnicate"),  # CLI11: 'not expected: --frobnicate'
])
def test_more_numbers_and_names(args, needle):
    refused(labour(*args, timeout=30), needle)


# ---- report files: written whole, devices and FIFOs in place, planted links not followed ----

def quick_run(*args, timeout=120):
    """A real five-request run on wsgiref, console off: what a report path does is all that matters."""
    return labour("-q", "run", "--server", "wsgiref", "--scenario", "Plain", "-n", "5", *args, timeout=timeout)


def test_a_report_to_a_fifo_is_written_into_it_and_the_fifo_stays(tmp_path, no_leftovers):
    import stat
    import threading
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got = {}
    reader = threading.Thread(target=lambda: got.setdefault("text", fifo.read_text()), daemon=True)
    reader.start()
    proc = quick_run("--report", f"json:{fifo}")
    reader.join(timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # never replaced by a regular file
    assert json.loads(got["text"])["tests"][0]["scenario"]["name"] == "Plain"


def test_a_report_to_dev_stdout_goes_to_stdout_and_the_node_stays(no_leftovers):
    proc = quick_run("--report", "json:/dev/stdout")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tests"][0]["server"]["name"] == "wsgiref"
    assert os.path.islink("/dev/stdout") or not os.path.isfile("/dev/stdout")


def test_a_link_planted_at_the_old_temporary_name_is_not_followed(tmp_path, no_leftovers):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    target = tmp_path / "r.json"
    os.symlink(victim, tmp_path / "r.json.tmp")
    proc = quick_run("--report", f"json:{target}")
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "keep"
    assert json.loads(target.read_text())["tests"][0]["status"] == "completed"
    # Nothing of the writer's own is left beside the report.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.json.tmp", "victim"]


def test_a_report_path_that_is_a_folder_is_refused_before_the_run(tmp_path):
    (tmp_path / "r.json").mkdir()
    refused(run("--scenario", "Plain", "--report", f"json:{tmp_path / 'r.json'}"), "--report json:", "folder")


# ---- more of what labour reads ----

def test_a_results_document_beyond_its_limit_is_refused_unread(tmp_path):
    huge = tmp_path / "results.json"
    with open(huge, "wb") as f:
        f.truncate((1 << 30) + 1)  # sparse: nothing is really written
    refused(labour("report", str(huge), timeout=30), str(huge), "limit")


def test_a_scenario_link_to_a_device_is_refused(tmp_path):
    link = tmp_path / "s.toml"
    os.symlink("/dev/zero", link)
    refused(run("--scenario", str(link)), "s.toml", "not a regular file")


def test_a_cells_file_that_is_a_fifo_is_refused(tmp_path):
    (tmp_path / "m").mkdir()
    os.mkfifo(tmp_path / "m" / "cells.jsonl")
    refused(labour("report", str(tmp_path / "m"), timeout=30), "cells.jsonl", "not a regular file")


# ---- server options: a comma inside a value ----

def test_an_unescaped_comma_in_a_command_is_refused_with_the_way_out():
    refused(labour("run", "--server", 'command:command=sh -c exec a, b', "--scenario", "Plain", timeout=30),
            "'b' is not name=value", "a comma inside a value as \\,")


def test_an_escaped_comma_stays_in_the_command_and_the_label(tmp_path, no_leftovers):
    # One word of Python holds commas: without \, it would be cut into options.
    server = ("command:command={python} -c \"import importlib\\, sys\\, wsgiref.simple_server as s; "
              "sys.path.insert(0\\, '{app_dir}'); "
              "app = getattr(importlib.import_module('{app_module}')\\, '{app_callable}'); "
              "s.make_server('{host}'\\, {port}\\, app).serve_forever()\",label=one\\, two")
    report = tmp_path / "r.json"
    proc = labour("-q", "run", "--server", server, "--scenario", "Plain", "-n", "5", "--report", f"json:{report}",
                  timeout=120)
    assert proc.returncode == 0, proc.stderr
    test = json.loads(report.read_text())["tests"][0]
    assert test["label"] == "one, two"
    assert test["status"] == "completed"


# ---- labour serve ----

def test_serve_on_a_taken_port_is_refused_and_leaves_no_run_dir(tmp_path):
    import socket
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    try:
        proc = subprocess_labour(["serve", "--server", "wsgiref", "--port", str(port)], env={"TMPDIR": str(tmp)})
    finally:
        taken.close()
    refused(proc, f"--port {port}", "already in use")
    assert list(tmp.iterdir()) == []


def test_a_stray_argument_is_named_with_its_command():
    refused(labour("serve", "wsgiref", timeout=30), "serve: unexpected argument 'wsgiref'", "labour serve --help")


def subprocess_labour(args, env=None, timeout=60):
    import subprocess
    return subprocess.run([LABOUR, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


# ---- plugins that hang while they are loaded, and Ctrl-C meanwhile ----

HANG_PLUGINS = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(LABOUR))), "test-plugins-hang")


def processes_with(library):
    """Pids whose memory maps `library`: a probe that was left behind."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/maps") as f:
                if library in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def test_a_plugin_that_hangs_while_loading_is_stopped_and_named():
    proc = labour("list", "behaviours", "--plugin-dir", HANG_PLUGINS, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "labour_behaviour_hangonload.so: hangs while it is loaded (stopped after 10 s)" in proc.stderr
    assert "PlainResponse" in proc.stdout
    assert processes_with("labour_behaviour_hangonload.so") == []


def test_ctrl_c_while_plugins_are_checked_ends_labour_and_its_probes():
    import signal
    import subprocess
    import time
    child = subprocess.Popen([LABOUR, "list", "--plugin-dir", HANG_PLUGINS], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not processes_with("labour_behaviour_hangonload.so") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with("labour_behaviour_hangonload.so"), "the probe never started"
        os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        out, err = child.communicate(timeout=5)  # well before the probe's own 10 s limit
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 130, err
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and "interrupted while plugin files were checked" in lines[0], err
    assert "crashes while it is loaded" not in err  # the probe's SIGINT is not the plugin's fault
    assert processes_with("labour_behaviour_hangonload.so") == []


def test_serve_lists_urls_that_answer_as_a_test_would_see_them(tmp_path):
    import signal
    import subprocess
    import urllib.request
    child = subprocess.Popen([LABOUR, "serve", "--server", "wsgiref"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        urls = []
        for line in child.stdout:
            if line.startswith("Press Ctrl-C"):
                break
            if line.startswith("  http://127.0.0.1:"):
                urls.append(line.strip())
        by_name = {u.split("/", 3)[3].split("?")[0]: u for u in urls}
        # Every parameter is in the URL, with its default, as the dispatcher requires.
        assert by_name["Sleeping"].endswith("/Sleeping?seconds=1"), urls
        assert "/IOBound?bytes=1048576&source=zero&block=65536" in by_name["IOBound"], urls
        for name in ("PlainResponse", "Sleeping", "IOBound", "LeakMemory", "NativeSleep"):
            with urllib.request.urlopen(by_name[name], timeout=10) as answer:  # loopback only
                assert answer.status == 200, name
    finally:
        os.killpg(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err


def reading(pid, path):
    """Process `pid` has `path` open."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:  # a descriptor closed as it was listed
        return False


def test_ctrl_c_while_a_large_document_is_read_ends_labour_at_once(tmp_path):
    # Within the 1 GiB a results document may have, reading and parsing take seconds: Ctrl-C is
    # honoured between chunks and between values, not only once it is all read.
    import signal
    import subprocess
    import time
    big = tmp_path / "big.json"
    with open(big, "w") as f:
        f.write('{"schema_version": 2, "tests": [], "pad": [')
        f.write("0," * 60_000_000)
        f.write("0]}")
    proc = subprocess.Popen([LABOUR, "report", str(big)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL)
    try:
        # Interrupt once labour has the document open (plugin checks come first, and take
        # longer under ASan), while it is still reading: the test means something.
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline and not reading(proc.pid, big):
            time.sleep(0.02)
        assert proc.poll() is None and reading(proc.pid, big), proc.communicate()
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert time.monotonic() - started < 2
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted while it was read" in err and str(big) in err, err
