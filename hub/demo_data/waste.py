"""Smart waste bins and their daily fill levels — ``remplissage_conteneurs.csv``.

``,``-separated, UTF-8 with a byte-order mark (an "Excel-friendly" export). One row per bin
and day: bin_id, type, commune, latitude, longitude, date, fill_level. Each bin fills at its
own daily rate and is emptied when it passes its collection threshold (or on its weekly day).

Deliberate mess:
- fill_level: 70 % "63", 12 % "63 %", 6 % "63%", 5 % "NA", 4 % "" and 3 % "63,0" (an
  older firmware writing French decimals) — plus 1 % impossible readings "112" to "180";
- type in mixed case ("Verre", "VERRE", "verre", "Ordures ménagères", "OM", "Emballages",
  "Emb.");
- latitude/longitude empty for 3 % of the bins (in every row of those bins);
- 1 % of rows duplicated.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .common import REFERENCE_DAY, exact_mask, rng_for
from .territory import Territory, to_lonlat
from .writers import write_csv

FILE = "remplissage_conteneurs.csv"
TYPES = {"Verre": ["Verre", "VERRE", "verre"], "Ordures ménagères": ["Ordures ménagères", "OM"],
         "Emballages": ["Emballages", "Emb.", "EMBALLAGES"]}


def _fill_series(rng: np.random.Generator, days: int) -> np.ndarray:
    rate, threshold = rng.uniform(6, 22), rng.uniform(75, 95)
    level, out = rng.uniform(0, 60), []
    for _ in range(days):
        out.append(level)
        level = 0.0 if level >= threshold else min(100.0, level + rate * rng.uniform(0.5, 1.5))
    return np.round(out)


def _fill_text(value: float, kind: int, rng: np.random.Generator) -> str:
    if kind == 6:
        value = float(rng.integers(112, 181))
    return [f"{value:.0f}", f"{value:.0f} %", f"{value:.0f}%", "NA", "",
            f"{value:.1f}".replace(".", ","), f"{value:.0f}"][kind]


def _bins(rng: np.random.Generator, territory: Territory, count: int) -> pd.DataFrame:
    homes = rng.choice(len(territory.communes), size=count, p=territory.population_weights())
    points = np.vstack([territory.random_points(rng, territory.communes[h], 1) for h in homes])
    lon, lat = to_lonlat(points)
    kinds = rng.choice(list(TYPES), size=count, p=[0.3, 0.45, 0.25])
    no_position = exact_mask(rng, count, 0.03)
    return pd.DataFrame({
        "bin_id": [f"CNT-{i + 1:04d}" for i in range(count)],
        "type": [TYPES[k][int(rng.integers(len(TYPES[k])))] for k in kinds],
        "commune": [territory.communes[h].code for h in homes],
        "latitude": np.where(no_position, "", [f"{v:.6f}" for v in lat]),
        "longitude": np.where(no_position, "", [f"{v:.6f}" for v in lon]),
    })


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    rng = rng_for(seed, "waste")
    bins = _bins(rng, territory, scale.waste_bins)
    days = [(REFERENCE_DAY - timedelta(days=scale.waste_days - i)).isoformat()
            for i in range(scale.waste_days)]
    rows = []
    for bin_row in bins.itertuples(index=False):
        levels = _fill_series(rng, len(days))
        kinds = rng.choice(7, size=len(days), p=[0.69, 0.12, 0.06, 0.05, 0.04, 0.03, 0.01])
        rows += [(*bin_row, day, _fill_text(level, kind, rng))
                 for day, level, kind in zip(days, levels, kinds)]
    frame = pd.DataFrame(rows, columns=[*bins.columns, "date", "fill_level"])
    duplicated = np.flatnonzero(exact_mask(rng, len(frame), 0.01))
    frame = pd.concat([frame, frame.iloc[duplicated]]).sort_index(kind="stable")
    return [write_csv(frame, out_dir / FILE, sep=",", encoding="utf-8", bom=True)]
