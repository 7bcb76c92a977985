"""The rendering protocol: the mode switch and what Jupyter receives in each mode."""

import ipywidgets
import pytest

from widgets import render
from widgets.render import View, html_page, mode, set_mode

from .widgets_fakes import default_mode_and_locale  # noqa: F401 (autouse)


class Hello(View):
    def __init__(self):
        self.greeting = "Bonjour"

    def static_html(self):
        return f"<p>{self.greeting}</p>"


def test_interactive_by_default_then_the_environment_then_set_mode(monkeypatch):
    assert mode() == "interactive"
    monkeypatch.setenv("AGORA_WIDGETS_MODE", "static")  # what the report runner sets
    assert mode() == "static"
    set_mode("interactive")
    assert mode() == "interactive"
    set_mode(None)
    assert mode() == "static"


def test_an_unknown_mode_is_refused(monkeypatch):
    with pytest.raises(ValueError, match="'interactive' or 'static'"):
        set_mode("pdf")
    monkeypatch.setenv("AGORA_WIDGETS_MODE", "print")
    with pytest.raises(ValueError, match="AGORA_WIDGETS_MODE"):
        mode()


def test_static_mode_sends_only_html_and_text():
    set_mode("static")
    bundle = Hello()._repr_mimebundle_()
    assert bundle == {"text/html": "<p>Bonjour</p>", "text/plain": "Hello"}


def test_interactive_mode_sends_the_widget_view():
    view = Hello()
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {render.WIDGET_MIME, "text/plain"}
    assert bundle[render.WIDGET_MIME]["model_id"] == view.widget().model_id


def test_include_and_exclude_are_honoured():
    set_mode("static")
    assert set(Hello()._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert set(Hello()._repr_mimebundle_(exclude=["text/plain"])) == {"text/html"}


def test_the_default_interactive_widget_shows_the_static_html_and_redraws_in_place():
    view = Hello()
    box = view.widget()
    assert view.widget() is box  # displayed twice: one widget, both update
    assert isinstance(box.children[0], ipywidgets.HTML)
    assert box.children[0].value == "<p>Bonjour</p>"
    view.greeting = "Salut"
    view.refresh()
    assert box.children[0].value == "<p>Salut</p>"


def test_ipython_display_uses_the_bundle_in_both_modes():
    from IPython.core.formatters import DisplayFormatter

    formatter = DisplayFormatter()
    data, _ = formatter.format(Hello())
    assert render.WIDGET_MIME in data
    set_mode("static")
    data, _ = formatter.format(Hello())
    assert data["text/html"] == "<p>Bonjour</p>" and render.WIDGET_MIME not in data


def test_html_page_is_a_whole_document():
    page = html_page(Hello(), "<p>x</p>", title="Rapport", lang="en")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<title>Rapport</title>" in page and "<p>Bonjour</p>" in page

