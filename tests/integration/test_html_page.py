"""The HTML page of a real matrix, as a person sees it: rendered by headless Chromium
(Debian's chromium, installed by scripts/setup-debian.sh), its DOM after the page's script
ran, and screenshots at desktop and at phone width.

The two servers differ for real on SIGSEGV: wsgiref is one process, so a worker's crash is
the server's death (down); gunicorn's arbiter replaces a worker that died and goes on serving
(gunicorn docs, design.rst: "The master ... if a worker dies, it is restarted"), so its cell
is not down. The page must show each as the document says."""
import json
import os
import re
import shutil
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image  # python3-pil, installed by scripts/setup-debian.sh

from conftest import LABOUR, SOURCE_DIR, available_servers, labour

CHROMIUM = shutil.which("chromium")
# Chromium must not reach the network: no background services, every host name unresolvable.
NO_NETWORK = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-extensions", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND"]


def chromium(tmp_path, page, width, height, *flags, timeout=120):
    """Runs headless Chromium on a file in its own process group, ended whatever happens."""
    assert CHROMIUM, "chromium is missing: run scripts/setup-debian.sh"
    cmd = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", f"--window-size={width},{height}",
           "--virtual-time-budget=5000", *NO_NETWORK, *flags, page.as_uri()]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its helpers (zygote, renderer) with it
        except ProcessLookupError:
            pass
        proc.wait()
    assert proc.returncode == 0, err[-2000:]
    return out


class Dom(HTMLParser):
    """The scorecard's cells (class, link, text), every canvas' attributes, and text."""

    def __init__(self):
        super().__init__()
        self.cells, self.canvases, self.stack, self.text = [], [], [], []
        self.in_card = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "scorecard" in (attrs.get("class") or ""):
            self.in_card = True
        if self.in_card and tag == "td":
            self.cells.append({"class": attrs.get("class", ""), "href": None, "text": ""})
        if self.in_card and tag == "a" and self.cells:
            self.cells[-1]["href"] = attrs.get("href")
        if tag == "canvas":
            self.canvases.append(attrs)
        if tag == "body":
            self.body = attrs

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_card = False

    def handle_data(self, data):
        if self.in_card and self.cells:
            self.cells[-1]["text"] += data
        self.text.append(data)


def colour_pixels(image, rgb, tolerance=6):
    return sum(1 for p in image.getdata() if all(abs(a - b) <= tolerance for a, b in zip(p, rgb)))


def test_matrix_page_in_chromium(tmp_path, no_leftovers):
    servers = available_servers()
    assert servers["wsgiref"]["available"]
    if not servers.get("gunicorn", {}).get("available"):
        pytest.skip("gunicorn is not installed: run scripts/setup-debian.sh")
    out = tmp_path / "out"
    page = tmp_path / "report.html"
    labour("matrix", "--servers", "wsgiref", "gunicorn:workers=2,label=gunicorn", "--scenarios", "Plain,SIGSEGV", "-n", "60",
           "-c", "2", "--out", str(out), "--report", f"html:{page}", check=0, timeout=600)
    doc = json.loads((out / "results.json").read_text())
    verdicts = {(t["label"], t["scenario"]["name"]): t["verdict"]["value"] for t in doc["tests"]}
    assert verdicts[("wsgiref", "SIGSEGV")] == "down", verdicts
    assert verdicts[("gunicorn", "SIGSEGV")] != "down", verdicts

    # The DOM once the page's script ran: the scorecard as the document says, every chart drawn.
    dom = Dom()
    dom.feed(chromium(tmp_path, page, 1280, 900, "--dump-dom"))
    assert len(dom.cells) == 2 * 3, dom.cells  # per server: its name, Plain, SIGSEGV
    by_row = {dom.cells[i]["text"]: dom.cells[i + 1:i + 3] for i in range(0, len(dom.cells), 3)}
    for (label, scenario), verdict in verdicts.items():
        cell = by_row[label][0 if scenario == "Plain" else 1]
        test = doc["tests"][next(i for i, t in enumerate(doc["tests"])
                                 if (t["label"], t["scenario"]["name"]) == (label, scenario))]
        marked = ["borderline"] if test["verdict"]["certainty"] == "borderline" else []
        assert cell["class"].split() == [f"v-{verdict}"] + marked, (label, scenario, cell)
        assert cell["text"].startswith(verdict), cell
        index = next(i for i, t in enumerate(doc["tests"]) if (t["label"], t["scenario"]["name"]) == (label, scenario))
        assert cell["href"] == f"#test-{index}"
    assert len(dom.canvases) == 4
    for canvas in dom.canvases:
        assert "data-error" not in canvas, canvas
        assert canvas.get("data-rendered") == "9", canvas  # 4 outcome areas, 2 latencies, processes, RSS, exits
    text = " ".join(dom.text)
    assert "labour run --server gunicorn:" in text and "workers=2" in text
    assert "phases.stall_s" in text

    # What a person sees: a page with the scorecard's colours and the charts' areas on it.
    shot = tmp_path / "desktop.png"
    chromium(tmp_path, page, 1280, 2400, f"--screenshot={shot}")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2400)
    assert len(set(image.getdata())) > 200, "the screenshot is blank or nearly so"
    assert colour_pixels(image, (0xcd, 0xeb, 0xcd)) > 500  # a robust cell (.v-robust)
    assert colour_pixels(image, (0xe0, 0x8c, 0x8c)) > 500  # wsgiref x SIGSEGV, down (.v-down)
    assert colour_pixels(image, (0x4a, 0x9a, 0x4a), tolerance=30) > 2000  # innocent requests answered
    build_dir = Path(LABOUR).resolve().parent.parent
    shutil.copy(shot, build_dir / "report-screenshot.png")  # the README's picture comes from here

    # A probe added to a copy of the page: how much wider than the window the page is, and
    # what the tooltip shows when the pointer rests on the middle of the first chart's fault
    # phase (the chart also spans the idle pause after the load, where nothing is answered).
    fault = next(p for p in doc["tests"][0]["phases"] if p["name"] == "fault")
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace(
        "</body>", PROBE.replace("FAULT_MID", str(fault["start_s"] + fault["duration_s"] / 2)) + "</body>"))
    dom = Dom()
    dom.feed(chromium(tmp_path, probe, 1280, 900, "--dump-dom"))
    hover = json.loads(dom.body["data-tooltip"])
    # The time and its phase: which phase is mid-chart depends on how fast each ran (under ASan
    # the client is slower), so any of the three, named as the page names them.
    assert hover["title"] and re.fullmatch(r"-?\d+\.\d+ s \((baseline|fault|recovery)\)", hover["title"][0]), hover
    lines = " | ".join(hover["lines"])
    for panel in ("innocent answered: ", "innocent p99: ", "processes: ", "RSS: "):
        assert panel in lines, hover  # every panel's value at that moment, wherever the pointer is
    assert int(dom.body["data-overflow"]) <= 0

    # At phone width nothing is cut off: the page is no wider than the screen (wide tables
    # scroll in their own box) and the charts are drawn to its width. Headless Chromium's
    # window is at least 500 px wide, so the phone is a 390 px frame holding the page.
    frame = tmp_path / "phone.html"
    frame.write_text(f'<!doctype html><body style="margin:0"><iframe src="{probe.name}" width="390" '
                     'height="844" style="border:0"></iframe></body>')
    dom = Dom()
    dom.feed(chromium(tmp_path, frame, 800, 900, "--dump-dom", "--allow-file-access-from-files"))
    assert dom.body.get("data-width") == "390", dom.body
    assert int(dom.body["data-overflow"]) <= 0, dom.body
    assert dom.body["data-charts"] == "4", dom.body
    assert 300 < float(dom.body["data-chart-width"]) <= 390, dom.body
    shot = tmp_path / "phone.png"
    chromium(tmp_path, frame, 800, 900, f"--screenshot={shot}", "--allow-file-access-from-files")
    phone = Image.open(shot).convert("RGB").crop((0, 0, 390, 844))
    assert len(set(phone.getdata())) > 100
    assert colour_pixels(phone, (0xcd, 0xeb, 0xcd)) > 200  # the scorecard, at the top, fits


def test_lifecycle_events_and_unsupported_cells_in_chromium(tmp_path, no_leftovers):
    # KillWorker: gunicorn's master replaces a killed worker (gunicorn docs, design.rst);
    # wsgiref has no worker processes apart from its main one, so its cell is unsupported.
    servers = available_servers()
    if not servers.get("gunicorn", {}).get("available"):
        pytest.skip("gunicorn is not installed: run scripts/setup-debian.sh")
    out = tmp_path / "out"
    page = tmp_path / "report.html"
    labour("matrix", "--servers", "wsgiref", "gunicorn:workers=2,label=gunicorn", "--scenarios", "KillWorker",
           "--out", str(out), "--report", f"html:{page}", check=0, timeout=300)
    doc = json.loads((out / "results.json").read_text())
    verdicts = {t["label"]: t["verdict"]["value"] for t in doc["tests"]}
    assert verdicts["wsgiref"] == "unsupported" and verdicts["gunicorn"] in ("robust", "degraded"), verdicts
    (gunicorn,) = [t for t in doc["tests"] if t["label"] == "gunicorn"]
    (event,) = gunicorn["events"]

    dom = Dom()
    dom.feed(chromium(tmp_path, page, 1280, 900, "--dump-dom"))
    by_row = {dom.cells[i]["text"]: dom.cells[i + 1] for i in range(0, len(dom.cells), 2)}
    assert by_row["wsgiref"]["class"] == "v-unsupported" and by_row["wsgiref"]["text"].strip() == "unsupported", by_row
    gunicorn = next(t for t in doc["tests"] if t["label"] == "gunicorn")
    marked = ["borderline"] if gunicorn["verdict"]["certainty"] == "borderline" else []
    assert by_row["gunicorn"]["class"].split() == [f"v-{verdicts['gunicorn']}"] + marked, by_row
    assert len(dom.canvases) == 1 and dom.canvases[0].get("data-rendered") == "9", dom.canvases  # none unsupported
    text = " ".join(dom.text)
    assert "Lifecycle events" in text and event["detail"] in text, event
    assert "has no worker processes apart from its main one" in text  # the unsupported cell's reason

    # The event is a teal line through the chart: find its colour in a screenshot.
    shot = tmp_path / "events.png"
    chromium(tmp_path, page, 1280, 2400, f"--screenshot={shot}")
    image = Image.open(shot).convert("RGB")
    assert colour_pixels(image, (0x00, 0x83, 0x8f), tolerance=20) > 300  # the event's line and label
    assert colour_pixels(image, (0xe6, 0xe1, 0xf2)) > 200  # the unsupported cell (.v-unsupported)


def test_borderline_cell_and_failed_gate_are_visible_in_chromium(tmp_path):
    # A hand-made document (tests/reporters/results-certainty.json): gunicorn x SIGSEGV is
    # degraded but borderline, and two of its gates failed. Rendered by the real binary.
    source = Path(SOURCE_DIR) / "tests" / "reporters" / "results-certainty.json"
    page = tmp_path / "certainty.html"
    labour("report", str(source), "--report", f"html:{page}", timeout=60)
    probe = tmp_path / "certainty-probe.html"
    probe.write_text(page.read_text().replace("</body>", BORDER_PROBE + "</body>"))
    dom = Dom()
    dom.feed(chromium(tmp_path, probe, 1280, 900, "--dump-dom"))
    by_row = {dom.cells[i]["text"]: dom.cells[i + 1:i + 3] for i in range(0, len(dom.cells), 3)}
    border = by_row["gunicorn"][0]  # SIGSEGV
    assert border["class"].split() == ["v-degraded", "borderline"], border
    assert border["text"].startswith("degraded?") and "damage 12.5 %" in border["text"], border
    for cell in by_row["wsgiref"] + by_row["gunicorn"][1:]:
        assert "borderline" not in cell["class"] and "?" not in cell["text"], cell  # certain: unmarked
    # Seen, not only named: the borderline cell has a dashed border the certain ones lack.
    assert dom.body["data-borderline-style"] == "dashed", dom.body
    assert dom.body["data-certain-style"] != "dashed", dom.body
    assert "borderline: the evidence straddles a bound" in dom.body["data-borderline-title"], dom.body
    text = " ".join(dom.text)
    assert "Gates: 2 of 3 FAILED" in text
    assert dom.body["data-gate-fail"] == "2" and dom.body["data-gate-fail-colour"] != "rgba(0, 0, 0, 0)", dom.body


BORDER_PROBE = """<script>
window.addEventListener('load', function () {
  var b = document.querySelector('table.scorecard td.borderline');
  var c = document.querySelector('table.scorecard td.v-robust');
  document.body.setAttribute('data-borderline-style', b ? getComputedStyle(b).borderTopStyle : 'none');
  document.body.setAttribute('data-borderline-title', b ? b.title : '');
  document.body.setAttribute('data-certain-style', c ? getComputedStyle(c).borderTopStyle : 'none');
  var fails = Array.prototype.filter.call(document.querySelectorAll('table.gates td.failed'),
                                          function (td) { return td.textContent === 'FAIL'; });
  document.body.setAttribute('data-gate-fail', String(fails.length));
  document.body.setAttribute('data-gate-fail-colour', fails.length ? getComputedStyle(fails[0]).backgroundColor : '');
});
</script>"""


PROBE = """<script>
// Written on this page's body and, when it is framed, on the frame holder's too.
function report(name, value) {
  document.body.setAttribute(name, value);
  if (parent !== window) parent.document.body.setAttribute(name, value);
}
window.addEventListener('load', function () {
  report('data-width', String(window.innerWidth));
  report('data-overflow', String(document.documentElement.scrollWidth - window.innerWidth));
  var canvases = document.querySelectorAll('canvas[data-rendered="9"]');
  report('data-charts', String(canvases.length));
  report('data-chart-width', String(canvases.length ? canvases[0].getBoundingClientRect().width : 0));
  var canvas = document.getElementById('chart-0'), box = canvas.getBoundingClientRect();
  var x = Chart.getChart(canvas).scales.x.getPixelForValue(FAULT_MID);
  canvas.dispatchEvent(new MouseEvent('mousemove', {clientX: box.left + x,
                                                    clientY: box.top + box.height * 0.3, bubbles: true}));
  setTimeout(function () {
    var tip = Chart.getChart(canvas).tooltip;
    report('data-tooltip', JSON.stringify({
      title: tip.title || [], lines: (tip.body || []).map(function (b) { return b.lines.join(' '); })}));
  }, 500);
});
</script>"""
