"""Benchmark: a messy 1M-row CSV -> cleaned snapshot, as a ratio to DuckDB's plain CSV -> Parquet.

The file is what French back-office exports look like: cp1252, `;`-separated, French
decimals ("1 234,56", NBSP thousands, "€" suffixes, "n/a"), dates in five layouts (and a few
in words: "3 mars 2024"), commune names with case/space/accent variants and typos, categories
spelled several ways, ~2 % of the rows exported twice, a free-text comment sometimes quoted
because it holds a `;`. It is generated deterministically (seeded numpy, vectorised) into a
temporary folder once per run of the benchmark.

- agora: Agora's real pipeline. A recipe (csv connector with encoding and delimiter `auto`,
  then rename, deduplicate, three normalise_text, normalise_dates, two parse_numbers,
  validate) is written to a temporary catalog and loaded with `load_recipe`; the timed part
  is `refresh_dataset` into a fresh snapshot store: read + decode + parse, the processors,
  the Parquet snapshot write (fsync included) and the manifest.
- duckdb: `COPY (SELECT * FROM read_csv(file, delim=';', header=true)) TO 'out.parquet'
  (FORMAT parquet)`, timed from the COPY statement to its end; it cleans nothing. DuckDB has
  no cp1252 decoder without its `encodings` extension (a download), and its `latin-1` reader
  refuses the file (cp1252 puts €, ’ and œ in bytes that are control characters in latin-1),
  so it reads a UTF-8 copy of the same rows, transcoded once, untimed, when the file is made.
  That spares DuckDB the decoding Agora does: the anchor is, if anything, flattered.

Each side runs in its own child process (`--child`); its peak memory is that process's RSS
high-water mark (VmHWM from /proc/self/status, read by the child when it is done: the
interpreter and imports are included). Not ru_maxrss: Linux carries the parent's high-water
mark over fork + exec into it. The file is generated in a child process too, so the parent
stays small. Besides wall seconds, the CPU seconds of the timed part are reported (all
threads): on a busy machine they move much less than the wall time. So are the kernel's share
of them and the minor page faults: in a fresh process, mapping new memory costs a large part
of the CPU (about 0.4 s per GiB on these machines). Runs alternate
(agora, duckdb, duckdb, agora, ...) so machine noise hits both alike; the medians are
compared. The ratio reported is duckdb seconds / agora seconds (throughput ratio: 1.0 would
mean Agora is as fast as a plain copy). Target: >= 0.5.

    /opt/agora/venv/bin/python bench/ingest.py [--rows 1000000] [--runs 3] [--json out.json]

Exit status 1 when the median ratio is below the target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
TARGET = 0.5
SEED = 20261128
DATASET = "messy_subsidies"
DUP_FRACTION = 0.02

COMMUNES = [  # (canonical name, INSEE code)
    ("Saint-Étienne", "42218"), ("Lyon", "69123"), ("Villeurbanne", "69266"),
    ("Vénissieux", "69259"), ("Saint-Priest", "69290"), ("Bron", "69029"),
    ("Vaulx-en-Velin", "69256"), ("Caluire-et-Cuire", "69034"), ("Rillieux-la-Pape", "69286"),
    ("Sainte-Foy-lès-Lyon", "69202"), ("Écully", "69081"), ("Oullins-Pierre-Bénite", "69149"),
    ("Décines-Charpieu", "69275"), ("Meyzieu", "69282"), ("Givors", "69091"),
    ("Saint-Genis-Laval", "69204"), ("Tassin-la-Demi-Lune", "69244"), ("Montbrison", "42147"),
    ("Roanne", "42187"), ("Firminy", "42095"), ("Rive-de-Gier", "42186"),
    ("Saint-Chamond", "42207"), ("Andrézieux-Bouthéon", "42005"), ("Feurs", "42094"),
    ("Villefranche-sur-Saône", "69264"), ("Tarare", "69243"), ("L'Arbresle", "69010"),
    ("Brignais", "69027"), ("Mornant", "69141"), ("Chaponost", "69043"),
]
CATEGORIES = ["Voirie", "Éclairage public", "Espaces verts", "Équipements sportifs",
              "Culture", "Action sociale", "Écoles", "Propreté"]
FIRST = ["Association", "Amicale", "Comité", "Club", "Collectif", "Fondation", "Société",
         "Cœur de", "Union", "Foyer", "Œuvre", "Coopérative"]
MIDDLE = ["des parents d’élèves", "sportive", "culturelle", "des locataires", "d’entraide",
          "des aînés", "de quartier", "musicale", "des commerçants", "écologique",
          "théâtrale", "de pêche", "solidaire", "des résidents", "de jumelage", "étudiante"]
LAST = ["Dupont", "Lefèvre", "Müller", "Gaël", "Noël", "Béranger", "Moreau", "François",
        "Thérèse", "Hélène", "Laurent", "Chloé", "Benoît", "Jérôme", "Cécile", "Agnès"]
COMMENTS = ["", "", "", "", "", "", "", "Dossier complet", "Pièces manquantes",
            "Versement en 2 fois; solde en fin d’année", "Avis favorable du comité",
            "À revoir — montant plafonné", "Reçu le 1er trimestre", "Relance envoyée; sans réponse",
            "Cofinancement Région", "Priorité élevée", "Subvention exceptionnelle (50 %)"]
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"]
HEADER = ["Référence", "Date demande", "Commune", "Code INSEE", "Catégorie", "Bénéficiaire",
          "Montant (€)", "Quantité", "Commentaire"]


# --- the messy file ------------------------------------------------------------------------

def _pick(rng, choices, probabilities, n):
    p = np.asarray(probabilities, dtype=float)
    return rng.choice(len(choices), size=n, p=p / p.sum())


def _objects(values) -> np.ndarray:
    values = list(values)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _commune_variants(name: str) -> list[str]:
    """Canonical, upper, lower without accents, extra spaces, a dropped letter, a "St-"."""
    import unicodedata
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    cut = len(name) // 2
    short = name.replace("Saint-", "St-").replace("Sainte-", "Ste-")
    return [name, name.upper(), plain.lower(), f"  {name.replace('-', ' - ')} ",
            name[:cut] + name[cut + 1:], short]


def _dates(rng, n):
    """Date strings in several layouts (~2 % empty, ~0.5 % garbage) from 2019-2025."""
    days = np.arange(np.datetime64("2019-01-01"), np.datetime64("2026-01-01"))
    ymd = [str(d) for d in days]
    y, m, d = ([s[:4] for s in ymd], [s[5:7] for s in ymd], [s[8:] for s in ymd])
    layouts = [
        [f"{d_}/{m_}/{y_}" for y_, m_, d_ in zip(y, m, d)],            # 31/12/2025
        ymd,                                                              # 2025-12-31
        [f"{d_}/{m_}/{y_} " for y_, m_, d_ in zip(y, m, d)],           # + time below
        [f"{d_}-{m_}-{y_}" for y_, m_, d_ in zip(y, m, d)],            # 31-12-2025
        [f"{int(d_)} {MONTHS_FR[int(m_) - 1]} {y_}" for y_, m_, d_ in zip(y, m, d)],
        [""] * len(days), ["à vérifier"] * len(days),
    ]
    table = np.array([_objects(column) for column in layouts], dtype=object)
    layout = _pick(rng, layouts, [55, 20, 10, 8, 4.5, 2, 0.5], n)
    out = table[layout, rng.integers(0, len(days), n)]
    timed = layout == 2
    clock = _objects(f"{h:02d}:{mi:02d}" for h in range(24) for mi in range(60))
    out[timed] = out[timed] + clock[rng.integers(0, len(clock), int(timed.sum()))]
    return out


def _french_amounts(rng, n):
    """ "1 234,56" with a space, NBSP or nothing between thousands, sometimes " €"; null tokens."""
    cents = np.round(rng.lognormal(7.5, 1.6, n) * 100).astype(np.int64)
    units, frac = cents // 100, cents % 100
    padded = _objects(f"{i:03d}" for i in range(1000))
    plain = _objects(str(i) for i in range(1000))
    frac_text = _objects(f",{i:02d}" for i in range(100))[frac]
    sep = _objects([" ", "\u00a0", ""])[_pick(rng, "abc", [50, 30, 20], n)]
    millions, thousands, rest = units // 1_000_000, (units // 1000) % 1000, units % 1000
    text = np.where(units >= 1000, plain[np.minimum(thousands, 999)], plain[rest])
    big = units >= 1000
    text[big] = text[big] + sep[big] + padded[rest[big]]
    huge = units >= 1_000_000
    text[huge] = (plain[np.minimum(millions[huge], 999)] + sep[huge]
                  + padded[thousands[huge]] + sep[huge] + padded[rest[huge]])
    text = text + frac_text
    euro = rng.random(n) < 0.15
    text[euro] = text[euro] + " €"
    tokens = _pick(rng, ["", "n/a", "nc", "12,3,4"], [98.3, 1, 0.5, 0.2], n)
    for code, token in ((1, "n/a"), (2, "nc"), (3, "12,3,4")):
        text[tokens == code] = token
    return text


def generate(rows: int, seed: int = SEED) -> bytes:
    """The whole file as cp1252 bytes; `rows` data lines, of which ~2 % exact duplicates."""
    rng = np.random.default_rng(seed)
    n = rows - int(rows * DUP_FRACTION)
    reference = np.char.add("SUB-", np.char.zfill(np.arange(1, n + 1).astype("U7"), 7)).astype(object)
    commune = rng.integers(0, len(COMMUNES), n)
    variants = np.array([_objects(_commune_variants(name)) for name, _ in COMMUNES], dtype=object)
    commune_text = variants[commune, _pick(rng, "abcdef", [60, 10, 10, 10, 5, 5], n)]
    codes = _objects(code for _, code in COMMUNES)[commune]
    bad_code = rng.random(n) < 0.005
    codes[bad_code] = _objects(["4221", "", "ABCDE"])[rng.integers(0, 3, int(bad_code.sum()))]
    category_variants = np.array([_objects([c, c.upper(), f" {c.lower()} ", c.lower()])
                                  for c in CATEGORIES], dtype=object)
    category = category_variants[rng.integers(0, len(CATEGORIES), n),
                                 _pick(rng, "abcd", [70, 10, 10, 10], n)]
    names = (_objects(FIRST)[rng.integers(0, len(FIRST), n)] + " "
             + _objects(MIDDLE)[rng.integers(0, len(MIDDLE), n)] + " "
             + _objects(LAST)[rng.integers(0, len(LAST), n)] + " "
             + _objects(name for name, _ in COMMUNES)[commune])
    spaced = rng.random(n) < 0.1
    names[spaced] = "  " + names[spaced] + "   "
    quantity = _objects(str(i) for i in range(501))[rng.integers(1, 501, n)]
    quantity[rng.random(n) < 0.01] = ""
    comments = _objects(f'"{c}"' if ";" in c else c for c in COMMENTS)
    comment = comments[rng.integers(0, len(COMMENTS), n)]
    columns = [reference, _dates(rng, n), commune_text, codes, category, names,
               _french_amounts(rng, n), quantity, comment]
    lines = columns[0]
    for column in columns[1:]:
        lines = lines + ";" + column
    twice = rng.choice(n, rows - n, replace=False)
    lines = np.concatenate([lines, lines[twice]])[rng.permutation(rows)]
    body = "\n".join([";".join(HEADER), *lines.tolist(), ""])
    return body.encode("cp1252")


# --- the recipe ----------------------------------------------------------------------------

def recipe_text(csv_name: str) -> str:
    communes = json.dumps([name for name, _ in COMMUNES], ensure_ascii=False)
    categories = json.dumps(CATEGORIES, ensure_ascii=False)
    return f"""\
title: Subsidy requests (benchmark)
description: Messy back-office export cleaned by Agora's pipeline (bench/ingest.py).
synthetic: true
source:
  connector: csv
  path: {csv_name}
  encoding: auto
  delimiter: auto
processors:
  - rename:
      columns: {{"Référence": reference, "Date demande": requested_on, "Commune": commune,
                "Code INSEE": commune_code, "Catégorie": category, "Bénéficiaire": beneficiary,
                "Montant (€)": amount_eur, "Quantité": quantity, "Commentaire": comment}}
  - deduplicate: {{}}
  - normalise_text: {{columns: [commune], canonical: {communes}, max_distance: 2}}
  - normalise_text: {{columns: [category], match: folded, canonical: {categories}}}
  - normalise_text: {{columns: [beneficiary], case: upper, fold_accents: true}}
  - normalise_dates: {{columns: [requested_on], dayfirst: true}}
  - parse_numbers: {{columns: [amount_eur], decimal: ","}}
  - parse_numbers: {{columns: [quantity], integer: true}}
  - validate:
      columns:
        reference: {{required: true, pattern: "SUB-[0-9]{{7}}"}}
        requested_on: {{type: date, required: true, action: drop_row}}
        commune_code: {{format: insee_commune, required: true}}
        category: {{allowed: {categories}}}
        amount_eur: {{type: number, min: 0, max: 100000000, action: null_invalid}}
        quantity: {{type: integer, min: 1}}
refresh:
  max_dropped_fraction: 0.1
"""


# --- the children (one run of one side each) -----------------------------------------------

def peak_rss_mib() -> float:
    """This process's RSS high-water mark (since exec), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Measured:
    """Wall seconds, CPU seconds (all threads), the kernel's share of them and the minor page
    faults of a block: in a fresh process, mapping new memory is a large part of the CPU."""

    def __enter__(self) -> Measured:
        self.started, self.usage = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        return self

    def __exit__(self, *exc) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.seconds = time.perf_counter() - self.started
        self.kernel_seconds = usage.ru_stime - self.usage.ru_stime
        self.cpu_seconds = usage.ru_utime - self.usage.ru_utime + self.kernel_seconds
        self.page_faults = usage.ru_minflt - self.usage.ru_minflt

    def as_dict(self) -> dict:
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds,
                "kernel_seconds": self.kernel_seconds, "page_faults": self.page_faults}


def child_agora(csv: Path, work: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from hub.pipeline.recipe import load_recipe
    from hub.pipeline.refresh import RefreshEnv, refresh_dataset
    from hub.pipeline.store import SnapshotStore

    recipe = load_recipe(work / "catalog" / f"{DATASET}.yaml")
    store = SnapshotStore(work / "store", retain=1)
    env = RefreshEnv(store, csv.parent, environ={})
    with Measured() as measured:
        result = refresh_dataset(recipe, env)
    if result.result != "new":
        raise SystemExit(f"refresh did not publish: {result.result}: {result.error}")
    manifest = store.read_manifest(DATASET)
    timings = manifest["timings"]
    steps = [{"step": f"{s['step']}. {s['processor']}", "seconds": s["seconds"],
              "rows_in": s["rows_in"], "rows_out": s["rows_out"]}
             for s in manifest["quality"]["steps"]]
    return {**measured.as_dict(), "peak_rss_mib": peak_rss_mib(),
            "rows_out": result.rows, "fetch": timings["fetch"],
            "processors": timings["processors"],
            "write": measured.seconds - timings["fetch"] - timings["processors"], "steps": steps,
            "source": manifest["source"]["details"],
            "output_bytes": (store.current_path(DATASET)).stat().st_size}


def child_duckdb(csv: Path, work: Path) -> dict:
    import duckdb

    out = work / "out.parquet"
    connection = duckdb.connect()
    with Measured() as measured:
        connection.execute(f"COPY (SELECT * FROM read_csv('{csv}', delim=';', header=true)) "
                           f"TO '{out}' (FORMAT parquet)")
    peak = peak_rss_mib()
    rows = connection.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]
    return {**measured.as_dict(), "peak_rss_mib": peak, "rows_out": rows,
            "output_bytes": out.stat().st_size}


def run_child(side: str, csv: Path, work: Path) -> dict:
    """One run of `side` in a fresh process; adds the process's own wall time."""
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", side, "--csv", str(csv),
                           "--work", str(work)], stdout=subprocess.PIPE, cwd=REPO, check=True)
    result = json.loads(done.stdout)
    result["process_seconds"] = time.perf_counter() - started
    return result


# --- the benchmark -------------------------------------------------------------------------

def measure(csv: Path, utf8: Path, tmp: Path, runs: int) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {"agora": [], "duckdb": []}
    order = ["agora", "duckdb"]
    for index in range(runs):
        for side in order if index % 2 == 0 else order[::-1]:
            work = tmp / f"{side}-{index}"
            if side == "agora":
                (work / "catalog").mkdir(parents=True)
                (work / "catalog" / f"{DATASET}.yaml").write_text(recipe_text(csv.name),
                                                                   encoding="utf-8")
            results[side].append(run_child(side, csv if side == "agora" else utf8, work))
            r = results[side][-1]
            print(f"  run {index + 1}/{runs} {side:<6} {r['seconds']:6.2f} s  "
                  f"(cpu {r['cpu_seconds']:5.2f} s, kernel {r['kernel_seconds']:4.2f} s, "
                  f"{r['page_faults'] / 1000:4.0f}k page faults)  "
                  f"peak RSS {r['peak_rss_mib']:6.0f} MiB",
                  flush=True)
    return results


def summary(results: dict, rows: int, size: int, generated_in: float, load_before) -> dict:
    def side(name):
        times = [r["seconds"] for r in results[name]]
        median = statistics.median(times)
        cpu = [r["cpu_seconds"] for r in results[name]]
        return {"median": median, "min": min(times), "max": max(times), "times": times,
                "cpu_median": statistics.median(cpu), "cpu_times": cpu,
                "kernel_median": statistics.median(r["kernel_seconds"] for r in results[name]),
                "page_faults_median": statistics.median(r["page_faults"] for r in results[name]),
                "rows_per_s": rows / median, "mb_per_s": size / 1e6 / median,
                "peak_rss_mib": max(r["peak_rss_mib"] for r in results[name]),
                "rows_out": results[name][0]["rows_out"],
                "output_bytes": results[name][0]["output_bytes"]}

    agora, duck = side("agora"), side("duckdb")
    median_run = sorted(results["agora"], key=lambda r: r["seconds"])[len(results["agora"]) // 2]
    ratio = duck["median"] / agora["median"]
    return {"benchmark": "ingest: messy CSV -> cleaned snapshot", "rows": rows,
            "ratio_of_minimums": duck["min"] / agora["min"],
            "ratio_of_cpu": duck["cpu_median"] / agora["cpu_median"], "file_bytes": size,
            "generated_seconds": generated_in, "runs": len(results["agora"]),
            "agora": agora, "duckdb": duck, "ratio": ratio, "target": TARGET,
            "ok": ratio >= TARGET,
            "agora_breakdown": {k: median_run[k] for k in ("fetch", "processors", "write")},
            "agora_steps": median_run["steps"], "source_details": median_run["source"],
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(), "load_before": load_before, "load_after": os.getloadavg()}


def print_table(result: dict) -> None:
    print(f"\n{result['rows']:,} rows, {result['file_bytes'] / 1e6:.1f} MB cp1252 CSV, "
          f"{result['runs']} runs per side, medians ({result['cpus']} CPUs, load "
          f"{result['load_before'][0]:.2f} -> {result['load_after'][0]:.2f})")
    print(f"{'side':<7} {'median':>8} {'min':>8} {'max':>8} {'cpu':>7} {'rows/s':>11} "
          f"{'MB/s':>7} {'peak RSS':>10} {'rows out':>10}")
    for name in ("agora", "duckdb"):
        s = result[name]
        print(f"{name:<7} {s['median']:>7.2f}s {s['min']:>7.2f}s {s['max']:>7.2f}s "
              f"{s['cpu_median']:>6.2f}s {s['rows_per_s']:>11,.0f} {s['mb_per_s']:>7.1f} "
              f"{s['peak_rss_mib']:>6.0f} MiB {s['rows_out']:>10,}")
    verdict = "OK" if result["ok"] else "BELOW TARGET"
    print(f"ratio duckdb/agora (throughput of agora relative to the anchor): "
          f"{result['ratio']:.2f}  target >= {TARGET}  {verdict}")
    print(f"ratio of minimums: {result['ratio_of_minimums']:.2f}   ratio of CPU seconds: "
          f"{result['ratio_of_cpu']:.2f}")
    print("kernel's share of the CPU seconds (medians): " + ", ".join(
        f"{name} {result[name]['kernel_median']:.2f} s, "
        f"{result[name]['page_faults_median'] / 1000:.0f}k page faults"
        for name in ("agora", "duckdb")))
    b = result["agora_breakdown"]
    print(f"\nagora, median run: fetch {b['fetch']:.2f} s, processors {b['processors']:.2f} s, "
          f"write {b['write']:.2f} s   (source: {result['source_details'].get('encoding')}, "
          f"delimiter {result['source_details'].get('delimiter')!r})")
    for step in result["agora_steps"]:
        print(f"  {step['step']:<22} {step['seconds']:>7.2f} s  {step['rows_in']:>9,} -> "
              f"{step['rows_out']:>9,} rows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows (default 1M)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side (default 3)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--child", choices=["agora", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, nargs="+", help=argparse.SUPPRESS)  # CSV [UTF-8 copy]
    args = parser.parse_args(argv)
    if args.generate:  # in a child, so that the parent (which forks the runs) stays small
        data = generate(args.rows)
        args.generate[0].write_bytes(data)
        for utf8_copy in args.generate[1:]:
            utf8_copy.write_bytes(data.decode("cp1252").encode("utf-8"))
        return 0
    if args.child:
        child = child_agora if args.child == "agora" else child_duckdb
        print(json.dumps(child(args.csv, args.work)))
        return 0
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="agora-bench-ingest-") as tmp:
        started = time.perf_counter()
        csv = Path(tmp) / "sources" / "demandes_subventions.csv"
        csv.parent.mkdir()
        utf8 = Path(tmp) / "demandes_subventions.utf8.csv"  # DuckDB's copy (see the docstring)
        subprocess.run([sys.executable, __file__, "--generate", str(csv), str(utf8),
                        "--rows", str(args.rows)], check=True)
        generated_in = time.perf_counter() - started
        size = csv.stat().st_size
        print(f"generated {args.rows:,} rows, {size / 1e6:.1f} MB in {generated_in:.1f} s",
              flush=True)
        results = measure(csv, utf8, Path(tmp), args.runs)
        result = summary(results, args.rows, size, generated_in, load_before)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
