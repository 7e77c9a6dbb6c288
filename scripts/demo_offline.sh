#!/usr/bin/env bash
# scripts/demo_offline.sh: part one of the main job (run by scripts/demo.sh): one device store
# per shipped app, written and read with no server at all. Needs $FERRY (the ferry binary) and
# $FERRY_DEMO_DIR.
set -euo pipefail
: "${FERRY:?}" "${FERRY_DEMO_DIR:?}"
f() { "$FERRY" "$@"; }
step() { printf '\n-- %s\n' "$*"; }

uuid() { cat /proc/sys/kernel/random/uuid; }

step "projectme: a task and an LLM session, offline"
db=$FERRY_DEMO_DIR/projectme.db
f init --app projectme --db "$db"
# Users are created by the web app's sign-up (their email never leaves the server): this device
# writes a global task (no owner) and an LLM session.
f exec --db "$db" "INSERT INTO \"Task\"(id, title, type, payload, tags, priority)
    VALUES ('t_1', 'Write the report', 'llm', '{\"model\":\"local\"}', '[\"work\",\"q4\"]', 2);
  INSERT INTO \"LLMSession\"(id, \"sessionId\", \"systemPrompt\") VALUES ('s_1', 'chat-123', 'You are helpful');
  INSERT INTO \"LLMMessage\"(id, \"sessionId\", role, content) VALUES ('m_1', 's_1', 'user', 'Hello!')"
f query --db "$db" --json 'SELECT title, payload, tags, priority, "isPublic" FROM "Task"'

step "december: a user, a container and a project"
db=$FERRY_DEMO_DIR/december.db
user=$(uuid); container=$(uuid)
f init --app december --db "$db"
f exec --db "$db" "INSERT INTO users(id, email, name) VALUES ('$user', 'dev@example.com', 'Dev');
  INSERT INTO containers(id, container_id, name, status, user_id, labels) VALUES ('$container', 'docker-7f3a', 'shop', 'running', '$user', '{\"tier\":\"free\"}');
  INSERT INTO projects(container_id, name, user_id) VALUES ('$container', 'shop-frontend', '$user')"
f query --db "$db" 'SELECT name, project_name, user_email FROM active_containers'

step "agentchat: a chat with a message (the seeded model configs are already there)"
db=$FERRY_DEMO_DIR/agentchat.db
me=$(uuid); chat=$(uuid)
echo "$me" > "$FERRY_DEMO_DIR/agentchat.user"   # the online part signs this user up
f init --app agentchat --db "$db"
f exec --db "$db" "INSERT INTO \"Chat\"(id, title, user_id) VALUES ('$chat', 'Trip ideas', '$me');
  INSERT INTO \"Message_v2\"(id, \"chatId\", role, parts, attachments) VALUES ('$(uuid)', '$chat', 'user', '[{\"type\":\"text\",\"text\":\"Where to in May?\"}]', '[]')"
f query --db "$db" "SELECT count(*) AS models, sum(is_default) AS defaults FROM model_config"

step "aiflowo: a task for the agent, using the 12 seeded tools"
db=$FERRY_DEMO_DIR/aiflowo.db
f init --app aiflowo --db "$db"
f exec --db "$db" "INSERT INTO \"User\"(id, email) VALUES ('u_bo', 'bo@example.com');
  INSERT INTO \"Task\"(id, \"userId\", title, intent, priority) VALUES ('t_flight', 'u_bo', 'Find a flight', 'LIS to BER next Friday', 'HIGH')"
f query --db "$db" "SELECT category, count(*) AS tools FROM \"Tool\" GROUP BY category ORDER BY category"

step "devlog: integer keys need ids leased from the server, so offline-only creation is refused clearly"
db=$FERRY_DEMO_DIR/devlog.db
f init --app devlog --db "$db"
if f exec --db "$db" "INSERT INTO projects(name, \"fullName\", \"repoUrl\", \"repoOwner\", \"repoName\") VALUES ('devlog', 'codervisor/devlog', 'git@github.com:codervisor/devlog.git', 'codervisor', 'devlog')"; then
  echo "unexpected: an integer key was created without a lease" >&2; exit 1
fi
echo "(expected: the online part leases ids and creates the project)"

step "status of one store"
f status --db "$FERRY_DEMO_DIR/projectme.db"
