"""The publication store (hub/services/dashboards/publications.py) and its `agora` commands,
on both shelves: files in the data directory and the shared state database (`state_url`:
None for the files, then a real PostgreSQL)."""

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
def store(tmp_path, state_url):
    return PublicationStore.in_data_dir(tmp_path / "data", state_url)


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
    assert store.notebook_path(p).is_relative_to(store.root)  # where Voila serves from
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


def test_cli_publish_list_rollback_unpublish(tmp_path, state_url, capsys):
    settings = tmp_path / "workspace.yaml"
    shared = f"\n  state_db_url: {state_url}" if state_url else ""
    settings.write_text(f"hub:\n  data_dir: {tmp_path / 'data'}{shared}\n")
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


def test_a_publish_killed_before_its_record_does_not_block_the_next(tmp_path):
    """A notebook file without its record (the service died between the two writes) keeps
    its number; the next publish takes the following one instead of looping forever."""
    store = PublicationStore.in_data_dir(tmp_path / "data")
    first = store.publish(notebook(tmp_path), ["officials"], "analyst", name="kpi")
    folder = tmp_path / "data" / "dashboards" / "kpi"
    (folder / f"v{first.version + 1}.ipynb").write_text("{}")  # the orphan
    second = store.publish(notebook(tmp_path), ["officials"], "analyst", name="kpi")
    assert second.version == first.version + 2
    assert store.current("kpi").version == second.version


def publish_many(data_dir, url, source_path, start, count, by):
    """One publisher process: waits for the others, then publishes `count` versions."""
    store = PublicationStore.in_data_dir(data_dir, url)
    start.wait(30)
    for _ in range(count):
        store.publish(source_path, ["officials"], by, name="kpi")


def test_processes_publishing_the_same_name_at_once_get_distinct_numbers(tmp_path, state_url):
    """Three processes x 5 publishes: versions 1..15, each whole (its hash matches its
    notebook), none lost; the pointer names one of them."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    start = context.Barrier(3)
    path = notebook(tmp_path)
    workers = [context.Process(target=publish_many,
                               args=(tmp_path / "data", state_url, path, start, 5, f"p{i}"))
               for i in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    store = PublicationStore.in_data_dir(tmp_path / "data", state_url)
    versions = store.versions("kpi")
    assert [p.version for p in versions] == list(range(1, 16))
    assert sorted(p.publisher for p in versions) == sorted(f"p{i}" for i in range(3) for _ in range(5))
    import hashlib
    assert all(hashlib.sha256(store.notebook_path(p).read_bytes()).hexdigest() == p.sha256
               for p in versions)
    assert [e["action"] for e in store.history("kpi")] == ["publish"] * 15
    assert store.current("kpi") in versions


@pytest.fixture
def shared(tmp_path, postgres_url):
    """Two replicas on one PostgreSQL database, each with its own data directory."""
    return (PublicationStore.in_data_dir(tmp_path / "one", postgres_url),
            PublicationStore.in_data_dir(tmp_path / "two", postgres_url))


def test_a_replica_serves_what_another_published_from_its_own_cache(tmp_path, shared):
    one, two = shared
    published = one.publish(notebook(tmp_path), ["officials"], "analyst")
    assert two.find_visible("territory-kpis", "elu", ["officials"]) == published
    served = two.notebook_path(published)
    assert served.is_relative_to(tmp_path / "two") and served.read_bytes() == \
        one.notebook_path(published).read_bytes()
    served.write_text("{}")  # a damaged cache is written again from the database
    import copy
    assert copy.deepcopy(two).current("territory-kpis") == published  # as Voila copies it
    assert json.loads(two.notebook_path(published).read_text())["nbformat"] == 4
    two.unpublish("territory-kpis", "admin")
    assert one.current("territory-kpis") is None and one.published() == []


def test_the_database_refuses_to_rewrite_a_version(tmp_path, shared):
    one, _ = shared
    one.publish(notebook(tmp_path), ["officials"], "analyst")
    import psycopg

    with pytest.raises(psycopg.errors.UniqueViolation), one.shelf.db.write() as db:
        db.execute("INSERT INTO dashboard_versions VALUES (?, 1, '{}', '{}')",
                   ("territory-kpis",))
    assert one.versions("territory-kpis")[0].title == "territory kpis"


def test_a_publish_failing_half_way_leaves_nothing_in_the_database(tmp_path, shared):
    """Version, pointer and history are one transaction: a failure after the version row
    is written (here: an event the history table refuses) rolls all of it back."""
    one, _ = shared
    content = b'{"cells": [], "nbformat": 4}'
    with pytest.raises(KeyError):
        one.shelf.add("kpi", content, lambda v: {"version": v}, {"action": "publish"})
    assert (one.shelf.records("kpi"), one.shelf.current_record("kpi"),
            one.shelf.history("kpi")) == ([], None, [])
