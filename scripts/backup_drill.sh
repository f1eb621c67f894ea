#!/usr/bin/env bash
# Backup/restore drill against a real server: pg_dump -Fc of DATABASE_URL's database, pg_restore into a scratch
# database on the same server, compare row counts per table, drop the scratch database.
# Usage: DATABASE_URL=postgresql://user@host:5432/supra?sslmode=require scripts/backup_drill.sh
# (Azure: run on the self-hosted runner in snet-runner; PGPASSWORD=$(az account get-access-token --resource-type oss-rdbms ...)).
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
scratch="supra_drill_$(date -u +%Y%m%d%H%M%S)"
workdir="$(mktemp -d)"
admin_url="${DATABASE_URL%/*}/postgres"
if [[ "$DATABASE_URL" == *\?* ]]; then admin_url="${admin_url}?${DATABASE_URL#*\?}"; fi
scratch_url="${DATABASE_URL%/*}/${scratch}"
if [[ "$DATABASE_URL" == *\?* ]]; then scratch_url="${scratch_url}?${DATABASE_URL#*\?}"; fi
cleanup() {
  psql "$admin_url" -q -c "DROP DATABASE IF EXISTS ${scratch}" || true
  rm -rf "$workdir"
}
trap cleanup EXIT

counts() {
  psql "$1" -At -c "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1" |
    while read -r table; do
      printf '%s %s\n' "$table" "$(psql "$1" -At -c "SELECT count(*) FROM ${table}")"
    done
}

pg_dump -Fc -d "$DATABASE_URL" -f "$workdir/drill.dump"
psql "$admin_url" -q -c "CREATE DATABASE ${scratch}"
pg_restore --exit-on-error --no-owner -d "$scratch_url" "$workdir/drill.dump"
counts "$DATABASE_URL" > "$workdir/source.txt"
counts "$scratch_url" > "$workdir/restored.txt"
if diff -u "$workdir/source.txt" "$workdir/restored.txt"; then
  echo "backup drill OK: $(wc -l < "$workdir/source.txt") tables, row counts identical"
else
  echo "backup drill FAILED: row counts differ" >&2
  exit 1
fi
