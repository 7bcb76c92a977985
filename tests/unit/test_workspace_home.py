"""What a workspace's home gets at each start: Agora's JupyterLab config (offline) and the
starter notebooks, never overwriting the user's own files."""

import json
from pathlib import Path

from hub.workspaces import lab_config, starter


def test_jupyterlab_calls_no_news_feed_no_pypi_and_shows_no_news_prompt(tmp_path):
    lab_config.write_lab_config(str(tmp_path))
    folder = Path(lab_config.config_folder(str(tmp_path)))
    server = json.loads((folder / "jupyter_server_config.json").read_text())["LabApp"]
    assert server["news_url"] is None
    assert server["check_for_updates_class"].endswith("NeverCheckForUpdate")
    assert server["extension_manager"] == "readonly"
    page = json.loads((folder / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == {
        "@jupyterlab/apputils-extension:announcements": True,
        "@jupyterlab/extensionmanager-extension:plugin": True}


def test_the_config_is_agoras_own_folder_not_the_users_jupyter_folder(tmp_path):
    own = tmp_path / ".jupyter" / "labconfig" / "page_config.json"
    own.parent.mkdir(parents=True)
    own.write_text('{"mine": true}')
    lab_config.write_lab_config(str(tmp_path))
    assert own.read_text() == '{"mine": true}'
    assert lab_config.config_folder("/home/a") == "/home/a/.agora/jupyter-config"


def test_the_never_check_class_exists():
    from jupyterlab.handlers.announcements import NeverCheckForUpdate  # noqa: F401


def test_every_notebook_of_the_checkout_is_offered():
    offered = starter.starter_notebooks()
    assert "getting-started.ipynb" in offered
    assert set(offered) == {p.name for p in starter.NOTEBOOKS.glob("*.ipynb")}


def test_missing_notebooks_are_copied_and_an_edited_copy_is_kept(tmp_path):
    notebooks = {"getting-started.ipynb": b"new", "budget-kpis.ipynb": b"new"}
    folder = tmp_path / starter.STARTER_FOLDER
    folder.mkdir()
    (folder / "getting-started.ipynb").write_bytes(b"edited by the user")
    assert starter.copy_missing(str(tmp_path), notebooks) == ["budget-kpis.ipynb"]
    assert (folder / "getting-started.ipynb").read_bytes() == b"edited by the user"
    assert (folder / "budget-kpis.ipynb").read_bytes() == b"new"
    assert starter.copy_missing(str(tmp_path), notebooks) == []


def test_a_link_in_place_of_the_folder_is_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    (home / starter.STARTER_FOLDER).symlink_to(elsewhere)
    assert starter.copy_missing(str(home), {"a.ipynb": b"x"}) == []
    assert list(elsewhere.iterdir()) == []


def test_preparing_a_home_that_cannot_be_written_does_not_fail(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    starter.prepare_home(str(blocker), {"a.ipynb": b"x"})  # no exception: the workspace starts
