"""A matrix split over shards (`--shard K/N`, here three labour processes side by side on this
machine, as three CI runners or Kubernetes pods would run them) and merged back
(`labour merge`) gives what one process running the whole plan gives; cells run side by side
on one machine (`--jobs`) too. Real servers: wsgiref (one thread, so a sleeping request
holds up the innocent ones) and waitress (a thread pool, so it does not); both are killed by
a SIGSEGV in the worker, being one process."""
import json
import os
import subprocess

import pytest

from conftest import LABOUR, labour

SERVERS = ["wsgiref", "waitress"]

# The scenarios' verdicts must not hang on the latency of a busy 2-core machine running
# three matrices at once: the latency ratios that decide "degraded" are set far apart from
# what the sleep does (2 s against a baseline of a few ms is x100 or more) and from
# scheduling noise (x40 allowed).
SCENARIOS = {
    "Calm": ("PlainResponse", "", 20),
    "Crash": ("SIGSEGV", "", 1),
    "Sleepy": ("Sleeping", "seconds = 2.0", 1),
}


def write_scenarios(tmp_path):
    paths = []
    for name, (behaviour, params, weight) in SCENARIOS.items():
        text = (f'name = "{name}"\nrequests = 120\nconcurrency = 4\ntimeout = 5.0\npolicy = "spaced"\n'
                "[phases]\nbaseline_requests = 200\n"
                "[verdict]\nmax_p50_ratio = 40\nmax_p99_ratio = 40\n"
                '[[behaviour]]\nname = "PlainResponse"\nweight = 60\n'
                f'[[behaviour]]\nname = "{behaviour}"\nweight = {weight}\n')
        if params:
            text += f"params = {{ {params} }}\n"
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        paths.append(str(path))
    return ",".join(paths)


def matrix_args(scenarios, *extra):
    return ["matrix", "--servers", *SERVERS, "--scenarios", scenarios, "--no-pin", *extra]


def cells(document):
    return {(t["label"], t["scenario"]["name"]): t.get("verdict", {}).get("value", t["status"])
            for t in document["tests"]}


def load(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """The plan run whole, and run as three shards at once, each in its own folder."""
    tmp = tmp_path_factory.mktemp("sharded")
    scenarios = write_scenarios(tmp)
    whole = tmp / "whole"
    labour(*matrix_args(scenarios, "--out", str(whole)), check=0, timeout=300)
    procs = [subprocess.Popen([LABOUR, *matrix_args(scenarios, "--shard", f"{k}/3", "--out", str(tmp / f"shard-{k}"))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
             for k in (1, 2, 3)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, f"a shard exited {p.returncode}\n{out}\n{err}"
    return {"tmp": tmp, "scenarios": scenarios, "whole": load(whole / "results.json")}


def test_three_shards_merged_give_the_cells_and_verdicts_of_the_whole_matrix(sharded):
    tmp = sharded["tmp"]
    shards = [load(tmp / f"shard-{k}" / "results.json") for k in (1, 2, 3)]
    whole = sharded["whole"]
    # Every shard ran a part, no cell twice, and knows the whole plan.
    assert all(s["plan"]["fingerprint"] == whole["plan"]["fingerprint"] for s in shards)
    parts = [set(cells(s)) for s in shards]
    assert all(parts), f"a shard ran no cell: {parts}"
    assert sum(len(p) for p in parts) == len(cells(whole)) == 6
    merged_dir = tmp / "merged"
    proc = labour("merge", *(str(tmp / f"shard-{k}") for k in (3, 1, 2)), "--out", str(merged_dir),
                  "--report", f"html:{merged_dir}/report.html", check=0)
    merged = load(merged_dir / "results.json")
    assert cells(merged) == cells(whole), proc.stdout
    # In the plan's order, whatever the order the shards were given in.
    assert [(t["label"], t["scenario"]["name"]) for t in merged["tests"]] == \
        [(t["label"], t["scenario"]["name"]) for t in whole["tests"]]
    assert "merged from 3 shards of plan " + whole["plan"]["fingerprint"] in proc.stdout.replace("\n  ", " ")
    assert (merged_dir / "report.html").stat().st_size > 1000
    # The cells tell the servers apart: the innocent requests behind a sleeping one wait on
    # wsgiref's one thread, not on waitress's pool; a SIGSEGV takes both down.
    verdicts = cells(merged)
    assert verdicts[("wsgiref", "Sleepy")] == "degraded"
    assert verdicts[("waitress", "Sleepy")] == "robust"
    assert verdicts[("wsgiref", "Crash")] == verdicts[("waitress", "Crash")] == "down"
    assert verdicts[("wsgiref", "Calm")] == verdicts[("waitress", "Calm")] == "robust"


def test_merge_refuses_shards_of_another_plan_and_lists_missing_cells(sharded, tmp_path):
    tmp = sharded["tmp"]
    other = tmp_path / "other"
    # The same servers and scenarios with another request count: another plan.
    labour(*matrix_args(sharded["scenarios"], "-n", "60", "--shard", "2/3", "--out", str(other)), check=0, timeout=300)
    proc = labour("merge", str(tmp / "shard-1"), str(other), str(tmp / "shard-3"), "--out", str(tmp_path / "m"), check=2)
    line = proc.stderr.strip()
    assert "\n" not in line and "is a shard of another matrix" in line and str(other) in line, line
    assert not (tmp_path / "m").exists(), "a refused merge wrote something"

    proc = labour("merge", str(tmp / "shard-1"), str(tmp / "shard-3"), "--out", str(tmp_path / "m"), check=1)
    assert "planned cells have no result" in proc.stderr and "(shard 2)" in proc.stderr, proc.stderr
    assert not (tmp_path / "m").exists()
    labour("merge", str(tmp / "shard-1"), str(tmp / "shard-3"), "--allow-partial", "--out", str(tmp_path / "m"), check=0)
    partial = load(tmp_path / "m" / "results.json")
    assert len(partial["tests"]) == 6 - len(cells(load(tmp / "shard-2" / "results.json")))
    assert any("no result" in w for w in partial["warnings"])

    proc = labour("merge", str(tmp / "shard-1"), str(tmp / "shard-1" / "results.json"), check=2)
    assert "both shard 1/3" in proc.stderr
    cut = tmp_path / "cut.json"
    cut.write_text((tmp / "shard-2" / "results.json").read_text()[:500])
    proc = labour("merge", str(tmp / "shard-1"), str(cut), check=2)
    assert f"'{cut}' is not valid JSON" in proc.stderr


def test_shards_from_different_kinds_of_machine_are_flagged_in_every_reporter(sharded, tmp_path):
    tmp = sharded["tmp"]
    # Shard 2 as if it had run on another CPU: a real shard's document, its environment changed.
    doc = load(tmp / "shard-2" / "results.json")
    doc["environment"]["cpu_model"] = "Another CPU"
    moved = tmp_path / "shard-2.json"
    moved.write_text(json.dumps(doc))
    html = tmp_path / "report.html"
    proc = labour("merge", str(tmp / "shard-1"), str(moved), str(tmp / "shard-3"), "--out", str(tmp_path / "m"),
                  "--report", "console", "--report", f"html:{html}", check=0)
    merged = load(tmp_path / "m" / "results.json")
    assert len(merged["machines"]) == 2
    assert any("2 kinds of machine" in w and "cpu_model" in w for w in merged["warnings"])
    moved_cells = set(cells(doc))
    for t in merged["tests"]:
        assert t["machine"] == (2 if (t["label"], t["scenario"]["name"]) in moved_cells else 1)
    assert "warning: the figures come from 2 kinds of machine" in proc.stdout
    assert "machine 2: " in proc.stdout and "Another CPU" in proc.stdout
    assert "(machine 2)" in proc.stdout
    page = html.read_text()
    assert "2 kinds of machine" in page and "Another CPU" in page and "(machine 2)" in page


def test_resume_refuses_a_folder_of_another_plan(sharded, tmp_path):
    out = tmp_path / "out"
    labour(*matrix_args(sharded["scenarios"], "--shard", "1/3", "-n", "40", "--out", str(out)), check=0, timeout=300)
    before = (out / "cells.jsonl").read_text()
    proc = labour(*matrix_args(sharded["scenarios"], "--shard", "1/3", "-n", "41", "--out", str(out), "--resume"),
                  check=2)
    assert "holds a matrix of other servers, scenarios or load options" in proc.stderr, proc.stderr
    proc = labour(*matrix_args(sharded["scenarios"], "--shard", "2/3", "-n", "40", "--out", str(out), "--resume"),
                  check=2)
    assert "holds shard" in proc.stderr, proc.stderr
    assert (out / "cells.jsonl").read_text() == before, "a refused --resume changed the folder"


def test_jobs_side_by_side_run_the_same_cells_and_refuse_pinning_without_the_cpus(sharded, tmp_path):
    scenarios = sharded["scenarios"]
    one = tmp_path / "one"
    two = tmp_path / "two"
    labour(*matrix_args(scenarios, "-n", "40", "--out", str(one)), check=0, timeout=300)
    labour(*matrix_args(scenarios, "-n", "40", "--jobs", "2", "--out", str(two)), check=0, timeout=300)
    a, b = load(one / "results.json"), load(two / "results.json")
    assert list(cells(a)) == list(cells(b))  # the same cells, in the plan's order
    assert a["plan"]["fingerprint"] == b["plan"]["fingerprint"]  # --jobs is not part of the plan
    # Down is down however the cells were scheduled.
    assert cells(b)[("wsgiref", "Crash")] == cells(b)[("waitress", "Crash")] == "down"

    cpus = len(os.sched_getaffinity(0))
    if cpus >= 4:
        pytest.skip(f"{cpus} CPUs: two pinned jobs fit; the refusal needs fewer than 4")
    proc = labour("matrix", "--servers", *SERVERS, "--scenarios", scenarios, "--jobs", "2",
                  "--out", str(tmp_path / "pinned"), check=2)
    line = proc.stderr.strip()
    assert "\n" not in line and "--jobs 2: needs 4 CPUs" in line and "--no-pin" in line, line
    assert not (tmp_path / "pinned").exists(), "a refused matrix created its folder"


def scheduler_free_env(**extra):
    """This environment without any scheduler's shard variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("JOB_COMPLETION_INDEX", "LABOUR_SHARD_COUNT") and not k.startswith("SLURM_")}
    return {**env, **extra}


@pytest.mark.parametrize("shard, message", [
    ("0/3", "shard numbers run from 1 to 3"),
    ("4/3", "shard numbers run from 1 to 3"),
    ("x/y", "write K/N"),
    ("auto", "neither JOB_COMPLETION_INDEX"),
    # `--shard "$SHARD"` with SHARD unset: not the whole matrix in silence.
    ("", "empty (an unset shell variable?)"),
])
def test_bad_shards_are_one_line_errors_before_any_server_starts(shard, message, tmp_path):
    proc = subprocess.run([LABOUR, "matrix", "--servers", "wsgiref", "--scenarios", "Plain", "--shard", shard,
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60,
                          env=scheduler_free_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and f"--shard '{shard}'" in line and message in line, line
    assert not (tmp_path / "out").exists()


SLURM_TASK_1_OF_3 = {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "2",
                     "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_JOB_ID": "7", "SLURM_JOB_ID": "9"}


@pytest.mark.parametrize("extra, count, message", [
    ({**SLURM_TASK_1_OF_3, "JOB_COMPLETION_INDEX": "1"}, [], "both JOB_COMPLETION_INDEX (Kubernetes) and "
                                                             "SLURM_ARRAY_TASK_ID (Slurm) are set"),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0"}, [], "neither SLURM_ARRAY_TASK_COUNT nor"),
    (SLURM_TASK_1_OF_3, ["--shard-count", "4"], "--shard-count 4 disagrees with the Slurm array's 3 tasks"),
    ({**SLURM_TASK_1_OF_3, "SLURM_ARRAY_TASK_MAX": "4"}, [], "gaps or a step"),
    ({"SLURM_JOB_ID": "9"}, [], "not an array task: submit it with sbatch --array"),
])
def test_shard_auto_refuses_an_ambiguous_or_partial_scheduler_environment(extra, count, message, tmp_path):
    proc = subprocess.run([LABOUR, "matrix", "--servers", "wsgiref", "--scenarios", "Plain", "--shard", "auto",
                           *count, "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60,
                          env=scheduler_free_env(**extra), stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and "--shard 'auto'" in line and message in line, line
    assert not (tmp_path / "out").exists()


def test_shard_auto_takes_the_kubernetes_index(tmp_path):
    env = scheduler_free_env(JOB_COMPLETION_INDEX="1", LABOUR_SHARD_COUNT="2")
    out = tmp_path / "out"
    proc = subprocess.run([LABOUR, "matrix", "--servers", "wsgiref", "--scenarios", "Plain,SIGSEGV", "-n", "30",
                           "--no-pin", "--shard", "auto", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    doc = load(out / "results.json")
    assert doc["plan"]["shard"] == {"index": 2, "count": 2}
    mine = [c for c in doc["plan"]["cells"] if c["shard"] == 2]
    assert [(t["label"], t["scenario"]["name"]) for t in doc["tests"]] == [(c["label"], c["scenario"]) for c in mine]
