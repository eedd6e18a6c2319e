"""labour's matrix as a real Slurm job array, on a one-node Slurm cluster that this test brings
up on this machine and takes down again: munged, slurmctld and slurmd run in the foreground
as the test's children, with their own munge key, slurm.conf (the node's real CPUs and
memory, from `slurmd -C`), state, spool and ports, listening on 127.0.0.1 only.
examples/slurm/submit.sh, as a user would run it, queues a 3-task array of a small matrix
(one shard per task: `--shard auto` reads SLURM_ARRAY_TASK_ID and the array's size) and the
merge job behind it (`--dependency=afterok`). The merged document must hold the cells and
verdicts of the same plan run whole, and nothing of Slurm may be left behind: no daemon, no
job step, no file."""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import LABOUR, SOURCE_DIR, labour

SUBMIT = Path(SOURCE_DIR).resolve() / "examples" / "slurm" / "submit.sh"
SERVERS = ["wsgiref", "waitress"]
# Verdicts that do not move with the machine's noise: only plain requests (robust), and
# segmentation faults that end both servers, being one process each (down).
SCENARIOS = "Plain,SIGSEGV"
EXPECTED = {"Plain": "robust", "SIGSEGV": "down"}
TOOLS = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "scancel", "sinfo"]
# Every process of this test's cluster carries this variable in its environment: the
# daemons, the job steps they start and the labour processes in them.
MARK = "LABOUR_SLURM_TEST"
ENDED = {"FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def marked(tag):
    """Pids of live processes whose environment holds MARK=tag."""
    found = []
    needle = f"{MARK}={tag}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def reap_zombie_children():
    """Reaps this process's children that have exited (orphans come here: see the subreaper)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            try:
                os.waitpid(int(entry), os.WNOHANG)
            except ChildProcessError:
                pass


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError as e:
        return f"({e})"


class Cluster:
    def __init__(self, root, env):
        self.root = root
        self.env = env
        self.daemons = {}  # name -> Popen

    def run(self, *args, timeout=30, check=True, env=None, cwd=None):
        proc = subprocess.run(list(args), env={**self.env, **(env or {})}, cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check:
            assert proc.returncode == 0, f"{' '.join(args)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
        return proc

    def start(self, name, argv):
        log = open(self.root / f"{name}.log", "w")
        self.daemons[name] = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def logs(self):
        return "\n".join(f"--- {name}.log\n{tail(self.root / f'{name}.log')}" for name in self.daemons)

    def wait_for(self, what, ready, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.daemons.items():
                assert proc.poll() is None, f"{name} exited {proc.returncode} while waiting for {what}\n{self.logs()}"
            if ready():
                return
            time.sleep(0.2)
        raise AssertionError(f"{what}: not within {timeout} s\n{self.logs()}")

    def jobs(self, job_id):
        """scontrol's view of a job (an array: one dict per task)."""
        proc = self.run("scontrol", "show", "job", "-o", str(job_id))
        return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in proc.stdout.splitlines() if line.strip()]

    def stop(self):
        """Cancels every job, stops the daemons (politely, then by signal) and returns what is
        left of the cluster's processes after they were killed."""
        ctld = self.daemons.get("slurmctld")
        if ctld is not None and ctld.poll() is None:
            queued = self.run("squeue", "-h", "-o", "%i", check=False).stdout.split()
            if queued:
                self.run("scancel", *queued, check=False)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and self.run("squeue", "-h", check=False).stdout.strip():
                    time.sleep(0.5)
            self.run("scontrol", "shutdown", check=False)
        for name in ("slurmctld", "slurmd", "munged"):
            proc = self.daemons.get(name)
            if proc is None:
                continue
            if name == "munged" and proc.poll() is None:
                proc.terminate()
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None and proc.poll() is None:
                    os.killpg(proc.pid, sig)  # its own session: its group is its pid
                try:
                    proc.wait(timeout=15)
                    break
                except subprocess.TimeoutExpired:
                    continue
        left = marked(self.env[MARK])
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
        reap_zombie_children()
        return left


@pytest.fixture(scope="module")
def slurm():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"Slurm cannot start here: {', '.join(missing)} not installed "
                    "(slurm-wlm and munge; scripts/setup-debian.sh test installs them)")
    if os.geteuid() != 0:
        pytest.skip("Slurm cannot start here: slurmd runs jobs as their users and must run as root")
    # slurmd hands job steps to slurmstepd processes that leave it: they stay descendants
    # of this process, which reaps them, instead of going to a PID 1 that may not.
    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    root = Path(tempfile.mkdtemp(prefix="labour-slurm-"))
    root.chmod(0o755)  # munged wants its socket's folder reachable by everyone
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "SBATCH_")) and k not in ("JOB_COMPLETION_INDEX", "LABOUR_SHARD_COUNT")}
    env.update(SLURM_CONF=str(root / "slurm.conf"), **{MARK: uuid.uuid4().hex})
    cluster = Cluster(root, env)
    try:
        for folder in ("state", "spool", "submit"):
            (root / folder).mkdir()
        cluster.run("mungekey", "--create", "--keyfile", str(root / "munge.key"))
        # The node as slurmd sees this machine: CPUs, sockets, cores, threads and memory.
        hardware = cluster.run("slurmd", "-C").stdout.splitlines()[0].split()
        node = " ".join(w for w in hardware if not w.startswith("NodeName="))
        assert "RealMemory=" in node and "CPUs=" in node, f"slurmd -C: {hardware}"
        munge_socket = root / "munge.socket"
        (root / "plugstack.conf").write_text("")
        # localhost resolves to 127.0.0.1, to which NoCtldInAddrAny and NoInAddrAny bind the
        # daemons (the machine's own hostname may resolve to another address).
        (root / "slurm.conf").write_text(f"""\
ClusterName=labourtest
SlurmctldHost=localhost
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
PlugStackConfig={root}/plugstack.conf
# No systemd and no cgroups in a container: process groups track the jobs.
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName=labour Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
        cluster.start("munged", ["munged", "--foreground", f"--socket={munge_socket}",
                                 f"--key-file={root}/munge.key", f"--pid-file={root}/munged.pid",
                                 f"--seed-file={root}/munged.seed", f"--log-file={root}/munged.file.log"])
        cluster.wait_for("munged's socket", munge_socket.exists, timeout=10)
        cluster.start("slurmctld", ["slurmctld", "-D"])
        cluster.wait_for("slurmctld answering", lambda: "is UP" in cluster.run("scontrol", "ping", check=False).stdout)
        cluster.start("slurmd", ["slurmd", "-D", "-N", "localhost"])
        cluster.wait_for("the node idle",
                         lambda: cluster.run("sinfo", "-h", "-o", "%t", check=False).stdout.strip() == "idle")
        yield cluster
    finally:
        left = cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
        assert not left, f"processes of the Slurm cluster left behind (killed now): {left}"
        assert not root.exists(), f"{root} was not removed"


def cells(document):
    return {(t["label"], t["scenario"]["name"]): t.get("verdict", {}).get("value", t["status"])
            for t in document["tests"]}


def load(path):
    return json.loads(Path(path).read_text())


def test_a_slurm_job_array_and_its_merge_job_give_the_cells_and_verdicts_of_the_whole_matrix(slurm, tmp_path):
    # The plan run whole, outside Slurm, as the reference.
    whole_dir = tmp_path / "whole"
    labour("matrix", "--servers", *SERVERS, "--scenarios", SCENARIOS, "--out", str(whole_dir), check=0, timeout=120)
    whole = load(whole_dir / "results.json")

    submit_dir = slurm.root / "submit"
    results = submit_dir / "labour-results"
    # The example as a user runs it, with the small matrix; SBATCH_* variables override the
    # scripts' #SBATCH lines (the memory asked for must fit a small machine; a hung job ends).
    proc = slurm.run(str(SUBMIT), "--servers", *SERVERS, "--scenarios", SCENARIOS, cwd=submit_dir,
                     env={"LABOUR": str(Path(LABOUR).resolve()), "SBATCH_MEM_PER_NODE": "256M",
                          "SBATCH_TIMELIMIT": "5"})
    ids = re.search(r"matrix job array (\d+), merge job (\d+)", proc.stdout)
    assert ids, proc.stdout + proc.stderr
    array_id, merge_id = ids.groups()

    def merge_state():
        (job,) = slurm.jobs(merge_id)
        assert job["JobState"] not in ENDED and job.get("Reason") != "DependencyNeverSatisfied", \
            f"merge job {merge_id}: {job['JobState']} ({job.get('Reason')})\n" + "\n".join(
                f"--- {p.name}\n{tail(p)}" for p in sorted(submit_dir.glob("*.out"))) + \
            "\n" + "\n".join(f"task {t.get('ArrayTaskId')}: {t['JobState']} exit {t.get('ExitCode')}"
                             for t in slurm.jobs(array_id))
        return job["JobState"] == "COMPLETED"

    slurm.wait_for(f"merge job {merge_id} completed", merge_state, timeout=240)

    # One task per shard, each finished before the merge started.
    tasks = slurm.jobs(array_id)
    assert sorted(t["ArrayTaskId"] for t in tasks) == ["0", "1", "2"], tasks
    assert all(t["JobState"] == "COMPLETED" and t["ExitCode"] == "0:0" for t in tasks), tasks
    (merge_job,) = slurm.jobs(merge_id)
    assert merge_job["Dependency"] in ("(null)", ""), merge_job  # met, hence cleared
    assert all(t["EndTime"] <= merge_job["StartTime"] for t in tasks), (tasks, merge_job)

    # Task i ran shard i+1 of 3, of the same plan as the whole run.
    for i in range(3):
        shard = load(results / f"shard-{i}" / "results.json")
        assert shard["plan"]["shard"] == {"index": i + 1, "count": 3}, shard["plan"]["shard"]
        assert shard["plan"]["fingerprint"] == whole["plan"]["fingerprint"]
        assert cells(shard), f"shard {i + 1} ran no cell"

    merged = load(results / "merged" / "results.json")
    assert cells(merged) == cells(whole)
    assert list(cells(merged)) == list(cells(whole)), "the merged tests are not in the plan's order"
    assert (results / "merged" / "report.html").stat().st_size > 1000
    merge_log = (submit_dir / f"labour-merge-{merge_id}.out").read_text()
    assert "merged from 3 shards" in merge_log.replace("\n  ", " "), merge_log
    # The reference itself is what these scenarios always give.
    assert cells(whole) == {(s, sc): v for s in SERVERS for sc, v in EXPECTED.items()}
