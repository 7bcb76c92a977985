"""Publish a notebook as a dashboard from the workspace: the dashboards service's publish API.

    from widgets import PublishPanel
    PublishPanel()     # pick a notebook, a title and groups, click « Publier »

:func:`publish` and :func:`publications` are what the panel calls; they send the kernel's own
token (widgets.data.token_from_env) to the dashboards service only: ``AGORA_DASHBOARDS_URL``
(set by the hub in workspaces), else the datasets service's URL with ``dashboards`` for
``datasets``. The service decides who may publish (analysts, never officials or partners)
and records the token's owner as the publisher (hub/services/dashboards/api.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import requests

from .data import TIMEOUT, AgoraError, _error_message, _http, _slash, service_url, token_from_env
from .i18n import t
from .render import View
from .style import MUTED, block, esc, tag

URL_VARIABLE = "AGORA_DASHBOARDS_URL"
SKIPPED = (".ipynb_checkpoints", "node_modules", "__pycache__")
MAX_NOTEBOOKS = 500


def dashboards_url(environ: Mapping[str, str] | None = None) -> str:
    """The dashboards service's base URL (ends with '/'), from the environment."""
    environ = os.environ if environ is None else environ
    if environ.get(URL_VARIABLE):
        return _slash(environ[URL_VARIABLE])
    datasets = service_url(environ)
    if not datasets.endswith("/services/datasets/"):
        raise AgoraError(f"cannot tell where the dashboards service is: set {URL_VARIABLE}")
    return datasets[: -len("datasets/")] + "dashboards/"


def notebooks_under(root: str | Path) -> list[str]:
    """The notebooks under `root` (paths relative to it, sorted), without checkpoints and
    hidden folders; at most MAX_NOTEBOOKS."""
    root = Path(root)
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIPPED)
        found += [str((Path(folder) / f).relative_to(root)) for f in files
                  if f.endswith(".ipynb") and not f.startswith(".")]
        if len(found) >= MAX_NOTEBOOKS:
            break
    return sorted(found)[:MAX_NOTEBOOKS]


def _call(method: str, path: str, environ=None, body: dict | None = None) -> dict:
    url = dashboards_url(environ) + path
    headers = {"Authorization": f"token {token_from_env(environ)}"}
    try:
        response = _http().request(method, url, json=body, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise AgoraError(f"cannot reach the dashboards service at {url}: "
                         f"{type(exc).__name__}") from None
    if not response.ok:
        raise AgoraError(f"{response.status_code} {_error_message(response)}",
                         response.status_code)
    return response.json()


def read_notebook(path: str | Path) -> dict:
    """The notebook's JSON without its outputs (the viewer's run makes them)."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AgoraError(f"{path}: cannot read the notebook ({type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise AgoraError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}); "
                         "save it again in JupyterLab") from None
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell.update(outputs=[], execution_count=None)
    return notebook


def publish(path: str | Path, groups, title: str | None = None, name: str | None = None,
            environ: Mapping[str, str] | None = None) -> dict:
    """Publish the notebook at `path` for `groups` (hub group names); the new version's
    record: name, version, url (the dashboard's path on the hub), groups, publisher...

    The name defaults to one made from the file name (``EV & fibre.ipynb`` -> ``ev-fibre``).
    Raises AgoraError with the service's reason (e.g. 403 for a viewer, 400 for bad groups).
    """
    body = {"notebook": read_notebook(path), "file": Path(path).name, "groups": list(groups),
            "title": title or None, "name": name or None}
    return _call("POST", "api/publications", environ, body)


def publications(environ: Mapping[str, str] | None = None) -> dict:
    """What the service says to you: may_publish, targets (groups to offer), publications
    (the dashboards you may open) and mine (the ones you published, every version)."""
    return _call("GET", "api/publications", environ)


def unpublish(name: str, environ: Mapping[str, str] | None = None) -> dict:
    """Stop serving your dashboard `name`; its versions are kept."""
    return _call("POST", f"api/publications/{quote(name, safe='')}/unpublish", environ, {})


def rollback(name: str, version: int | None = None,
             environ: Mapping[str, str] | None = None) -> dict:
    """Serve an earlier version of your dashboard `name` again (default: the one before)."""
    return _call("POST", f"api/publications/{quote(name, safe='')}/rollback", environ,
                 {"version": version})


def typed_groups(text: str) -> list[str]:
    """Group names typed in a text field, separated by commas or spaces."""
    return [g for g in text.replace(",", " ").split() if g]


class PublishPanel(View):
    """A form to publish one of your notebooks as a dashboard, with no code nor terminal::

        from widgets import PublishPanel
        PublishPanel()

    It lists the notebooks under your home (``root=`` for another folder),
    asks the dashboards service which groups to offer, and publishes on « Publier »: the link
    to the dashboard and its version are shown, or the reason it was refused. It works only
    interactively (JupyterLab); in a report or a static page it shows a short note.
    """

    def __init__(self, root: str | Path | None = None, locale: str | None = None,
                 environ: Mapping[str, str] | None = None):
        self.root = Path(root or os.environ.get("HOME") or Path.cwd())
        self.locale, self.environ = locale, environ
        self.result: dict | None = None
        self.error: str | None = None

    def static_html(self) -> str:
        return block(tag("p", esc(t("publish_static", self.locale)), style=f"color:{MUTED}"))

    def text(self) -> str:
        return "PublishPanel"

    def interactive(self):
        import ipywidgets as w

        self.info = self._service_info()
        targets = self.info.get("targets", [])
        self.notebook = w.Dropdown(options=notebooks_under(self.root),
                                   description=t("publish_notebook", self.locale))
        self.title = w.Text(description=t("publish_title", self.locale))
        self.groups = w.SelectMultiple(options=targets, rows=min(8, max(3, len(targets))),
                                       description=t("publish_groups", self.locale))
        self.more_groups = w.Text(description=t("publish_more_groups", self.locale),
                                  placeholder="commune-99101, partners")
        self.button = w.Button(description=t("publish_button", self.locale),
                               button_style="primary", icon="upload",
                               disabled=not self.info.get("may_publish"))
        self.status = w.HTML(self._status_html())
        self.button.on_click(lambda _: self.submit())
        style = {"description_width": "10rem"}
        for field in (self.notebook, self.title, self.groups, self.more_groups):
            field.style, field.layout = style, w.Layout(width="36rem")
        return w.VBox([self.notebook, self.title, self.groups, self.more_groups, self.button,
                       self.status])

    def _service_info(self) -> dict:
        try:
            info = publications(self.environ)
        except AgoraError as exc:
            self.error = str(exc)
            return {}
        if not info.get("may_publish"):
            self.error = t("publish_not_allowed", self.locale)
        return info

    def submit(self) -> dict | None:
        """Publish what the form says; the new version's record, or None (see .error)."""
        groups = [*self.groups.value, *typed_groups(self.more_groups.value)]
        self.result, self.error = None, None
        if not self.notebook.value:
            self.error = t("publish_pick_notebook", self.locale)
        else:
            try:
                self.result = publish(self.root / self.notebook.value, groups,
                                      self.title.value.strip() or None, environ=self.environ)
            except AgoraError as exc:
                self.error = str(exc)
        self.status.value = self._status_html()
        return self.result

    def _status_html(self) -> str:
        if self.error:
            return block(tag("p", esc(t("publish_failed", self.locale, reason=self.error)),
                             role="alert"))
        if not self.result:
            return ""
        r = self.result
        link = tag("a", esc(r["title"]), href=r["url"], target="_blank")
        return block(tag("p", t("publish_done", self.locale, link=link, version=r["version"],
                                groups=esc(", ".join(r["groups"]))), role="status"))
