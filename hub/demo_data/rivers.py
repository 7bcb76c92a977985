"""River level stations with flood thresholds — ``niveaux_rivieres.json`` (an API dump).

Shaped like a hydrometry API answer: ``{"meta": {...}, "stations": [...], "observations":
[...]}``. Five stations on the Lière and two tributaries, each with nested ``coordonnees``
and ``seuils`` (vigilance / alert levels in metres); a reading every 15 minutes for 60 days
(small: 10 days) ending the day before the demo's reference day, each with a nested
``resultat`` object. One flood event crosses the vigilance threshold at three stations and
the alert threshold at one. Two datasets read this file: the stations and the readings
(joined to the stations for their thresholds and commune).

Deliberate mess:
- nested objects to flatten (``coordonnees.longitude``, ``seuils.alerte_m``,
  ``resultat.hauteur_m``);
- station "Y9910301" writes timestamps with a "+01:00" offset, the others in UTC with "Z";
- 2 % of readings are null, 0.3 % are sensor glitches (-99.0 or 99.99);
- 1 % of readings are "1,234" strings (a gateway that formats numbers the French way);
- 0.5 % of readings are sent twice (same station and timestamp);
- station "Y9910501" has no alert threshold (null).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .common import NOTICE, PUBLISHER, REFERENCE_DAY, exact_mask, rng_for
from .territory import Territory, to_lonlat
from .writers import write_json

FILE = "niveaux_rivieres.json"
# code, label, river, commune, base level (m), flood gain (m), vigilance, alert
STATIONS = [
    ("Y9910101", "La Lière à Rivemont", "La Lière", "99101", 1.10, 2.6, 2.40, 3.10),
    ("Y9910201", "La Lière à Bellecombe", "La Lière", "99102", 0.85, 2.0, 2.20, 3.00),
    ("Y9910301", "La Lière à Saint-Aubin-sur-Lière", "La Lière", "99103", 0.70, 1.5, 2.00, 2.80),
    ("Y9910401", "L'Orval à Sainte-Gemme-d'Orval", "L'Orval", "99108", 0.40, 1.2, 1.30, 1.90),
    ("Y9910501", "Le Ru de Courbelin à Courbelin", "Ru de Courbelin", "99110", 0.25, 0.5, 0.90,
     None),
]
LOCAL_OFFSET_STATION = "Y9910301"


def _levels(rng: np.random.Generator, steps: int, base: float, gain: float) -> np.ndarray:
    t = np.arange(steps)
    peak = int(steps * 0.65)
    flood = gain * np.exp(-((t - peak) / (steps * 0.035)) ** 2)
    daily = 0.03 * np.sin(2 * np.pi * t / 96)
    drift = np.cumsum(rng.normal(0, 0.004, size=steps))
    return np.round(base + flood + daily + drift - drift.mean(), 3)


def _observations(rng, station, moments: pd.DatetimeIndex) -> list[dict]:
    code = station[0]
    levels = _levels(rng, len(moments), station[4], station[5])
    n = len(levels)
    null, glitch = exact_mask(rng, n, 0.02), exact_mask(rng, n, 0.003)
    french = exact_mask(rng, n, 0.01)
    local = code == LOCAL_OFFSET_STATION
    stamps = ((moments + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+01:00") if local
              else moments.strftime("%Y-%m-%dT%H:%M:%SZ"))
    records = []
    for i in range(n):
        value: object = float(levels[i])
        if glitch[i]:
            value = -99.0 if rng.random() < 0.5 else 99.99
        elif null[i]:
            value = None
        elif french[i]:
            value = f"{levels[i]:.3f}".replace(".", ",")
        records.append({"code_station": code, "date_obs": stamps[i],
                        "resultat": {"hauteur_m": value, "qualification": "brute"}})
    for i in sorted(np.flatnonzero(exact_mask(rng, n, 0.005)), reverse=True):
        records.insert(i + 1, dict(records[i]))
    return records


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    rng = rng_for(seed, "rivers")
    end = datetime.combine(REFERENCE_DAY, datetime.min.time(), tzinfo=timezone.utc)
    moments = pd.date_range(end - timedelta(days=scale.river_days), end, freq="15min",
                            inclusive="left")
    stations, observations = [], []
    for station in STATIONS:
        code, label, river, commune_code, *_levels_, vigilance, alert = station
        lon, lat = to_lonlat(territory.random_points(rng, territory.commune(commune_code), 1))
        stations.append({
            "code_station": code, "libelle_station": label, "cours_eau": river,
            "code_commune": commune_code,
            "coordonnees": {"longitude": float(lon[0]), "latitude": float(lat[0])},
            "seuils": {"vigilance_m": vigilance, "alerte_m": alert},
        })
        observations += _observations(rng, station, moments)
    document = {
        "meta": {"source": "Service de prévision des crues de la Lière (fictif)",
                 "publisher": PUBLISHER, "synthetic": True, "notice": NOTICE,
                 "generated_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "count": len(observations)},
        "stations": stations,
        "observations": observations,
    }
    return [write_json(document, out_dir / FILE, indent=None)]
