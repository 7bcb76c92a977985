"""A partner's machine: a separate virtual environment holding only the packages that
docs/partners.md tells partners to install, and a way to run a script in it.

The packages are read from the doc's ``pip install`` lines, so the test proves the doc. The
environment is made once and kept beside Agora's own (``<venv>-partner``), rebuilt when the
doc's list changes. Scripts run in an empty folder with a bare environment (no PYTHONPATH, no
hub variables): nothing of Agora's code or settings is importable there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "partners.md"
PIP_LINE = re.compile(r"^\s*pip install (.+)$", re.MULTILINE)


def documented_packages(guide: Path = GUIDE) -> list[str]:
    """Every requirement named on a ``pip install`` line of the partners' guide."""
    found = [req for line in PIP_LINE.findall(guide.read_text(encoding="utf-8"))
             for req in line.split("#")[0].split() if not req.startswith("-")]
    return [req.strip("'\"") for req in found]


def partner_python() -> Path:
    """The partner environment's python, made (or brought up to date) first."""
    packages = documented_packages()
    venv = Path(os.environ.get("AGORA_PARTNER_VENV") or f"{sys.prefix}-partner")
    stamp = venv / ".packages"
    wanted = hashlib.sha256(json.dumps(packages).encode()).hexdigest()
    python = venv / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == wanted and python.exists():
        return python
    base = getattr(sys, "_base_executable", None) or "/usr/bin/python3"
    subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    *packages], check=True, timeout=900)
    stamp.write_text(wanted)
    return python


def run_as_partner(python: Path, script: str, folder: Path, **env: str) -> dict:
    """Run `script` with the partner's python in `folder`; it prints one JSON object."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "partner.py").write_text(script, encoding="utf-8")
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "LANG": "C.UTF-8", **env}
    done = subprocess.run([str(python), "partner.py"], cwd=folder, env=bare, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
