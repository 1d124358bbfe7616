#!/usr/bin/env bash
# Puts the tools a bundle's recipient uses on PATH (minisign, age, bagit.py),
# installing them if missing. Sourced by scripts/test and scripts/bench.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh" minisign age python3-venv
if ! command -v bagit.py >/dev/null 2>&1; then
  if [ ! -x target/tools/bin/bagit.py ]; then
    python3 -m venv target/tools
    target/tools/bin/pip install --quiet bagit
  fi
  export PATH="$PWD/target/tools/bin:$PATH"
fi
