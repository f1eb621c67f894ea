#!/usr/bin/env bash
# Restore drill against Azure (the scheduled workflow .github/workflows/restore-drill.yml; docs/runbook.md "Restore
# drill"): restore the latest point in time of psql-supra-<env> to a scratch server, run every ledger and cycle
# invariant on it (`manage.py invariants check`), record the measured RTO and RPO, delete the scratch server.
# Locally the same steps run on private clusters: `python manage.py drill restore`.
# Usage (on the VNet runner, logged in with az): ENVIRONMENT=production scripts/restore_drill.sh
# Needs: PG_DRILL_PRINCIPAL (an Entra principal that is PostgreSQL admin on restored servers).
set -euo pipefail
: "${ENVIRONMENT:?set ENVIRONMENT}" "${PG_DRILL_PRINCIPAL:?set PG_DRILL_PRINCIPAL}"
rg="rg-supra-${ENVIRONMENT}"
source_server="psql-supra-${ENVIRONMENT}"
scratch="psql-supra-${ENVIRONMENT}-drill-$(date -u +%Y%m%d%H%M)"
storage="stsupra${ENVIRONMENT}"
cleanup() { az postgres flexible-server delete --resource-group "$rg" --name "$scratch" --yes >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The restore point: "now" as the incident time; the RPO is how far before it the restored data ends.
restore_time="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
started=$(date +%s)
az postgres flexible-server restore --resource-group "$rg" --name "$scratch" \
  --source-server "$source_server" --restore-time "$restore_time" --yes >/dev/null
restored=$(date +%s)

PGPASSWORD="$(az account get-access-token --resource-type oss-rdbms --query accessToken -o tsv)"
export PGPASSWORD
export DATABASE_URL="postgresql://${PG_DRILL_PRINCIPAL}@${scratch}.postgres.database.azure.com:5432/supra?sslmode=require"
report="$(mktemp)"
status=0
python manage.py invariants check > "$report" || status=$?
checked=$(date +%s)
last_event=$(psql "$DATABASE_URL" -At -c "SELECT coalesce(extract(epoch FROM max(occurred_at)), 0) FROM domain_events")
rpo=$(python3 -c "import sys,datetime as d; t=d.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')).timestamp(); print(round(max(t-float(sys.argv[2]),0),1))" "$restore_time" "$last_event")
ok=$([ "$status" = 0 ] && echo true || echo false)
record=$(printf '{"environment":"%s","restore_time":"%s","rto_seconds":%d,"restore_seconds":%d,"rpo_seconds_upper_bound":%s,"invariants_ok":%s}' \
  "$ENVIRONMENT" "$restore_time" $((checked - started)) $((restored - started)) "$rpo" "$ok")
echo "$record"
printf '%s\n' "$record" > drill.json
az storage blob upload --auth-mode login --account-name "$storage" --container-name db-exports \
  --name "drills/$(date -u +%Y-%m-%d).json" --file drill.json --overwrite true >/dev/null
cat "$report"
exit "$status"
