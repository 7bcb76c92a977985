"""widgets.PublishPanel and widgets.publish's functions, against a fake HTTP session.

The fake stands in for widgets.data's connection pool: it records each request (method, URL,
token, body) and answers as the dashboards service does (hub/services/dashboards/api.py).
"""

from __future__ import annotations

import json

import pytest

from widgets import PublishPanel, publish, set_mode

from .widgets_fakes import default_mode_and_locale  # noqa: F401 (autouse)

ENV = {"AGORA_TOKEN": "tok-analyst",
       "AGORA_DATASETS_URL": "http://127.0.0.1:9/agora/services/datasets/"}
DASHBOARDS = "http://127.0.0.1:9/agora/services/dashboards/"
INFO = {"user": "analyst", "may_publish": True, "targets": ["commune-99101", "officials"],
        "publications": [], "mine": []}


class Answer:
    def __init__(self, status, body):
        self.status_code, self._body, self.reason = status, body, "x"
        self.ok = status < 400

    def json(self):
        return self._body


class FakeService:
    def __init__(self, info=INFO, refusal=None):
        self.info, self.refusal, self.calls = info, refusal, []

    def request(self, method, url, json=None, headers=None, timeout=None):
        self.calls.append((method, url, headers["Authorization"], json))
        if method == "GET":
            return Answer(200, self.info)
        if self.refusal:
            return Answer(*self.refusal)
        name = json["name"] or "ev-fibre"
        return Answer(201, {"name": name, "version": 2, "title": json["title"] or name,
                            "groups": json["groups"], "publisher": "analyst",
                            "url": f"/agora/services/dashboards/d/{name}/"})


@pytest.fixture
def service(monkeypatch):
    fake = FakeService()
    monkeypatch.setattr(publish, "_http", lambda: fake)
    return fake


@pytest.fixture
def home(tmp_path):
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "source": "1", "execution_count": 1,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "rows"}]}]}
    for path in ("EV & fibre.ipynb", "Bienvenue - Getting started/budget.ipynb",
                 "Bienvenue - Getting started/.ipynb_checkpoints/budget-checkpoint.ipynb",
                 ".hidden/x.ipynb", "notes.txt"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(json.dumps(notebook))
    return tmp_path


def test_the_drop_down_lists_notebooks_without_checkpoints_or_hidden_folders(home):
    assert publish.notebooks_under(home) == ["Bienvenue - Getting started/budget.ipynb",
                                             "EV & fibre.ipynb"]


def test_the_dashboards_url_is_the_hubs_or_derived_from_the_datasets_one():
    assert publish.dashboards_url(ENV) == DASHBOARDS
    assert publish.dashboards_url({"AGORA_DASHBOARDS_URL": "http://h/x"}) == "http://h/x/"


def test_publish_sends_the_notebook_without_outputs_with_the_kernels_token(home, service):
    record = publish.publish(home / "EV & fibre.ipynb", ["officials"], environ=ENV)
    method, url, auth, body = service.calls[-1]
    assert (method, url, auth) == ("POST", DASHBOARDS + "api/publications", "token tok-analyst")
    assert body["file"] == "EV & fibre.ipynb" and body["name"] is None
    assert body["notebook"]["cells"][0]["outputs"] == []
    assert "publisher" not in body  # the service records the token's owner
    assert record["url"] == "/agora/services/dashboards/d/ev-fibre/"


def test_the_panel_publishes_on_click_and_shows_the_link_and_version(home, service):
    panel = PublishPanel(root=home, locale="fr", environ=ENV)
    panel.widget()
    assert list(panel.groups.options) == INFO["targets"] and not panel.button.disabled
    panel.notebook.value = "EV & fibre.ipynb"
    panel.title.value = "Bornes et fibre"
    panel.groups.value = ("officials",)
    panel.more_groups.value = "commune-99101, partners"
    panel.button.click()
    assert service.calls[-1][3]["groups"] == ["officials", "commune-99101", "partners"]
    assert 'href="/agora/services/dashboards/d/ev-fibre/"' in panel.status.value
    assert "Bornes et fibre" in panel.status.value and "version 2" in panel.status.value


def test_a_refusal_is_shown_as_a_readable_message(home, monkeypatch):
    fake = FakeService(refusal=(400, {"error": "not a group name: 'x;y'"}))
    monkeypatch.setattr(publish, "_http", lambda: fake)
    panel = PublishPanel(root=home, locale="en", environ=ENV)
    panel.widget()
    panel.notebook.value = "EV & fibre.ipynb"
    assert panel.submit() is None
    assert "Not published: 400 not a group name: &#x27;x;y&#x27;" in panel.status.value
    assert 'role="alert"' in panel.status.value


def test_a_viewer_is_told_and_the_button_is_disabled(home, monkeypatch):
    fake = FakeService(info={**INFO, "may_publish": False, "targets": []})
    monkeypatch.setattr(publish, "_http", lambda: fake)
    panel = PublishPanel(root=home, locale="fr", environ=ENV)
    panel.widget()
    assert panel.button.disabled and "analystes" in panel.status.value


def test_an_unreadable_notebook_is_named(home, service):
    (home / "broken.ipynb").write_text("{nope")
    with pytest.raises(publish.AgoraError, match=r"broken.ipynb: not valid JSON \(line 1"):
        publish.publish(home / "broken.ipynb", ["officials"], environ=ENV)
    assert service.calls == []


def test_static_rendering_says_it_only_works_interactively(home):
    set_mode("static")
    bundle = PublishPanel(root=home, locale="en")._repr_mimebundle_()
    assert "only works interactively" in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" not in bundle
