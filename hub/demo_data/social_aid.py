"""Social-aid beneficiaries (personal data, all fictional) — ``aides_sociales.sqlite``.

One table ``beneficiaires`` (and ``_notice``, which says the data is synthetic). Columns:
id, dossier, nom, prenom, sexe, date_naissance, nir, adresse, code_commune, telephone, email,
type_aide, montant_eur, date_decision. This is the dataset to anonymise before anyone but the
social services reads it.

Nothing here can identify a real person:
- names are random first-name / surname pairs;
- NIR-like numbers have the real layout (sex, year, month, "99", 3 digits, order, key) but
  department 99 + our 1xx codes, and the control key is deliberately WRONG (never
  97 - n mod 97), so no generated number is a valid social security number;
- phone numbers are in 06 39 98 xx xx, a block ARCEP reserves for fiction;
- e-mails use example.org; addresses are fictional streets in fictional communes.

Deliberate mess:
- nom in upper case for 60 % of rows, title case otherwise;
- date_naissance: 80 % ISO "1985-03-14", 20 % "14/03/1985";
- nir with spaces ("1 85 03 99 101 123 45") in 50 % of rows, without in the others;
- montant_eur stored as REAL, but as TEXT "350,00" in 3 % of rows (SQLite's dynamic typing)
  and NULL in 2 %;
- 2 % of people have two dossiers (same person, a later decision).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from .common import NOTICE, REFERENCE_DAY, exact_mask, rng_for
from .mess import strip_accents
from .territory import Territory
from .writers import write_sqlite

FILE = "aides_sociales.sqlite"
TABLE = "beneficiaires"
FIRST = {"1": ["Lucas", "Hugo", "Karim", "Thomas", "Nicolas", "Julien", "Mathéo", "Yanis",
               "Antoine", "Bernard", "Michel", "Théo"],
         "2": ["Léa", "Camille", "Manon", "Inès", "Chloé", "Sarah", "Nathalie", "Fatima",
               "Sophie", "Monique", "Élodie", "Jeanne"]}
SURNAMES = ["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Garnier", "Faure", "Rousseau",
            "Lefèvre", "Mercier", "Benali", "Nguyen", "Da Silva", "Perrin", "Morel", "Chevalier",
            "Roux", "Fontaine", "Girard", "Lemoine", "Brunet", "Haddad", "Marchand", "Collin"]
STREETS = ["rue des Lilas", "allée des Peupliers", "impasse du Moulin", "avenue de la Lière",
           "rue Jean-Moulin", "place de la Fontaine", "chemin des Vignes", "résidence Les Érables"]
AIDS = {"Aide au logement": (180, 60), "Aide énergie": (250, 80), "Secours d'urgence": (150, 50),
        "Aide alimentaire": (90, 30), "Aide à la mobilité": (300, 100)}
SCHEMA = f"""
CREATE TABLE {TABLE} (
    id INTEGER PRIMARY KEY, dossier TEXT NOT NULL, nom TEXT, prenom TEXT, sexe TEXT,
    date_naissance TEXT, nir TEXT, adresse TEXT, code_commune TEXT, telephone TEXT,
    email TEXT, type_aide TEXT, montant_eur, date_decision TEXT
);
"""
COLUMNS = ["id", "dossier", "nom", "prenom", "sexe", "date_naissance", "nir", "adresse",
           "code_commune", "telephone", "email", "type_aide", "montant_eur", "date_decision"]


def fake_nir(sex: str, born: date, commune_code: str, order: int) -> str:
    """A NIR-shaped number whose control key is deliberately invalid."""
    body = f"{sex}{born:%y%m}99{commune_code[-3:]}{order:03d}"
    valid_key = 97 - int(body) % 97
    return body + f"{valid_key % 97 + 1:02d}"


def _person(rng: np.random.Generator, territory: Territory, index: int) -> dict:
    sex = "1" if rng.random() < 0.45 else "2"
    born = date(1940, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 65)))
    commune = territory.communes[int(rng.choice(len(territory.communes),
                                                p=territory.population_weights()))]
    first = FIRST[sex][int(rng.integers(len(FIRST[sex])))]
    last = SURNAMES[int(rng.integers(len(SURNAMES)))]
    aid = list(AIDS)[int(rng.integers(len(AIDS)))]
    mean, sd = AIDS[aid]
    return {
        "nom": last, "prenom": first, "sexe": "M" if sex == "1" else "F", "born": born,
        "nir": fake_nir(sex, born, commune.code, int(rng.integers(1, 999))),
        "adresse": f"{int(rng.integers(1, 90))} {STREETS[int(rng.integers(len(STREETS)))]}, "
                   f"{commune.name}",
        "code_commune": commune.code,
        "telephone": f"06 39 98 {int(rng.integers(0, 100)):02d} {int(rng.integers(0, 100)):02d}",
        "email": strip_accents(f"{first}.{last}{index}@example.org".lower().replace(" ", "")),
        "type_aide": aid, "montant": round(max(20.0, rng.normal(mean, sd)), 2),
        "decided": REFERENCE_DAY - timedelta(days=int(rng.integers(1, 720))),
    }


def _row(person: dict, index: int, flags: dict) -> tuple:
    nir = person["nir"]
    if flags["spaced"]:
        nir = " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])
    amount: object = person["montant"]
    if flags["text_amount"]:
        amount = f"{amount:.2f}".replace(".", ",")
    elif flags["null_amount"]:
        amount = None
    born = person["born"]
    return (index + 1, f"DOS-{person['decided'].year}-{index + 1:06d}",
            person["nom"].upper() if flags["upper"] else person["nom"], person["prenom"],
            person["sexe"], born.strftime("%d/%m/%Y") if flags["french_date"] else born.isoformat(),
            nir, person["adresse"], person["code_commune"], person["telephone"], person["email"],
            person["type_aide"], amount, person["decided"].isoformat())


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    rng = rng_for(seed, "social_aid")
    n = scale.beneficiaries
    people = [_person(rng, territory, i) for i in range(n)]
    for i in np.flatnonzero(exact_mask(rng, n, 0.02)):  # a second dossier for the same person
        later = REFERENCE_DAY - timedelta(days=int(rng.integers(1, 60)))
        people.append({**people[i], "decided": later})
    total = len(people)
    flags = {"upper": rng.random(total) < 0.6, "french_date": exact_mask(rng, total, 0.2),
             "spaced": rng.random(total) < 0.5, "text_amount": exact_mask(rng, total, 0.03),
             "null_amount": exact_mask(rng, total, 0.02)}
    rows = [_row(p, i, {k: bool(v[i]) for k, v in flags.items()}) for i, p in enumerate(people)]
    return [write_sqlite(out_dir / FILE, SCHEMA, TABLE, COLUMNS, rows, NOTICE)]
