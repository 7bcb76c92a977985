"""First start of the embedded demo: generate the synthetic sources and refresh every dataset.

Called by hub/cli/up.py before the hub starts. It does something only when all hold:
``auth.mode == "demo"``, ``data.demo_data`` is true and no dataset of the store has a current
snapshot (a store that was ever filled is never overwritten by demo data). Progress goes to
`out`, one line per refresh step, so a first `agora up` explains its extra seconds.
`agora refresh` run before the first `agora up` writes the demo sources itself
(:func:`write_missing_demo_sources`), or says once why the demo datasets failed.

The anonymise processor needs a pseudonym key. In demo mode only, when the variable named by
``data.pseudonym_key_env`` is unset, a random key is created once in
``<data_dir>/demo-pseudonym.key`` (mode 600) and exported to this process, so the hub and its
services, started after this, inherit it and pseudonyms stay stable across restarts.
Likewise ``AGORA_DEMO_SOCIAL_AID_DB`` (the SQL source of social_aid_beneficiaries, whose
recipe names an environment variable, never a path) points at the generated SQLite file.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import TextIO

from ..config.problems import ConfigProblems
from . import MANIFEST  # written last by generate(): the demo sources are all there

DEMO_KEY_FILE = "demo-pseudonym.key"
SOCIAL_AID_DB_ENV = "AGORA_DEMO_SOCIAL_AID_DB"


def store_is_empty(settings) -> bool:
    from ..pipeline.store import open_store

    store = open_store(settings)
    return not any(store.current(dataset) for dataset in store.datasets())


def wants_demo_data(settings) -> bool:
    return settings.auth.mode == "demo" and settings.data.demo_data and store_is_empty(settings)


def demo_environment(settings, environ: MutableMapping[str, str]) -> None:
    """Demo mode only: set what the demo recipes need and the operator did not set."""
    if settings.auth.mode != "demo":
        return
    from .social_aid import FILE

    environ.setdefault(SOCIAL_AID_DB_ENV, f"sqlite:///{Path(settings.sources_dir) / FILE}")
    ensure_demo_pseudonym_key(settings, environ)


def ensure_demo_pseudonym_key(settings, environ: MutableMapping[str, str]) -> None:
    """Make sure the pseudonym key variable is set (a random key persisted in data_dir)."""
    name = settings.data.pseudonym_key_env
    if environ.get(name):
        return
    path = Path(settings.data_dir) / DEMO_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    environ[name] = path.read_text().strip()


def _demo_recipes(settings) -> bool:
    """Whether the catalog has demo recipes (synthetic: true); a broken one is refresh's to say."""
    from ..pipeline.recipe import load_catalog

    try:
        return any(r.metadata.synthetic for r in load_catalog(settings.catalog_dir).values())
    except ConfigProblems:
        return False


def write_missing_demo_sources(settings, out: TextIO | None = None) -> bool:
    """`agora refresh` before the first `agora up`: in demo mode with ``data.demo_data``, when
    the sources folder holds no file yet and the catalog has demo recipes, write the demo
    sources as `agora up` does (a few seconds), and say so in one line. True when written."""
    folder = Path(settings.sources_dir)
    if settings.auth.mode != "demo" or not settings.data.demo_data or (
            folder.is_dir() and any(folder.iterdir())) or not _demo_recipes(settings):
        return False
    from . import generate

    print(f"Demo data: no sources in {folder} yet (`agora up` writes them at its first start); "
          "writing the synthetic Val-de-Lière sources now", file=out or sys.stdout, flush=True)
    generate(folder)
    return True


def missing_demo_sources_note(settings, recipes, results) -> str | None:
    """One line for the demo datasets that failed because their sources were never written."""
    failed = [r.dataset for r in results
              if r.failed and r.dataset in recipes and recipes[r.dataset].metadata.synthetic]
    if not failed or (Path(settings.sources_dir) / MANIFEST).exists():
        return None
    return (f"{len(failed)} demo dataset(s) failed: their synthetic sources are not in "
            f"{settings.sources_dir}. `agora up` writes them at its first start in demo mode "
            "(data.demo_data: true), or run `python -m hub.demo_data --out "
            f"{settings.sources_dir}`")


def load_demo_data(settings, out: TextIO = sys.stdout, scale: str = "full",
                   environ: MutableMapping[str, str] | None = None) -> list | None:
    """Generate the demo sources and refresh every dataset; None when there was nothing to do."""
    environ = os.environ if environ is None else environ
    demo_environment(settings, environ)
    if not wants_demo_data(settings):
        return None
    from ..cli.refresh_output import printer
    from ..pipeline.refresh import refresh_all
    from . import generate

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    started = time.monotonic()
    say(f"Demo data: writing the synthetic Val-de-Lière sources into {settings.sources_dir}")
    files = generate(settings.sources_dir, scale=scale)
    say(f"Demo data: {len(files)} files in {time.monotonic() - started:.1f} s; "
        "refreshing every dataset")
    try:
        results = refresh_all(settings, progress=printer(say), environ=environ)
    except ConfigProblems as exc:  # the hub still starts; nothing is served from a bad catalog
        for problem in exc.problems:
            say(f"Demo data: {problem}")
        say("Demo data: the catalog has problems (run `agora check`); no dataset refreshed")
        return []
    failed = [r.dataset for r in results if r.failed]
    say(f"Demo data: {len(results) - len(failed)} of {len(results)} datasets ready in "
        f"{time.monotonic() - started:.1f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return results
