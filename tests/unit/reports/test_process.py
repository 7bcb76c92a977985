"""The report processes' cheap start (hub/reports/process.py) and end (hub/lifecycle.py), in
real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.reports_support import ROOT

VALIDATES = """
import sys
from hub.reports.process import skip_uri_grammar
skip_uri_grammar()
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
nbformat.validate(nb)
nb.cells[0]["execution_count"] = "not a number"
try:
    nbformat.validate(nb)
    print("accepted")
except nbformat.ValidationError:
    print("refused")
print("grammar" if sys.modules.get("rfc3987_syntax") else "no grammar")
"""

EXITS = """
import sys
from hub.lifecycle import exit_now
sys.stdout.write("buffered, no newline")
sys.stderr.write("and on stderr")
exit_now(3)
"""


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_notebooks_are_still_validated_without_the_uri_grammar():
    done = python(VALIDATES)
    assert done.stdout.split("\n")[:2] == ["refused", "no grammar"], done.stderr


def test_exit_now_flushes_what_was_written_and_keeps_the_status():
    done = python(EXITS)
    assert (done.returncode, done.stdout, done.stderr) == (3, "buffered, no newline",
                                                           "and on stderr")


class Seen(Exception):
    """What probe_renderer saw, told back as a failure a person would read."""


def probe_renderer(template, parameters, env, out_pdf, **options):
    import nbformat

    nbformat.validate(nbformat.v4.new_notebook())
    raise Seen(f"grammar loaded: {sys.modules.get('rfc3987_syntax') is not None}")


ReportFailed = Seen  # the worker reports this module's ReportFailed in words


def test_a_report_worker_validates_notebooks_without_loading_the_grammar(tmp_path):
    job = tmp_path / "job.json"
    job.write_text(json.dumps({
        "renderer": "tests.unit.reports.test_process:probe_renderer", "template": "t.ipynb",
        "parameters": {}, "out_pdf": str(tmp_path / "out.pdf"), "cell_timeout": 10}))
    # as the executor starts it: its own session, stdin held open (closing it kills the group)
    worker = subprocess.Popen([sys.executable, "-m", "hub.reports.worker", str(job)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, errors = worker.stdout.read(), worker.stderr.read()
        assert worker.wait(timeout=60) == 3, errors
    finally:
        worker.stdin.close()
        worker.kill()
    assert json.loads(out) == {"failed": "grammar loaded: False"}
