#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The README's promises are the threat model's, word for word: every "- " line of the
# README's "## Promises" section must be a line of docs/threat-model.md's, and the two
# lists must be the same length. Usage: check_promises.sh SOURCE_DIR
set -euo pipefail
src=$1
section() { awk '/^## /{on = ($0 == "## Promises")} on && /^- /' "$1"; }
readme=$(section "$src/README.md")
model=$(section "$src/docs/threat-model.md")
[[ -n $model ]] || { echo "docs/threat-model.md has no promises"; exit 1; }
if [[ "$readme" != "$model" ]]; then
  echo "README.md's promises differ from docs/threat-model.md's:"
  diff <(echo "$readme") <(echo "$model") || true
  exit 1
fi
echo "$(echo "$model" | wc -l) promises, the same in both"
