#!/usr/bin/env bash
# Breaking-migration check (docs/runbook.md "Deploy"): run the PREVIOUS release's code against the NEW schema.
# The previous release is checked out in a scratch worktree, this tree's migrations replace its own, and its data,
# payments and billing tests run against databases migrated that way. A migration that drops or renames what the
# code still running in production uses (expand → deploy → contract) fails here before it ships.
# Usage: scripts/schema_compat.sh [<ref>]   (default: the latest v* tag; exit 0 with a notice when there is none)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ref="${1:-$(git -C "$repo" describe --tags --abbrev=0 --match 'v*' 2>/dev/null || true)}"
if [ -z "$ref" ]; then
  echo "schema-compat: no previous release tag (v*) yet; nothing to check"
  exit 0
fi
scratch="$(mktemp -d)"
cleanup() { git -C "$repo" worktree remove --force "$scratch/prev" >/dev/null 2>&1 || true; rm -rf "$scratch"; }
trap cleanup EXIT
git -C "$repo" worktree add --detach "$scratch/prev" "$ref" >/dev/null
rm -rf "$scratch/prev/shared/data/migrations"
cp -r "$repo/shared/data/migrations" "$scratch/prev/shared/data/migrations"
ln -s "$repo/node_modules" "$scratch/prev/node_modules" 2>/dev/null || true
suites=()
for suite in tests/data tests/payments tests/billing; do
  [ -d "$scratch/prev/$suite" ] && suites+=("$suite")
done
echo "schema-compat: code of ${ref} ($(git -C "$repo" rev-parse --short "$ref")) against $(ls "$repo/shared/data/migrations" | tail -1)"
cd "$scratch/prev"
# The end-to-end payment test drives a local host with timeouts; it tests the runner, not the schema.
"${PYTHON:-$repo/.venv/bin/python}" -m pytest -q -p no:cacheprovider "${suites[@]}" \
  --ignore=tests/payments/test_end_to_end.py
