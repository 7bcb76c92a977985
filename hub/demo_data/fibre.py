"""Fibre (FTTH) rollout per commune and quarter — ``deploiement_fibre.xlsx``.

Sheet "Déploiement FTTH": two title rows and a blank row above the header (row 4), as the
infrastructure operator's exports have, then one row per commune and quarter (2022-T1 to
2025-T4), then a "Total Métropole" row and a "Source" note row at the bottom.

Columns: Code INSEE, Commune, Trimestre, Locaux raccordables, Locaux total, Taux de couverture.

Deliberate mess:
- 10 % of rows have no code and a misspelt commune name instead ("BELLECOMBE", "Rivemnt",
  "St-Aubin-sur-Lière"...), to be recovered by matching names;
- Code INSEE is a number cell in 40 % of rows and a text cell in the others;
- Trimestre: 70 % "2024-T1", 30 % "T1 2024";
- Locaux raccordables: 2 % "NC" (not communicated);
- Taux de couverture: a text "87,5 %" in 50 % of rows, a float 0.875 in the others;
- the footer rows (total, source note) are not data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import NOTICE_FR, exact_mask, rng_for
from .mess import french_decimal, name_variant
from .territory import Territory
from .writers import write_xlsx

FILE = "deploiement_fibre.xlsx"
QUARTERS = [(year, q) for year in range(2022, 2026) for q in range(1, 5)]
HEADER = ["Code INSEE", "Commune", "Trimestre", "Locaux raccordables", "Locaux total",
          "Taux de couverture"]


def _rollout(rng: np.random.Generator, territory: Territory) -> list[dict]:
    rows = []
    for rank, commune in enumerate(territory.communes):
        premises = int(commune.population / rng.uniform(1.9, 2.3))
        start = rank / len(territory.communes) * 8 + rng.uniform(-1, 2)  # centre first
        ceiling = rng.uniform(0.88, 0.995)
        for index, (year, quarter) in enumerate(QUARTERS):
            total = int(premises * (1 + 0.004 * index))
            share = ceiling / (1 + np.exp(-(index - start - 3) / 1.4))
            rows.append({"code": commune.code, "name": commune.name, "year": year,
                         "quarter": quarter, "eligible": int(total * share), "total": total})
    return rows


def _messy_rows(rng: np.random.Generator, rows: list[dict]) -> list[list]:
    n = len(rows)
    misspelt = exact_mask(rng, n, 0.10)
    numeric_code = rng.random(n) < 0.40
    quarter_style = rng.random(n) < 0.30
    not_communicated = exact_mask(rng, n, 0.02)
    text_rate = rng.random(n) < 0.50
    out = []
    for i, row in enumerate(rows):
        code: object = "" if misspelt[i] else (int(row["code"]) if numeric_code[i] else row["code"])
        name = name_variant(row["name"], rng) if misspelt[i] else row["name"]
        quarter = (f"T{row['quarter']} {row['year']}" if quarter_style[i]
                   else f"{row['year']}-T{row['quarter']}")
        rate = row["eligible"] / row["total"]
        rate_cell: object = f"{french_decimal(rate * 100)} %" if text_rate[i] else round(rate, 4)
        eligible: object = "NC" if not_communicated[i] else row["eligible"]
        out.append([code, name, quarter, eligible, row["total"], rate_cell])
    return out


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    rng = rng_for(seed, "fibre")
    rows = _rollout(rng, territory)
    last = [r for r in rows if (r["year"], r["quarter"]) == QUARTERS[-1]]
    sheet = [
        ["Observatoire du déploiement FTTH — Métropole de Val-de-Lière (données fictives)"],
        [f"Extraction du 05/01/2026 — {NOTICE_FR}"],
        [],
        HEADER,
        *_messy_rows(rng, rows),
        ["", "Total Métropole", "2025-T4", sum(r["eligible"] for r in last),
         sum(r["total"] for r in last), ""],
        ["Source : opérateur d'infrastructure (fictif), données déclaratives."],
    ]
    widths = {"A": 12, "B": 28, "C": 11, "D": 20, "E": 14, "F": 18}
    return [write_xlsx(out_dir / FILE, "Déploiement FTTH", sheet, widths)]
