#!/usr/bin/env bash
# Set up .venv with a Python >= 3.12 and this package (with test tools) installed.
# Idempotent: reinstalls only when pyproject.toml changed or the venv is broken.
# Mesa 3.5 needs Python >= 3.12; machines here may default to 3.11 and carry pyenv shims
# (python3.12 on the PATH) that fail unless selected, so every candidate is tried for real.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system_packages.sh

want_ok() { "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local c candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.13 python3.12 python3.14 python3)
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root 2>/dev/null || true)
    if [ -n "$root" ]; then
      for c in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do candidates+=("$c"); done
    fi
  fi
  for c in /usr/bin/python3.13 /usr/bin/python3.12 /usr/local/bin/python3.13 /usr/local/bin/python3.12; do candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && want_ok "$c"; then command -v "$c"; return 0; fi
    if [ -x "$c" ] && want_ok "$c"; then echo "$c"; return 0; fi
  done
  return 1
}

stamp=.venv/.installed
needs_install=1
if [ -x .venv/bin/python ] && want_ok .venv/bin/python && [ -f "$stamp" ] \
   && [ "$(cat "$stamp")" = "$(sha256sum pyproject.toml | cut -d' ' -f1)" ] \
   && .venv/bin/python -c 'import simulation, mesa, pytest' >/dev/null 2>&1; then
  needs_install=0
fi

if [ "$needs_install" = 1 ]; then
  if ! [ -x .venv/bin/python ] || ! want_ok .venv/bin/python; then
    py=$(find_python) || {
      echo "error: no working Python >= 3.12 found (tried \$PYTHON, python3.13, python3.12, python3," >&2
      echo "       pyenv versions and /usr/bin). Install Python 3.12+ or set PYTHON=/path/to/python3.12." >&2
      exit 1
    }
    echo "setting up .venv with $py ($("$py" -c 'import sys; print(sys.version.split()[0])'))"
    rm -rf .venv
    "$py" -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  sha256sum pyproject.toml | cut -d' ' -f1 > "$stamp"
fi
