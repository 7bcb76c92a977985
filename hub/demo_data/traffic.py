"""Traffic-light incidents over two years — ``incidents_feux.xlsx``, sheet "Incidents".

Columns: N° incident, Carrefour, Commune, Signalé le, Résolu le, Catégorie, Priorité.
The commune is a name only (no code): the recipe recovers the code by joining on the name.

Deliberate mess:
- Commune: 25 % misspelt variants ("RIVEMONT", "St-Médard-des-Vignes", "Bellecombe " ...);
- Signalé le / Résolu le: 50 % text "dd/mm/yyyy HH:MM", 25 % ISO text "2024-05-03T14:25:00",
  25 % Excel serial numbers (a number cell such as 45415.6007);
- Résolu le empty for 6 % (still open); 1 % resolved *before* reported (typing errors);
- Catégorie: 6 categories in 17 spellings (case, accents, abbreviations, trailing spaces);
- Priorité: "P1".."P3" or 1..3 (number cells);
- 2 % of incidents entered twice (same number, same content).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from .common import REFERENCE_DAY, exact_mask, rng_for
from .mess import excel_serial, name_variant
from .territory import Territory
from .writers import write_xlsx

FILE = "incidents_feux.xlsx"
CATEGORIES = {
    "Lampe hors service": ["Lampe hors service", "lampe HS", "LAMPE HORS SERVICE", "Lampe H.S."],
    "Panne contrôleur": ["Panne contrôleur", "panne controleur", "Panne controleur "],
    "Dommage accidentel": ["Dommage accidentel", "Accident", "dommage accidentel"],
    "Désynchronisation": ["Désynchronisation", "desynchro", "Désynchro"],
    "Coupure électrique": ["Coupure électrique", "Coupure EDF", "coupure electrique"],
    "Vandalisme": ["Vandalisme", "VANDALISME"],
}
STREETS = ["Av. de la Gare", "Rue Pasteur", "Bd de la Lière", "Rue Jean-Jaurès", "Route d'Orval",
           "Av. du Général-Leclerc", "Rue de la République", "Rue des Écoles", "Quai de la Lière",
           "Rue Victor-Hugo", "Av. de Bellecombe", "Rue du Moulin"]


def _moment_cell(moment: datetime, kind: int) -> object:
    if kind == 0:
        return moment.strftime("%d/%m/%Y %H:%M")
    if kind == 1:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return excel_serial(moment)


def _intersections(rng: np.random.Generator, territory: Territory) -> list[tuple[str, str]]:
    homes = rng.choice(len(territory.communes), size=45, p=territory.population_weights())
    crossings = []
    for home in homes:
        a, b = rng.choice(len(STREETS), size=2, replace=False)
        crossings.append((f"{STREETS[a]} / {STREETS[b]}", territory.communes[home].name))
    return crossings


def _rows(rng: np.random.Generator, territory: Territory, count: int) -> list[list]:
    crossings = _intersections(rng, territory)
    start = datetime.combine(REFERENCE_DAY, datetime.min.time()) - timedelta(days=730)
    misspelt, backwards = exact_mask(rng, count, 0.25), exact_mask(rng, count, 0.01)
    still_open = exact_mask(rng, count, 0.06)
    offsets = np.sort(rng.uniform(0, 730 * 24 * 60, size=count))
    rows = []
    for i in range(count):
        crossing, commune = crossings[int(rng.integers(len(crossings)))]
        reported = start + timedelta(minutes=int(offsets[i]))
        delay = timedelta(minutes=int(rng.lognormal(6.2, 1.0)))
        resolved = reported - delay if backwards[i] else reported + delay
        category = list(CATEGORIES)[int(rng.choice(6, p=[0.35, 0.2, 0.12, 0.13, 0.12, 0.08]))]
        kinds = rng.choice(3, size=2, p=[0.5, 0.25, 0.25])
        priority = int(rng.integers(1, 4))
        rows.append([
            f"INC-{reported.year}-{i + 1:05d}", crossing,
            name_variant(commune, rng) if misspelt[i] else commune,
            _moment_cell(reported, int(kinds[0])),
            "" if still_open[i] else _moment_cell(resolved, int(kinds[1])),
            CATEGORIES[category][int(rng.integers(len(CATEGORIES[category])))],
            f"P{priority}" if rng.random() < 0.6 else priority,
        ])
    for i in sorted(np.flatnonzero(exact_mask(rng, count, 0.02)), reverse=True):
        rows.insert(i + 1, list(rows[i]))
    return rows


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    rng = rng_for(seed, "traffic")
    header = ["N° incident", "Carrefour", "Commune", "Signalé le", "Résolu le", "Catégorie",
              "Priorité"]
    widths = {"A": 16, "B": 40, "C": 26, "D": 18, "E": 18, "F": 22, "G": 9}
    rows = [header, *_rows(rng, territory, scale.traffic_incidents)]
    return [write_xlsx(out_dir / FILE, "Incidents", rows, widths)]
