"""Every available server adapter starts for real, answers PlainResponse, and is stopped
with nothing left behind (issue: every WSGI server, properly supervised)."""
import json
import os

import pytest

from conftest import SOURCE_DIR, available_servers, labour, run_json

ALL = available_servers()
# Every gunicorn worker class is a configuration of its own.
CONFIGS = [n for n in ALL if n not in ("cogen", "fapws3", "command")] + [
    "gunicorn:worker_class=gthread,threads=2",
    "gunicorn:worker_class=gevent",
    "gunicorn:worker_class=eventlet",
]


@pytest.mark.parametrize("spec", CONFIGS)
def test_adapter_serves_plain_response_and_leaves_nothing(tmp_path, spec, no_leftovers):
    name = spec.split(":")[0]
    if not ALL[name]["available"]:
        pytest.skip(f"{name}: {ALL[name]['reason']}")
    scenario = tmp_path / "p.toml"
    scenario.write_text('name = "P"\nrequests = 20\nconcurrency = 2\ntimeout = 5.0\n[[behaviour]]\nname = "PlainResponse"\n')
    doc = run_json(tmp_path, "run", "--server", spec, "--scenario", str(scenario), timeout=120)
    (test,) = doc["tests"]
    assert test["status"] == "completed", test.get("error")
    assert test["totals"]["sent"] == 20 and test["totals"]["expected"] == 20, test["behaviours"]
    assert test["supervision"]["orphans"] == 0
    assert test["server"]["version"]


def test_doctor_json_lists_every_adapter_and_the_unsupported_ones():
    rows = json.loads(labour("doctor", "--json", check=0, timeout=120).stdout)
    names = {r["name"] for r in rows}
    for expected in ("wsgiref", "gunicorn", "uwsgi", "waitress", "mod_wsgi", "gevent", "eventlet", "twisted",
                     "cheroot", "cherrypy", "paste", "werkzeug", "tornado", "uvicorn", "hypercorn", "cogen", "fapws3"):
        assert expected in names, expected
    for r in rows:
        assert set(("name", "available", "version", "reason")) <= set(r)
        if r["name"] in ("cogen", "fapws3"):
            assert not r["available"] and "Python 3" in r["reason"]
        else:
            # scripts/setup-debian.sh installs every server: each must be there, with a version.
            assert r["available"] and r["version"], r


def test_a_server_that_loses_its_port_is_started_again_on_another(tmp_path, no_leftovers):
    script = f"{SOURCE_DIR}/tests/integration/servers/loses_port_once.py"
    command = f"{{python}} {script} {{host}} {{port}} {{app_dir}} {{app_module}} {{app_callable}} {{run_dir}}"
    out = tmp_path / "out.json"
    proc = labour("run", "--server", f"command:command={command}", "--scenario", "Plain", "--requests", "20",
                  "--report", f"json:{out}", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "was taken, trying another" in proc.stderr, proc.stderr
    (test,) = json.loads(out.read_text())["tests"]
    assert test["status"] == "completed" and test["totals"]["expected"] == 20, test
    assert test["supervision"]["orphans"] == 0


def cpu_set(text):
    """{0, 1, 2, 5} from "0-2,5" (taskset's list syntax)."""
    cpus = set()
    for item in text.split(","):
        first, _, last = item.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def test_server_and_client_are_pinned_to_different_cpus(tmp_path, no_leftovers):
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("one CPU: nothing to split")
    report = tmp_path / "server-cpus"
    script = f"{SOURCE_DIR}/tests/integration/servers/reports_cpus.py"
    command = f"{{python}} {script} {{host}} {{port}} {{app_dir}} {{app_module}} {{app_callable}} {report}"
    doc = run_json(tmp_path, "run", "--server", f"command:command={command}", "--scenario", "Plain",
                   "--requests", "20", timeout=120)
    (test,) = doc["tests"]
    assert test["status"] == "completed", test.get("error")
    server, client = test["supervision"]["server_cpus"], test["supervision"]["client_cpus"]
    # By default the client takes the last CPU (one client thread), the server the others.
    assert cpu_set(report.read_text()) == cpu_set(server) == set(cpus[:-1])
    assert cpu_set(client) == {cpus[-1]}

    chosen = tmp_path / "chosen"
    chosen.mkdir()
    command = command.replace(str(report), str(chosen / "server-cpus"))
    doc = run_json(chosen, "run", "--server", f"command:command={command}", "--scenario", "Plain",
                   "--requests", "20", "--server-cpus", str(cpus[-1]), "--client-cpus", str(cpus[0]), timeout=120)
    (test,) = doc["tests"]
    assert (chosen / "server-cpus").read_text() == str(cpus[-1])
    assert test["supervision"]["server_cpus"] == str(cpus[-1]) and test["supervision"]["client_cpus"] == str(cpus[0])

    doc = run_json(tmp_path, "run", "--server", "wsgiref", "--scenario", "Plain", "--requests", "20", "--no-pin",
                   timeout=120)
    assert "server_cpus" not in doc["tests"][0]["supervision"]
