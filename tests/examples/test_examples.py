"""The examples/ folder (Containerfile, Kubernetes Jobs, GitHub workflow, Slurm scripts) cannot
all run here: no registry, no Kubernetes cluster, no network (the Slurm scripts do run, on a
one-node cluster: tests/integration/test_slurm.py). These tests check what can be checked
without them: the YAML parses, the Kubernetes objects load into python3-kubernetes' models
with no field unknown to them, the shard counts and folders agree from one file to the
next, the paths exist, and every labour command line names options that labour really has."""
import copy
import fnmatch
import functools
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import kubernetes.client
import pytest
import yaml

SOURCE_DIR = Path(os.environ.get("LABOUR_SOURCE_DIR", Path(__file__).resolve().parents[2]))
EXAMPLES = SOURCE_DIR / "examples"
LABOUR = os.environ.get("LABOUR_BIN", str(SOURCE_DIR / "build" / "bin" / "labour"))

MATRIX_JOB = EXAMPLES / "kubernetes" / "labour-matrix-job.yaml"
MERGE_JOB = EXAMPLES / "kubernetes" / "labour-merge-job.yaml"
WORKFLOW = EXAMPLES / "github" / "labour-matrix.yml"
SLURM_ARRAY = EXAMPLES / "slurm" / "labour-array.sbatch"
SLURM_MERGE = EXAMPLES / "slurm" / "labour-merge.sbatch"
SLURM_SUBMIT = EXAMPLES / "slurm" / "submit.sh"
CONTAINERFILE = EXAMPLES / "Containerfile"
README = EXAMPLES / "README.md"

INDEX = "$(JOB_COMPLETION_INDEX)"
# Options that take no value; every other option takes the words up to the next option.
FLAGS = {"--no-pin", "--resume", "--allow-partial", "--no-keepalive", "--keep-run-dir"}
SHELL_OPERATORS = {"|", "||", "&&", ";", "&"}


# --- reading the examples ---------------------------------------------------------------

def yaml_files():
    return sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yaml", ".yml"))


def documents(path):
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as e:
        raise AssertionError(f"{path.relative_to(SOURCE_DIR)} is not valid YAML: {e}") from None


def one(path, kind):
    found = [d for d in documents(path) if d.get("kind") == kind]
    assert len(found) == 1, f"{path.name}: expected one {kind}, found {len(found)}"
    return found[0]


def the_container(job, path):
    containers = job["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{path.name}: expected one container, found {len(containers)}"
    return containers[0]


def parse(words):
    """A labour command line after the subcommand -> (positionals, {option: [values]})."""
    positionals, options, current = [], {}, None
    for word in words:
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            options.setdefault(name, [])
            current = None if name in FLAGS else name
            if eq:
                options[name].append(value)
                current = None
        elif current is not None:
            options[current].append(word)
        else:
            positionals.append(word)
    return positionals, options


def single(options, name, where):
    values = options.get(name, [])
    assert len(values) == 1, f"{where}: expected one value for {name}, found {values}"
    return values[0]


def job_command(path, kind="Job"):
    """(subcommand, words) of a Job's container: the image's entrypoint is labour."""
    container = the_container(one(path, kind), path)
    argv = [str(a) for a in container.get("command", ["labour"]) + container.get("args", [])]
    assert Path(argv[0]).name == "labour", f"{path.name}: the container runs {argv[0]}, not labour"
    return argv[1], argv[2:]


def tidy_expressions(text):
    # "${{ matrix.shard }}" -> "${{matrix.shard}}": one word for shlex, one spelling to compare.
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", r"${{\1}}", text)


def is_labour(word):
    """labour itself, by path or through a shell variable named for it ("$labour")."""
    return Path(word).name == "labour" or re.fullmatch(r"\$\{?labour\}?", word, re.I) is not None


def shell_commands(text, where):
    """Every `labour matrix|merge ...` in shell text -> [(where, subcommand, words)]."""
    found = []
    text = tidy_expressions(text.replace("\\\n", " "))
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        for i, word in enumerate(words[:-1]):
            if is_labour(word) and words[i + 1] in ("matrix", "merge"):
                rest = []
                for w in words[i + 2:]:
                    if w in SHELL_OPERATORS or w.startswith((">", "2>")):
                        break
                    rest.append(w)
                found.append((where, words[i + 1], rest))
    return found


def workflow():
    return documents(WORKFLOW)[0]


def workflow_steps():
    for job_id, job in workflow()["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, job, step


def readme_code_lines():
    lines, fenced = [], False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            lines.append(line)
    return "\n".join(lines)


def all_commands():
    """Every labour command line in the examples: [(where, subcommand, words)]."""
    commands = [(path.name, *job_command(path)) for path in (MATRIX_JOB, MERGE_JOB)]
    for job_id, _, step in workflow_steps():
        if "run" in step:
            commands += shell_commands(step["run"], f"{WORKFLOW.name} job {job_id}")
    commands += shell_commands(readme_code_lines(), README.name)
    commands.append((SLURM_ARRAY.name, "matrix", slurm_matrix_words()))
    commands += shell_commands(SLURM_MERGE.read_text(), SLURM_MERGE.name)
    return commands


@functools.lru_cache(maxsize=None)
def help_text(subcommand):
    assert Path(LABOUR).is_file(), f"LABOUR_BIN={LABOUR} does not exist: build labour or set LABOUR_BIN"
    proc = subprocess.run([LABOUR, subcommand, "--help"], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"labour {subcommand} --help: exit {proc.returncode}\n{proc.stderr}"
    # An unknown subcommand gets labour's own help, which names the subcommands instead.
    usage = re.search(rf"^Usage: \S*labour {subcommand}\b", proc.stdout, re.M)
    assert usage, f"labour has no '{subcommand}' command: `labour {subcommand} --help` prints labour's own help"
    return proc.stdout


def matrix_job_shards():
    """(shard count, --out template) of the Indexed Job."""
    _, words = job_command(MATRIX_JOB)
    _, options = parse(words)
    container = the_container(one(MATRIX_JOB, "Job"), MATRIX_JOB)
    counts = [int(v) for v in options.get("--shard-count", [])]
    counts += [int(e["value"]) for e in container.get("env", []) if e["name"] == "LABOUR_SHARD_COUNT"]
    assert counts, f"{MATRIX_JOB.name}: neither --shard-count nor LABOUR_SHARD_COUNT gives the shard count"
    assert len(set(counts)) == 1, f"{MATRIX_JOB.name}: --shard-count and LABOUR_SHARD_COUNT disagree: {counts}"
    return counts[0], single(options, "--out", MATRIX_JOB.name)


def mount_of(path, job, folder):
    """The volumeMount of job's container that holds folder, and the claim behind it."""
    spec = job["spec"]["template"]["spec"]
    for mount in the_container(job, path).get("volumeMounts", []):
        root = mount["mountPath"].rstrip("/") + "/"
        if folder.startswith(root):
            volume = next(v for v in spec.get("volumes", []) if v["name"] == mount["name"])
            assert "persistentVolumeClaim" in volume, \
                f"{path.name}: {folder} is on volume {volume['name']}, which is not a PersistentVolumeClaim"
            return mount["mountPath"], volume["persistentVolumeClaim"]["claimName"]
    raise AssertionError(f"{path.name}: no volume is mounted where {folder} is written")


# --- YAML ---------------------------------------------------------------------------------

def test_every_yaml_file_parses():
    names = {p.name for p in yaml_files()}
    assert {MATRIX_JOB.name, MERGE_JOB.name, WORKFLOW.name} <= names, f"examples/ holds only {sorted(names)}"
    for path in yaml_files():
        docs = documents(path)
        assert docs, f"{path.relative_to(SOURCE_DIR)} holds no YAML document"
        for doc in docs:
            assert isinstance(doc, dict), f"{path.relative_to(SOURCE_DIR)}: a document is a {type(doc).__name__}"


def test_readme_names_every_example():
    # Its table has a row for every file.
    rows = re.findall(r"^\| `([^`]+)` \|", README.read_text(), re.M)
    files = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*") if p.is_file() and p != README)
    assert sorted(rows) == files, f"examples/README.md's table lists {sorted(rows)}; the files are {files}"


# --- Kubernetes -----------------------------------------------------------------------------

def test_indexed_job_runs_one_shard_per_pod():
    job = one(MATRIX_JOB, "Job")
    spec = job["spec"]
    count, _ = matrix_job_shards()
    subcommand, words = job_command(MATRIX_JOB)
    _, options = parse(words)
    assert subcommand == "matrix", f"{MATRIX_JOB.name} runs labour {subcommand}"
    assert spec.get("completionMode") == "Indexed", "the matrix Job must be Indexed: JOB_COMPLETION_INDEX picks the shard"
    assert spec.get("completions") == count, f"completions {spec.get('completions')} != shard count {count}"
    assert spec.get("parallelism") == count, f"parallelism {spec.get('parallelism')} != shard count {count}"
    assert single(options, "--shard", MATRIX_JOB.name) == "auto", "each pod must take its shard from its index"
    assert spec["template"]["spec"].get("restartPolicy") == "Never", "restartPolicy must be Never"
    assert "backoffLimitPerIndex" in spec or "backoffLimit" in spec, "the Job must say how often a shard is retried"


def test_indexed_job_writes_each_shard_to_its_own_folder_on_the_claim():
    _, out = matrix_job_shards()
    assert INDEX in out, f"--out {out}: every shard needs a folder of its own, named by {INDEX}"
    _, claim = mount_of(MATRIX_JOB, one(MATRIX_JOB, "Job"), out)
    pvc = one(MATRIX_JOB, "PersistentVolumeClaim")
    assert pvc["metadata"]["name"] == claim, f"the Job mounts claim {claim}, the file declares {pvc['metadata']['name']}"


def test_merge_job_merges_every_shard_of_the_matrix_job():
    count, out = matrix_job_shards()
    job = one(MERGE_JOB, "Job")
    subcommand, words = job_command(MERGE_JOB)
    shards, options = parse(words)
    assert subcommand == "merge", f"{MERGE_JOB.name} runs labour {subcommand}"
    expected = [out.replace(INDEX, str(i)) for i in range(count)]
    assert shards == expected, f"{MERGE_JOB.name} merges {shards}; the matrix Job writes {expected}"
    assert job["spec"]["template"]["spec"].get("restartPolicy") == "Never", "restartPolicy must be Never"

    matrix_job = one(MATRIX_JOB, "Job")
    _, matrix_claim = mount_of(MATRIX_JOB, matrix_job, out)
    reports = [r.partition(":")[2] for r in options.get("--report", [])]
    written = [single(options, "--out", MERGE_JOB.name)] + [r for r in reports if r not in ("", "-")]
    for folder in shards + written:
        _, claim = mount_of(MERGE_JOB, job, folder)
        assert claim == matrix_claim, f"{MERGE_JOB.name} reads/writes {folder} on claim {claim}, not {matrix_claim}"
    # labour checks that a report's folder exists before it starts: the volume's root and the
    # shards' folders do, and the --out folder, which labour creates, may hold reports too.
    root, _ = mount_of(MERGE_JOB, job, written[0])
    for report in written[1:]:
        folder = os.path.dirname(report)
        allowed = [root.rstrip("/"), written[0].rstrip("/")] + shards
        assert folder in allowed, f"{MERGE_JOB.name}: --report {report}: {folder} does not exist yet"
    image = the_container(job, MERGE_JOB)["image"]
    matrix_image = the_container(matrix_job, MATRIX_JOB)["image"]
    assert image == matrix_image, f"the merge Job runs {image}, the matrix Job {matrix_image}"


# --- Kubernetes objects as python3-kubernetes' models -----------------------------------------

MODELS = {("batch/v1", "Job"): "V1Job", ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim"}
# Fields newer than Debian 12's python3-kubernetes (22.6, the Kubernetes 1.22 API), each with
# its type and the Kubernetes version that added it: checked here by name and type only.
NEWER_FIELDS = {("V1JobSpec", "backoffLimitPerIndex"): (int, "1.29")}
PRIMITIVES = {"str": str, "int": int, "float": (int, float), "bool": bool}


def build(type_name, data, where):
    """`data` (from YAML) as an instance of python3-kubernetes' `type_name`, refusing any field
    the model does not have, a value of the wrong type and a missing required field."""
    if type_name.startswith("list["):
        assert isinstance(data, list), f"{where}: expected a list, found {data!r}"
        return [build(type_name[5:-1], item, f"{where}[{i}]") for i, item in enumerate(data)]
    if type_name.startswith("dict("):
        assert isinstance(data, dict), f"{where}: expected a mapping, found {data!r}"
        value_type = type_name[5:-1].split(", ", 1)[1]
        return {key: build(value_type, value, f"{where}.{key}") for key, value in data.items()}
    if type_name in PRIMITIVES:
        ok = isinstance(data, PRIMITIVES[type_name]) and (type_name == "bool" or not isinstance(data, bool))
        assert ok, f"{where}: expected {type_name}, found {data!r}"
        return data
    if type_name == "object":
        return data
    model = getattr(kubernetes.client, type_name)
    assert isinstance(data, dict), f"{where}: expected a {type_name} mapping, found {data!r}"
    python_name = {json_name: attr for attr, json_name in model.attribute_map.items()}
    fields = {}
    for key, value in data.items():
        if (type_name, key) in NEWER_FIELDS:
            kind, version = NEWER_FIELDS[(type_name, key)]
            assert isinstance(value, kind) and not isinstance(value, bool), \
                f"{where}.{key}: expected {kind.__name__} (a field of Kubernetes {version}), found {value!r}"
            continue
        assert key in python_name, \
            f"{where}.{key}: {type_name} has no field '{key}' (its fields: {', '.join(sorted(python_name))})"
        attr = python_name[key]
        fields[attr] = build(model.openapi_types[attr], value, f"{where}.{key}")
    try:
        return model(**fields)
    except (TypeError, ValueError) as e:  # a required field missing, a value not allowed
        raise AssertionError(f"{where}: not a valid {type_name}: {e}") from None


def load_object(document, where):
    key = (document.get("apiVersion"), document.get("kind"))
    assert key in MODELS, f"{where}: no model for apiVersion {key[0]} kind {key[1]} (known: {sorted(MODELS)})"
    return build(MODELS[key], document, f"{where} {key[1]}")


def kubernetes_documents():
    return [(path, doc) for path in (MATRIX_JOB, MERGE_JOB) for doc in documents(path)]


def test_kubernetes_objects_load_into_the_client_models():
    loaded = [load_object(doc, path.name) for path, doc in kubernetes_documents()]
    kinds = sorted(type(o).__name__ for o in loaded)
    assert kinds == ["V1Job", "V1Job", "V1PersistentVolumeClaim"], kinds
    job = next(o for o in loaded if type(o).__name__ == "V1Job" and o.metadata.name == "labour-matrix")
    assert job.spec.completion_mode == "Indexed"
    assert job.spec.template.spec.containers[0].resources.limits == {"cpu": "2", "memory": "2Gi"}


def misspelt(document, path, wrong):
    """A copy of `document` whose key at `path` (keys and list indices) is renamed `wrong`."""
    bad = copy.deepcopy(document)
    node = bad
    for step in path[:-1]:
        node = node[step]
    node[wrong] = node.pop(path[-1])
    return bad


CONTAINER = ("spec", "template", "spec", "containers", 0)


@pytest.mark.parametrize("file, path, wrong, message", [
    ("labour-matrix-job.yaml", ("spec", "completionMode"), "completionMod", "V1JobSpec has no field 'completionMod'"),
    ("labour-matrix-job.yaml", ("spec", "backoffLimitPerIndex"), "backoffLimitPerIndx",
     "has no field 'backoffLimitPerIndx'"),
    ("labour-matrix-job.yaml", (*CONTAINER, "volumeMounts"), "volumeMount", "V1Container has no field 'volumeMount'"),
    ("labour-matrix-job.yaml", (*CONTAINER, "resources", "limits"), "limit", "has no field 'limit'"),
    ("labour-merge-job.yaml", ("spec", "template", "spec", "restartPolicy"), "restartpolicy",
     "V1PodSpec has no field 'restartpolicy'"),
    ("labour-merge-job.yaml", ("spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName"),
     "claim", "has no field 'claim'"),
])
def test_a_misspelt_kubernetes_field_is_refused(file, path, wrong, message):
    job = next(doc for p, doc in kubernetes_documents() if p.name == file and doc["kind"] == "Job")
    load_object(job, file)  # the example as written loads
    with pytest.raises(AssertionError, match=re.escape(message)):
        load_object(misspelt(job, path, wrong), file)


def test_a_kubernetes_object_missing_a_required_field_or_of_the_wrong_type_is_refused():
    job = next(doc for p, doc in kubernetes_documents() if p == MATRIX_JOB and doc["kind"] == "Job")
    nameless = copy.deepcopy(job)
    del nameless["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(AssertionError, match="not a valid V1Container"):
        load_object(nameless, "nameless")
    wrong_type = copy.deepcopy(job)
    wrong_type["spec"]["completions"] = "3"
    with pytest.raises(AssertionError, match=r"spec\.completions: expected int"):
        load_object(wrong_type, "wrong type")


# --- GitHub Actions -------------------------------------------------------------------------

def workflow_shards():
    """(job id, shard list, shard count from --shard, --out template) of the sharded job."""
    jobs = [(i, j) for i, j in workflow()["jobs"].items() if "shard" in j.get("strategy", {}).get("matrix", {})]
    assert len(jobs) == 1, f"{WORKFLOW.name}: expected one job with strategy.matrix.shard, found {len(jobs)}"
    job_id, job = jobs[0]
    matrix = job["strategy"]["matrix"]
    runs = [c for s in job["steps"] if "run" in s for c in shell_commands(s["run"], job_id) if c[1] == "matrix"]
    assert len(runs) == 1, f"{WORKFLOW.name} job {job_id}: expected one labour matrix, found {len(runs)}"
    _, options = parse(runs[0][2])
    shard = single(options, "--shard", f"{WORKFLOW.name} job {job_id}")
    k, _, n = shard.partition("/")
    assert k == "${{matrix.shard}}", f"--shard {shard}: K must be the matrix's shard"
    # N as a number, as the matrix's size, or from an env variable of the workflow or the job.
    variable = re.fullmatch(r"\$\{\{env\.(\w+)\}\}|\$\{(\w+)\}|\$(\w+)", n)
    if n == "${{strategy.job-total}}":
        n = 1
        for values in matrix.values():
            n *= len(values) if isinstance(values, list) else 1
    elif variable:
        name = next(g for g in variable.groups() if g)
        env = {**workflow().get("env", {}), **job.get("env", {})}
        assert name in env, f"--shard {shard}: {name} is not set in the workflow's or the job's env"
        n = env[name]
    assert str(n).isdigit(), f"--shard {shard}: N is not a number"
    return job_id, matrix["shard"], int(n), single(options, "--out", f"{WORKFLOW.name} job {job_id}")


def upload_steps(job_id):
    return [s for j, _, s in workflow_steps() if j == job_id and s.get("uses", "").startswith("actions/upload-artifact@")]


def test_workflow_matrix_lists_every_shard_once():
    job_id, shards, count, _ = workflow_shards()
    assert shards == list(range(1, count + 1)), \
        f"{WORKFLOW.name} job {job_id}: matrix.shard is {shards}, --shard divides by {count}"


def test_workflow_builds_labour_on_debian_12():
    # Every job that runs labour builds it, with Debian 12's packages.
    for job_id, job in workflow()["jobs"].items():
        runs = [s["run"] for s in job.get("steps", []) if "run" in s]
        if not any(shell_commands(r, job_id) for r in runs):
            continue
        image = job.get("container")
        image = image.get("image") if isinstance(image, dict) else image
        assert image == "debian:12", f"{WORKFLOW.name} job {job_id} runs in {image!r}: setup-debian.sh needs debian:12"
        assert any("scripts/setup-debian.sh" in r for r in runs), \
            f"{WORKFLOW.name} job {job_id} does not run scripts/setup-debian.sh"


def test_workflow_uploads_every_shard_and_merges_them_all():
    job_id, shards, _, out = workflow_shards()
    uploads = [s["with"] for s in upload_steps(job_id)]
    assert [tidy_expressions(u["path"]) for u in uploads] == [out], \
        f"{WORKFLOW.name} job {job_id} writes {out} but uploads {[u['path'] for u in uploads]}"
    artifact = tidy_expressions(uploads[0]["name"])
    assert "${{matrix.shard}}" in artifact, f"artifact name {artifact} is the same for every shard"
    names = [artifact.replace("${{matrix.shard}}", str(k)) for k in shards]

    merges = [(j, job) for j, job in workflow()["jobs"].items()
              if any(c[1] == "merge" for s in job.get("steps", []) if "run" in s for c in shell_commands(s["run"], j))]
    assert len(merges) == 1, f"{WORKFLOW.name}: expected one job running labour merge, found {len(merges)}"
    merge_id, merge_job = merges[0]
    needs = merge_job.get("needs", [])
    assert job_id in ([needs] if isinstance(needs, str) else needs), f"job {merge_id} does not need {job_id}"

    downloads = [s.get("with", {}) for s in merge_job["steps"] if s.get("uses", "").startswith("actions/download-artifact@")]
    assert len(downloads) == 1, f"job {merge_id}: expected one actions/download-artifact step"
    download = downloads[0]
    # Without a name, every artifact lands in <path>/<its name>/ (unless merge-multiple).
    assert "name" not in download and not download.get("merge-multiple"), \
        f"job {merge_id}: download the shards each into a folder of its own name"
    pattern = download.get("pattern", "*")
    assert all(fnmatch.fnmatch(n, pattern) for n in names), f"download pattern {pattern} misses some of {names}"
    root = download.get("path", ".").rstrip("/")

    merge = [c for s in merge_job["steps"] if "run" in s for c in shell_commands(s["run"], merge_id) if c[1] == "merge"]
    inputs, options = parse(merge[0][2])
    # The shell expands each input in the workspace, where the artifacts are root/<name>/.
    landed = {os.path.normpath(f"{root}/{n}"): n for n in names}
    matched = sorted(n for path, n in landed.items()
                     if any(fnmatch.fnmatch(path, os.path.normpath(i)) for i in inputs))
    assert matched == sorted(names), f"labour merge {inputs} reads {matched}, the shards are {names}"
    # No input matches anything but a shard's artifact folder (labour's own checkout is there too).
    for i in inputs:
        strays = [p.name for p in SOURCE_DIR.iterdir() if p.is_dir() and fnmatch.fnmatch(p.name, i.rstrip("/"))]
        assert not strays, f"labour merge {i} would also read the repository's {strays}"
    merged = single(options, "--out", f"job {merge_id}")
    # labour checks that a report's folder exists before it starts (the --out folder it creates).
    script = next(s["run"] for s in merge_job["steps"] if "run" in s and shell_commands(s["run"], merge_id))
    for report in options.get("--report", []):
        folder = os.path.dirname(report.partition(":")[2])
        made = re.search(rf"mkdir (-p )?{re.escape(folder)}/?\n.*labour merge", script, re.S)
        ok = folder in ("", ".", merged.rstrip("/")) or made
        assert ok, f"job {merge_id}: --report {report}: nothing creates {folder} first"
    assert [u["with"]["path"] for u in upload_steps(merge_id)] == [merged], f"job {merge_id} does not upload {merged}"


# --- Slurm ------------------------------------------------------------------------------------

def sbatch_directives(path):
    """The #SBATCH options of a batch script: {option: value}. sbatch reads them only before
    the script's first command, so one after it is an error here."""
    options, commands_started = {}, False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("#SBATCH"):
            assert not commands_started, f"{path.name}:{number}: #SBATCH after the first command is ignored by sbatch"
            name, _, value = line.split()[1].partition("=")
            options[name] = value
        elif line.strip() and not line.startswith("#"):
            commands_started = True
    return options


def slurm_matrix_words():
    """The array task's labour matrix: its default matrix (`set -- ...`, used when sbatch passes
    the script no arguments) and the options it always adds."""
    text = SLURM_ARRAY.read_text()
    defaults = re.findall(r"^\s*set -- (.*)$", text, re.M)
    assert len(defaults) == 1, f"{SLURM_ARRAY.name}: expected one `set -- ...` giving the default matrix"
    runs = shell_commands(text, SLURM_ARRAY.name)
    assert len(runs) == 1 and runs[0][1] == "matrix", f"{SLURM_ARRAY.name}: expected one labour matrix, found {runs}"
    return shlex.split(defaults[0]) + [w for w in runs[0][2] if w != "$@"]


def slurm_array_tasks():
    """The task indices of the array script's --array, which must be a plain range A-B."""
    array = sbatch_directives(SLURM_ARRAY).get("--array")
    assert array, f"{SLURM_ARRAY.name} has no #SBATCH --array"
    match = re.fullmatch(r"(\d+)-(\d+)(%\d+)?", array)
    assert match, f"--array={array}: labour needs one task per shard, a range A-B without a step or a list"
    return list(range(int(match.group(1)), int(match.group(2)) + 1))


def test_slurm_array_runs_one_shard_per_task_into_its_own_folder():
    tasks = slurm_array_tasks()
    _, options = parse(slurm_matrix_words())
    assert single(options, "--shard", SLURM_ARRAY.name) == "auto", "each task must take its shard from its index"
    # The count is the array's size; a --shard-count that disagrees is refused at run time.
    for count in options.get("--shard-count", []):
        assert int(count) == len(tasks), f"--shard-count {count}, but --array has {len(tasks)} tasks"
    out = single(options, "--out", SLURM_ARRAY.name)
    assert "$SLURM_ARRAY_TASK_ID" in out, f"--out {out}: every task needs a folder of its own"
    assert "--jobs" in options, "the task's CPUs decide how many cells run side by side (--jobs)"
    assert "SLURM_CPUS_PER_TASK" in SLURM_ARRAY.read_text() and "--cpus-per-task" in sbatch_directives(SLURM_ARRAY)


def test_slurm_merge_reads_every_task_folder_and_nothing_else():
    tasks = slurm_array_tasks()
    _, options = parse(slurm_matrix_words())
    out = single(options, "--out", SLURM_ARRAY.name)
    (merge,) = [c for c in shell_commands(SLURM_MERGE.read_text(), SLURM_MERGE.name) if c[1] == "merge"]
    inputs, merge_options = parse(merge[2])
    folders = [out.replace("$SLURM_ARRAY_TASK_ID", str(t)) for t in tasks]
    read = [f for f in folders if any(fnmatch.fnmatch(f, i) for i in inputs)]
    assert read == folders, f"labour merge {inputs} reads {read}; the tasks write {folders}"
    merged = single(merge_options, "--out", SLURM_MERGE.name)
    assert not any(fnmatch.fnmatch(merged, i) for i in inputs), f"labour merge {inputs} would read its own {merged}"
    # Both scripts put the results in the same folder.
    results = [re.findall(r"^results=(.*)$", p.read_text(), re.M) for p in (SLURM_ARRAY, SLURM_MERGE)]
    assert results[0] == results[1] and len(results[0]) == 1, f"the scripts' results folders differ: {results}"


def test_slurm_submit_queues_the_merge_after_every_task_succeeded():
    text = SLURM_SUBMIT.read_text()
    assert os.access(SLURM_SUBMIT, os.X_OK), f"{SLURM_SUBMIT.name} is not executable"
    array = re.search(r"^(\w+)=\$\(sbatch --parsable \"\$here/" + re.escape(SLURM_ARRAY.name), text, re.M)
    assert array, f"{SLURM_SUBMIT.name} does not submit {SLURM_ARRAY.name} and keep its job id"
    merge = re.search(r"sbatch --parsable --dependency=afterok:\"?\$" + array.group(1) + r"\"? .*\$here/" +
                      re.escape(SLURM_MERGE.name), text)
    assert merge, f"{SLURM_SUBMIT.name} does not submit {SLURM_MERGE.name} with --dependency=afterok on the array"
    assert "--kill-on-invalid-dep=yes" in merge.group(0), "a merge whose array failed would wait in the queue forever"


# --- Containerfile --------------------------------------------------------------------------

def containerfile_instructions():
    """[(INSTRUCTION, arguments)], continuation lines joined, comments dropped."""
    lines = [line for line in CONTAINERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    instructions = []
    for line in "\n".join(lines).replace("\\\n", " ").splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            instructions.append((instruction.upper(), arguments.strip()))
    return instructions


def copy_sources(arguments):
    """The sources of COPY/ADD in either form, without options such as --chown."""
    words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    return [w for w in words if not w.startswith("--")][:-1]


def test_containerfile_starts_from_debian_12_and_runs_setup_debian():
    instructions = containerfile_instructions()
    assert instructions[0] == ("FROM", "debian:12"), f"the Containerfile starts with {instructions[0]}"
    runs = [a for i, a in instructions if i == "RUN"]
    calls = [m for a in runs for m in re.findall(r"scripts/setup-debian\.sh(?:\s+(\w+))?", a)]
    assert calls, "the Containerfile never runs scripts/setup-debian.sh"
    usage = re.search(r"Usage: .*\[([\w|]+)\]", (SOURCE_DIR / "scripts/setup-debian.sh").read_text()).group(1)
    for what in calls:
        assert what in usage.split("|"), f"scripts/setup-debian.sh {what}: not one of {usage}"
    assert "build" in calls or "all" in calls or "" in calls, "the image must install the build set to compile labour"


def test_containerfile_copies_and_runs_only_paths_that_exist():
    copied = []
    for instruction, arguments in containerfile_instructions():
        if instruction in ("COPY", "ADD"):
            for source in copy_sources(arguments):
                assert (SOURCE_DIR / source).exists(), f"the Containerfile copies {source}, which is not in the repository"
                copied.append(source.rstrip("/"))
        elif instruction == "RUN":
            for script in re.findall(r"(?:^|[\s;&|])((?:\./)?[\w.-]+/[\w./-]+\.(?:sh|py))\b", arguments):
                path = os.path.normpath(script)
                assert (SOURCE_DIR / path).is_file(), f"the Containerfile runs {script}, which is not in the repository"
                assert any(path == c or path.startswith(c + "/") or c == "." for c in copied), \
                    f"the Containerfile runs {script} before copying it"


def test_containerfile_copies_everything_the_build_reads():
    instructions = containerfile_instructions()
    copied = [s.rstrip("/") for i, a in instructions if i in ("COPY", "ADD") for s in copy_sources(a)]
    runs = " ".join(a for i, a in instructions if i == "RUN")
    root = (SOURCE_DIR / "CMakeLists.txt").read_text()
    needed = {"CMakeLists.txt"}
    if "--preset" in runs:
        needed.add("CMakePresets.json")
    needed |= set(re.findall(r"add_subdirectory\((\w+)\)", root))
    needed |= {p.split("/")[0] for p in re.findall(r"include\(([\w./-]+\.cmake)\)", root)}
    if "-DLABOUR_BUILD_TESTS=OFF" in runs:
        needed.discard("tests")
    # The folders' CMake files read further top-level folders (scenarios/, sdk/cmake/, ...).
    for area in [a for a in sorted(needed) if (SOURCE_DIR / a).is_dir()]:
        for cmake in (SOURCE_DIR / area).rglob("*"):
            if cmake.name == "CMakeLists.txt" or cmake.suffix == ".cmake":
                needed |= set(re.findall(r"\$\{PROJECT_SOURCE_DIR\}/([\w.-]+)", cmake.read_text()))
    missing = sorted(n for n in needed if not any(c in (".", n) or n.startswith(c + "/") for c in copied))
    assert not missing, f"the build reads {missing}, which the Containerfile does not copy"


def test_containerfile_entrypoint_is_the_labour_it_builds():
    instructions = containerfile_instructions()
    entrypoints = [a for i, a in instructions if i == "ENTRYPOINT"]
    assert len(entrypoints) == 1, "the Containerfile needs one ENTRYPOINT: labour"
    entry = json.loads(entrypoints[0])[0] if entrypoints[0].startswith("[") else entrypoints[0].split()[0]
    runs = " ".join(a for i, a in instructions if i == "RUN")
    prefix = re.search(r"cmake --install \S+ --prefix (\S+)", runs)
    workdir = ([a for i, a in instructions if i == "WORKDIR"] or ["/"])[-1]
    expected = f"{prefix.group(1)}/bin/labour" if prefix else f"{workdir.rstrip('/')}/build/bin/labour"
    assert entry == expected, f"ENTRYPOINT {entry}, but the build puts labour at {expected}"


# --- labour's options -----------------------------------------------------------------------

def test_server_specs_are_separate_arguments():
    # labour takes one server spec per argument: "gunicorn waitress" is one unknown server.
    for where, subcommand, words in all_commands():
        if subcommand == "matrix":
            _, options = parse(words)
            for spec in options.get("--servers", []):
                assert not re.search(r"\s", spec), f"{where}: --servers '{spec}' must be one argument per server"


def check_options(subcommand):
    commands = [(where, words) for where, sub, words in all_commands() if sub == subcommand]
    assert commands, f"no example runs labour {subcommand}"
    text = help_text(subcommand)
    missing = set()
    for where, words in commands:
        for flag in (w.partition("=")[0] for w in words if w.startswith("--")):
            # The whole option: --shard is not found in --shard-count.
            if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text):
                missing.add(f"{where}: labour {subcommand} has no option {flag}")
    assert not missing, "\n".join(sorted(missing))


def test_matrix_examples_name_real_options():
    check_options("matrix")


def test_merge_examples_name_real_options():
    check_options("merge")
