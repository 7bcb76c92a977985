"""The portal's "API tokens" page: how to get a data-only token, and how to use it.

The portal does not create tokens itself. JupyterHub checks a new token's scopes against its
OWNER's scopes, not against the token that asks for it (``jupyterhub/scopes.py``,
``_check_token_scopes``): with ``tokens!user`` the visitor's OAuth token held by the portal
could mint a never-expiring token carrying all the visitor's rights (an admin's, a
workspace's). So the page guides the visitor to the hub's own token page (``hub/token``),
with the scope to paste and the durations to choose, and shows examples that read the token
from the environment (``AGORA_TOKEN``). See docs/decisions/0006-partner-tokens.md.
"""

from __future__ import annotations

from .datasets_client import DatasetNotFound, DatasetsUnavailable
from .handlers import PortalHandler

DATA_SCOPE = "access:services!service=datasets"
PLACEHOLDER = "DATASET_ID"


def example_datasets(items: list[dict]) -> tuple[str, str | None]:
    """(a table the visitor may read, a map layer they may read or None) for the examples."""
    tables = [i["id"] for i in items if not i.get("geo")] or [i["id"] for i in items]
    maps = [i["id"] for i in items if i.get("geo")]
    return (tables[0] if tables else PLACEHOLDER), (maps[0] if maps else None)


def examples(service_url: str, table: str, layer: str | None) -> dict[str, str]:
    """Copy-paste code with the token read from $AGORA_TOKEN, never written in the page."""
    api = service_url + "api/"
    csv = f"{api}datasets/{table}/export.csv"
    geojson = f"{api}datasets/{layer or PLACEHOLDER}/export.geojson"
    return {
        "shell": "read -rs AGORA_TOKEN && export AGORA_TOKEN\n"
                 "# PowerShell: $env:AGORA_TOKEN = Read-Host",
        "curl": f'curl -H "Authorization: token $AGORA_TOKEN" "{api}datasets"\n'
                f'curl -H "Authorization: token $AGORA_TOKEN" -o {table}.csv \\\n'
                f'     "{csv}"',
        "pandas": "import os\nimport pandas as pd\n\n"
                  f'frame = pd.read_csv("{csv}",\n'
                  '                    storage_options={"Authorization": '
                  'f"token {os.environ[\'AGORA_TOKEN\']}"})',
        "intake": "# pip install intake pandas pyarrow geopandas aiohttp\n"
                  "import os\nimport intake\n\n"
                  f'cat = intake.from_yaml_file("{api}catalog.yaml",\n'
                  '                             headers={"Authorization": '
                  'f"token {os.environ[\'AGORA_TOKEN\']}"})\n'
                  f'frame = cat["{table}"].read()',
        "gdal": 'export GDAL_HTTP_HEADERS="Authorization: token $AGORA_TOKEN"\n'
                f'ogrinfo -so -al "/vsicurl_streaming/{geojson}"\n\n'
                "# Python\nimport os\nimport geopandas as gpd\n\n"
                'os.environ["GDAL_HTTP_HEADERS"] = '
                'f"Authorization: token {os.environ[\'AGORA_TOKEN\']}"\n'
                f'layer = gpd.read_file("/vsicurl_streaming/{geojson}")',
        "qgis_url": geojson,
        "r": "library(httr2)\n\n"
             f'answer <- request("{csv}") |>\n'
             '  req_headers(Authorization = paste("token", Sys.getenv("AGORA_TOKEN"))) |>\n'
             "  req_perform()\n"
             "frame <- read.csv(text = resp_body_string(answer))",
    }


class TokensHandler(PortalHandler):
    page = "tokens"

    async def get(self):
        try:
            items = await self.datasets.datasets(self.visitor.token)
        except (DatasetsUnavailable, DatasetNotFound):
            items = []
        table, layer = example_datasets(items)
        service_url = self.datasets_public_url()
        self.render_page("tokens.html", scope=DATA_SCOPE, service_url=service_url,
                         table=table, layer=layer,
                         examples=examples(service_url, table, layer))
