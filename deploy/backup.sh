#!/bin/sh
# One backup of a scalegate workspace on PostgreSQL: the signed audit export, then the database dump.
# Reads PGHOST PGPORT PGUSER PGDATABASE SCALEGATE_DATABASE_URL SCALEGATE_AUDIT_KEY_DIR SCALEGATE_USER
# SCALEGATE_TOKEN BACKUP_ROOT from the environment (/etc/scalegate/backup.env); see docs/deploy.md.
set -eu
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dir="$BACKUP_ROOT/$stamp"
mkdir -p "$dir"
scalegate --as "$SCALEGATE_USER" audit export "$dir/audit"
pg_dump --format=custom --no-owner --file="$dir/scalegate.dump"
(cd "$dir" && sha256sum scalegate.dump > scalegate.dump.sha256)
echo "$dir"
