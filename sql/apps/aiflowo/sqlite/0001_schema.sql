-- aiflowo (seed 003), device schema: the same tables, columns, keys and index names as
-- postgres/0001_schema.sql, typed per sql/README.md (STRICT, named CHECKs; each PostgreSQL enum
-- is TEXT with a CHECK listing its values). Left out on purpose (see sync_rules.json and
-- README.md): the authentication tables "MagicLink" and "Session", which never leave the server.

CREATE TABLE "User" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "email" TEXT NOT NULL,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "User_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "User_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "User_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "UserProfile" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "userId" TEXT NOT NULL,
    "name" TEXT,
    "profilePicUrl" TEXT,
    "preferredAirlines" TEXT DEFAULT '[]',
    "preferredCabinClass" TEXT,
    "frequentFlyerNumbers" TEXT,
    "socialAccounts" TEXT,
    "resumeUrl" TEXT,
    "linkedInUrl" TEXT,
    "githubUrl" TEXT,
    "portfolioUrl" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "notifications" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "UserProfile_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "UserProfile_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "UserProfile_preferredAirlines_array" CHECK ("preferredAirlines" IS NULL OR CASE WHEN json_valid("preferredAirlines") THEN json_type("preferredAirlines") = 'array' ELSE 0 END),
    CONSTRAINT "UserProfile_frequentFlyerNumbers_json" CHECK ("frequentFlyerNumbers" IS NULL OR json_valid("frequentFlyerNumbers")),
    CONSTRAINT "UserProfile_socialAccounts_json" CHECK ("socialAccounts" IS NULL OR json_valid("socialAccounts")),
    CONSTRAINT "UserProfile_notifications_bool" CHECK ("notifications" IN (0, 1)),
    CONSTRAINT "UserProfile_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "UserProfile_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "Task" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "userId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "intent" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "priority" TEXT NOT NULL DEFAULT 'MEDIUM',
    "plan" TEXT,
    "currentStep" INTEGER NOT NULL DEFAULT 0,
    "totalSteps" INTEGER NOT NULL DEFAULT 0,
    "result" TEXT,
    "error" TEXT,
    "startedAt" TEXT,
    "completedAt" TEXT,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "Task_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Task_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Task_status_enum" CHECK ("status" IN ('PENDING', 'RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    CONSTRAINT "Task_priority_enum" CHECK ("priority" IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
    CONSTRAINT "Task_plan_json" CHECK ("plan" IS NULL OR json_valid("plan")),
    CONSTRAINT "Task_result_json" CHECK ("result" IS NULL OR json_valid("result")),
    CONSTRAINT "Task_startedAt_timestamp" CHECK ("startedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Task_completedAt_timestamp" CHECK ("completedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Task_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Task_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "TaskLog" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "taskId" TEXT NOT NULL,
    "level" TEXT NOT NULL DEFAULT 'INFO',
    "message" TEXT NOT NULL,
    "step" INTEGER,
    "metadata" TEXT,
    "timestamp" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "TaskLog_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "TaskLog_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TaskLog_level_enum" CHECK ("level" IN ('DEBUG', 'INFO', 'WARN', 'ERROR')),
    CONSTRAINT "TaskLog_metadata_json" CHECK ("metadata" IS NULL OR json_valid("metadata")),
    CONSTRAINT "TaskLog_timestamp_timestamp" CHECK ("timestamp" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "TaskArtifact" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "taskId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "url" TEXT NOT NULL,
    "size" INTEGER,
    "mimeType" TEXT,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "TaskArtifact_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "TaskArtifact_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TaskArtifact_type_enum" CHECK ("type" IN ('SCREENSHOT', 'PDF', 'FILE', 'IMAGE', 'VIDEO', 'JSON', 'TEXT')),
    CONSTRAINT "TaskArtifact_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "Tool" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "name" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "category" TEXT NOT NULL DEFAULT 'GENERAL',
    "schema" TEXT NOT NULL,
    "enabled" INTEGER NOT NULL DEFAULT 1,
    "usageCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "Tool_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Tool_category_enum" CHECK ("category" IN ('BROWSER', 'API', 'FILE', 'EMAIL', 'SOCIAL', 'TRAVEL', 'JOB', 'GENERAL')),
    CONSTRAINT "Tool_schema_json" CHECK (json_valid("schema")),
    CONSTRAINT "Tool_enabled_bool" CHECK ("enabled" IN (0, 1)),
    CONSTRAINT "Tool_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Tool_updatedAt_timestamp" CHECK ("updatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "ToolExecution" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "toolId" TEXT NOT NULL,
    "taskId" TEXT,
    "input" TEXT NOT NULL,
    "output" TEXT,
    "error" TEXT,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "duration" INTEGER,
    "startedAt" TEXT,
    "completedAt" TEXT,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CONSTRAINT "ToolExecution_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ToolExecution_toolId_fkey" FOREIGN KEY ("toolId") REFERENCES "Tool"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ToolExecution_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "ToolExecution_input_json" CHECK (json_valid("input")),
    CONSTRAINT "ToolExecution_output_json" CHECK ("output" IS NULL OR json_valid("output")),
    CONSTRAINT "ToolExecution_status_enum" CHECK ("status" IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED')),
    CONSTRAINT "ToolExecution_startedAt_timestamp" CHECK ("startedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "ToolExecution_completedAt_timestamp" CHECK ("completedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "ToolExecution_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE TABLE "QueueJob" (
    "id" TEXT NOT NULL DEFAULT (ferry_cuid()),
    "queue" TEXT NOT NULL,
    "jobId" TEXT NOT NULL,
    "taskId" TEXT,
    "data" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'waiting',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "error" TEXT,
    "result" TEXT,
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    "startedAt" TEXT,
    "completedAt" TEXT,
    "failedAt" TEXT,
    CONSTRAINT "QueueJob_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "QueueJob_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "QueueJob_queue_enum" CHECK ("queue" IN ('TASK', 'BROWSER', 'MEDIA', 'EMAIL')),
    CONSTRAINT "QueueJob_data_json" CHECK (json_valid("data")),
    CONSTRAINT "QueueJob_result_json" CHECK ("result" IS NULL OR json_valid("result")),
    CONSTRAINT "QueueJob_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "QueueJob_startedAt_timestamp" CHECK ("startedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "QueueJob_completedAt_timestamp" CHECK ("completedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "QueueJob_failedAt_timestamp" CHECK ("failedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z')
) STRICT;

CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE INDEX "User_email_idx" ON "User"("email");
CREATE UNIQUE INDEX "UserProfile_userId_key" ON "UserProfile"("userId");
CREATE INDEX "UserProfile_userId_idx" ON "UserProfile"("userId");
CREATE INDEX "Task_userId_idx" ON "Task"("userId");
CREATE INDEX "Task_status_idx" ON "Task"("status");
CREATE INDEX "Task_createdAt_idx" ON "Task"("createdAt");
CREATE INDEX "TaskLog_taskId_idx" ON "TaskLog"("taskId");
CREATE INDEX "TaskLog_timestamp_idx" ON "TaskLog"("timestamp");
CREATE INDEX "TaskArtifact_taskId_idx" ON "TaskArtifact"("taskId");
CREATE UNIQUE INDEX "Tool_name_key" ON "Tool"("name");
CREATE INDEX "Tool_category_idx" ON "Tool"("category");
CREATE INDEX "Tool_enabled_idx" ON "Tool"("enabled");
CREATE INDEX "ToolExecution_toolId_idx" ON "ToolExecution"("toolId");
CREATE INDEX "ToolExecution_taskId_idx" ON "ToolExecution"("taskId");
CREATE INDEX "ToolExecution_status_idx" ON "ToolExecution"("status");
CREATE INDEX "ToolExecution_createdAt_idx" ON "ToolExecution"("createdAt");
CREATE UNIQUE INDEX "QueueJob_jobId_key" ON "QueueJob"("jobId");
CREATE INDEX "QueueJob_queue_idx" ON "QueueJob"("queue");
CREATE INDEX "QueueJob_jobId_idx" ON "QueueJob"("jobId");
CREATE INDEX "QueueJob_taskId_idx" ON "QueueJob"("taskId");
CREATE INDEX "QueueJob_status_idx" ON "QueueJob"("status");

-- @updatedAt maintenance, the device half of aiflowo_set_updated_at(): a local UPDATE that does
-- not set "updatedAt" itself gets the current time; applying a synced row (ferry_capturing() = 0)
-- keeps the synced value. Inserts take the column DEFAULT.
CREATE TRIGGER "User_set_updatedAt" AFTER UPDATE ON "User"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "User" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "UserProfile_set_updatedAt" AFTER UPDATE ON "UserProfile"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "UserProfile" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;

CREATE TRIGGER "Task_set_updatedAt" AFTER UPDATE ON "Task"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "Task" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;

-- "usageCount" is a counter, not an edit of the tool: an UPDATE that sets only "usageCount"
-- (record_tool_execution) leaves "updatedAt" alone, as on the cloud side.
CREATE TRIGGER "Tool_set_updatedAt"
AFTER UPDATE OF "id", "name", "displayName", "description", "category", "schema", "enabled", "createdAt", "updatedAt" ON "Tool"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "Tool" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id";
END;
