"""The publication store (hub/services/dashboards/publications.py) and its `agora` commands."""

import json
import os
import stat

import pytest

from hub.cli.main import main
from hub.services.dashboards.publications import PublicationStore, PublishError


def notebook(tmp_path, name="territory-kpis.ipynb", source="print('hello')", **extra):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"widgets": {"state": {}}},
          "cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": source,
                     "execution_count": 3,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": "99102"}]}],
          **extra}
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture
def store(tmp_path):
    return PublicationStore(tmp_path / "data" / "dashboards")


def test_publish_strips_outputs_and_records_who_when_hash_and_groups(tmp_path, store):
    p = store.publish(notebook(tmp_path), ["officials"], "analyst", title="KPIs")
    assert (p.name, p.version, p.publisher, p.groups, p.title) == (
        "territory-kpis", 1, "analyst", ("officials",), "KPIs")
    assert p.url_path == "services/dashboards/d/territory-kpis/"
    stored = json.loads(store.notebook_path(p).read_text())
    assert stored["cells"][0]["outputs"] == [] and stored["cells"][0]["execution_count"] is None
    assert "widgets" not in stored["metadata"]
    import hashlib
    assert hashlib.sha256(store.notebook_path(p).read_bytes()).hexdigest() == p.sha256
    assert stat.S_IMODE(os.stat(store.root).st_mode) == 0o700


def test_versions_are_immutable_and_kept_through_unpublish_and_rollback(tmp_path, store):
    first = store.publish(notebook(tmp_path, source="1"), ["officials"], "analyst")
    second = store.publish(notebook(tmp_path, source="2"), ["officials", "partners"], "admin")
    first_bytes = store.notebook_path(first).read_bytes()
    assert second.version == 2 and second.title == first.title
    assert store.current("territory-kpis") == second
    assert store.rollback("territory-kpis", "admin") == first
    assert store.current("territory-kpis").version == 1
    store.unpublish("territory-kpis", "admin")
    assert store.current("territory-kpis") is None and store.published() == []
    assert [p.version for p in store.versions("territory-kpis")] == [1, 2]
    assert store.rollback("territory-kpis", "admin", 2) == second
    assert store.notebook_path(first).read_bytes() == first_bytes
    actions = [e["action"] for e in store.history("territory-kpis")]
    assert actions == ["publish", "publish", "rollback", "unpublish", "rollback"]


def test_visible_to_members_and_publisher_only_unknown_and_unshared_alike(tmp_path, store):
    store.publish(notebook(tmp_path), ["officials"], "analyst")
    assert [p.name for p in store.visible_to("elu-rivemont", ["officials", "commune-99101"])] \
        == ["territory-kpis"]
    assert store.visible_to("partner", ["partners"]) == []
    assert store.find_visible("territory-kpis", "analyst", []) is not None  # the publisher
    answers = {store.find_visible(name, "partner", ["partners"])
               for name in ("territory-kpis", "nope", "../etc", "")}
    assert answers == {None}
    store.unpublish("territory-kpis", "analyst")
    assert store.find_visible("territory-kpis", "elu-rivemont", ["officials"]) is None


@pytest.mark.parametrize("text, words", [
    ("{not json", "not valid JSON (line 1, column 2"),
    (json.dumps({"nbformat": 3, "worksheets": []}), "not an nbformat 4 notebook (nbformat: 3)"),
])
def test_a_bad_notebook_is_refused_in_one_line_naming_the_file_and_the_fix(
        tmp_path, store, text, words):
    path = tmp_path / "bad.ipynb"
    path.write_text(text)
    with pytest.raises(PublishError) as refused:
        store.publish(path, ["officials"], "analyst")
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and words in message and "\n" not in message
    assert ("save it again" in message) or ("nbconvert" in message)
    assert not store.root.exists() or store.names() == []


def test_cli_publish_list_rollback_unpublish(tmp_path, monkeypatch, capsys):
    settings = tmp_path / "workspace.yaml"
    settings.write_text(f"hub:\n  data_dir: {tmp_path / 'data'}\n")
    base = ["-c", str(settings)]
    path = notebook(tmp_path)
    assert main([*base, "publish", str(path), "--to", "officials", "--as", "analyst"]) == 0
    assert "published territory-kpis v1" in capsys.readouterr().out
    assert main([*base, "publish", str(path), "--to", "officials", "--title", "Board"]) == 0
    assert main([*base, "dashboards"]) == 0
    assert "territory-kpis           v2" in capsys.readouterr().out
    assert main([*base, "rollback", "territory-kpis"]) == 0
    assert main([*base, "dashboards", "territory-kpis"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2].startswith("* territory-kpis           v1") and out[-1].startswith("  ")
    assert main([*base, "unpublish", "territory-kpis"]) == 0
    assert main([*base, "unpublish", "territory-kpis"]) == 1
    assert "no published dashboard named 'territory-kpis'" in capsys.readouterr().err
    bad = tmp_path / "bad.ipynb"
    bad.write_text("[]")
    assert main([*base, "publish", str(bad), "--to", "officials"]) == 1
    assert capsys.readouterr().err.startswith(f"agora publish: {bad}: not an nbformat 4")


def test_a_publish_killed_before_its_record_does_not_block_the_next(tmp_path, store):
    """A notebook file without its record (the service died between the two writes) keeps
    its number; the next publish takes the following one instead of looping forever."""
    first = store.publish(notebook(tmp_path), ["officials"], "analyst", name="kpi")
    folder = tmp_path / "data" / "dashboards" / "kpi"
    (folder / f"v{first.version + 1}.ipynb").write_text("{}")  # the orphan
    second = store.publish(notebook(tmp_path), ["officials"], "analyst", name="kpi")
    assert second.version == first.version + 2
    assert store.current("kpi").version == second.version
