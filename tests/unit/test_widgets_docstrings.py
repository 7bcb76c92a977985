"""Every public widget class and function has a docstring with an example, and the
examples that run without a service (doctests) give what they say."""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import widgets

from .widgets_fakes import default_mode_and_locale  # noqa: F401 (autouse)

MODULES = sorted(m.name for m in pkgutil.iter_modules(widgets.__path__))
WIDGETS = ["render", "i18n", "timeseries", "bars", "kpi", "table", "badges", "filters",
           "sparkline", "source", "style", "titles", "browser", "browser_search",
           "browser_details", "code_text", "explorer_choices", "explorer_code"]


@pytest.mark.parametrize("name", WIDGETS)
def test_examples_run(name):
    module = importlib.import_module(f"widgets.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed


@pytest.mark.parametrize("name", ["BarChart", "DatasetBrowser", "Explorer", "FilterPanel",
                                  "FreshnessBadge", "KPIBoard", "KPICard", "PublishPanel",
                                  "QualityBadge", "Table", "TimeSeries", "View",
                                  "format_date", "format_number", "format_percent", "html_page",
                                  "link", "locale", "mode", "set_locale", "set_mode", "t"])
def test_each_public_name_has_an_example(name):
    doc = inspect.getdoc(getattr(widgets, name)) or ""
    assert ">>>" in doc or "::" in doc, f"widgets.{name}: add an example to its docstring"


@pytest.mark.parametrize("name", MODULES)
def test_each_module_says_what_it_is_in_a_few_lines(name):
    doc = importlib.import_module(f"widgets.{name}").__doc__ or ""
    assert doc.strip() and len(doc.strip().splitlines()) <= 16, name
