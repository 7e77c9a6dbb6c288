-- devlog (seed 004), cloud schema version 1: the DDL `prisma migrate` generates for the seed's
-- Prisma schema (table = @@map, column = field or @map, Prisma's constraint and index names),
-- written re-runnable so it also adopts an existing devlog database. Foreign keys are inline
-- (Prisma adds them with ALTER TABLE afterwards; same names, same actions).
-- Additions, documented in ../README.md: gen_random_uuid() defaults for @default(uuid()),
-- and triggers that maintain the @updatedAt columns for writers other than Prisma.
-- TimescaleDB objects are in 0002_timeseries.sql.

-- ============================================================================
-- PROJECT HIERARCHY
-- ============================================================================

CREATE TABLE IF NOT EXISTS "projects" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "fullName" TEXT NOT NULL,
    "repoUrl" TEXT NOT NULL,
    "repoOwner" TEXT NOT NULL,
    "repoName" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

CREATE TABLE IF NOT EXISTS "machines" (
    "id" SERIAL NOT NULL,
    "machineId" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "osType" TEXT NOT NULL,
    "osVersion" TEXT,
    "machineType" TEXT NOT NULL,
    "ipAddress" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "machines_pkey" PRIMARY KEY ("id")
);

CREATE TABLE IF NOT EXISTS "machine_projects" (
    "machineId" INTEGER NOT NULL,
    "projectId" INTEGER NOT NULL,

    CONSTRAINT "machine_projects_pkey" PRIMARY KEY ("machineId", "projectId"),
    CONSTRAINT "machine_projects_machineId_fkey" FOREIGN KEY ("machineId")
        REFERENCES "machines"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "machine_projects_projectId_fkey" FOREIGN KEY ("projectId")
        REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "workspaces" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "machine_id" INTEGER NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "workspace_path" TEXT NOT NULL,
    "workspace_type" TEXT NOT NULL,
    "branch" TEXT,
    "commit" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "workspaces_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "workspaces_project_id_fkey" FOREIGN KEY ("project_id")
        REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "workspaces_machine_id_fkey" FOREIGN KEY ("machine_id")
        REFERENCES "machines"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "chat_sessions" (
    "id" SERIAL NOT NULL,
    "sessionId" UUID NOT NULL,
    "workspace_id" INTEGER NOT NULL,
    "agent_type" TEXT NOT NULL,
    "model_id" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "message_count" INTEGER NOT NULL DEFAULT 0,
    "total_tokens" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chat_sessions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "chat_sessions_workspace_id_fkey" FOREIGN KEY ("workspace_id")
        REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- chat_messages and agent_events reference chat_sessions."sessionId", a unique non-key column:
-- its unique index has to exist before those foreign keys.
CREATE UNIQUE INDEX IF NOT EXISTS "chat_sessions_sessionId_key" ON "chat_sessions"("sessionId");

CREATE TABLE IF NOT EXISTS "chat_messages" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "sequence" INTEGER NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "search_content" TEXT,

    CONSTRAINT "chat_messages_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "chat_messages_session_id_fkey" FOREIGN KEY ("session_id")
        REFERENCES "chat_sessions"("sessionId") ON DELETE CASCADE ON UPDATE CASCADE
);

-- ============================================================================
-- AGENT OBSERVABILITY - TIME-SERIES DATA
-- ============================================================================

CREATE TABLE IF NOT EXISTS "agent_events" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "event_type" TEXT NOT NULL,
    "agent_id" TEXT NOT NULL,
    "agent_version" TEXT NOT NULL,
    "session_id" UUID NOT NULL,
    "project_id" INTEGER NOT NULL,
    "context" JSONB NOT NULL DEFAULT '{}',
    "data" JSONB NOT NULL DEFAULT '{}',
    "metrics" JSONB,
    "parent_event_id" UUID,
    "related_event_ids" TEXT[],
    "tags" TEXT[],
    "severity" TEXT,

    CONSTRAINT "agent_events_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "agent_events_session_id_fkey" FOREIGN KEY ("session_id")
        REFERENCES "chat_sessions"("sessionId") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "agent_events_project_id_fkey" FOREIGN KEY ("project_id")
        REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "agent_sessions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "agent_id" TEXT NOT NULL,
    "agent_version" TEXT NOT NULL,
    "project_id" INTEGER NOT NULL,
    "start_time" TIMESTAMPTZ(3) NOT NULL,
    "end_time" TIMESTAMPTZ(3),
    "duration" INTEGER,
    "context" JSONB NOT NULL DEFAULT '{}',
    "metrics" JSONB NOT NULL DEFAULT '{}',
    "outcome" TEXT,
    "quality_score" DECIMAL(5,2),

    CONSTRAINT "agent_sessions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "agent_sessions_project_id_fkey" FOREIGN KEY ("project_id")
        REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- ============================================================================
-- WORK ITEM MANAGEMENT
-- ============================================================================

-- project: a required relation without onDelete, so Prisma's default: ON DELETE RESTRICT.
CREATE TABLE IF NOT EXISTS "devlog_entries" (
    "id" SERIAL NOT NULL,
    "key_field" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "type" TEXT NOT NULL DEFAULT 'task',
    "description" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'new',
    "priority" TEXT NOT NULL DEFAULT 'medium',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "closed_at" TIMESTAMPTZ(3),
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "assignee" TEXT,
    "project_id" INTEGER NOT NULL,
    "business_context" TEXT,
    "technical_context" TEXT,
    "tags" TEXT,
    "files" TEXT,
    "dependencies" TEXT,

    CONSTRAINT "devlog_entries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "devlog_entries_project_id_fkey" FOREIGN KEY ("project_id")
        REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "devlog_notes" (
    "id" UUID NOT NULL,
    "devlog_id" INTEGER NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "category" TEXT NOT NULL,
    "content" TEXT NOT NULL,

    CONSTRAINT "devlog_notes_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "devlog_notes_devlog_id_fkey" FOREIGN KEY ("devlog_id")
        REFERENCES "devlog_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "devlog_dependencies" (
    "id" UUID NOT NULL,
    "devlog_id" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "external_id" TEXT,
    "target_devlog_id" INTEGER,

    CONSTRAINT "devlog_dependencies_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "devlog_dependencies_devlog_id_fkey" FOREIGN KEY ("devlog_id")
        REFERENCES "devlog_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "devlog_dependencies_target_devlog_id_fkey" FOREIGN KEY ("target_devlog_id")
        REFERENCES "devlog_entries"("id") ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "devlog_documents" (
    "id" UUID NOT NULL,
    "devlog_id" INTEGER NOT NULL,
    "filename" TEXT NOT NULL,
    "original_name" TEXT NOT NULL,
    "mime_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "text_content" TEXT,
    "binary_content" BYTEA,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "uploaded_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "devlog_documents_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "devlog_documents_devlog_id_fkey" FOREIGN KEY ("devlog_id")
        REFERENCES "devlog_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- ============================================================================
-- USER MANAGEMENT
-- ============================================================================

CREATE TABLE IF NOT EXISTS "users" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "avatar_url" TEXT,
    "password_hash" TEXT NOT NULL,
    "is_email_verified" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_login_at" TIMESTAMPTZ(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

CREATE TABLE IF NOT EXISTS "user_providers" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "avatar_url" TEXT NOT NULL,

    CONSTRAINT "user_providers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "user_providers_user_id_fkey" FOREIGN KEY ("user_id")
        REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "email_verification_tokens" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "token" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "email_verification_tokens_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "email_verification_tokens_user_id_fkey" FOREIGN KEY ("user_id")
        REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE IF NOT EXISTS "password_reset_tokens" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "token" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "password_reset_tokens_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "password_reset_tokens_user_id_fkey" FOREIGN KEY ("user_id")
        REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- ============================================================================
-- INDEXES (@unique → "<table>_<columns>_key", @@index → "<table>_<columns>_idx")
-- ============================================================================

CREATE UNIQUE INDEX IF NOT EXISTS "projects_fullName_key" ON "projects"("fullName");
CREATE UNIQUE INDEX IF NOT EXISTS "projects_repoUrl_key" ON "projects"("repoUrl");
CREATE INDEX IF NOT EXISTS "projects_fullName_idx" ON "projects"("fullName");
CREATE INDEX IF NOT EXISTS "projects_repoUrl_idx" ON "projects"("repoUrl");

CREATE UNIQUE INDEX IF NOT EXISTS "machines_machineId_key" ON "machines"("machineId");
CREATE INDEX IF NOT EXISTS "machines_machineId_idx" ON "machines"("machineId");
CREATE INDEX IF NOT EXISTS "machines_hostname_idx" ON "machines"("hostname");
CREATE INDEX IF NOT EXISTS "machines_machineType_idx" ON "machines"("machineType");

CREATE UNIQUE INDEX IF NOT EXISTS "workspaces_workspace_id_key" ON "workspaces"("workspace_id");
CREATE UNIQUE INDEX IF NOT EXISTS "workspaces_project_id_machine_id_workspace_id_key"
    ON "workspaces"("project_id", "machine_id", "workspace_id");
CREATE INDEX IF NOT EXISTS "workspaces_workspace_id_idx" ON "workspaces"("workspace_id");
CREATE INDEX IF NOT EXISTS "workspaces_project_id_idx" ON "workspaces"("project_id");
CREATE INDEX IF NOT EXISTS "workspaces_machine_id_idx" ON "workspaces"("machine_id");

CREATE INDEX IF NOT EXISTS "chat_sessions_sessionId_idx" ON "chat_sessions"("sessionId");
CREATE INDEX IF NOT EXISTS "chat_sessions_workspace_id_idx" ON "chat_sessions"("workspace_id");
CREATE INDEX IF NOT EXISTS "chat_sessions_started_at_idx" ON "chat_sessions"("started_at" DESC);
CREATE INDEX IF NOT EXISTS "chat_sessions_agent_type_idx" ON "chat_sessions"("agent_type");

CREATE INDEX IF NOT EXISTS "chat_messages_session_id_idx" ON "chat_messages"("session_id");
CREATE INDEX IF NOT EXISTS "chat_messages_timestamp_idx" ON "chat_messages"("timestamp");
CREATE INDEX IF NOT EXISTS "chat_messages_session_id_sequence_idx" ON "chat_messages"("session_id", "sequence");

CREATE INDEX IF NOT EXISTS "agent_events_timestamp_idx" ON "agent_events"("timestamp" DESC);
CREATE INDEX IF NOT EXISTS "agent_events_session_id_idx" ON "agent_events"("session_id");
CREATE INDEX IF NOT EXISTS "agent_events_project_id_idx" ON "agent_events"("project_id");
CREATE INDEX IF NOT EXISTS "agent_events_agent_id_idx" ON "agent_events"("agent_id");
CREATE INDEX IF NOT EXISTS "agent_events_event_type_idx" ON "agent_events"("event_type");
CREATE INDEX IF NOT EXISTS "agent_events_tags_idx" ON "agent_events"("tags");
CREATE INDEX IF NOT EXISTS "agent_events_severity_idx" ON "agent_events"("severity");

CREATE INDEX IF NOT EXISTS "agent_sessions_start_time_idx" ON "agent_sessions"("start_time" DESC);
CREATE INDEX IF NOT EXISTS "agent_sessions_agent_id_idx" ON "agent_sessions"("agent_id");
CREATE INDEX IF NOT EXISTS "agent_sessions_project_id_idx" ON "agent_sessions"("project_id");
CREATE INDEX IF NOT EXISTS "agent_sessions_outcome_idx" ON "agent_sessions"("outcome");
CREATE INDEX IF NOT EXISTS "agent_sessions_quality_score_idx" ON "agent_sessions"("quality_score");

CREATE UNIQUE INDEX IF NOT EXISTS "devlog_entries_key_field_key" ON "devlog_entries"("key_field");
CREATE INDEX IF NOT EXISTS "devlog_entries_status_idx" ON "devlog_entries"("status");
CREATE INDEX IF NOT EXISTS "devlog_entries_type_idx" ON "devlog_entries"("type");
CREATE INDEX IF NOT EXISTS "devlog_entries_priority_idx" ON "devlog_entries"("priority");
CREATE INDEX IF NOT EXISTS "devlog_entries_project_id_idx" ON "devlog_entries"("project_id");

CREATE INDEX IF NOT EXISTS "devlog_notes_devlog_id_idx" ON "devlog_notes"("devlog_id");
CREATE INDEX IF NOT EXISTS "devlog_notes_timestamp_idx" ON "devlog_notes"("timestamp");

CREATE INDEX IF NOT EXISTS "devlog_dependencies_devlog_id_idx" ON "devlog_dependencies"("devlog_id");

CREATE INDEX IF NOT EXISTS "devlog_documents_devlog_id_idx" ON "devlog_documents"("devlog_id");

CREATE UNIQUE INDEX IF NOT EXISTS "users_email_key" ON "users"("email");

CREATE UNIQUE INDEX IF NOT EXISTS "user_providers_provider_provider_id_key"
    ON "user_providers"("provider", "provider_id");
CREATE INDEX IF NOT EXISTS "user_providers_user_id_idx" ON "user_providers"("user_id");

CREATE UNIQUE INDEX IF NOT EXISTS "email_verification_tokens_token_key" ON "email_verification_tokens"("token");
CREATE INDEX IF NOT EXISTS "email_verification_tokens_user_id_idx" ON "email_verification_tokens"("user_id");

CREATE UNIQUE INDEX IF NOT EXISTS "password_reset_tokens_token_key" ON "password_reset_tokens"("token");
CREATE INDEX IF NOT EXISTS "password_reset_tokens_user_id_idx" ON "password_reset_tokens"("user_id");

-- ============================================================================
-- @updatedAt MAINTENANCE
-- Prisma fills @updatedAt columns itself; other writers (plain SQL, Ferry applying pushes)
-- get the same behaviour from these triggers: on INSERT a missing value becomes now; on
-- UPDATE an unchanged value becomes now, while an explicitly written value is kept.
-- ============================================================================

CREATE OR REPLACE FUNCTION devlog_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."updated_at" IS NULL THEN
            NEW."updated_at" := CURRENT_TIMESTAMP;
        END IF;
    ELSIF NEW."updated_at" IS NOT DISTINCT FROM OLD."updated_at" THEN
        NEW."updated_at" := CURRENT_TIMESTAMP;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION devlog_touch_last_seen_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW."last_seen_at" IS NULL THEN
            NEW."last_seen_at" := CURRENT_TIMESTAMP;
        END IF;
    ELSIF NEW."last_seen_at" IS NOT DISTINCT FROM OLD."last_seen_at" THEN
        NEW."last_seen_at" := CURRENT_TIMESTAMP;
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS "projects_updated_at" ON "projects";
CREATE TRIGGER "projects_updated_at" BEFORE INSERT OR UPDATE ON "projects"
    FOR EACH ROW EXECUTE FUNCTION devlog_touch_updated_at();

DROP TRIGGER IF EXISTS "machines_last_seen_at" ON "machines";
CREATE TRIGGER "machines_last_seen_at" BEFORE INSERT OR UPDATE ON "machines"
    FOR EACH ROW EXECUTE FUNCTION devlog_touch_last_seen_at();

DROP TRIGGER IF EXISTS "workspaces_last_seen_at" ON "workspaces";
CREATE TRIGGER "workspaces_last_seen_at" BEFORE INSERT OR UPDATE ON "workspaces"
    FOR EACH ROW EXECUTE FUNCTION devlog_touch_last_seen_at();

DROP TRIGGER IF EXISTS "devlog_entries_updated_at" ON "devlog_entries";
CREATE TRIGGER "devlog_entries_updated_at" BEFORE INSERT OR UPDATE ON "devlog_entries"
    FOR EACH ROW EXECUTE FUNCTION devlog_touch_updated_at();

DROP TRIGGER IF EXISTS "devlog_documents_updated_at" ON "devlog_documents";
CREATE TRIGGER "devlog_documents_updated_at" BEFORE INSERT OR UPDATE ON "devlog_documents"
    FOR EACH ROW EXECUTE FUNCTION devlog_touch_updated_at();

DROP TRIGGER IF EXISTS "users_updated_at" ON "users";
CREATE TRIGGER "users_updated_at" BEFORE INSERT OR UPDATE ON "users"
    FOR EACH ROW EXECUTE FUNCTION devlog_touch_updated_at();
