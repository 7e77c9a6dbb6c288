-- devlog (seed 004), device schema version 1: the seed's Prisma models as SQLite tables with
-- the same table, column, index and foreign-key names as the cloud, typed per sql/README.md.
-- Integer @default(autoincrement()) keys take ids leased from the cloud's sequences:
-- `INT NOT NULL PRIMARY KEY DEFAULT (ferry_next_id('<table>'))`. They are INT, not INTEGER, on
-- purpose: SQLite ignores the DEFAULT of an INTEGER PRIMARY KEY (a rowid alias) and would hand
-- out max(rowid)+1, colliding with other devices. Server-only parts (users.password_hash,
-- user_providers, the token tables) are declared in ../sync_rules.json. Checks beyond the type
-- mapping: lowercase canonical UUIDs for @db.Uuid columns, so a value the cloud would refuse is
-- refused here first.

-- Projects: repositories/codebases being worked on.
CREATE TABLE "projects" (
    "id" INT NOT NULL PRIMARY KEY DEFAULT (ferry_next_id('projects')),
    "name" TEXT NOT NULL,
    "fullName" TEXT NOT NULL,
    "repoUrl" TEXT NOT NULL,
    "repoOwner" TEXT NOT NULL,
    "repoName" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "projects_created_at_timestamp" CHECK ("created_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "projects_updated_at_timestamp" CHECK ("updated_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

-- Machines: physical or virtual machines where agents run.
CREATE TABLE "machines" (
    "id" INT NOT NULL PRIMARY KEY DEFAULT (ferry_next_id('machines')),
    "machineId" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "osType" TEXT NOT NULL,
    "osVersion" TEXT,
    "machineType" TEXT NOT NULL,
    "ipAddress" TEXT,
    "metadata" TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT "machines_metadata_json" CHECK (json_valid("metadata")),
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "machines_created_at_timestamp" CHECK ("created_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "last_seen_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "machines_last_seen_at_timestamp" CHECK ("last_seen_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

-- Machines x projects (the seed's explicit join model MachineProject).
CREATE TABLE "machine_projects" (
    "machineId" INTEGER NOT NULL,
    "projectId" INTEGER NOT NULL,
    CONSTRAINT "machine_projects_pkey" PRIMARY KEY ("machineId", "projectId"),
    CONSTRAINT "machine_projects_machineId_fkey" FOREIGN KEY ("machineId")
        REFERENCES "machines"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "machine_projects_projectId_fkey" FOREIGN KEY ("projectId")
        REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

-- Workspaces: VS Code windows/folders on specific machines.
CREATE TABLE "workspaces" (
    "id" INT NOT NULL PRIMARY KEY DEFAULT (ferry_next_id('workspaces')),
    "project_id" INTEGER NOT NULL,
    "machine_id" INTEGER NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "workspace_path" TEXT NOT NULL,
    "workspace_type" TEXT NOT NULL,
    "branch" TEXT,
    "commit" TEXT,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "workspaces_created_at_timestamp" CHECK ("created_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "last_seen_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "workspaces_last_seen_at_timestamp" CHECK ("last_seen_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "workspaces_project_id_fkey" FOREIGN KEY ("project_id")
        REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "workspaces_machine_id_fkey" FOREIGN KEY ("machine_id")
        REFERENCES "machines"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

-- Chat sessions: conversation threads within workspaces. message_count and total_tokens
-- merge as counters (sync_rules.json).
CREATE TABLE "chat_sessions" (
    "id" INT NOT NULL PRIMARY KEY DEFAULT (ferry_next_id('chat_sessions')),
    "sessionId" TEXT NOT NULL
        CONSTRAINT "chat_sessions_sessionId_uuid" CHECK ("sessionId" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "workspace_id" INTEGER NOT NULL,
    "agent_type" TEXT NOT NULL,
    "model_id" TEXT,
    "started_at" TEXT NOT NULL
        CONSTRAINT "chat_sessions_started_at_timestamp" CHECK ("started_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "ended_at" TEXT
        CONSTRAINT "chat_sessions_ended_at_timestamp" CHECK ("ended_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "message_count" INTEGER NOT NULL DEFAULT 0,
    "total_tokens" INTEGER NOT NULL DEFAULT 0,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "chat_sessions_created_at_timestamp" CHECK ("created_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "chat_sessions_workspace_id_fkey" FOREIGN KEY ("workspace_id")
        REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

-- The parent key of chat_messages.session_id and agent_events.session_id.
CREATE UNIQUE INDEX "chat_sessions_sessionId_key" ON "chat_sessions"("sessionId");

-- Chat messages: individual messages in chat sessions.
CREATE TABLE "chat_messages" (
    "id" TEXT NOT NULL PRIMARY KEY
        CONSTRAINT "chat_messages_id_uuid" CHECK ("id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "session_id" TEXT NOT NULL
        CONSTRAINT "chat_messages_session_id_uuid" CHECK ("session_id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "role" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "timestamp" TEXT NOT NULL
        CONSTRAINT "chat_messages_timestamp_timestamp" CHECK ("timestamp" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "sequence" INTEGER NOT NULL,
    "metadata" TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT "chat_messages_metadata_json" CHECK (json_valid("metadata")),
    "search_content" TEXT,
    CONSTRAINT "chat_messages_session_id_fkey" FOREIGN KEY ("session_id")
        REFERENCES "chat_sessions"("sessionId") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

-- Agent events: individual agent actions (a TimescaleDB hypertable in the cloud when available).
CREATE TABLE "agent_events" (
    "id" TEXT NOT NULL PRIMARY KEY DEFAULT (ferry_uuid())
        CONSTRAINT "agent_events_id_uuid" CHECK ("id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "timestamp" TEXT NOT NULL
        CONSTRAINT "agent_events_timestamp_timestamp" CHECK ("timestamp" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "event_type" TEXT NOT NULL,
    "agent_id" TEXT NOT NULL,
    "agent_version" TEXT NOT NULL,
    "session_id" TEXT NOT NULL
        CONSTRAINT "agent_events_session_id_uuid" CHECK ("session_id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "project_id" INTEGER NOT NULL,
    "context" TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT "agent_events_context_json" CHECK (json_valid("context")),
    "data" TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT "agent_events_data_json" CHECK (json_valid("data")),
    "metrics" TEXT
        CONSTRAINT "agent_events_metrics_json" CHECK ("metrics" IS NULL OR json_valid("metrics")),
    "parent_event_id" TEXT
        CONSTRAINT "agent_events_parent_event_id_uuid" CHECK ("parent_event_id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "related_event_ids" TEXT
        CONSTRAINT "agent_events_related_event_ids_array" CHECK ("related_event_ids" IS NULL OR (json_valid("related_event_ids") AND json_type("related_event_ids") = 'array')),
    "tags" TEXT
        CONSTRAINT "agent_events_tags_array" CHECK ("tags" IS NULL OR (json_valid("tags") AND json_type("tags") = 'array')),
    "severity" TEXT,
    CONSTRAINT "agent_events_session_id_fkey" FOREIGN KEY ("session_id")
        REFERENCES "chat_sessions"("sessionId") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "agent_events_project_id_fkey" FOREIGN KEY ("project_id")
        REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

-- Agent sessions: aggregated session metadata. quality_score is DECIMAL(5,2) in the cloud:
-- exact decimal text here, at most 3 integer and 2 fraction digits.
CREATE TABLE "agent_sessions" (
    "id" TEXT NOT NULL PRIMARY KEY DEFAULT (ferry_uuid())
        CONSTRAINT "agent_sessions_id_uuid" CHECK ("id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "agent_id" TEXT NOT NULL,
    "agent_version" TEXT NOT NULL,
    "project_id" INTEGER NOT NULL,
    "start_time" TEXT NOT NULL
        CONSTRAINT "agent_sessions_start_time_timestamp" CHECK ("start_time" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "end_time" TEXT
        CONSTRAINT "agent_sessions_end_time_timestamp" CHECK ("end_time" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "duration" INTEGER,
    "context" TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT "agent_sessions_context_json" CHECK (json_valid("context")),
    "metrics" TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT "agent_sessions_metrics_json" CHECK (json_valid("metrics")),
    "outcome" TEXT,
    "quality_score" TEXT
        CONSTRAINT "agent_sessions_quality_score_decimal" CHECK ("quality_score" IS NULL OR (
            ltrim("quality_score", '-') = substr("quality_score", 1 + ("quality_score" GLOB '-*'))
            AND ltrim("quality_score", '-') GLOB '[0-9]*' AND ltrim("quality_score", '-') GLOB '*[0-9]'
            AND ltrim("quality_score", '-') NOT GLOB '*[^0-9.]*' AND ltrim("quality_score", '-') NOT GLOB '*.*.*'
            AND ((instr(ltrim("quality_score", '-'), '.') = 0 AND length(ltrim("quality_score", '-')) <= 3)
                 OR (instr(ltrim("quality_score", '-'), '.') BETWEEN 2 AND 4 AND length(ltrim("quality_score", '-')) - instr(ltrim("quality_score", '-'), '.') <= 2)))),
    CONSTRAINT "agent_sessions_project_id_fkey" FOREIGN KEY ("project_id")
        REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

-- Devlog entries: work items. The project relation has no onDelete in the seed: Prisma's
-- default for a required relation, RESTRICT (a project with entries cannot be deleted).
CREATE TABLE "devlog_entries" (
    "id" INT NOT NULL PRIMARY KEY DEFAULT (ferry_next_id('devlog_entries')),
    "key_field" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "type" TEXT NOT NULL DEFAULT 'task',
    "description" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'new',
    "priority" TEXT NOT NULL DEFAULT 'medium',
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "devlog_entries_created_at_timestamp" CHECK ("created_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "devlog_entries_updated_at_timestamp" CHECK ("updated_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "closed_at" TEXT
        CONSTRAINT "devlog_entries_closed_at_timestamp" CHECK ("closed_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "archived" INTEGER NOT NULL DEFAULT 0
        CONSTRAINT "devlog_entries_archived_boolean" CHECK ("archived" IN (0, 1)),
    "assignee" TEXT,
    "project_id" INTEGER NOT NULL,
    "business_context" TEXT,
    "technical_context" TEXT,
    "tags" TEXT,
    "files" TEXT,
    "dependencies" TEXT,
    CONSTRAINT "devlog_entries_project_id_fkey" FOREIGN KEY ("project_id")
        REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE
) STRICT;

-- Devlog notes.
CREATE TABLE "devlog_notes" (
    "id" TEXT NOT NULL PRIMARY KEY
        CONSTRAINT "devlog_notes_id_uuid" CHECK ("id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "devlog_id" INTEGER NOT NULL,
    "timestamp" TEXT NOT NULL
        CONSTRAINT "devlog_notes_timestamp_timestamp" CHECK ("timestamp" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "category" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    CONSTRAINT "devlog_notes_devlog_id_fkey" FOREIGN KEY ("devlog_id")
        REFERENCES "devlog_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

-- Devlog dependencies.
CREATE TABLE "devlog_dependencies" (
    "id" TEXT NOT NULL PRIMARY KEY
        CONSTRAINT "devlog_dependencies_id_uuid" CHECK ("id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "devlog_id" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "external_id" TEXT,
    "target_devlog_id" INTEGER,
    CONSTRAINT "devlog_dependencies_devlog_id_fkey" FOREIGN KEY ("devlog_id")
        REFERENCES "devlog_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "devlog_dependencies_target_devlog_id_fkey" FOREIGN KEY ("target_devlog_id")
        REFERENCES "devlog_entries"("id") ON DELETE SET NULL ON UPDATE CASCADE
) STRICT;

-- Devlog documents.
CREATE TABLE "devlog_documents" (
    "id" TEXT NOT NULL PRIMARY KEY
        CONSTRAINT "devlog_documents_id_uuid" CHECK ("id" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "devlog_id" INTEGER NOT NULL,
    "filename" TEXT NOT NULL,
    "original_name" TEXT NOT NULL,
    "mime_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "text_content" TEXT,
    "binary_content" BLOB,
    "metadata" TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT "devlog_documents_metadata_json" CHECK (json_valid("metadata")),
    "uploaded_by" TEXT,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "devlog_documents_created_at_timestamp" CHECK ("created_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "devlog_documents_updated_at_timestamp" CHECK ("updated_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "devlog_documents_devlog_id_fkey" FOREIGN KEY ("devlog_id")
        REFERENCES "devlog_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

-- Users without password_hash (server-only). user_providers and the two token tables are
-- server-only too: see ../README.md. Users are created by the server's sign-up flow, never on a
-- device (the cloud requires password_hash), so users.id leases no ids.
CREATE TABLE "users" (
    "id" INTEGER PRIMARY KEY,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "avatar_url" TEXT,
    "is_email_verified" INTEGER NOT NULL DEFAULT 0
        CONSTRAINT "users_is_email_verified_boolean" CHECK ("is_email_verified" IN (0, 1)),
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "users_created_at_timestamp" CHECK ("created_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "users_updated_at_timestamp" CHECK ("updated_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "last_login_at" TEXT
        CONSTRAINT "users_last_login_at_timestamp" CHECK ("last_login_at" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

-- Indexes: every @unique ("<table>_<columns>_key") and @@index ("<table>_<columns>_idx") of the
-- seed's models that have a device table, with Prisma's names.
CREATE UNIQUE INDEX "projects_fullName_key" ON "projects"("fullName");
CREATE UNIQUE INDEX "projects_repoUrl_key" ON "projects"("repoUrl");
CREATE INDEX "projects_fullName_idx" ON "projects"("fullName");
CREATE INDEX "projects_repoUrl_idx" ON "projects"("repoUrl");

CREATE UNIQUE INDEX "machines_machineId_key" ON "machines"("machineId");
CREATE INDEX "machines_machineId_idx" ON "machines"("machineId");
CREATE INDEX "machines_hostname_idx" ON "machines"("hostname");
CREATE INDEX "machines_machineType_idx" ON "machines"("machineType");

CREATE UNIQUE INDEX "workspaces_workspace_id_key" ON "workspaces"("workspace_id");
CREATE UNIQUE INDEX "workspaces_project_id_machine_id_workspace_id_key"
    ON "workspaces"("project_id", "machine_id", "workspace_id");
CREATE INDEX "workspaces_workspace_id_idx" ON "workspaces"("workspace_id");
CREATE INDEX "workspaces_project_id_idx" ON "workspaces"("project_id");
CREATE INDEX "workspaces_machine_id_idx" ON "workspaces"("machine_id");

CREATE INDEX "chat_sessions_sessionId_idx" ON "chat_sessions"("sessionId");
CREATE INDEX "chat_sessions_workspace_id_idx" ON "chat_sessions"("workspace_id");
CREATE INDEX "chat_sessions_started_at_idx" ON "chat_sessions"("started_at" DESC);
CREATE INDEX "chat_sessions_agent_type_idx" ON "chat_sessions"("agent_type");

CREATE INDEX "chat_messages_session_id_idx" ON "chat_messages"("session_id");
CREATE INDEX "chat_messages_timestamp_idx" ON "chat_messages"("timestamp");
CREATE INDEX "chat_messages_session_id_sequence_idx" ON "chat_messages"("session_id", "sequence");

CREATE INDEX "agent_events_timestamp_idx" ON "agent_events"("timestamp" DESC);
CREATE INDEX "agent_events_session_id_idx" ON "agent_events"("session_id");
CREATE INDEX "agent_events_project_id_idx" ON "agent_events"("project_id");
CREATE INDEX "agent_events_agent_id_idx" ON "agent_events"("agent_id");
CREATE INDEX "agent_events_event_type_idx" ON "agent_events"("event_type");
CREATE INDEX "agent_events_tags_idx" ON "agent_events"("tags");
CREATE INDEX "agent_events_severity_idx" ON "agent_events"("severity");

CREATE INDEX "agent_sessions_start_time_idx" ON "agent_sessions"("start_time" DESC);
CREATE INDEX "agent_sessions_agent_id_idx" ON "agent_sessions"("agent_id");
CREATE INDEX "agent_sessions_project_id_idx" ON "agent_sessions"("project_id");
CREATE INDEX "agent_sessions_outcome_idx" ON "agent_sessions"("outcome");
CREATE INDEX "agent_sessions_quality_score_idx" ON "agent_sessions"("quality_score");

CREATE UNIQUE INDEX "devlog_entries_key_field_key" ON "devlog_entries"("key_field");
CREATE INDEX "devlog_entries_status_idx" ON "devlog_entries"("status");
CREATE INDEX "devlog_entries_type_idx" ON "devlog_entries"("type");
CREATE INDEX "devlog_entries_priority_idx" ON "devlog_entries"("priority");
CREATE INDEX "devlog_entries_project_id_idx" ON "devlog_entries"("project_id");

CREATE INDEX "devlog_notes_devlog_id_idx" ON "devlog_notes"("devlog_id");
CREATE INDEX "devlog_notes_timestamp_idx" ON "devlog_notes"("timestamp");

CREATE INDEX "devlog_dependencies_devlog_id_idx" ON "devlog_dependencies"("devlog_id");

CREATE INDEX "devlog_documents_devlog_id_idx" ON "devlog_documents"("devlog_id");

CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- @updatedAt maintenance, same trigger names as the cloud. A local UPDATE that leaves the
-- column unchanged sets it to now; an explicit value is kept; rows applied from the cloud keep
-- their synced value (ferry_capturing() is 0 then). Inserts get the column's DEFAULT.
CREATE TRIGGER "projects_updated_at"
AFTER UPDATE ON "projects"
FOR EACH ROW WHEN ferry_capturing() AND NEW."updated_at" IS OLD."updated_at"
BEGIN
    UPDATE "projects" SET "updated_at" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "machines_last_seen_at"
AFTER UPDATE ON "machines"
FOR EACH ROW WHEN ferry_capturing() AND NEW."last_seen_at" IS OLD."last_seen_at"
BEGIN
    UPDATE "machines" SET "last_seen_at" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "workspaces_last_seen_at"
AFTER UPDATE ON "workspaces"
FOR EACH ROW WHEN ferry_capturing() AND NEW."last_seen_at" IS OLD."last_seen_at"
BEGIN
    UPDATE "workspaces" SET "last_seen_at" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "devlog_entries_updated_at"
AFTER UPDATE ON "devlog_entries"
FOR EACH ROW WHEN ferry_capturing() AND NEW."updated_at" IS OLD."updated_at"
BEGIN
    UPDATE "devlog_entries" SET "updated_at" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "devlog_documents_updated_at"
AFTER UPDATE ON "devlog_documents"
FOR EACH ROW WHEN ferry_capturing() AND NEW."updated_at" IS OLD."updated_at"
BEGIN
    UPDATE "devlog_documents" SET "updated_at" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "users_updated_at"
AFTER UPDATE ON "users"
FOR EACH ROW WHEN ferry_capturing() AND NEW."updated_at" IS OLD."updated_at"
BEGIN
    UPDATE "users" SET "updated_at" = ferry_now() WHERE "id" = NEW."id";
END;

-- The cloud's agent_events_hourly (continuous aggregate or materialized view), computed on the
-- fly: same columns, buckets are UTC hours in the device timestamp form. avg_duration averages
-- metrics.duration where it is a JSON integer (the cloud casts it with ::int).
CREATE VIEW "agent_events_hourly" AS
SELECT
    strftime('%Y-%m-%dT%H:00:00.000Z', "timestamp") AS "bucket",
    "project_id",
    "agent_id",
    "event_type",
    COUNT(*) AS "event_count",
    AVG(CASE WHEN json_type("metrics", '$.duration') = 'integer'
             THEN json_extract("metrics", '$.duration') END) AS "avg_duration"
FROM "agent_events"
GROUP BY "bucket", "project_id", "agent_id", "event_type";
