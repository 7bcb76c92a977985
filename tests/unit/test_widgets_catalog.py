"""The notebook client: `catalog()`, `datasets()`, `records()` in a workspace with no setup."""

from __future__ import annotations

from pathlib import Path

import geopandas
import nbformat
import pandas as pd
import pytest

import widgets
from hub.services.datasets.http import paths
from widgets.catalog import CATALOG_PATH, DATASETS_PATH, catalog, datasets, describe, records
from widgets.data import AgoraError, check_destination, service_url

SERVICE = "https://agora.example.org/base/services/datasets/"
ALL_URL_VARIABLES = ("AGORA_DATASETS_URL", "JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_HOST",
                     "JUPYTERHUB_BASE_URL")


@pytest.fixture
def workspace(monkeypatch, fake_service):
    """A workspace as the spawner sets it up: the service URL and the user's token."""
    for name in ALL_URL_VARIABLES + ("AGORA_TOKEN",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGORA_DATASETS_URL", fake_service.url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", fake_service.token)
    return fake_service


def test_the_package_exports_the_functions():
    assert widgets.catalog is catalog and callable(widgets.catalog)
    assert widgets.datasets is datasets and widgets.records is records
    assert widgets.describe is describe


def test_client_paths_are_the_service_paths():
    assert CATALOG_PATH == paths.CATALOG_JSON
    assert DATASETS_PATH == paths.DATASETS


@pytest.mark.parametrize(("environ", "expected"), [
    ({"AGORA_DATASETS_URL": "http://127.0.0.1:8000/agora/services/datasets"},
     "http://127.0.0.1:8000/agora/services/datasets/"),
    ({"AGORA_DATASETS_URL": "http://127.0.0.1:8000/services/datasets/",
      "JUPYTERHUB_PUBLIC_HUB_URL": "https://elsewhere.example.org/hub/"},
     "http://127.0.0.1:8000/services/datasets/"),
    ({"JUPYTERHUB_PUBLIC_HUB_URL": "https://agora.example.org/base/hub/"},
     "https://agora.example.org/base/services/datasets/"),
    ({"JUPYTERHUB_HOST": "https://agora.example.org", "JUPYTERHUB_BASE_URL": "/base/"},
     "https://agora.example.org/base/services/datasets/"),
])
def test_service_url_from_the_environment(environ, expected):
    assert service_url(environ) == expected


def test_without_any_hint_the_error_names_the_variable_to_set():
    with pytest.raises(AgoraError, match="AGORA_DATASETS_URL"):
        service_url({"JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api", "JUPYTERHUB_HOST": ""})


@pytest.mark.parametrize("url", [
    "https://agora.example.org/base/services/datasets/api/datasets",
    "https://AGORA.example.org/base/services/datasets/api/catalog.yaml",
])
def test_the_token_may_go_to_the_service(url):
    check_destination(url, {"AGORA_DATASETS_URL": SERVICE})


@pytest.mark.parametrize("url", [
    "http://agora.example.org/base/services/datasets/api/datasets",  # not https
    "https://agora.example.org.evil.example/base/services/datasets/api",
    "https://agora.example.org:8443/base/services/datasets/api/datasets",
    "https://agora.example.org/base/services/datasets-evil/api",
    "https://agora.example.org/base/services/datasets/../../user/mallory/api",
    "https://agora.example.org/base/services/datasets/%2e%2e/scheduler/",
    "https://agora.example.org/base/user/mallory/",
])
def test_the_token_never_goes_elsewhere(url):
    with pytest.raises(AgoraError, match="refusing to send your token"):
        check_destination(url, {"AGORA_DATASETS_URL": SERVICE})


def test_one_line_gives_the_catalog(workspace):
    cat = catalog()
    assert sorted(cat) == ["air_quality", "ev_stations"]
    assert workspace.requests[0].path.endswith("/api/catalog.json")
    assert workspace.requests[0].authorization == f"token {workspace.token}"
    assert len(cat["air_quality"].read()) == 3
    assert len(cat.air_quality.read()) == 3  # attribute access, as Intake 2 supports it
    assert isinstance(cat["ev_stations"].read(), geopandas.GeoDataFrame)
    assert cat["air_quality"].metadata["title"] == "Air quality"


def test_describe_gives_the_columns_the_catalog_leaves_out(workspace):
    entry = catalog()["air_quality"]
    assert "columns" not in entry.metadata
    meta = describe("air_quality")
    assert workspace.requests[-1].path.endswith("/api/datasets/air_quality")
    assert meta["columns"][0] == {"name": "sensor_id", "type": "string", "rule": "pseudonymised",
                                  "title": None, "description": None, "unit": None}
    assert entry.metadata["page"] == workspace.url + "api/datasets/air_quality"
    with pytest.raises(AgoraError) as missing:
        describe("nope")
    assert missing.value.status == 404


def test_catalog_accepts_an_explicit_url(workspace, monkeypatch):
    monkeypatch.delenv("AGORA_DATASETS_URL")
    assert sorted(catalog(workspace.url.rstrip("/"))) == ["air_quality", "ev_stations"]


def test_a_saved_catalog_holds_no_token(workspace, tmp_path):
    cat = catalog()
    cat["air_quality"].read()
    saved = tmp_path / "my_catalog.yaml"
    cat.to_yaml_file(str(saved))
    text = saved.read_text()
    assert workspace.token not in text
    assert workspace.token not in repr(cat.to_dict())
    assert "Authorization" not in text and "STORAGE_OPTIONS" not in text


def test_a_saved_catalog_reads_again_with_whoever_reads_it(workspace, tmp_path, monkeypatch):
    saved = tmp_path / "shared.yaml"
    catalog().to_yaml_file(str(saved))
    workspace.token = "a-colleague-token-000111"
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "a-colleague-token-000111")
    import intake

    assert len(intake.from_yaml_file(str(saved))["air_quality"].read()) == 3
    assert workspace.requests[-1].authorization == "token a-colleague-token-000111"


def test_datasets_lists_id_title_rows_updated(workspace):
    frame = datasets()
    assert list(frame.columns) == ["id", "title", "rows", "updated", "licence", "geo"]
    assert list(frame["id"]) == ["air_quality", "ev_stations"]
    assert list(frame["rows"]) == [3, 2]
    assert isinstance(frame["updated"].dtype, pd.DatetimeTZDtype)


def test_records_sends_filters_to_the_service(workspace):
    frame = records("air_quality", where=["commune_code:in:69123|69124", ("pm10", "gt", 50),
                                          ("sensor_id", "in", ["S2", "S3"]),
                                          ("pm10", "not_null")],
                    select=["sensor_id", "pm10"], order_by=["-pm10"], limit=10)
    seen = workspace.requests[-1]
    assert seen.path.endswith("/api/datasets/air_quality/records")
    assert seen.query["where"] == ["commune_code:in:69123|69124", "pm10:gt:50",
                                   "sensor_id:in:S2|S3", "pm10:not_null"]
    assert seen.query["select"] == ["sensor_id,pm10"]
    assert seen.query["order_by"] == ["-pm10"]
    assert seen.query["limit"] == ["10"] and seen.query["offset"] == ["0"]
    assert list(frame.columns) == ["sensor_id", "pm10"]
    assert list(frame["pm10"]) == [61.2, 55.0]


def test_an_unknown_dataset_is_a_clear_error(workspace):
    with pytest.raises(AgoraError, match="not found") as missing:
        records("nope")
    assert missing.value.status == 404


def test_an_expired_token_is_a_clear_error_without_the_token(workspace, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "expired-token-abcdef")
    with pytest.raises(AgoraError) as refused:
        catalog()
    assert refused.value.status == 403
    assert "expired-token-abcdef" not in str(refused.value)


NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "getting-started.ipynb"


def test_getting_started_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_getting_started_notebook_runs_in_a_workspace(workspace):
    namespace: dict = {}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, str(NOTEBOOK), "exec"), namespace)  # noqa: S102
    assert list(namespace["worst"]["pm10"]) == [61.2, 55.0]
    assert any(r.path.endswith("/records") and r.query["where"] == ["pm10:gt:50"]
               for r in workspace.requests)
