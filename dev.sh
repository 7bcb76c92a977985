#!/usr/bin/env bash
# Agora's two entry points on a fresh Debian machine with Python 3.11:
#   ./dev.sh up     install what is missing, then start the workspace (http://127.0.0.1:8000)
#   ./dev.sh test   install what is missing (test extras too), lint (ruff), then run the test suite
#   ./dev.sh install [--test]   only install
# Environment: AGORA_VENV (default /opt/agora/venv as root, ./.venv otherwise);
# AGORA_TEST_WORKERS: test processes (pytest-xdist, one test file each at a time; default 2,
# 0 runs everything in one process).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $(id -u) == 0 ]]; then DEFAULT_VENV=/opt/agora/venv; else DEFAULT_VENV="$ROOT/.venv"; fi
VENV="${AGORA_VENV:-$DEFAULT_VENV}"

# Debian packages: python venv support; WeasyPrint's libraries (pango, harfbuzz, fontconfig) and
# the fonts the PDF reports use; poppler (reading PDFs in tests), chromium (browser tests),
# postgresql (a throwaway cluster for the tests of the shared state: tests/postgres.py).
RUN_PACKAGES=(python3.11-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
TEST_PACKAGES=(poppler-utils chromium postgresql)

# JavaScript the browser tests inject into pages, from the npm registry at install time only
# (never fetched while tests run): axe-core, into a folder the tests find (tests/browser/axe.py).
AXE_VERSION=4.11.4
TEST_ASSETS="$VENV/share/agora-test-assets"

say() { printf '\033[1m[agora]\033[0m %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [[ ${#missing[@]} == 0 ]] && return 0
  if [[ $(id -u) != 0 ]]; then
    say "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"; return 1
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

pick_python() {
  # A system Python, so that isolated users' processes can run the venv (a pyenv under /root can't).
  for candidate in /usr/bin/python3.11 /usr/bin/python3.12 /usr/bin/python3.13 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  say "Python 3.11 or newer is required"; return 1
}

install_test_assets() {
  local axe="$TEST_ASSETS/node_modules/axe-core/axe.min.js"
  [[ -f $axe && "$(cat "$TEST_ASSETS/.axe-version" 2>/dev/null)" == "$AXE_VERSION" ]] && return 0
  command -v npm >/dev/null || apt_install npm
  say "installing axe-core $AXE_VERSION (npm) into $TEST_ASSETS"
  mkdir -p "$TEST_ASSETS"
  npm install --silent --no-audit --no-fund --no-save --prefix "$TEST_ASSETS" "axe-core@$AXE_VERSION" >/dev/null
  echo "$AXE_VERSION" > "$TEST_ASSETS/.axe-version"
  chmod -R a+rX "$TEST_ASSETS"
}

install() {
  local extras="$1"
  command -v dpkg >/dev/null && apt_install "${RUN_PACKAGES[@]}"
  [[ $extras == *test* ]] && command -v dpkg >/dev/null && apt_install "${TEST_PACKAGES[@]}"
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating the virtual environment in $VENV"
    mkdir -p "$(dirname "$VENV")"
    "$(pick_python)" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
  fi
  chmod -R a+rX "$VENV" 2>/dev/null || true
  local stamp="$VENV/.agora-installed-$extras"
  local digest; digest="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-$ROOT"
  if [[ ! -f $stamp || "$(cat "$stamp")" != "$digest" ]]; then
    say "installing Agora and its dependencies ($extras)"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT[$extras]"
    chmod -R a+rX "$VENV" 2>/dev/null || true
    echo "$digest" > "$stamp"
  fi
  if [[ $extras == *test* ]]; then install_test_assets; fi
}

case "${1:-}" in
  up)      shift; install run; cd "$ROOT"; exec "$VENV/bin/agora" up "$@" ;;
  test)    shift; install test; cd "$ROOT"
           say "lint: ruff check"; "$VENV/bin/ruff" check --quiet . || { say "lint failed (ruff check --fix fixes some)"; exit 1; }
           workers="${AGORA_TEST_WORKERS:-2}"
           if [[ $workers == 0 ]]; then exec "$VENV/bin/python" -m pytest "$@"; fi
           exec "$VENV/bin/python" -m pytest -n "$workers" --dist loadfile "$@" ;;
  install) shift; if [[ "${1:-}" == --test ]]; then install test; else install run; fi ;;
  *) echo "usage: ./dev.sh up | test [pytest args] | install [--test]" >&2; exit 64 ;;
esac
