"""What a failed report says: the template, the cell (numbered as in the template), the error
name and message, never the traceback nor the token; bad parameters fail before any kernel."""

import nbformat
import pytest

from hub.reports import ReportFailed
from hub.reports.failure import cell_failed, redact
from hub.reports.parameters import check

TOKEN = "c413ff172f9a48b091c47dc527771940"
ENV = {"AGORA_TOKEN": TOKEN, "AGORA_DATASETS_URL": "http://127.0.0.1:9/agora/services/datasets/"}
TRACEBACK = "Traceback (most recent call last):\n  File ...\nKeyError: 'pm10'"


def outcome(**fields):
    return {"ok": False, "ename": "KeyError", "evalue": "'pm10'", "traceback": TRACEBACK,
            "cell": 7, "cells": 12, "source": "weekly = daily['pm10'].mean()", **fields}


def test_the_message_names_template_cell_and_error_without_traceback():
    failed = cell_failed("territory-digest.ipynb", outcome(), ENV, timeout=300)
    assert str(failed) == ("report territory-digest.ipynb failed: cell 7 of 12 "
                           "(weekly = daily['pm10'].mean()): KeyError: 'pm10'")
    assert (failed.cell, failed.error, failed.template) == (7, "KeyError", "territory-digest.ipynb")
    assert "Traceback" not in str(failed) and failed.details == TRACEBACK


def test_the_token_never_reaches_the_message_nor_the_log():
    failed = cell_failed("t.ipynb", outcome(evalue=f"401 for token {TOKEN}",
                                            traceback=f"... {TOKEN} ..."), ENV, timeout=300)
    assert TOKEN not in str(failed) and TOKEN not in failed.details
    assert "[hidden]" in str(failed)
    assert redact(f"Authorization: token {TOKEN}", ENV) == "Authorization: token [hidden]"
    assert redact("http://127.0.0.1:9/agora/", ENV) == "http://127.0.0.1:9/agora/"  # not secret


def test_a_timeout_is_said_in_words():
    failed = cell_failed("t.ipynb", outcome(ename="CellTimeoutError",
                                            evalue="A cell timed out ... preview:\nimport time"),
                         ENV, timeout=45)
    assert str(failed).endswith("CellTimeoutError: the cell did not finish within 45 s "
                                "(the cell timeout)")


def test_a_long_error_is_cut_to_one_line():
    failed = cell_failed("t.ipynb", outcome(evalue="x" * 1000 + "\nsecond line"), ENV, 300)
    assert len(str(failed)) < 450 and "\n" not in str(failed)


def test_the_runners_own_cell_is_not_numbered_as_the_templates():
    failed = cell_failed("t.ipynb", outcome(cell=None, source="", ename="ModuleNotFoundError",
                                            evalue="No module named 'widgets'"), ENV, 300)
    assert "lineage step, after the last cell" in str(failed)


def template(tmp_path, parameters='period = "2025-W48"\nlocale = "fr"\ncolour = "blue"'):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), cell]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    return path


def test_parameters_are_checked_and_completed(tmp_path):
    path = template(tmp_path, 'period = "2025-W48"\nperiod_start = ""\nperiod_end = ""\n'
                              'locale = "fr"')
    run = check(path, {"period": "2026-W48", "recipient": "Élue de Rivemont"})
    assert run.values == {"period": "2026-W48", "period_start": "2026-11-23",
                          "period_end": "2026-11-29", "locale": "fr"}
    assert run.recipient == "Élue de Rivemont"  # for the title page: not declared, not passed
    assert run.period.words("fr").startswith("semaine 48 de 2026")


def test_the_templates_default_period_is_used_when_none_is_given(tmp_path):
    run = check(template(tmp_path), {})
    assert run.period.text == "2025-W48" and run.values == {"locale": "fr"}


def test_the_language_given_then_the_users_then_the_templates(tmp_path):
    path = template(tmp_path)
    assert check(path, {"locale": "en"}, "fr").locale == "en"
    assert check(path, {}, "en-GB").locale == "en"
    assert check(path, {}).locale == "fr"


@pytest.mark.parametrize("given, says", [
    ({"perod": "2026-W48"}, "unknown parameter perod: the template declares period, locale, colour"),
    ({"period": "2026-W60"}, "period '2026-W60': 2026 has weeks 1 to 53"),
    ({"locale": "de"}, "locale='de': Agora's widgets speak 'fr' or 'en'"),
])
def test_bad_parameters_fail_before_any_kernel(tmp_path, given, says):
    with pytest.raises(ReportFailed) as caught:
        check(template(tmp_path), given)
    assert str(caught.value) == f"report t.ipynb failed: {says}" or says in str(caught.value)
    assert caught.value.cell is None


def test_a_template_without_a_parameters_cell_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "bare.ipynb")
    with pytest.raises(ReportFailed, match="no cell tagged 'parameters'"):
        check(tmp_path / "bare.ipynb", {})
