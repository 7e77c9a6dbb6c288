#!/usr/bin/env bash
# scripts/demo_online.sh: part two of the main job, run inside pg_virtualenv (PG* variables set):
# installs each app's cloud schema, syncs the offline stores, shows a web app's plain-SQL write
# reaching a device, and a second device catching up.
set -euo pipefail
: "${FERRY:?}" "${FERRY_DEMO_DIR:?}"
f() { "$FERRY" "$@"; }
step() { printf '\n-- %s\n' "$*"; }

for app in projectme december agentchat aiflowo devlog; do
  step "$app: cloud schema and first sync"
  createdb "ferry_$app"
  export DATABASE_URL="dbname=ferry_$app"
  f server init --app "$app"
  if [ "$app" = agentchat ]; then
    # agentchat's chats belong to Supabase Auth users: the user signs up on the server first.
    psql -X -q -d ferry_agentchat -c "INSERT INTO auth.users(id, email) VALUES ('$(cat "$FERRY_DEMO_DIR/agentchat.user")', 'me@example.com')"
  fi
  f sync --db "$FERRY_DEMO_DIR/$app.db"
done

step "devlog: ids are leased now, so the project can be created (offline too) and synced"
export DATABASE_URL="dbname=ferry_devlog"
db=$FERRY_DEMO_DIR/devlog.db
f exec --db "$db" "INSERT INTO projects(name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") VALUES ('devlog', 'codervisor/devlog', 'git@github.com:codervisor/devlog.git', 'codervisor', 'devlog')"
f sync --db "$db" --quiet
psql -X -d ferry_devlog -c 'SELECT id, "fullName" FROM projects'

step "projectme: the rows written offline are in PostgreSQL"
export DATABASE_URL="dbname=ferry_projectme"
psql -X -d ferry_projectme -c 'SELECT title, payload, tags FROM "Task"'

step "projectme: the web app writes with plain SQL; the device pulls it"
psql -X -q -d ferry_projectme -c "INSERT INTO \"Task\"(id, title, \"updatedAt\") VALUES ('t_web', 'Global task from the web', now())"
f sync --db "$FERRY_DEMO_DIR/projectme.db" --quiet
f query --db "$FERRY_DEMO_DIR/projectme.db" 'SELECT id, title FROM "Task" ORDER BY id'

step "projectme: a second laptop starts empty and catches up"
f init --app projectme --db "$FERRY_DEMO_DIR/laptop2.db"
f sync --db "$FERRY_DEMO_DIR/laptop2.db"
f query --db "$FERRY_DEMO_DIR/laptop2.db" 'SELECT count(*) AS tasks FROM "Task"'
f status --db "$FERRY_DEMO_DIR/laptop2.db"
