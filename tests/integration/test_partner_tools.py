"""A partner's own tools against a REAL Agora (`agora up`, demo data), from a separate
virtual environment holding only what docs/partners.md says to install (tests/partner_venv.py).

The guide's Python examples (pandas, Intake, geopandas/GDAL, rdflib) run as they are written,
with a data-only token in `AGORA_TOKEN`; what they read is compared with what the service
says the partner may read, through the main environment. Then: what is not theirs stays out
of reach, and a program without a token gets a JSON 401.
"""

from __future__ import annotations

import re
import textwrap

import pytest
import requests

from tests.partner_venv import GUIDE, partner_python, run_as_partner
from tests.support import admin_api_token, token_made_by_admin

pytestmark = pytest.mark.integration
DATA_SCOPE = "access:services!service=datasets"
SECTIONS = ("pandas", "Intake", "geopandas and GDAL", "rdflib and harvesters")
SUMMARY = """
import json
print(json.dumps({
    "pandas": [len(table), len(typed), sorted(typed.columns)],
    "intake": [sorted(cat), type(stations).__name__, len(stations), stations.crs.to_epsg()],
    "geopandas": [len(layer), layer.crs.to_epsg()],
    "dcat": len(datasets),
}))
"""


def guide_python(section: str) -> str:
    """The ```python blocks of one `### section` of the partners' guide."""
    text = GUIDE.read_text(encoding="utf-8")
    body = text.split(f"\n### {section}\n", 1)[1].split("\n### ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", body, re.DOTALL))


@pytest.fixture(scope="module")
def partner(agora):
    """(python of the partner's environment, a data-only token of the demo partner)."""
    admin = admin_api_token(agora, "partner tools", expires_in=900)
    token = token_made_by_admin(agora, admin, "partner", scopes=[DATA_SCOPE])
    return partner_python(), token


def oracle(agora, token, path):
    answer = requests.get(f"{agora.url}services/datasets/{path}", timeout=60,
                          headers={"Authorization": f"token {token}"})
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


def test_the_guides_examples_read_what_the_partner_may_read(agora, partner, tmp_path):
    python, token = partner
    script = "\n\n".join(guide_python(s) for s in SECTIONS) + SUMMARY
    got = run_as_partner(python, script, tmp_path, AGORA_TOKEN=token,
                         AGORA=f"{agora.url}services/datasets/")
    mine = {d["id"]: d for d in oracle(agora, token, "api/datasets")["datasets"]}
    columns = [c["name"] for c in oracle(agora, token,
                                         "api/datasets/ev_charging_stations")["columns"]]
    rows = mine["ev_charging_stations"]["rows"]
    assert got["pandas"] == [rows, rows, sorted(columns)]
    assert got["intake"] == [sorted(mine), "GeoDataFrame", rows, 4326]
    assert got["geopandas"] == [rows, 4326]
    assert got["dcat"] == len(mine)


def test_what_is_not_the_partners_stays_out_of_reach(agora, admin_token, partner, tmp_path):
    python, token = partner
    analyst = token_made_by_admin(agora, admin_token, "analyst", scopes=[DATA_SCOPE])
    theirs = {d["id"] for d in oracle(agora, token, "api/datasets")["datasets"]}
    hidden = sorted({d["id"] for d in oracle(agora, analyst, "api/datasets")["datasets"]}
                    - theirs)
    assert hidden, "the demo should hide some dataset from partners"
    script = textwrap.dedent(f"""
        import json, os, urllib.error
        import intake, pandas as pd
        agora, token = os.environ["AGORA"], os.environ["AGORA_TOKEN"]
        auth = {{"Authorization": f"token {{token}}"}}
        cat = intake.from_yaml_file(agora + "api/catalog.yaml", headers=auth)
        answers = {{}}
        for dataset in {hidden!r}:
            try:
                pd.read_parquet(f"{{agora}}api/datasets/{{dataset}}/export.parquet",
                                storage_options=auth)
                answers[dataset] = "read"
            except urllib.error.HTTPError as refused:
                answers[dataset] = refused.code
        try:
            pd.read_csv(agora + "api/datasets/ev_charging_stations/export.csv")
        except urllib.error.HTTPError as refused:
            no_token = [refused.code, refused.headers["Content-Type"],
                        json.loads(refused.read())["status"]]
        print(json.dumps({{"listed": sorted(set(cat) & set({hidden!r})), "answers": answers,
                          "no_token": no_token}}))
    """)
    got = run_as_partner(python, script, tmp_path, AGORA_TOKEN=token,
                         AGORA=f"{agora.url}services/datasets/")
    assert got["listed"] == []
    assert got["answers"] == {dataset: 404 for dataset in hidden}
    assert got["no_token"][0] == 401 and got["no_token"][2] == 401
    assert got["no_token"][1].startswith("application/json")
