-- agentchat (seed 002), device schema version 1: the seed's 14 tables and every index it names
-- in SQLite, typed per sql/README.md, plus the device forms of its triggers and two views.
-- auth.users does not exist on a device: user_id columns are plain UUID text here, as they are
-- (without a foreign key) in the cloud. Checks beyond the type mapping: lowercase canonical
-- UUIDs and VARCHAR(n) lengths, so a value the cloud would refuse is refused here first.

-- Chat: a conversation between a user and the AI agents.
CREATE TABLE "Chat" (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "Chat_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "Chat_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    title TEXT NOT NULL,
    user_id TEXT NOT NULL
        CONSTRAINT "Chat_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    visibility TEXT NOT NULL DEFAULT 'private'
        CONSTRAINT "Chat_visibility_length" CHECK (length(visibility) <= 10),
    "lastContext" TEXT
        CONSTRAINT "Chat_lastContext_json" CHECK ("lastContext" IS NULL OR json_valid("lastContext")),
    total_input_tokens INTEGER DEFAULT 0,
    total_output_tokens INTEGER DEFAULT 0,
    total_cost TEXT DEFAULT '0'
        CONSTRAINT "Chat_total_cost_decimal" CHECK (total_cost NOT GLOB '*[^0-9.-]*' AND total_cost NOT GLOB '?*-*' AND ltrim(total_cost, '-') GLOB '[0-9]*' AND ltrim(total_cost, '-') NOT GLOB '*.' AND ltrim(total_cost, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(total_cost, '-'), '.') > 0 THEN substr(ltrim(total_cost, '-'), 1, instr(ltrim(total_cost, '-'), '.') - 1) ELSE ltrim(total_cost, '-') END) <= 4 AND (instr(total_cost, '.') = 0 OR length(total_cost) - instr(total_cost, '.') <= 6)),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "Chat_updated_at_timestamp" CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Chat_pkey" PRIMARY KEY (id)
) STRICT;

-- Message_v2: one message of a chat.
CREATE TABLE "Message_v2" (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "Message_v2_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "chatId" TEXT NOT NULL
        CONSTRAINT "Message_v2_chatId_uuid" CHECK ("chatId" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    role TEXT NOT NULL
        CONSTRAINT "Message_v2_role_length" CHECK (length(role) <= 20),
    parts TEXT NOT NULL
        CONSTRAINT "Message_v2_parts_json" CHECK (parts IS NULL OR json_valid(parts)),
    attachments TEXT NOT NULL DEFAULT '[]'
        CONSTRAINT "Message_v2_attachments_json" CHECK (attachments IS NULL OR json_valid(attachments)),
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "Message_v2_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    model_used TEXT
        CONSTRAINT "Message_v2_model_used_length" CHECK (length(model_used) <= 100),
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost TEXT
        CONSTRAINT "Message_v2_cost_decimal" CHECK (cost NOT GLOB '*[^0-9.-]*' AND cost NOT GLOB '?*-*' AND ltrim(cost, '-') GLOB '[0-9]*' AND ltrim(cost, '-') NOT GLOB '*.' AND ltrim(cost, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(cost, '-'), '.') > 0 THEN substr(ltrim(cost, '-'), 1, instr(ltrim(cost, '-'), '.') - 1) ELSE ltrim(cost, '-') END) <= 4 AND (instr(cost, '.') = 0 OR length(cost) - instr(cost, '.') <= 6)),
    CONSTRAINT "Message_v2_pkey" PRIMARY KEY (id),
    CONSTRAINT "Message_v2_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat" (id) ON DELETE CASCADE
) STRICT;

-- Vote_v2: a user's up- or downvote of a message.
CREATE TABLE "Vote_v2" (
    "chatId" TEXT NOT NULL
        CONSTRAINT "Vote_v2_chatId_uuid" CHECK ("chatId" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "messageId" TEXT NOT NULL
        CONSTRAINT "Vote_v2_messageId_uuid" CHECK ("messageId" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "isUpvoted" INTEGER NOT NULL
        CONSTRAINT "Vote_v2_isUpvoted_boolean" CHECK ("isUpvoted" IN (0, 1)),
    CONSTRAINT "Vote_v2_pkey" PRIMARY KEY ("chatId", "messageId"),
    CONSTRAINT "Vote_v2_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat" (id) ON DELETE CASCADE,
    CONSTRAINT "Vote_v2_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message_v2" (id) ON DELETE CASCADE
) STRICT;

-- Document: one saved version of an artifact; all versions share id, createdAt tells them apart.
CREATE TABLE "Document" (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "Document_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "Document_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    title TEXT NOT NULL,
    content TEXT,
    kind TEXT NOT NULL DEFAULT 'text'
        CONSTRAINT "Document_kind_length" CHECK (length(kind) <= 20),
    user_id TEXT NOT NULL
        CONSTRAINT "Document_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    chat_id TEXT
        CONSTRAINT "Document_chat_id_uuid" CHECK (chat_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    parent_version_id TEXT
        CONSTRAINT "Document_parent_version_id_uuid" CHECK (parent_version_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    version_number INTEGER NOT NULL DEFAULT 1,
    metadata TEXT DEFAULT '{}'
        CONSTRAINT "Document_metadata_json" CHECK (metadata IS NULL OR json_valid(metadata)),
    CONSTRAINT "Document_pkey" PRIMARY KEY (id, "createdAt"),
    CONSTRAINT "Document_chat_id_fkey" FOREIGN KEY (chat_id) REFERENCES "Chat" (id) ON DELETE CASCADE
) STRICT;

-- Suggestion: an inline edit proposed for one document version.
CREATE TABLE "Suggestion" (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "Suggestion_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "documentId" TEXT NOT NULL
        CONSTRAINT "Suggestion_documentId_uuid" CHECK ("documentId" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "documentCreatedAt" TEXT NOT NULL
        CONSTRAINT "Suggestion_documentCreatedAt_timestamp" CHECK ("documentCreatedAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    "originalText" TEXT NOT NULL,
    "suggestedText" TEXT NOT NULL,
    description TEXT,
    "isResolved" INTEGER NOT NULL DEFAULT 0
        CONSTRAINT "Suggestion_isResolved_boolean" CHECK ("isResolved" IN (0, 1)),
    user_id TEXT NOT NULL
        CONSTRAINT "Suggestion_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "Suggestion_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Suggestion_pkey" PRIMARY KEY (id),
    CONSTRAINT "Suggestion_documentId_documentCreatedAt_fkey" FOREIGN KEY ("documentId", "documentCreatedAt") REFERENCES "Document" (id, "createdAt") ON DELETE CASCADE
) STRICT;

-- Stream: a streaming response session of a chat.
CREATE TABLE "Stream" (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "Stream_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "chatId" TEXT NOT NULL
        CONSTRAINT "Stream_chatId_uuid" CHECK ("chatId" GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "Stream_createdAt_timestamp" CHECK ("createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "Stream_pkey" PRIMARY KEY (id),
    CONSTRAINT "Stream_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat" (id) ON DELETE CASCADE
) STRICT;

-- admin_config: agent configurations ({agent_type}_{provider}) and the app_settings and
-- logging_settings documents.
CREATE TABLE admin_config (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "admin_config_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    config_key TEXT NOT NULL
        CONSTRAINT "admin_config_config_key_length" CHECK (length(config_key) <= 100),
    config_data TEXT NOT NULL
        CONSTRAINT "admin_config_config_data_json" CHECK (config_data IS NULL OR json_valid(config_data)),
    updated_by TEXT
        CONSTRAINT "admin_config_updated_by_uuid" CHECK (updated_by GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "admin_config_updated_at_timestamp" CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "admin_config_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "admin_config_pkey" PRIMARY KEY (id),
    CONSTRAINT "admin_config_config_key_key" UNIQUE (config_key)
) STRICT;

-- model_config: AI models with pricing; at most one default per provider (trigger).
CREATE TABLE model_config (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "model_config_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    model_id TEXT NOT NULL
        CONSTRAINT "model_config_model_id_length" CHECK (length(model_id) <= 100),
    name TEXT NOT NULL
        CONSTRAINT "model_config_name_length" CHECK (length(name) <= 200),
    description TEXT,
    provider TEXT NOT NULL
        CONSTRAINT "model_config_provider_length" CHECK (length(provider) <= 50),
    is_active INTEGER DEFAULT 1
        CONSTRAINT "model_config_is_active_boolean" CHECK (is_active IN (0, 1)),
    is_default INTEGER DEFAULT 0
        CONSTRAINT "model_config_is_default_boolean" CHECK (is_default IN (0, 1)),
    thinking_enabled INTEGER DEFAULT 1
        CONSTRAINT "model_config_thinking_enabled_boolean" CHECK (thinking_enabled IN (0, 1)),
    input_pricing_per_million_tokens TEXT NOT NULL
        CONSTRAINT "model_config_input_pricing_per_million_tokens_decimal" CHECK (input_pricing_per_million_tokens NOT GLOB '*[^0-9.-]*' AND input_pricing_per_million_tokens NOT GLOB '?*-*' AND ltrim(input_pricing_per_million_tokens, '-') GLOB '[0-9]*' AND ltrim(input_pricing_per_million_tokens, '-') NOT GLOB '*.' AND ltrim(input_pricing_per_million_tokens, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(input_pricing_per_million_tokens, '-'), '.') > 0 THEN substr(ltrim(input_pricing_per_million_tokens, '-'), 1, instr(ltrim(input_pricing_per_million_tokens, '-'), '.') - 1) ELSE ltrim(input_pricing_per_million_tokens, '-') END) <= 6 AND (instr(input_pricing_per_million_tokens, '.') = 0 OR length(input_pricing_per_million_tokens) - instr(input_pricing_per_million_tokens, '.') <= 4)),
    output_pricing_per_million_tokens TEXT NOT NULL
        CONSTRAINT "model_config_output_pricing_per_million_tokens_decimal" CHECK (output_pricing_per_million_tokens NOT GLOB '*[^0-9.-]*' AND output_pricing_per_million_tokens NOT GLOB '?*-*' AND ltrim(output_pricing_per_million_tokens, '-') GLOB '[0-9]*' AND ltrim(output_pricing_per_million_tokens, '-') NOT GLOB '*.' AND ltrim(output_pricing_per_million_tokens, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(output_pricing_per_million_tokens, '-'), '.') > 0 THEN substr(ltrim(output_pricing_per_million_tokens, '-'), 1, instr(ltrim(output_pricing_per_million_tokens, '-'), '.') - 1) ELSE ltrim(output_pricing_per_million_tokens, '-') END) <= 6 AND (instr(output_pricing_per_million_tokens, '.') = 0 OR length(output_pricing_per_million_tokens) - instr(output_pricing_per_million_tokens, '.') <= 4)),
    metadata TEXT DEFAULT '{}'
        CONSTRAINT "model_config_metadata_json" CHECK (metadata IS NULL OR json_valid(metadata)),
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "model_config_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "model_config_updated_at_timestamp" CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "model_config_pkey" PRIMARY KEY (id),
    CONSTRAINT "model_config_model_id_key" UNIQUE (model_id)
) STRICT;

-- usage_logs: one row per AI request, for usage analytics and cost tracking.
CREATE TABLE usage_logs (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "usage_logs_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    user_id TEXT NOT NULL
        CONSTRAINT "usage_logs_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    chat_id TEXT
        CONSTRAINT "usage_logs_chat_id_uuid" CHECK (chat_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    agent_type TEXT NOT NULL
        CONSTRAINT "usage_logs_agent_type_length" CHECK (length(agent_type) <= 50),
    model_used TEXT
        CONSTRAINT "usage_logs_model_used_length" CHECK (length(model_used) <= 100),
    provider TEXT
        CONSTRAINT "usage_logs_provider_length" CHECK (length(provider) <= 50),
    input_tokens INTEGER,
    output_tokens INTEGER,
    total_tokens INTEGER,
    input_cost TEXT
        CONSTRAINT "usage_logs_input_cost_decimal" CHECK (input_cost NOT GLOB '*[^0-9.-]*' AND input_cost NOT GLOB '?*-*' AND ltrim(input_cost, '-') GLOB '[0-9]*' AND ltrim(input_cost, '-') NOT GLOB '*.' AND ltrim(input_cost, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(input_cost, '-'), '.') > 0 THEN substr(ltrim(input_cost, '-'), 1, instr(ltrim(input_cost, '-'), '.') - 1) ELSE ltrim(input_cost, '-') END) <= 4 AND (instr(input_cost, '.') = 0 OR length(input_cost) - instr(input_cost, '.') <= 6)),
    output_cost TEXT
        CONSTRAINT "usage_logs_output_cost_decimal" CHECK (output_cost NOT GLOB '*[^0-9.-]*' AND output_cost NOT GLOB '?*-*' AND ltrim(output_cost, '-') GLOB '[0-9]*' AND ltrim(output_cost, '-') NOT GLOB '*.' AND ltrim(output_cost, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(output_cost, '-'), '.') > 0 THEN substr(ltrim(output_cost, '-'), 1, instr(ltrim(output_cost, '-'), '.') - 1) ELSE ltrim(output_cost, '-') END) <= 4 AND (instr(output_cost, '.') = 0 OR length(output_cost) - instr(output_cost, '.') <= 6)),
    total_cost TEXT
        CONSTRAINT "usage_logs_total_cost_decimal" CHECK (total_cost NOT GLOB '*[^0-9.-]*' AND total_cost NOT GLOB '?*-*' AND ltrim(total_cost, '-') GLOB '[0-9]*' AND ltrim(total_cost, '-') NOT GLOB '*.' AND ltrim(total_cost, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(total_cost, '-'), '.') > 0 THEN substr(ltrim(total_cost, '-'), 1, instr(ltrim(total_cost, '-'), '.') - 1) ELSE ltrim(total_cost, '-') END) <= 4 AND (instr(total_cost, '.') = 0 OR length(total_cost) - instr(total_cost, '.') <= 6)),
    request_timestamp TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "usage_logs_request_timestamp_timestamp" CHECK (request_timestamp GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    response_timestamp TEXT
        CONSTRAINT "usage_logs_response_timestamp_timestamp" CHECK (response_timestamp GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    duration_ms INTEGER,
    metadata TEXT
        CONSTRAINT "usage_logs_metadata_json" CHECK (metadata IS NULL OR json_valid(metadata)),
    CONSTRAINT "usage_logs_pkey" PRIMARY KEY (id),
    CONSTRAINT "usage_logs_chat_id_fkey" FOREIGN KEY (chat_id) REFERENCES "Chat" (id) ON DELETE SET NULL
) STRICT;

-- rate_limit_tracking: requests per user, agent and period, for rate limits.
CREATE TABLE rate_limit_tracking (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "rate_limit_tracking_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    user_id TEXT NOT NULL
        CONSTRAINT "rate_limit_tracking_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    agent_type TEXT NOT NULL
        CONSTRAINT "rate_limit_tracking_agent_type_length" CHECK (length(agent_type) <= 50),
    period_start TEXT NOT NULL
        CONSTRAINT "rate_limit_tracking_period_start_timestamp" CHECK (period_start GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    period_end TEXT NOT NULL
        CONSTRAINT "rate_limit_tracking_period_end_timestamp" CHECK (period_end GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    request_count INTEGER DEFAULT 0,
    limit_type TEXT NOT NULL
        CONSTRAINT "rate_limit_tracking_limit_type_length" CHECK (length(limit_type) <= 20),
    limit_value INTEGER NOT NULL,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "rate_limit_tracking_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "rate_limit_tracking_pkey" PRIMARY KEY (id)
) STRICT;

-- github_repositories: a user's connected GitHub repositories (Git MCP agent).
CREATE TABLE github_repositories (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "github_repositories_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    user_id TEXT NOT NULL
        CONSTRAINT "github_repositories_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    repo_owner TEXT NOT NULL
        CONSTRAINT "github_repositories_repo_owner_length" CHECK (length(repo_owner) <= 100),
    repo_name TEXT NOT NULL
        CONSTRAINT "github_repositories_repo_name_length" CHECK (length(repo_name) <= 100),
    repo_url TEXT,
    default_branch TEXT DEFAULT 'main'
        CONSTRAINT "github_repositories_default_branch_length" CHECK (length(default_branch) <= 100),
    is_active INTEGER DEFAULT 1
        CONSTRAINT "github_repositories_is_active_boolean" CHECK (is_active IN (0, 1)),
    last_accessed TEXT
        CONSTRAINT "github_repositories_last_accessed_timestamp" CHECK (last_accessed GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "github_repositories_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "github_repositories_pkey" PRIMARY KEY (id)
) STRICT;

-- error_logs: application errors, for monitoring and debugging.
CREATE TABLE error_logs (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "error_logs_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    user_id TEXT
        CONSTRAINT "error_logs_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    error_type TEXT NOT NULL
        CONSTRAINT "error_logs_error_type_length" CHECK (length(error_type) <= 50),
    error_category TEXT NOT NULL
        CONSTRAINT "error_logs_error_category_length" CHECK (length(error_category) <= 100),
    error_message TEXT NOT NULL,
    error_details TEXT
        CONSTRAINT "error_logs_error_details_json" CHECK (error_details IS NULL OR json_valid(error_details)),
    request_path TEXT
        CONSTRAINT "error_logs_request_path_length" CHECK (length(request_path) <= 500),
    request_method TEXT
        CONSTRAINT "error_logs_request_method_length" CHECK (length(request_method) <= 10),
    user_agent TEXT,
    ip_address TEXT
        CONSTRAINT "error_logs_ip_address_length" CHECK (length(ip_address) <= 45),
    session_id TEXT
        CONSTRAINT "error_logs_session_id_length" CHECK (length(session_id) <= 100),
    severity TEXT NOT NULL DEFAULT 'error'
        CONSTRAINT "error_logs_severity_length" CHECK (length(severity) <= 20),
    resolved INTEGER DEFAULT 0
        CONSTRAINT "error_logs_resolved_boolean" CHECK (resolved IN (0, 1)),
    resolved_by TEXT
        CONSTRAINT "error_logs_resolved_by_uuid" CHECK (resolved_by GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    resolved_at TEXT
        CONSTRAINT "error_logs_resolved_at_timestamp" CHECK (resolved_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    resolution_notes TEXT,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "error_logs_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "error_logs_pkey" PRIMARY KEY (id)
) STRICT;

-- user_activity_logs: user actions (audit trail, analytics); correlation_id links agent logs.
CREATE TABLE user_activity_logs (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "user_activity_logs_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    user_id TEXT NOT NULL
        CONSTRAINT "user_activity_logs_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    correlation_id TEXT NOT NULL
        CONSTRAINT "user_activity_logs_correlation_id_uuid" CHECK (correlation_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    activity_type TEXT NOT NULL
        CONSTRAINT "user_activity_logs_activity_type_length" CHECK (length(activity_type) <= 50),
    activity_category TEXT NOT NULL
        CONSTRAINT "user_activity_logs_activity_category_length" CHECK (length(activity_category) <= 50),
    activity_metadata TEXT DEFAULT '{}'
        CONSTRAINT "user_activity_logs_activity_metadata_json" CHECK (activity_metadata IS NULL OR json_valid(activity_metadata)),
    resource_id TEXT
        CONSTRAINT "user_activity_logs_resource_id_uuid" CHECK (resource_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    resource_type TEXT
        CONSTRAINT "user_activity_logs_resource_type_length" CHECK (length(resource_type) <= 50),
    ip_address TEXT
        CONSTRAINT "user_activity_logs_ip_address_length" CHECK (length(ip_address) <= 45),
    user_agent TEXT,
    request_path TEXT
        CONSTRAINT "user_activity_logs_request_path_length" CHECK (length(request_path) <= 500),
    request_method TEXT
        CONSTRAINT "user_activity_logs_request_method_length" CHECK (length(request_method) <= 10),
    session_id TEXT
        CONSTRAINT "user_activity_logs_session_id_length" CHECK (length(session_id) <= 100),
    success INTEGER DEFAULT 1
        CONSTRAINT "user_activity_logs_success_boolean" CHECK (success IN (0, 1)),
    error_message TEXT,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "user_activity_logs_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "user_activity_logs_pkey" PRIMARY KEY (id)
) STRICT;

-- agent_activity_logs: AI agent operations with timing, tokens and cost; user_id NULL for
-- system operations.
CREATE TABLE agent_activity_logs (
    id TEXT NOT NULL DEFAULT (ferry_uuid())
        CONSTRAINT "agent_activity_logs_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    user_id TEXT
        CONSTRAINT "agent_activity_logs_user_id_uuid" CHECK (user_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    correlation_id TEXT NOT NULL
        CONSTRAINT "agent_activity_logs_correlation_id_uuid" CHECK (correlation_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    agent_type TEXT NOT NULL
        CONSTRAINT "agent_activity_logs_agent_type_length" CHECK (length(agent_type) <= 50),
    operation_type TEXT NOT NULL
        CONSTRAINT "agent_activity_logs_operation_type_length" CHECK (length(operation_type) <= 50),
    operation_category TEXT NOT NULL
        CONSTRAINT "agent_activity_logs_operation_category_length" CHECK (length(operation_category) <= 50),
    operation_metadata TEXT DEFAULT '{}'
        CONSTRAINT "agent_activity_logs_operation_metadata_json" CHECK (operation_metadata IS NULL OR json_valid(operation_metadata)),
    resource_id TEXT
        CONSTRAINT "agent_activity_logs_resource_id_uuid" CHECK (resource_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    resource_type TEXT
        CONSTRAINT "agent_activity_logs_resource_type_length" CHECK (length(resource_type) <= 50),
    duration_ms INTEGER,
    start_time TEXT
        CONSTRAINT "agent_activity_logs_start_time_timestamp" CHECK (start_time GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    end_time TEXT
        CONSTRAINT "agent_activity_logs_end_time_timestamp" CHECK (end_time GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    model_id TEXT
        CONSTRAINT "agent_activity_logs_model_id_length" CHECK (length(model_id) <= 100),
    provider TEXT
        CONSTRAINT "agent_activity_logs_provider_length" CHECK (length(provider) <= 50),
    thinking_mode INTEGER DEFAULT 0
        CONSTRAINT "agent_activity_logs_thinking_mode_boolean" CHECK (thinking_mode IN (0, 1)),
    input_tokens INTEGER,
    output_tokens INTEGER,
    reasoning_tokens INTEGER,
    total_tokens INTEGER,
    input_cost TEXT
        CONSTRAINT "agent_activity_logs_input_cost_decimal" CHECK (input_cost NOT GLOB '*[^0-9.-]*' AND input_cost NOT GLOB '?*-*' AND ltrim(input_cost, '-') GLOB '[0-9]*' AND ltrim(input_cost, '-') NOT GLOB '*.' AND ltrim(input_cost, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(input_cost, '-'), '.') > 0 THEN substr(ltrim(input_cost, '-'), 1, instr(ltrim(input_cost, '-'), '.') - 1) ELSE ltrim(input_cost, '-') END) <= 4 AND (instr(input_cost, '.') = 0 OR length(input_cost) - instr(input_cost, '.') <= 6)),
    output_cost TEXT
        CONSTRAINT "agent_activity_logs_output_cost_decimal" CHECK (output_cost NOT GLOB '*[^0-9.-]*' AND output_cost NOT GLOB '?*-*' AND ltrim(output_cost, '-') GLOB '[0-9]*' AND ltrim(output_cost, '-') NOT GLOB '*.' AND ltrim(output_cost, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(output_cost, '-'), '.') > 0 THEN substr(ltrim(output_cost, '-'), 1, instr(ltrim(output_cost, '-'), '.') - 1) ELSE ltrim(output_cost, '-') END) <= 4 AND (instr(output_cost, '.') = 0 OR length(output_cost) - instr(output_cost, '.') <= 6)),
    total_cost TEXT
        CONSTRAINT "agent_activity_logs_total_cost_decimal" CHECK (total_cost NOT GLOB '*[^0-9.-]*' AND total_cost NOT GLOB '?*-*' AND ltrim(total_cost, '-') GLOB '[0-9]*' AND ltrim(total_cost, '-') NOT GLOB '*.' AND ltrim(total_cost, '-') NOT GLOB '*.*.*' AND length(CASE WHEN instr(ltrim(total_cost, '-'), '.') > 0 THEN substr(ltrim(total_cost, '-'), 1, instr(ltrim(total_cost, '-'), '.') - 1) ELSE ltrim(total_cost, '-') END) <= 4 AND (instr(total_cost, '.') = 0 OR length(total_cost) - instr(total_cost, '.') <= 6)),
    success INTEGER DEFAULT 1
        CONSTRAINT "agent_activity_logs_success_boolean" CHECK (success IN (0, 1)),
    error_type TEXT
        CONSTRAINT "agent_activity_logs_error_type_length" CHECK (length(error_type) <= 100),
    error_message TEXT,
    retry_count INTEGER DEFAULT 0,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "agent_activity_logs_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    CONSTRAINT "agent_activity_logs_pkey" PRIMARY KEY (id)
) STRICT;

-- Indexes: every index the seed names, with the cloud's names.
CREATE INDEX idx_chat_user_id ON "Chat" (user_id);
CREATE INDEX idx_chat_user_created ON "Chat" (user_id, "createdAt" DESC);
CREATE INDEX idx_message_chat ON "Message_v2" ("chatId", "createdAt");
CREATE INDEX idx_document_user_id ON "Document" (user_id);
CREATE INDEX idx_document_user ON "Document" (user_id, "createdAt" DESC);
CREATE INDEX idx_document_versions ON "Document" (id, version_number DESC);
CREATE INDEX idx_document_chat ON "Document" (chat_id, "createdAt" DESC);
CREATE INDEX idx_document_parent ON "Document" (parent_version_id);
CREATE INDEX idx_document_kind ON "Document" (kind, "createdAt" DESC);
CREATE INDEX idx_suggestion_user_id ON "Suggestion" (user_id);
CREATE INDEX idx_usage_logs_user_id ON usage_logs (user_id);
CREATE INDEX idx_usage_logs_user_timestamp ON usage_logs (user_id, request_timestamp DESC);
CREATE INDEX idx_usage_logs_agent_timestamp ON usage_logs (agent_type, request_timestamp DESC);
CREATE INDEX idx_usage_logs_date_range ON usage_logs (request_timestamp);
CREATE INDEX idx_usage_logs_model_provider ON usage_logs (model_used, provider, request_timestamp DESC);
CREATE INDEX idx_usage_logs_date_agent ON usage_logs (date(request_timestamp), agent_type);
CREATE INDEX idx_usage_logs_cost_date ON usage_logs (request_timestamp DESC, total_cost) WHERE total_cost IS NOT NULL;
CREATE INDEX idx_rate_limit_user_id ON rate_limit_tracking (user_id);
CREATE INDEX idx_rate_limit_user_agent ON rate_limit_tracking (user_id, agent_type, period_start);
CREATE INDEX idx_rate_limit_user_agent_period ON rate_limit_tracking (user_id, agent_type, period_start DESC, period_end DESC);
CREATE INDEX idx_github_repos_user_id ON github_repositories (user_id);
CREATE INDEX idx_github_repos_user ON github_repositories (user_id, is_active);
CREATE INDEX idx_github_repos_user_active ON github_repositories (user_id, is_active, last_accessed DESC);
CREATE INDEX idx_error_logs_user_id ON error_logs (user_id);
CREATE INDEX idx_error_logs_error_type ON error_logs (error_type);
CREATE INDEX idx_error_logs_error_category ON error_logs (error_category);
CREATE INDEX idx_error_logs_severity ON error_logs (severity);
CREATE INDEX idx_error_logs_created_at ON error_logs (created_at DESC);
CREATE INDEX idx_error_logs_resolved ON error_logs (resolved);
CREATE INDEX idx_error_logs_user_created ON error_logs (user_id, created_at DESC);
CREATE INDEX idx_error_logs_type_severity ON error_logs (error_type, severity);
CREATE INDEX idx_admin_config_key ON admin_config (config_key);
CREATE INDEX idx_admin_config_updated ON admin_config (updated_at DESC);
CREATE INDEX idx_model_config_model_id ON model_config (model_id);
CREATE INDEX idx_model_config_provider ON model_config (provider);
CREATE INDEX idx_model_config_provider_active ON model_config (provider, is_active);
CREATE INDEX idx_model_config_provider_default ON model_config (provider, is_default) WHERE is_default = 1;
CREATE INDEX idx_model_config_active ON model_config (is_active) WHERE is_active = 1;
CREATE INDEX idx_user_activity_user_id ON user_activity_logs (user_id);
CREATE INDEX idx_user_activity_correlation ON user_activity_logs (correlation_id);
CREATE INDEX idx_user_activity_type ON user_activity_logs (activity_type);
CREATE INDEX idx_user_activity_category ON user_activity_logs (activity_category);
CREATE INDEX idx_user_activity_created ON user_activity_logs (created_at DESC);
CREATE INDEX idx_user_activity_user_created ON user_activity_logs (user_id, created_at DESC);
CREATE INDEX idx_user_activity_resource ON user_activity_logs (resource_type, resource_id);
CREATE INDEX idx_user_activity_success ON user_activity_logs (success, created_at DESC);
CREATE INDEX idx_user_activity_user_type_date ON user_activity_logs (user_id, activity_type, created_at DESC);
CREATE INDEX idx_agent_activity_user_id ON agent_activity_logs (user_id);
CREATE INDEX idx_agent_activity_correlation ON agent_activity_logs (correlation_id);
CREATE INDEX idx_agent_activity_agent_type ON agent_activity_logs (agent_type);
CREATE INDEX idx_agent_activity_operation ON agent_activity_logs (operation_type);
CREATE INDEX idx_agent_activity_category ON agent_activity_logs (operation_category);
CREATE INDEX idx_agent_activity_created ON agent_activity_logs (created_at DESC);
CREATE INDEX idx_agent_activity_model ON agent_activity_logs (model_id, provider);
CREATE INDEX idx_agent_activity_success ON agent_activity_logs (success, created_at DESC);
CREATE INDEX idx_agent_activity_resource ON agent_activity_logs (resource_type, resource_id);
CREATE INDEX idx_agent_activity_duration ON agent_activity_logs (agent_type, duration_ms) WHERE duration_ms IS NOT NULL;
CREATE INDEX idx_agent_activity_cost ON agent_activity_logs (created_at DESC, total_cost) WHERE total_cost IS NOT NULL;
CREATE INDEX idx_agent_activity_agent_op_date ON agent_activity_logs (agent_type, operation_type, created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- Triggers: the device forms of the seed's trigger functions. All of them act on local writes
-- only (WHEN ferry_capturing()): rows pulled from the cloud were checked there and carry the
-- cloud's values, which must not be rewritten or refused here.
-- ---------------------------------------------------------------------------------------------

-- update_admin_config_timestamp(): updated_at becomes the time of the update, unless the writer
-- set it.
CREATE TRIGGER trigger_admin_config_updated_at
AFTER UPDATE ON admin_config
WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE admin_config SET updated_at = ferry_now() WHERE id = NEW.id;
END;

-- update_model_config_timestamp(): the same for model_config.
CREATE TRIGGER trigger_model_config_updated_at
AFTER UPDATE ON model_config
WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE model_config SET updated_at = ferry_now() WHERE id = NEW.id;
END;

-- ensure_single_default_model_per_provider(), part 1: a new default clears the flag on the
-- provider's other models (after the write, so part 2 sees the new default).
CREATE TRIGGER trigger_ensure_single_default_model_insert
AFTER INSERT ON model_config
WHEN ferry_capturing() AND NEW.is_default = 1
BEGIN
    UPDATE model_config SET is_default = 0
     WHERE provider = NEW.provider AND model_id <> NEW.model_id AND is_default = 1;
END;

CREATE TRIGGER trigger_ensure_single_default_model_update
AFTER UPDATE ON model_config
WHEN ferry_capturing() AND NEW.is_default = 1
BEGIN
    UPDATE model_config SET is_default = 0
     WHERE provider = NEW.provider AND model_id <> NEW.model_id AND is_default = 1;
END;

-- ensure_single_default_model_per_provider(), part 2: the provider's only default keeps its flag.
CREATE TRIGGER trigger_ensure_default_model_kept
BEFORE UPDATE ON model_config
WHEN ferry_capturing() AND OLD.is_default = 1 AND NEW.is_default IS NOT 1
BEGIN
    SELECT RAISE(ABORT, 'model_config.is_default: cannot remove the default flag, at least one model must be default for its provider')
     WHERE NOT EXISTS (SELECT 1 FROM model_config
                        WHERE provider = NEW.provider AND model_id <> NEW.model_id AND is_default = 1);
END;

-- validate_admin_config_data(): the structure of agent configurations, for keys matching the
-- seed's LIKE patterns ('chat_model_agent_%', ...; "_" matches any one character, so GLOB '?').
-- Malformed JSON is left to the admin_config_config_data_json check.
CREATE TRIGGER trigger_validate_admin_config_insert
BEFORE INSERT ON admin_config
WHEN ferry_capturing() AND json_valid(NEW.config_data)
     AND (NEW.config_key GLOB 'chat?model?agent?*' OR NEW.config_key GLOB 'provider?tools?agent?*' OR NEW.config_key GLOB 'document?agent?*' OR NEW.config_key GLOB 'python?agent?*' OR NEW.config_key GLOB 'mermaid?agent?*' OR NEW.config_key GLOB 'git?mcp?agent?*')
BEGIN
    SELECT RAISE(ABORT, 'admin_config.config_data: an agent configuration must be an object with an enabled field')
     WHERE json_type(NEW.config_data) IS NOT 'object' OR json_type(NEW.config_data, '$.enabled') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: an agent configuration must include rateLimit')
     WHERE json_type(NEW.config_data, '$.rateLimit') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: rateLimit must include perMinute, perHour and perDay')
     WHERE json_type(NEW.config_data, '$.rateLimit') IS NOT 'object' OR json_type(NEW.config_data, '$.rateLimit.perMinute') IS NULL OR json_type(NEW.config_data, '$.rateLimit.perHour') IS NULL OR json_type(NEW.config_data, '$.rateLimit.perDay') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: document, python, mermaid and git MCP agent configurations must include tools')
     WHERE (NEW.config_key GLOB 'document?agent?*' OR NEW.config_key GLOB 'python?agent?*' OR NEW.config_key GLOB 'mermaid?agent?*' OR NEW.config_key GLOB 'git?mcp?agent?*') AND json_type(NEW.config_data, '$.tools') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: a provider tools agent configuration must include systemPrompt')
     WHERE NEW.config_key GLOB 'provider?tools?agent?*' AND json_type(NEW.config_data, '$.systemPrompt') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: a chat model agent configuration must include capabilities')
     WHERE NEW.config_key GLOB 'chat?model?agent?*' AND json_type(NEW.config_data, '$.capabilities') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: a chat model agent configuration must include tools')
     WHERE NEW.config_key GLOB 'chat?model?agent?*' AND json_type(NEW.config_data, '$.tools') IS NULL;
END;

CREATE TRIGGER trigger_validate_admin_config_update
BEFORE UPDATE ON admin_config
WHEN ferry_capturing() AND json_valid(NEW.config_data)
     AND (NEW.config_key GLOB 'chat?model?agent?*' OR NEW.config_key GLOB 'provider?tools?agent?*' OR NEW.config_key GLOB 'document?agent?*' OR NEW.config_key GLOB 'python?agent?*' OR NEW.config_key GLOB 'mermaid?agent?*' OR NEW.config_key GLOB 'git?mcp?agent?*')
BEGIN
    SELECT RAISE(ABORT, 'admin_config.config_data: an agent configuration must be an object with an enabled field')
     WHERE json_type(NEW.config_data) IS NOT 'object' OR json_type(NEW.config_data, '$.enabled') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: an agent configuration must include rateLimit')
     WHERE json_type(NEW.config_data, '$.rateLimit') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: rateLimit must include perMinute, perHour and perDay')
     WHERE json_type(NEW.config_data, '$.rateLimit') IS NOT 'object' OR json_type(NEW.config_data, '$.rateLimit.perMinute') IS NULL OR json_type(NEW.config_data, '$.rateLimit.perHour') IS NULL OR json_type(NEW.config_data, '$.rateLimit.perDay') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: document, python, mermaid and git MCP agent configurations must include tools')
     WHERE (NEW.config_key GLOB 'document?agent?*' OR NEW.config_key GLOB 'python?agent?*' OR NEW.config_key GLOB 'mermaid?agent?*' OR NEW.config_key GLOB 'git?mcp?agent?*') AND json_type(NEW.config_data, '$.tools') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: a provider tools agent configuration must include systemPrompt')
     WHERE NEW.config_key GLOB 'provider?tools?agent?*' AND json_type(NEW.config_data, '$.systemPrompt') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: a chat model agent configuration must include capabilities')
     WHERE NEW.config_key GLOB 'chat?model?agent?*' AND json_type(NEW.config_data, '$.capabilities') IS NULL;
    SELECT RAISE(ABORT, 'admin_config.config_data: a chat model agent configuration must include tools')
     WHERE NEW.config_key GLOB 'chat?model?agent?*' AND json_type(NEW.config_data, '$.tools') IS NULL;
END;

-- ---------------------------------------------------------------------------------------------
-- Views: the device forms of the seed's versioned documents and usage summary.
-- ---------------------------------------------------------------------------------------------

-- The latest version of each document: the row with the newest "createdAt" of its id.
CREATE VIEW document_latest AS
SELECT d.*
  FROM "Document" d
 WHERE d."createdAt" = (SELECT max(v."createdAt") FROM "Document" v WHERE v.id = d.id);

-- get_current_user_usage_summary() per user over all time (the typed helper
-- ferry::apps::agentchat::usage_summary() takes a date range). Costs are summed exactly in
-- millionths and shown as decimal text with six places, as PostgreSQL sums DECIMAL(10,6).
CREATE VIEW usage_summary AS
WITH per_agent AS (
    SELECT user_id,
           agent_type,
           count(*) AS calls,
           coalesce(sum(input_tokens), 0) AS input_tokens,
           coalesce(sum(output_tokens), 0) AS output_tokens,
           coalesce(sum(total_tokens), 0) AS tokens,
           sum(CAST(round(CAST(total_cost AS REAL) * 1000000) AS INTEGER)) AS cost_micros
      FROM usage_logs
     GROUP BY user_id, agent_type
),
per_agent_text AS (
    SELECT *,
           CASE WHEN cost_micros IS NULL THEN '0'
                ELSE (CASE WHEN cost_micros < 0 THEN '-' ELSE '' END) || (abs(cost_micros) / 1000000) || '.' ||
                     printf('%06d', abs(cost_micros) % 1000000)
           END AS cost
      FROM per_agent
),
per_user AS (
    SELECT user_id,
           sum(calls) AS total_calls,
           sum(input_tokens) AS total_input_tokens,
           sum(output_tokens) AS total_output_tokens,
           sum(tokens) AS total_tokens,
           sum(cost_micros) AS cost_micros,
           json_group_object(agent_type, json_object('cost', json(cost), 'calls', calls, 'tokens', tokens)) AS agent_breakdown
      FROM per_agent_text
     GROUP BY user_id
)
SELECT user_id,
       total_calls,
       total_input_tokens,
       total_output_tokens,
       total_tokens,
       CASE WHEN cost_micros IS NULL THEN '0'
            ELSE (CASE WHEN cost_micros < 0 THEN '-' ELSE '' END) || (abs(cost_micros) / 1000000) || '.' ||
                 printf('%06d', abs(cost_micros) % 1000000)
       END AS total_cost,
       agent_breakdown
  FROM per_user;
