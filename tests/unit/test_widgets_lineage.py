"""A kernel knows which datasets it read, at which snapshot version (a report's last section)."""

import pytest

import widgets
from widgets.lineage import Lineage, forget, lineage, used

from .test_datasets_aggregate_service import service, ws  # noqa: F401  (fixtures)


@pytest.fixture
def analyst(service, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AGORA_DATASETS_URL", service.url)
    monkeypatch.setenv("AGORA_TOKEN", "analyst")
    return service


@pytest.fixture(autouse=True)
def fresh():
    forget()
    yield
    forget()


def test_every_read_through_the_service_is_recorded_with_its_version(analyst):
    widgets.aggregate("incidents", by="commune_code")
    widgets.records("incidents", limit=2)
    widgets.read("incidents", select=["commune_code"])
    [(name, versions)] = used().items()
    assert name == "incidents" and len(versions) == 1 and versions[0].startswith("20")
    frame = widgets.lineage()
    assert frame.loc[0, "dataset"] == "incidents" and frame.loc[0, "versions"] == versions[0]
    assert frame.loc[0, "updated"]


def test_the_lineage_table_names_each_dataset_and_version(analyst):
    widgets.aggregate("incidents", by="commune_code")
    html = Lineage(locale="en").static_html()
    assert "Data sources" in html and "incidents" in html and used()["incidents"][0] in html
    assert "<script" not in html


def test_nothing_read_says_so():
    assert lineage().empty and widgets.lineage is lineage
    assert "Aucune donnée lue." in Lineage(locale="fr").static_html()
