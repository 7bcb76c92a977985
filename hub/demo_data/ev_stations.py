"""EV charging stations being deployed — ``bornes_recharge.csv``, ``;``-separated, cp1252, CRLF.

Columns (IRVE-like, French): id_station, nom_station, nom_operateur, statut,
date_mise_en_service, puissance_nominale, nbre_pdc, adresse, commune, code_insee_commune,
latitude, longitude.

Deliberate mess (shares of rows, exact counts from the seed):
- encoding cp1252 with bytes latin-1 lacks: ’ (0x92) and œ (0x9C) in addresses;
- statut in 9 spellings of 3 values (planned / works / in service): "Planifiée", "PROJET",
  "en travaux", "EN SERVICE", "Mise en service" ...;
- nom_operateur: 4 operators in 14 variants (case, accents, "SAS", hyphens, a typo);
- date_mise_en_service: 50 % dd/mm/yyyy, 35 % ISO yyyy-mm-dd, 10 % dd/mm/yy, 5 % empty;
- puissance_nominale: 60 % French decimals "22,0", 25 % integers "22", 10 % "22.0", 5 % "22 kW";
- latitude/longitude: 10 % with a decimal comma, 4 % empty, 3 % swapped (lat<->lon, outside
  the territory), 1 % at 0,0;
- commune: 15 % misspelt name variants; code_insee_commune empty in 8 % of rows, always rows
  whose position is usable, so the code is recoverable with a spatial join;
- 2 % of stations listed twice (same id_station, same row).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .common import REFERENCE_DAY, exact_mask, rng_for
from .mess import day_formats, french_decimal, name_variant
from .territory import Territory, to_lonlat
from .writers import write_csv

FILE = "bornes_recharge.csv"
OPERATORS = {
    "Lière Énergies": ["Lière Énergies", "LIERE ENERGIES", "Liere Energies", "Lière Énergies SAS",
                       "Lière Energie"],
    "ElectroVal": ["ElectroVal", "Electroval", "ELECTROVAL", "Electro Val"],
    "Bornéo Mobilité": ["Bornéo Mobilité", "Borneo Mobilite", "Bornéo-Mobilité"],
    "Charge’Lib": ["Charge’Lib", "ChargeLib"],
}
STATUSES = {
    "planned": ["Planifiée", "planifié", "PROJET"],
    "works": ["En travaux", "travaux", "EN TRAVAUX"],
    "in service": ["En service", "EN SERVICE", "Mise en service"],
}
POWERS = np.array([3.7, 7.4, 11.0, 22.0, 50.0, 100.0, 150.0])
POWER_WEIGHTS = np.array([0.05, 0.20, 0.15, 0.35, 0.12, 0.05, 0.08])
STREETS = ["Place de l’Église", "Rue du Cœur-Volant", "Parking de la Gare", "Avenue des Tilleuls",
           "Boulevard de la Lière", "Chemin des Pêcheurs", "Rue Émile-Zola", "Place du Marché",
           "Rue de l’Hôtel-de-Ville", "Allée des Sœurs-Clarisses", "Rue Pasteur",
           "Parking du Collège"]


def _power_text(value: float, kind: int) -> str:
    return [french_decimal(value), f"{value:.0f}", f"{value:.1f}", f"{value:.0f} kW"][kind]


def _status_and_day(rng: np.random.Generator) -> tuple[str, date]:
    status = rng.choice(["planned", "works", "in service"], p=[0.25, 0.2, 0.55])
    offset = int(rng.integers(30, 540))
    day = REFERENCE_DAY + timedelta(days=offset) if status == "planned" else (
        REFERENCE_DAY + timedelta(days=offset // 6) if status == "works"
        else REFERENCE_DAY - timedelta(days=offset * 2))
    return str(status), day


def _stations(rng: np.random.Generator, territory: Territory, n: int) -> pd.DataFrame:
    homes = rng.choice(len(territory.communes), size=n, p=territory.population_weights())
    operator_names = list(OPERATORS)
    rows = []
    for i, home in enumerate(homes):
        commune = territory.communes[home]
        lon, lat = to_lonlat(territory.random_points(rng, commune, 1))
        status, day = _status_and_day(rng)
        operator = operator_names[int(rng.choice(4, p=[0.4, 0.3, 0.2, 0.1]))]
        street = STREETS[int(rng.integers(len(STREETS)))]
        rows.append({
            "id_station": f"FRVDL{i + 1:05d}",
            "nom_station": f"{commune.name} - {street}",
            "nom_operateur": operator,
            "statut": status,
            "date_mise_en_service": day,
            "puissance_nominale": float(rng.choice(POWERS, p=POWER_WEIGHTS)),
            "nbre_pdc": str(int(rng.choice([1, 2, 2, 4, 6]))),
            "adresse": f"{int(rng.integers(1, 120))} {street}, {commune.name}",
            "commune": commune.name,
            "code_insee_commune": commune.code,
            "latitude": float(lat[0]),
            "longitude": float(lon[0]),
        })
    return pd.DataFrame(rows)


def _mess(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(frame)
    out = pd.DataFrame(index=frame.index)
    out["id_station"] = frame["id_station"]
    out["nom_station"] = frame["nom_station"]
    out["nom_operateur"] = [OPERATORS[o][int(rng.integers(len(OPERATORS[o])))]
                            for o in frame["nom_operateur"]]
    out["statut"] = [STATUSES[s][int(rng.integers(3))] for s in frame["statut"]]
    date_kind = rng.choice(4, size=n, p=[0.5, 0.35, 0.10, 0.05])
    out["date_mise_en_service"] = [day_formats(d, k) if k < 3 else ""
                                   for d, k in zip(frame["date_mise_en_service"], date_kind)]
    power_kind = rng.choice(4, size=n, p=[0.6, 0.25, 0.10, 0.05])
    out["puissance_nominale"] = [_power_text(p, k)
                                 for p, k in zip(frame["puissance_nominale"], power_kind)]
    out["nbre_pdc"] = frame["nbre_pdc"]
    out["adresse"] = frame["adresse"]
    misspelt = exact_mask(rng, n, 0.15)
    out["commune"] = [name_variant(c, rng) if m else c for c, m in zip(frame["commune"], misspelt)]
    lat = frame["latitude"].map("{:.6f}".format)
    lon = frame["longitude"].map("{:.6f}".format)
    kind = rng.choice(5, size=n, p=[0.82, 0.10, 0.04, 0.03, 0.01])
    usable = np.flatnonzero(kind < 2)  # the code is only missing where the point is usable
    no_code = np.zeros(n, dtype=bool)
    no_code[usable[exact_mask(rng, len(usable), 0.08 * n / len(usable))]] = True
    out["code_insee_commune"] = np.where(no_code, "", frame["code_insee_commune"])
    out["latitude"] = np.select([kind == 1, kind == 2, kind == 3, kind == 4],
                                [lat.str.replace(".", ","), "", lon, "0"], lat)
    out["longitude"] = np.select([kind == 1, kind == 2, kind == 3, kind == 4],
                                 [lon.str.replace(".", ","), "", lat, "0"], lon)
    duplicated = np.flatnonzero(exact_mask(rng, n, 0.02))
    return pd.concat([out, out.iloc[duplicated]]).sort_index(kind="stable")


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    rng = rng_for(seed, "ev_stations")
    frame = _mess(_stations(rng, territory, scale.ev_stations), rng)
    return [write_csv(frame, out_dir / FILE, sep=";", encoding="cp1252", newline="\r\n")]
