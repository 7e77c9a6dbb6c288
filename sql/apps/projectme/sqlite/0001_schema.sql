-- projectme (seed 000), device schema: the same tables, columns, keys and index names as
-- postgres/0001_schema.sql, typed per sql/README.md (STRICT, named CHECKs). Left out on purpose
-- (see sync_rules.json and README.md): table "Session" and columns "User"."email",
-- "Settings"."runnerToken", which never leave the server.

CREATE TABLE "User" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "username" TEXT,
    "name" TEXT,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "User_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "User_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "User_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "Task" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "userId" TEXT,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "type" TEXT NOT NULL DEFAULT 'llm',
    "payload" TEXT,
    "tags" TEXT DEFAULT '[]',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "isPublic" INTEGER NOT NULL DEFAULT 0,
    "outputText" TEXT,
    "outputRaw" TEXT,
    "errorMessage" TEXT,
    "executionTime" INTEGER,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "Task_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Task_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Task_payload_json" CHECK ("payload" IS NULL OR json_valid("payload")),
    CONSTRAINT "Task_tags_array" CHECK ("tags" IS NULL OR CASE WHEN json_valid("tags") THEN json_type("tags") = 'array' ELSE 0 END),
    CONSTRAINT "Task_isPublic_bool" CHECK ("isPublic" IN (0, 1)),
    CONSTRAINT "Task_outputRaw_json" CHECK ("outputRaw" IS NULL OR json_valid("outputRaw")),
    CONSTRAINT "Task_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Task_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "Event" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "userId" TEXT,
    "taskId" TEXT,
    "eventType" TEXT NOT NULL,
    "data" TEXT,
    "level" TEXT NOT NULL DEFAULT 'info',
    "timestamp" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "Event_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Event_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Event_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Event_data_json" CHECK ("data" IS NULL OR json_valid("data")),
    CONSTRAINT "Event_timestamp_timestamp" CHECK ("timestamp" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "Settings" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "userId" TEXT,
    "runnerUrl" TEXT,
    "preferences" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "Settings_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Settings_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Settings_preferences_json" CHECK (json_valid("preferences")),
    CONSTRAINT "Settings_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Settings_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "LLMSession" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "userId" TEXT,
    "sessionId" TEXT NOT NULL,
    "title" TEXT,
    "systemPrompt" TEXT,
    "summary" TEXT,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "LLMSession_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "LLMSession_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "LLMSession_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "LLMSession_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "LLMMessage" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "sessionId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "tokens" INTEGER,
    "metadata" TEXT,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "LLMMessage_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "LLMMessage_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "LLMSession"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "LLMMessage_metadata_json" CHECK ("metadata" IS NULL OR json_valid("metadata")),
    CONSTRAINT "LLMMessage_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "SandboxFile" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "userId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "isDeleted" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "SandboxFile_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "SandboxFile_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "SandboxFile_isDeleted_bool" CHECK ("isDeleted" IN (0, 1)),
    CONSTRAINT "SandboxFile_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "SandboxFile_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "AuditLog" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "userId" TEXT,
    "action" TEXT NOT NULL,
    "resource" TEXT,
    "ipAddress" TEXT,
    "userAgent" TEXT,
    "metadata" TEXT,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "AuditLog_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "AuditLog_metadata_json" CHECK ("metadata" IS NULL OR json_valid("metadata")),
    CONSTRAINT "AuditLog_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
CREATE INDEX "Task_userId_idx" ON "Task"("userId");
CREATE INDEX "Task_status_idx" ON "Task"("status");
CREATE INDEX "Task_isPublic_idx" ON "Task"("isPublic");
CREATE INDEX "Task_createdAt_idx" ON "Task"("createdAt");
CREATE INDEX "Event_userId_idx" ON "Event"("userId");
CREATE INDEX "Event_taskId_idx" ON "Event"("taskId");
CREATE INDEX "Event_timestamp_idx" ON "Event"("timestamp");
CREATE UNIQUE INDEX "Settings_userId_key" ON "Settings"("userId");
CREATE UNIQUE INDEX "LLMSession_sessionId_key" ON "LLMSession"("sessionId");
CREATE INDEX "LLMSession_userId_idx" ON "LLMSession"("userId");
CREATE INDEX "LLMMessage_sessionId_createdAt_idx" ON "LLMMessage"("sessionId", "createdAt");
CREATE UNIQUE INDEX "SandboxFile_userId_path_key" ON "SandboxFile"("userId", "path");
CREATE INDEX "AuditLog_userId_idx" ON "AuditLog"("userId");
CREATE INDEX "AuditLog_action_idx" ON "AuditLog"("action");
CREATE INDEX "AuditLog_createdAt_idx" ON "AuditLog"("createdAt");

-- @updatedAt maintenance, the device half of projectme_set_updated_at(): a local UPDATE that does
-- not set "updatedAt" itself gets the current time; applying a synced row (ferry_capturing() = 0)
-- keeps the synced value. Inserts take the column DEFAULT.
CREATE TRIGGER "User_set_updatedAt" AFTER UPDATE ON "User"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "User" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "Task_set_updatedAt" AFTER UPDATE ON "Task"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "Task" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "Settings_set_updatedAt" AFTER UPDATE ON "Settings"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "Settings" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "LLMSession_set_updatedAt" AFTER UPDATE ON "LLMSession"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "LLMSession" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "SandboxFile_set_updatedAt" AFTER UPDATE ON "SandboxFile"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "SandboxFile" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;
