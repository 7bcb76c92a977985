"""Spending by budget line, 2021-2025 — ``depenses_budget.csv``, ``;``-separated, CRLF.

Encoding ISO-8859-15 ("latin-9": latin-1 plus the € sign, which latin-1 lacks), as old
finance software exports it. Columns: Exercice, Section, Chapitre, Fonction, Libellé, Montant
(M57-style chapters and functions).

Deliberate mess:
- Montant as French text: "1 234 567,89 €" with a no-break space (0xA0) as thousands
  separator in 50 % of rows, a plain space in 40 %, none ("1234567,89") in 10 %;
- 2 % negative lines ("-12 345,00 €", cancelled invoices);
- 3 % of lines exported twice (identical rows);
- Chapitre and Fonction as "011 - Charges à caractère général" (code and label in one cell).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .common import exact_mask, rng_for
from .mess import french_amount
from .territory import Territory
from .writers import write_csv

FILE = "depenses_budget.csv"
YEARS = range(2021, 2026)
CHAPTERS = {  # chapter -> (section, typical amount)
    "011 - Charges à caractère général": ("Fonctionnement", 900_000),
    "012 - Charges de personnel et frais assimilés": ("Fonctionnement", 4_500_000),
    "65 - Autres charges de gestion courante": ("Fonctionnement", 1_200_000),
    "66 - Charges financières": ("Fonctionnement", 350_000),
    "20 - Immobilisations incorporelles": ("Investissement", 120_000),
    "204 - Subventions d'équipement versées": ("Investissement", 600_000),
    "21 - Immobilisations corporelles": ("Investissement", 800_000),
    "23 - Immobilisations en cours": ("Investissement", 2_000_000),
}
FUNCTIONS = {
    "0 - Services généraux": ["Fournitures administratives", "Maintenance informatique",
                              "Assurances", "Frais de télécommunications"],
    "2 - Enseignement, formation": ["Transport scolaire", "Entretien des collèges"],
    "3 - Culture, vie sociale, jeunesse, sports": ["Médiathèque intercommunale",
                                                   "Piscine de Rivemont", "Festival de la Lière"],
    "4 - Santé et action sociale": ["Aide sociale à l'enfance", "Fonds de solidarité logement"],
    "5 - Aménagement des territoires et habitat": ["Éclairage public", "Voirie communautaire",
                                                    "Signalisation lumineuse"],
    "7 - Environnement": ["Collecte des déchets", "Qualité de l'air", "Prévention des crues",
                          "Bornes de recharge électrique"],
    "8 - Transports": ["Réseau de bus", "Pistes cyclables", "Parkings relais"],
}


def _lines(rng: np.random.Generator) -> list[dict]:
    rows = []
    for year in YEARS:
        growth = 1.03 ** (year - YEARS.start)
        for chapter, (section, typical) in CHAPTERS.items():
            for function, labels in FUNCTIONS.items():
                if rng.random() < 0.45:
                    continue
                label = labels[int(rng.integers(len(labels)))]
                amount = typical * growth * rng.lognormal(-1.2, 0.8)
                rows.append({"Exercice": str(year), "Section": section, "Chapitre": chapter,
                             "Fonction": function, "Libellé": label, "amount": amount})
    return rows


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    rng = rng_for(seed, "budget")
    frame = pd.DataFrame(_lines(rng))
    n = len(frame)
    negative = exact_mask(rng, n, 0.02)
    amounts = np.where(negative, -frame["amount"] / 20, frame["amount"]).round(2)
    style = rng.choice(3, size=n, p=[0.5, 0.4, 0.1])
    frame["Libellé"] = np.where(negative, "Annulation - " + frame["Libellé"], frame["Libellé"])
    frame["Montant"] = [french_amount(a, ["\xa0", " ", ""][s]) for a, s in zip(amounts, style)]
    frame = frame.drop(columns="amount")
    duplicated = np.flatnonzero(exact_mask(rng, n, 0.03))
    frame = pd.concat([frame, frame.iloc[duplicated]]).sort_index(kind="stable")
    return [write_csv(frame, out_dir / FILE, sep=";", encoding="iso-8859-15", newline="\r\n")]
