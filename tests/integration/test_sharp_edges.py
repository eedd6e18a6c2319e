"""Issue 21, "Sharp edges": bad inputs and faults that lost or overwrote data, spun for ever or
said something false. Each case asserts the exit code, the one-line message and that nothing
was lost or overwritten. Servers run only where the case needs one (wsgiref, a few seconds),
on 127.0.0.1; every process a case starts it also ends, by pid or process group."""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import LABOUR, labour, marked_processes, no_leftovers, one_line_error  # noqa: F401

ESC = "a\x1b[2J\u202eb\u200bc\nd"  # clear screen, right-to-left override, zero width, a fake line


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def refused(proc, *needles):
    """Exit 2, one line holding every needle, nothing raw of a terminal's, nothing on stdout."""
    line = one_line_error(proc, *needles)
    for raw in ("\x1b", "\u202e", "\u200b"):
        assert raw not in proc.stderr, proc.stderr
    assert proc.stdout == "", proc.stdout
    return line


@pytest.fixture(scope="module")
def shard(tmp_path_factory):
    """A real one-shard matrix's --out folder (wsgiref x Plain): results.json, cells.jsonl, plan.json."""
    out = tmp_path_factory.mktemp("shard") / "s1"
    labour("-q", "matrix", "--servers", "wsgiref", "--scenarios", "Plain", "-n", "20", "--no-pin", "--shard", "1/1",
           "--out", str(out), check=0, timeout=180)
    return out


def artifact(tmp_path, shard, name="s1"):
    """The shard as a downloaded CI artifact: a folder holding only results.json."""
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(shard / "results.json", folder / "results.json")
    return folder


# ---- --rate whose period overflows 64-bit nanoseconds: refused, never a spin ----

@pytest.mark.parametrize("value", ["1e-10", "1e-300", "0.0009"])
def test_a_rate_too_small_to_schedule_is_refused_on_the_command_line(value):
    refused(labour("run", "--server", "wsgiref", "--scenario", "Plain", "--rate", value, timeout=30),
            "--rate: must be 0 to 10000000 requests/s (0: the closed model; otherwise at least 0.001)",
            f"not {value}")
    refused(labour("load", "--url", "http://127.0.0.1:9/", "-n", "5", "--rate", value, timeout=30),
            "--rate: must be 0 to 10000000", "at least 0.001")


def test_a_rate_too_small_to_schedule_is_refused_in_a_scenario_file(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "s"\nrequests = 5\nrate = 1e-10\n[[behaviour]]\nname = "PlainResponse"\n')
    refused(labour("run", "--server", "wsgiref", "--scenario", str(f), timeout=30), f"{f}:3:8:",
            "'rate': must be 0 to 10000000 requests/s", "not 1e-10")


# ---- an output is never one of the inputs ----

def test_merge_out_onto_a_shard_is_refused_and_the_shard_kept(tmp_path, shard):
    s1 = artifact(tmp_path, shard)
    before = digest(s1 / "results.json")
    for args in ([str(s1), "--out", str(s1)], [str(s1 / "results.json"), "--out", str(s1)],
                 [str(s1), "--report", f"json:{s1}/results.json"], [str(s1), "--out", str(tmp_path / "m"),
                                                                      "--report", f"json:{s1}/../s1/results.json"]):
        line = refused(labour("merge", *args, timeout=60), "is a shard", "an input of this command",
                       "write to another path")
        assert str(s1) in line
        assert digest(s1 / "results.json") == before
        assert sorted(p.name for p in s1.iterdir()) == ["results.json"]
    assert not (tmp_path / "m").exists()


def test_compare_report_onto_old_or_new_is_refused_and_both_kept(tmp_path, shard):
    old = artifact(tmp_path, shard, "old")
    new = artifact(tmp_path, shard, "new")
    link = tmp_path / "link.json"
    link.symlink_to(old / "results.json")
    for target, which in ((old / "results.json", "OLD"), (new / "results.json", "NEW"), (link, "OLD")):
        refused(labour("compare", str(old), str(new), "--report", f"json:{target}", timeout=60),
                f"is {which}", "an input of this command")
    assert digest(old / "results.json") == digest(new / "results.json") == digest(shard / "results.json")


def test_report_onto_the_document_it_shows_is_refused(tmp_path, shard):
    s1 = artifact(tmp_path, shard)
    before = digest(s1 / "results.json")
    refused(labour("report", str(s1), "--report", f"json:{s1}/results.json", timeout=60),
            "is the document shown", "an input of this command")
    assert digest(s1 / "results.json") == before


def test_a_report_onto_the_scenario_file_is_refused_before_any_server(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "s"\nrequests = 5\n[[behaviour]]\nname = "PlainResponse"\n')
    before = digest(f)
    refused(labour("run", "--server", "wsgiref", "--scenario", str(f), "--report", f"json:{f}", timeout=30),
            "is scenario file", "an input of this command")
    assert digest(f) == before


# ---- compare --tolerance nan hid every regression ----

def worse(doc):
    """The document with its first cell's verdict made worse (robust -> down)."""
    doc = json.loads(json.dumps(doc))
    doc["tests"][0]["verdict"]["value"] = "down"
    return doc


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-1"])
def test_compare_tolerance_must_be_finite_and_in_range(tmp_path, shard, value):
    new = tmp_path / "new.json"
    new.write_text(json.dumps(worse(json.loads((shard / "results.json").read_text()))))
    assert labour("compare", str(shard), str(new), timeout=60).returncode == 1  # the regression is seen
    refused(labour("compare", str(shard), str(new), "--tolerance", value, timeout=60),
            "--tolerance: must be", "0 to 10000 %")


# ---- every text from a document or a user is escaped before a terminal ----

def evil_pair(tmp_path, shard):
    doc = json.loads((shard / "results.json").read_text())
    doc["tests"][0]["label"] = ESC
    doc["tests"][0]["server"]["label"] = ESC
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(doc))
    new.write_text(json.dumps(worse(doc)))
    return old, new


def test_compare_console_and_markdown_escape_labels(tmp_path, shard):
    old, new = evil_pair(tmp_path, shard)
    md = tmp_path / "c.md"
    proc = labour("compare", str(old), str(new), "--report", "console", "--report", "markdown", timeout=60)
    assert proc.returncode == 1, proc.stderr
    for raw in ("\x1b", "\u202e", "\u200b"):
        assert raw not in proc.stdout
    assert "a\\x1b[2J\\u202eb\\u200bc\\nd x Plain" in proc.stdout, proc.stdout
    labour("compare", str(old), str(new), "--report", f"markdown:{md}", timeout=60)
    text = md.read_text()
    assert "\x1b" not in text and "\u202e" not in text and "\n| d" not in text


def test_the_gate_fail_line_escapes_labels_and_expressions(tmp_path, shard):
    doc = json.loads((shard / "results.json").read_text())
    doc["tests"][0]["label"] = ESC
    doc["plan"]["cells"][0]["label"] = ESC
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps(doc))
    proc = labour("merge", str(evil), "--fail-on", "verdict == down", timeout=60)
    assert proc.returncode == 1, proc.stderr
    gate = [l for l in proc.stderr.splitlines() if "gate FAIL" in l]
    assert len(gate) == 1, proc.stderr
    assert "a\\x1b[2J\\u202eb\\u200bc\\nd" in gate[0]
    for raw in ("\x1b", "\u202e", "\u200b"):
        assert raw not in proc.stderr and raw not in proc.stdout


def test_a_scenario_thresholds_gate_line_escapes_its_scenario_name(tmp_path, no_leftovers):
    f = tmp_path / "s.toml"
    f.write_text('name = "e\\u001b[2J\\u202ex"\nrequests = 5\n[thresholds]\ninnocent_failure_pct = "<0"\n'
                 '[[behaviour]]\nname = "PlainResponse"\n')
    proc = labour("-q", "run", "--server", "wsgiref", "--no-pin", "--scenario", str(f), timeout=120)
    assert proc.returncode == 1, proc.stderr
    gate = [l for l in proc.stderr.splitlines() if "gate FAIL" in l]
    assert len(gate) == 1 and "[scenario e\\x1b[2J\\u202ex]" in gate[0], proc.stderr
    assert "\x1b" not in proc.stderr and "\u202e" not in proc.stderr


def test_invisible_characters_in_a_name_are_escaped_in_errors():
    refused(labour("run", "--server", "nginx\u202e\u200b", "--scenario", "Plain", timeout=30),
            "unknown server 'nginx\\u202e\\u200b'")


# ---- a cell is completed only when all its runs are ----

def test_ctrl_c_during_a_repeat_leaves_the_cell_interrupted_and_resume_finishes_it(tmp_path, no_leftovers):
    out = tmp_path / "m"
    args = ["-q", "matrix", "--servers", "wsgiref", "--scenarios", "Plain", "-n", "200", "--repeat", "3",
            "--no-pin", "--out", str(out)]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    child = subprocess.Popen([LABOUR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL, start_new_session=True, env={**os.environ, "TMPDIR": str(tmp)})
    try:
        runs = set()  # each run's server gets a run dir of its own, with its server.log
        deadline = time.monotonic() + 120
        while len(runs) < 2 and child.poll() is None and time.monotonic() < deadline:
            runs |= {d.name for d in tmp.iterdir() if (d / "server.log").exists()}
            time.sleep(0.02)
        assert len(runs) >= 2, "the second run never started"
        os.killpg(child.pid, signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 130, err
    (cell,) = [json.loads(l) for l in (out / "cells.jsonl").read_text().splitlines()]
    assert cell["status"] == "interrupted", cell.get("status")
    assert cell["error"].startswith("interrupted after 1 of 3 runs"), cell["error"]
    assert "verdict" not in cell
    proc = labour(*args, "--resume", timeout=300)
    assert proc.returncode == 0, proc.stderr
    (cell,) = [json.loads(l) for l in (out / "cells.jsonl").read_text().splitlines()]
    assert cell["status"] == "completed" and cell["repeat"]["count"] == 3, cell.get("repeat")
    assert "in 3 of 3 runs" in cell["verdict"]["reason"] or "of 3 runs" in cell["verdict"]["reason"]


# ---- Ctrl-C during merge's write ----

def test_ctrl_c_while_merge_writes_its_report_ends_it_with_130(tmp_path, shard):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)  # nobody reads it: the write waits
    out = tmp_path / "merged"
    child = subprocess.Popen([LABOUR, "merge", str(shard), "--out", str(out), "--report", f"json:{fifo}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "results.json").exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (out / "results.json").exists(), child.communicate(timeout=5)
        time.sleep(0.3)  # now at the report
        os.killpg(child.pid, signal.SIGINT)
        _, err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 130, err
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0] and "report.fifo" in lines[0], err
    json.loads((out / "results.json").read_text())  # what was written is whole


# ---- the weak ones a new user meets first ----

def test_report_shows_cells_jsonl_with_a_cut_off_last_line(tmp_path, shard):
    folder = tmp_path / "m"
    folder.mkdir()
    whole = (shard / "cells.jsonl").read_text()
    (folder / "cells.jsonl").write_text(whole + whole[: len(whole) // 2])  # a second cell cut short
    proc = labour("report", str(folder), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Plain" in proc.stdout
    assert "cells.jsonl:2: the last line is cut short" in proc.stderr
    # A broken line that is not the last is still refused, by its number.
    (folder / "cells.jsonl").write_text(whole[: len(whole) // 2] + "\n" + whole)
    refused(labour("report", str(folder), timeout=60), "cells.jsonl:1: not a labour results line")


def test_merging_an_unfinished_shard_says_so(tmp_path, shard):
    folder = tmp_path / "s1"
    folder.mkdir()
    for name in ("cells.jsonl", "plan.json"):
        shutil.copy(shard / name, folder / name)
    refused(labour("merge", str(folder), "--out", str(tmp_path / "m"), timeout=60),
            f"'{folder}' is an unfinished shard", "--resume --out")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("path", ["/proc/labour-report.json", "/sys/labour-report.json"])
def test_a_report_under_proc_or_sys_is_refused_before_the_run(path):
    refused(labour("run", "--server", "wsgiref", "--scenario", "Plain", "--report", f"json:{path}", timeout=30),
            f"--report json:{path}", "is not writable")


def test_a_huge_fail_on_expression_is_not_repeated_in_the_error():
    expression = "x" * 120_000 + "<1"  # one argument may hold at most 128 KiB (MAX_ARG_STRLEN)
    line = refused(labour("run", "--server", "wsgiref", "--scenario", "Plain", "--fail-on", expression, timeout=30),
                   "--fail-on 'xxxx", "(120002 characters)", "unknown figure")
    assert len(line) < 2000, len(line)


def test_nan_in_a_scenario_is_named_as_such(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "s"\nrequests = 5\n[phases]\nstall = nan\n[[behaviour]]\nname = "PlainResponse"\n')
    line = refused(labour("run", "--server", "wsgiref", "--scenario", str(f), timeout=30),
                   "'stall': must be a finite number, 0.1 to 3600, not nan")
    assert "negative" not in line


def test_a_seed_above_2_to_the_53_is_refused_in_a_scenario_as_on_the_command_line(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "s"\nrequests = 5\nseed = 9007199254740993\n[[behaviour]]\nname = "PlainResponse"\n')
    refused(labour("run", "--server", "wsgiref", "--scenario", str(f), timeout=30),
            "'seed': must be 0 to 9007199254740992, not 9007199254740993")
    refused(labour("run", "--server", "wsgiref", "--scenario", "Plain", "--seed", "9007199254740993", timeout=30),
            "--seed: must be 0 to 9007199254740992, not 9007199254740993")


def test_a_plugin_of_another_machine_is_named_as_such(tmp_path):
    plugins = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(LABOUR))), "lib", "labour", "plugins")
    copy = tmp_path / "labour_behaviour_foreign.so"
    shutil.copy(os.path.join(plugins, "labour_behaviour_plainresponse.so"), copy)
    with open(copy, "r+b") as f:
        f.seek(18)
        machine = int.from_bytes(f.read(2), "little")
        f.seek(18)
        f.write((183 if machine != 183 else 62).to_bytes(2, "little"))  # aarch64, or x86-64 on aarch64
    proc = labour("list", "behaviours", "--plugin-dir", str(tmp_path), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "labour_behaviour_foreign.so: not a loadable library: built for another machine (" in proc.stderr
    assert "No such file or directory" not in proc.stderr


def test_sigkill_of_labour_leaves_no_run_dir(tmp_path, no_leftovers):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    child = subprocess.Popen([LABOUR, "-q", "run", "--server", "wsgiref", "--scenario", "Plain", "-d", "60",
                              "--no-pin"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(tmp)},
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any((d / "server.log").exists() for d in tmp.iterdir()):
            time.sleep(0.05)
        assert any((d / "server.log").exists() for d in tmp.iterdir()), list(tmp.iterdir())
        time.sleep(1)  # the server is up and the load runs
        child.kill()  # SIGKILL: labour cannot clean up; its watchdog does
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    deadline = time.monotonic() + 15
    while list(tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(tmp.iterdir()) == []


def test_a_command_without_port_is_refused_before_any_server():
    refused(labour("run", "--server", "command:command={python} -m http.server", "--scenario", "Plain", timeout=30),
            "has no {port}", "labour picks the port")


def test_load_against_a_closed_port_reports_errors_not_throughput():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    proc = labour("load", "--url", f"http://127.0.0.1:{port}/", "-n", "200", "--json", timeout=60)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["requests_per_second"] == 0 and doc["answered"] == 0 and doc["errors"] == doc["requests"]
    text = labour("load", "--url", f"http://127.0.0.1:{port}/", "-n", "200", timeout=60)
    assert "Requests/sec: 0.00" in text.stdout, text.stdout


@pytest.mark.parametrize("args,needle", [
    (["run", "--server", "gunicron", "--scenario", "Plain"], "unknown server 'gunicron'; did you mean 'gunicorn'?"),
    (["run", "--server", "wsgiref", "--scenario", "Plian"], "unknown scenario 'Plian'; did you mean 'Plain'?"),
    (["run", "--server", "gunicorn:wrokers=2", "--scenario", "Plain"], "did you mean 'workers'?"),
    (["run", "--server", "wsgiref", "--scenario", "Plain", "--report", "jsno"], "did you mean 'json'?"),
    (["mtrix"], "unknown command 'mtrix'; did you mean 'matrix'?"),
    (["run", "--sevrer", "wsgiref", "--scenario", "Plain"], "unknown option '--sevrer'; did you mean '--server'?"),
    (["run", "--server", "wsgiref", "--scenario", "Plain", "--fail-on", "p99_rato<5"], "did you mean 'p99_ratio'?"),
])
def test_unknown_names_say_did_you_mean(args, needle):
    refused(labour(*args, timeout=30), needle)


def test_unknown_scenario_keys_say_did_you_mean(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "s"\nrequests = 5\nconcurency = 2\n[[behaviour]]\nname = "PlainResponse"\n')
    refused(labour("run", "--server", "wsgiref", "--scenario", str(f), timeout=30),
            "unknown key 'concurency' in the scenario; did you mean 'concurrency'?")


def test_scenarios_take_the_list_syntax_of_servers():
    # Words, as --servers takes them: the second one is read as a scenario (and is unknown).
    refused(labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain", "Nope", timeout=30),
            "unknown scenario 'Nope'")
    refused(labour("matrix", "--servers", "wsgiref", "--scenarios", "Plain,Nope", timeout=30),
            "unknown scenario 'Nope'")


def test_a_command_servers_default_label_is_short_and_still_tells_two_apart(tmp_path, no_leftovers):
    # wsgiref started by the command adapter: the default label used to be the whole command line.
    def bootstrap(tag):
        return ("command:command={python} -c \"import sys, importlib; sys.path.insert(0, sys.argv[1]); "
                "from wsgiref.simple_server import make_server as m; "
                "m('127.0.0.1', int(sys.argv[2]), importlib.import_module(sys.argv[3]).application)"
                f".serve_forever()  # {tag}\" {{app_dir}} {{port}} {{app_module}}")
    out = tmp_path / "out.json"
    proc = labour("-q", "matrix", "--servers", bootstrap("one"), bootstrap("two"), "--scenarios", "Plain", "-n", "20",
                  "--no-pin", "--report", f"json:{out}", timeout=180)
    assert proc.returncode == 0, proc.stderr
    labels = [t["server"]["label"] for t in json.loads(out.read_text())["tests"]]
    assert len(labels) == 2 and labels[0] != labels[1], labels
    for label in labels:
        assert len(label) <= 40 and label.startswith("command:command=") and "..." in label, label


def test_worker_source_reads_a_worker_half_from_a_folder_without_a_rebuild(tmp_path, no_leftovers):
    # PlainResponse's worker half, edited to answer 203: the run sees the edit at once.
    original = open(os.path.join(os.environ.get("LABOUR_SOURCE_DIR", "."),
                                 "plugins/behaviours/plainresponse/PlainResponse.py")).read()
    folder = tmp_path / "behaviours" / "plainresponse"
    folder.mkdir(parents=True)
    edited = original.replace("def handle(", "def _original_handle(")
    edited += ("\n\ndef handle(environ, start_response, params, ctx):\n"
               "    start_response('203 Non-Authoritative Information', [('Content-Type', 'text/plain')])\n"
               "    return [b'edited']\n")
    (folder / "PlainResponse.py").write_text(edited)
    out = tmp_path / "out.json"
    proc = labour("--worker-source", str(tmp_path / "behaviours"), "-v", "run", "--server", "wsgiref", "--no-pin",
                  "--scenario", "Plain", "-n", "20", "--report", f"json:{out}", timeout=120)
    assert "worker half read from" in proc.stderr and "PlainResponse.py" in proc.stderr, proc.stderr
    (test,) = json.loads(out.read_text())["tests"]
    outcomes = {k for b in test["behaviours"] for k in b["outcomes"]}
    assert "http_203" in outcomes, test["behaviours"]
    # A folder that is not there is refused by name.
    refused(labour("--worker-source", str(tmp_path / "nope"), "run", "--server", "wsgiref", "--scenario", "Plain",
                   timeout=30), "--worker-source", "no such folder")


def test_a_scenario_without_an_innocent_behaviour_is_refused_before_any_server(tmp_path, no_leftovers):
    alone = tmp_path / "alone.toml"
    alone.write_text('name = "alone"\nrequests = 4\n[[behaviour]]\nname = "Sleeping"\nparams = { seconds = 0.01 }\n')
    proc = labour("run", "--server", "wsgiref", "--no-pin", "--scenario", str(alone), timeout=60)
    refused(proc, "scenario alone", "no behaviour is innocent", "PlainResponse", "--no-innocent")
    assert "started" not in proc.stderr
    # Asked for on purpose, it runs, and says what it could not judge.
    out = tmp_path / "out.json"
    labour("run", "--server", "wsgiref", "--no-pin", "--no-innocent", "--scenario", str(alone), "--report",
           f"json:{out}", timeout=60)
    (test,) = json.loads(out.read_text())["tests"]
    assert test["verdict"]["value"] == "inconclusive" and "no innocent behaviour" in test["verdict"]["reason"]
