"""Every template in report_templates/ follows the rules of its README: a parameters cell the
runner understands (defaults that agree with each other), a title in both languages, no saved
outputs, the lineage section last. Running them is tests/integration/reports' job."""

from pathlib import Path

import nbformat
import pytest

from hub.reports import parse_period
from hub.reports.parameters import declared

TEMPLATES = Path(__file__).resolve().parents[2] / "report_templates"
NAMES = sorted(p.name for p in TEMPLATES.glob("*.ipynb"))


def test_the_three_reports_of_issue_15_are_there():
    assert {"territory-digest.ipynb", "air-quality-bulletin.ipynb",
            "deployment-progress.ipynb"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_the_runner_sets_with_defaults_that_agree(name):
    defaults = declared(TEMPLATES / name)
    assert {"period", "period_start", "period_end", "locale", "recipient"} <= set(defaults)
    period = parse_period(defaults["period"])
    assert (defaults["period_start"], defaults["period_end"]) == (period.start.isoformat(),
                                                                  period.end.isoformat())
    assert defaults["locale"] in ("fr", "en")


@pytest.mark.parametrize("name", NAMES)
def test_a_title_in_both_languages_no_saved_output_and_the_sources_last(name):
    nb = nbformat.read(TEMPLATES / name, as_version=4)
    title = nb.metadata["agora"]["title"]
    assert set(title) == {"fr", "en"} and all(title.values())
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    printed = [c for c in nb.cells if "remove-cell" not in c.metadata.get("tags", [])]
    assert "Lineage(" in printed[-1].source, "the last section must list the data's versions"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_the_readme_names_every_template():
    readme = (TEMPLATES / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in NAMES)
