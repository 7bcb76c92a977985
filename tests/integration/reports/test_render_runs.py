"""render_report end to end with a real kernel and no Agora: a good run (the run's whole
environment, a title page, page numbers, no code, nothing fetched), a template that raises,
a cell over its timeout, and a run killed half-way (no PDF, no process, no run folder left).
The templates are written here; tests/integration/reports/test_templates.py runs the real ones
against a live Agora."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from hub.reports import ReportFailed, render_report
from tests.reports_support import counting_web_server

pytestmark = pytest.mark.integration

ENV = {"AGORA_TOKEN": "report-test-token-0123456789",
       "AGORA_DATASETS_URL": "http://127.0.0.1:9/agora/services/datasets/"}
# what the runner adds to `env` (hub/reports/execute.py), and what ipykernel sets for itself
RUNNER_ADDS = {"PATH", "LANG", "TZ", "PYTHONPATH", "HOME", "AGORA_WIDGETS_MODE", "AGORA_LOCALE",
               "JUPYTER_PLATFORM_DIRS"}
KERNEL_ADDS = {"JPY_PARENT_PID", "MPLBACKEND", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR",
               "PAGER", "GIT_PAGER", "TERM", "PYDEVD_USE_FRAME_EVAL"}


def write_template(path: Path, *cells: str, parameters: str = 'period = "2025-W48"') -> Path:
    """A template: a parameters cell, then `cells` (code; "md:" starts a Markdown cell)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["agora"] = {"title": {"fr": "Rapport d'essai", "en": "Test report"}}
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first] + [nbformat.v4.new_markdown_cell(c[3:]) if c.startswith("md:")
                          else nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def web():
    """A web server on loopback counting the requests it gets (none expected)."""
    with counting_web_server(404) as running:
        yield running


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, web):
    """One successful run: widgets on a DataFrame, links to the web server, the environment
    dumped to a file by the kernel."""
    folder = tmp_path_factory.mktemp("good-run")
    base, _ = web
    template = write_template(
        folder / "good.ipynb",
        f"md:Texte du lecteur, et une image distante : ![logo]({base}/logo.png)",
        """\
        import json, os
        import pandas as pd
        from IPython.display import HTML, display
        from widgets import KPICard, TimeSeries
        json.dump({"environ": dict(os.environ), "home": sorted(os.listdir(os.environ["HOME"]))},
                  open(dump, "w"))
        SOURCE_MARKER = "this line is code and must not be printed"
        """,
        f"""display(HTML('<link rel="stylesheet" href="{base}/style.css">'
                     '<img src="{base}/chart.png"><p>Bonjour le lecteur</p>'))""",
        "KPICard(42, label='Incidents de la semaine', previous=40, better='lower')",
        """TimeSeries(pd.DataFrame({"day": pd.date_range("2025-11-24", periods=7),
                                  "pm10": [20, 31, 45, 52, 38, 30, 24]}),
                      time="day", value="pm10", unit="µg/m³", thresholds={"Limite": 50},
                      title="PM10 de la semaine")""",
        parameters='period = "2025-W48"\nperiod_start = ""\nperiod_end = ""\ndump = ""')
    steps: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGORA_TEST_CANARY", "must not reach the kernel")
        result = render_report(template, {"period": "2025-W48", "locale": "en",
                                          "recipient": "Élue de Rivemont",
                                          "dump": str(folder / "env.json")},
                               ENV, folder / "out" / "good.pdf", progress=steps.append)
    text = subprocess.run(["pdftotext", str(result.pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return {"result": result, "steps": steps, "pages": text.split("\f")[:-1], "text": text,
            "env": json.loads((folder / "env.json").read_text())}


def test_the_kernel_sees_the_runs_environment_and_nothing_else(good_run):
    environ = good_run["env"]["environ"]
    assert set(environ) - set(ENV) - RUNNER_ADDS - KERNEL_ADDS == set()
    assert {k: environ[k] for k in ENV} == ENV
    assert environ["AGORA_WIDGETS_MODE"] == "static" and environ["AGORA_LOCALE"] == "en"
    assert "AGORA_TEST_CANARY" not in environ
    home = Path(environ["HOME"])
    assert home != Path.home() and home.name == "home" and home.parent.name.startswith(
        "agora-report-")
    assert not home.exists()  # the run folder is removed with what the kernel wrote


def test_a_good_run_gives_a_titled_numbered_pdf_without_code(good_run):
    result, pages = good_run["result"], good_run["pages"]
    assert result.pages == len(pages) >= 2 and result.pdf.exists()
    assert "Test report" in pages[0] and "Week 48 of 2025, 24 to 30 November 2025" in pages[0]
    assert "Prepared for Élue de Rivemont" in pages[0] and "Generated on" in pages[0]
    assert "page" not in pages[0]
    for number in range(2, result.pages + 1):
        assert f"page {number} / {result.pages}" in pages[number - 1]
    text = good_run["text"]
    assert "Bonjour le lecteur" in text and "Texte du lecteur" in text
    assert "Incidents de la semaine" in text and "PM10 de la semaine" in text
    for code in ("SOURCE_MARKER", "import", "json.dump", "display(", "KPICard(", "Traceback"):
        assert code not in text, code
    assert set(result.durations) == {"execute", "html", "pdf"}
    assert all(seconds > 0 for seconds in result.durations.values())
    assert result.lineage == {}  # this template read no dataset
    print("\ngood run:", {k: round(v, 2) for k, v in result.durations.items()}, result.pages,
          "pages")


def test_a_good_run_says_what_it_does(good_run):
    steps = good_run["steps"]
    assert steps[0] == "starting good.ipynb"
    assert [s for s in steps if s.startswith("running cell")] == [
        f"running cell {n} of 6" for n in range(1, 7)]
    assert steps[-3:-1] == ["converting to HTML", "writing the PDF"]
    assert steps[-1].startswith("done: good.pdf, ")


def test_nothing_is_fetched_from_any_url(good_run, web):
    _, hits = web
    assert hits == []


def test_a_template_that_raises_names_its_cell_and_makes_no_pdf(tmp_path):
    template = write_template(tmp_path / "broken.ipynb", "md:# Titre", "rows = 3",
                              "raise ValueError('no readings for ' + period)", "print('never')")
    out = tmp_path / "out" / "broken.pdf"
    with pytest.raises(ReportFailed) as caught:
        render_report(template, {"period": "2026-W48"}, ENV, out)
    failed = caught.value
    assert str(failed) == ("report broken.ipynb failed: cell 4 of 5 (raise ValueError('no "
                           "readings for ' + period)): ValueError: no readings for 2026-W48")
    assert failed.cell == 4 and failed.error == "ValueError"
    assert "Traceback" in failed.details or "----> 1" in failed.details
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))


def test_a_cell_over_its_timeout_fails_in_time(tmp_path):
    template = write_template(tmp_path / "slow.ipynb", "import time\ntime.sleep(120)")
    started = time.monotonic()
    with pytest.raises(ReportFailed) as caught:
        render_report(template, {}, ENV, tmp_path / "slow.pdf", cell_timeout=3)
    assert time.monotonic() - started < 60
    assert str(caught.value).endswith("cell 2 of 2 (import time): CellTimeoutError: the cell "
                                      "did not finish within 3 s (the cell timeout)")
    assert not (tmp_path / "slow.pdf").exists()


KILLED_RUN = """
import sys
from pathlib import Path
from hub.reports import render_report
render_report(Path(sys.argv[1]), {}, {"AGORA_TOKEN": "t"}, Path(sys.argv[2]),
              progress=lambda step: print(step, flush=True))
"""


def test_a_run_killed_half_way_leaves_no_pdf_no_process_and_no_run_folder(tmp_path):
    template = write_template(tmp_path / "long.ipynb", "x = 1", "import time\ntime.sleep(120)")
    out = tmp_path / "out" / "long.pdf"
    runner = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(template), str(out)],
                              stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        for line in runner.stdout:
            if line.startswith("running cell 3"):
                break
        time.sleep(0.5)  # inside the sleeping cell
        children = psutil.Process(runner.pid).children(recursive=True)
        assert any("papermill_run" in " ".join(c.cmdline()) for c in children)
        folders = {Path(a).parent for c in children for a in c.cmdline() if a.endswith("spec.json")}
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        gone, alive = psutil.wait_procs(children, timeout=15)
        assert alive == [], [p.cmdline() for p in alive]
    finally:
        if runner.poll() is None:
            runner.kill()
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))
    assert folders and not any(folder.exists() for folder in folders)
