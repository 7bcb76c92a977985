"""One rule, two paths: the anonymise processor and the datasets service's column rules agree.

Two recipes read the same source: ``via_processor`` pseudonymises and bands in its anonymise
step, ``via_policy`` serves the source unchanged with the same rules as column rules. Both are
refreshed by the real pipeline and read through the real service, column by column. The key
rule (hub/policy/pseudonym.py) is checked where each side reads the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import pandas as pd
import pytest

from hub.config.loading import load_settings
from hub.config.runtime_checks import runtime_problems
from hub.pipeline.interfaces import ProcessingError
from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many
from hub.policy.pseudonym import MIN_KEY_LENGTH, PseudonymKeyError, key_from
from hub.services.datasets.http.app import pseudonym_key
from tests.datasets_support import HEADER, KEY, Workspace

from .pipeline.processor_support import run
from .test_datasets_service import records, start_service

ENV = "AGORA_PSEUDONYM_KEY"
PSEUDONYMISED = {  # column -> values (8 rows each)
    "text": ["Élodie Durand", "東京", "Zoë", "", None, "A001", "e\u0301", "😀"],
    "integer": pd.array([1234, -5, 0, None, 2**62, -1, 7, 1234], dtype="Int64"),
    "number": [1234.0, -5.0, 0.0, None, 0.5, -0.0, 1e16, 2.25],
}
BANDED = {  # column -> (values, edges)
    "age": (pd.array([-1, 0, 17, 18, 24, 25, None, 120], dtype="Int64"), [0, 18, 25]),
    "score": ([-0.5, 0.0, 17.99, 18.0, 24.999, 25.0, None, 1e9], [0, 18, 25]),
    "ratio": ([0.49, 0.5, 1.49, 1.5, 2.0, None, -3.0, 2.5], [0.5, 1.5, 2]),
    "age_text": (["12", " 30 ", "âge", None, "-4", "18", "1e1", "25"], [0, 18, 25]),
}
EXPECTED_BANDS = {  # the documented labels (docs/policy.md, docs/processors.md)
    "age": [None, "0-17", "0-17", "18-24", "18-24", "25+", None, "25+"],
    "ratio": [None, "[0.5, 1.5)", "[0.5, 1.5)", "[1.5, 2)", "2+", None, None, "2+"],
    "age_text": ["0-17", "25+", None, None, None, "18-24", "0-17", "25+"],
}


def source_frame() -> pd.DataFrame:
    columns = {**PSEUDONYMISED, **{name: values for name, (values, _) in BANDED.items()}}
    return pd.DataFrame({"position": range(8), **columns})


def recipe(processors: str, columns: str) -> str:
    return (HEADER.format(title="Agreement") + "source: {connector: parquet, path: a.parquet}\n"
            + processors + "access:\n  groups: [analysts]\n" + columns)


def recipes() -> dict[str, str]:
    bands = {name: edges for name, (_, edges) in BANDED.items()}
    step = {"pseudonymise": list(PSEUDONYMISED), "bands": bands}
    rules = {name: {"action": "pseudonymise"} for name in PSEUDONYMISED} | {
        name: {"action": "generalise", "to": "band", "bands": edges}
        for name, edges in bands.items()}
    return {"via_processor": recipe(f"processors:\n  - anonymise: {json.dumps(step)}\n", ""),
            "via_policy": recipe("", f"  columns: {json.dumps(rules)}\n")}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = tmp_path_factory.mktemp("agreement")
    ws = Workspace(root, root / "catalog", root / "sources", root / "store", root / "data")
    for folder in (ws.catalog_dir, ws.sources_dir, ws.data_dir):
        folder.mkdir(parents=True)
    for name, text in recipes().items():
        (ws.catalog_dir / f"{name}.yaml").write_text(text)
    source_frame().to_parquet(ws.sources_dir / "a.parquet", index=False)
    results = refresh_many(load_catalog(ws.catalog_dir),
                           RefreshEnv(ws.store, ws.sources_dir, {ENV: KEY}))
    assert not [r for r in results if r.failed], [(r.dataset, r.error) for r in results]
    server = start_service(ws)
    yield server
    server.stop()


def served(service, dataset: str, column: str) -> list:
    body = records(service, dataset, "analyst", select=f"position,{column}", order_by="position")
    assert [r["position"] for r in body["records"]] == list(range(8))
    return [r[column] for r in body["records"]]


def token(text: str) -> str:
    return hmac.new(KEY.encode(), text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


@pytest.mark.parametrize("column", [*PSEUDONYMISED, *BANDED])
def test_processor_and_column_rule_give_the_same_values(service, column):
    by_processor = served(service, "via_processor", column)
    assert served(service, "via_policy", column) == by_processor
    assert all(v is None for v, null in zip(by_processor, source_frame()[column].isna()) if null)
    assert any(v is not None for v in by_processor)
    if column in EXPECTED_BANDS:
        assert by_processor == EXPECTED_BANDS[column]


def test_pseudonyms_are_the_documented_hmac(service):
    assert served(service, "via_policy", "text")[:3] == [token("Élodie Durand"), token("東京"),
                                                         token("Zoë")]
    numbers = served(service, "via_policy", "number")
    assert numbers[0] == token("1234") and numbers[4] == token("0.5")  # whole floats as integers
    assert numbers[5] == token("0") and numbers[6] == token("10000000000000000")
    assert served(service, "via_policy", "integer")[:2] == [token("1234"), token("-5")]


@pytest.mark.parametrize("secret", [None, "", "x" * (MIN_KEY_LENGTH - 1), "é" * 15])
def test_one_key_rule_for_the_processor_the_service_and_agora_check(secret):
    environ = {} if secret is None else {ENV: secret}
    with pytest.raises(PseudonymKeyError) as refused:
        key_from(environ, ENV)
    assert ENV in str(refused.value) and "data.pseudonym_key_env" in str(refused.value)
    with pytest.raises(ProcessingError, match=re.escape(str(refused.value))):
        run("anonymise", source_frame(), environ=environ, pseudonymise=["text"])
    settings = load_settings(environ=environ)
    assert pseudonym_key(settings, environ) == b""
    problems = [p for p in runtime_problems(settings, environ) if p.key == "data.pseudonym_key_env"]
    assert [(p.message, p.fix) for p in problems] == (
        [(refused.value.problem, refused.value.fix)] if secret else [])


def test_sixteen_characters_are_enough_everywhere():
    environ = {ENV: "é" * MIN_KEY_LENGTH}
    assert key_from(environ, ENV) == environ[ENV].encode("utf-8")
    run("anonymise", source_frame(), environ=environ, pseudonymise=["text"])
    settings = load_settings(environ=environ)
    assert pseudonym_key(settings, environ) == environ[ENV].encode("utf-8")
    assert not [p for p in runtime_problems(settings, environ) if p.key == "data.pseudonym_key_env"]
