-- agentchat (seed 002), cloud schema version 1: the seed's 14 tables, every index it names, its
-- 13 functions and its triggers, on PostgreSQL 15 (Supabase or a stock server). Row-level
-- security follows in 0002_rls.sql, seed rows in 0003_seed_data.sql. Re-runnable, so it also
-- adopts an existing database of the app. Choices where the seed is implicit: ../README.md.

-- ---------------------------------------------------------------------------------------------
-- What the seed takes from Supabase. On Supabase all of this exists and is left alone; on a
-- stock server the missing pieces are created: schema auth, a minimal auth.users (the columns
-- the seed reads), auth.uid() / auth.jwt() / auth.role() as Supabase defines them (reading the
-- request.jwt.claims setting that PostgREST or Ferry's gateway sets per transaction), and the
-- roles anon, authenticated and service_role (NOLOGIN; service_role bypasses RLS as on Supabase).
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN
        BEGIN
            CREATE ROLE anon NOLOGIN NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created concurrently
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
        BEGIN
            CREATE ROLE authenticated NOLOGIN NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
        BEGIN
            CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            -- Only a superuser may grant BYPASSRLS; an installer with CREATEROLE gets the plain
            -- role, and service_role then needs explicit policies to see rows.
            WHEN insufficient_privilege THEN CREATE ROLE service_role NOLOGIN NOINHERIT;
        END;
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'auth') THEN
        CREATE SCHEMA auth;
        GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'auth' AND c.relname = 'users') THEN
        -- The columns of Supabase's auth.users that the seed relies on.
        CREATE TABLE auth.users (
            id UUID NOT NULL PRIMARY KEY,
            email VARCHAR(255),
            role VARCHAR(255),
            raw_app_meta_data JSONB,
            raw_user_meta_data JSONB,
            created_at TIMESTAMPTZ DEFAULT now(),
            updated_at TIMESTAMPTZ DEFAULT now()
        );
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                   JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'auth' AND p.proname = 'uid') THEN
        CREATE FUNCTION auth.uid() RETURNS UUID LANGUAGE sql STABLE AS $fn$
            SELECT coalesce(
                nullif(current_setting('request.jwt.claim.sub', true), ''),
                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
            )::uuid
        $fn$;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                   JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'auth' AND p.proname = 'role') THEN
        CREATE FUNCTION auth.role() RETURNS TEXT LANGUAGE sql STABLE AS $fn$
            SELECT coalesce(
                nullif(current_setting('request.jwt.claim.role', true), ''),
                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
            )::text
        $fn$;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                   JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'auth' AND p.proname = 'jwt') THEN
        CREATE FUNCTION auth.jwt() RETURNS JSONB LANGUAGE sql STABLE AS $fn$
            SELECT coalesce(
                nullif(current_setting('request.jwt.claim', true), ''),
                nullif(current_setting('request.jwt.claims', true), '')
            )::jsonb
        $fn$;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Tables. user_id columns name auth.users rows without a foreign key (the seed simulates it with
-- validate_user_id() and handle_auth_user_deletion(), since Supabase forbids cross-schema FKs).
-- Timestamps are TIMESTAMP(3) holding UTC, so every value is exactly representable on the device
-- (ISO-8601 with milliseconds); Document's key includes "createdAt".
-- ---------------------------------------------------------------------------------------------

-- Chat: a conversation between a user and the AI agents.
CREATE TABLE IF NOT EXISTS "Chat" (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    title TEXT NOT NULL,
    user_id UUID NOT NULL,
    visibility VARCHAR(10) NOT NULL DEFAULT 'private',
    "lastContext" JSONB,
    total_input_tokens INTEGER DEFAULT 0,
    total_output_tokens INTEGER DEFAULT 0,
    total_cost DECIMAL(10,6) DEFAULT 0,
    updated_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "Chat_pkey" PRIMARY KEY (id)
);

-- Message_v2: one message of a chat.
CREATE TABLE IF NOT EXISTS "Message_v2" (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    "chatId" UUID NOT NULL,
    role VARCHAR(20) NOT NULL,
    parts JSON NOT NULL,
    attachments JSON NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    model_used VARCHAR(100),
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost DECIMAL(10,6),
    CONSTRAINT "Message_v2_pkey" PRIMARY KEY (id),
    CONSTRAINT "Message_v2_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat" (id) ON DELETE CASCADE
);

-- Vote_v2: a user's up- or downvote of a message.
CREATE TABLE IF NOT EXISTS "Vote_v2" (
    "chatId" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "isUpvoted" BOOLEAN NOT NULL,
    CONSTRAINT "Vote_v2_pkey" PRIMARY KEY ("chatId", "messageId"),
    CONSTRAINT "Vote_v2_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat" (id) ON DELETE CASCADE,
    CONSTRAINT "Vote_v2_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message_v2" (id) ON DELETE CASCADE
);

-- Document: one saved version of an artifact; all versions share id, createdAt tells them apart.
CREATE TABLE IF NOT EXISTS "Document" (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    title TEXT NOT NULL,
    content TEXT,
    kind VARCHAR(20) NOT NULL DEFAULT 'text',
    user_id UUID NOT NULL,
    chat_id UUID,
    parent_version_id UUID,
    version_number INTEGER NOT NULL DEFAULT 1,
    metadata JSONB DEFAULT '{}',
    CONSTRAINT "Document_pkey" PRIMARY KEY (id, "createdAt"),
    CONSTRAINT "Document_chat_id_fkey" FOREIGN KEY (chat_id) REFERENCES "Chat" (id) ON DELETE CASCADE
);

-- Suggestion: an inline edit proposed for one document version.
CREATE TABLE IF NOT EXISTS "Suggestion" (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    "documentId" UUID NOT NULL,
    "documentCreatedAt" TIMESTAMP(3) NOT NULL,
    "originalText" TEXT NOT NULL,
    "suggestedText" TEXT NOT NULL,
    description TEXT,
    "isResolved" BOOLEAN NOT NULL DEFAULT false,
    user_id UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "Suggestion_pkey" PRIMARY KEY (id),
    CONSTRAINT "Suggestion_documentId_documentCreatedAt_fkey" FOREIGN KEY ("documentId", "documentCreatedAt") REFERENCES "Document" (id, "createdAt") ON DELETE CASCADE
);

-- Stream: a streaming response session of a chat.
CREATE TABLE IF NOT EXISTS "Stream" (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    "chatId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "Stream_pkey" PRIMARY KEY (id),
    CONSTRAINT "Stream_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat" (id) ON DELETE CASCADE
);

-- admin_config: agent configurations ({agent_type}_{provider}) and the app_settings and
-- logging_settings documents.
CREATE TABLE IF NOT EXISTS admin_config (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    config_key VARCHAR(100) NOT NULL,
    config_data JSONB NOT NULL,
    updated_by UUID,
    updated_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    created_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "admin_config_pkey" PRIMARY KEY (id),
    CONSTRAINT "admin_config_config_key_key" UNIQUE (config_key)
);

-- model_config: AI models with pricing; at most one default per provider (trigger).
CREATE TABLE IF NOT EXISTS model_config (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    model_id VARCHAR(100) NOT NULL,
    name VARCHAR(200) NOT NULL,
    description TEXT,
    provider VARCHAR(50) NOT NULL,
    is_active BOOLEAN DEFAULT true,
    is_default BOOLEAN DEFAULT false,
    thinking_enabled BOOLEAN DEFAULT true,
    input_pricing_per_million_tokens DECIMAL(10,4) NOT NULL,
    output_pricing_per_million_tokens DECIMAL(10,4) NOT NULL,
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "model_config_pkey" PRIMARY KEY (id),
    CONSTRAINT "model_config_model_id_key" UNIQUE (model_id)
);

-- usage_logs: one row per AI request, for usage analytics and cost tracking.
CREATE TABLE IF NOT EXISTS usage_logs (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    chat_id UUID,
    agent_type VARCHAR(50) NOT NULL,
    model_used VARCHAR(100),
    provider VARCHAR(50),
    input_tokens INTEGER,
    output_tokens INTEGER,
    total_tokens INTEGER,
    input_cost DECIMAL(10,6),
    output_cost DECIMAL(10,6),
    total_cost DECIMAL(10,6),
    request_timestamp TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    response_timestamp TIMESTAMP(3),
    duration_ms INTEGER,
    metadata JSONB,
    CONSTRAINT "usage_logs_pkey" PRIMARY KEY (id),
    CONSTRAINT "usage_logs_chat_id_fkey" FOREIGN KEY (chat_id) REFERENCES "Chat" (id) ON DELETE SET NULL
);

-- rate_limit_tracking: requests per user, agent and period, for rate limits.
CREATE TABLE IF NOT EXISTS rate_limit_tracking (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    agent_type VARCHAR(50) NOT NULL,
    period_start TIMESTAMP(3) NOT NULL,
    period_end TIMESTAMP(3) NOT NULL,
    request_count INTEGER DEFAULT 0,
    limit_type VARCHAR(20) NOT NULL,
    limit_value INTEGER NOT NULL,
    created_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "rate_limit_tracking_pkey" PRIMARY KEY (id)
);

-- github_repositories: a user's connected GitHub repositories (Git MCP agent).
CREATE TABLE IF NOT EXISTS github_repositories (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    repo_owner VARCHAR(100) NOT NULL,
    repo_name VARCHAR(100) NOT NULL,
    repo_url TEXT,
    default_branch VARCHAR(100) DEFAULT 'main',
    is_active BOOLEAN DEFAULT true,
    last_accessed TIMESTAMP(3),
    created_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "github_repositories_pkey" PRIMARY KEY (id)
);

-- error_logs: application errors, for monitoring and debugging.
CREATE TABLE IF NOT EXISTS error_logs (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    user_id UUID,
    error_type VARCHAR(50) NOT NULL,
    error_category VARCHAR(100) NOT NULL,
    error_message TEXT NOT NULL,
    error_details JSONB,
    request_path VARCHAR(500),
    request_method VARCHAR(10),
    user_agent TEXT,
    ip_address VARCHAR(45),
    session_id VARCHAR(100),
    severity VARCHAR(20) NOT NULL DEFAULT 'error',
    resolved BOOLEAN DEFAULT false,
    resolved_by UUID,
    resolved_at TIMESTAMP(3),
    resolution_notes TEXT,
    created_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "error_logs_pkey" PRIMARY KEY (id)
);

-- user_activity_logs: user actions (audit trail, analytics); correlation_id links agent logs.
CREATE TABLE IF NOT EXISTS user_activity_logs (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    correlation_id UUID NOT NULL,
    activity_type VARCHAR(50) NOT NULL,
    activity_category VARCHAR(50) NOT NULL,
    activity_metadata JSONB DEFAULT '{}',
    resource_id UUID,
    resource_type VARCHAR(50),
    ip_address VARCHAR(45),
    user_agent TEXT,
    request_path VARCHAR(500),
    request_method VARCHAR(10),
    session_id VARCHAR(100),
    success BOOLEAN DEFAULT true,
    error_message TEXT,
    created_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "user_activity_logs_pkey" PRIMARY KEY (id)
);

-- agent_activity_logs: AI agent operations with timing, tokens and cost; user_id NULL for
-- system operations.
CREATE TABLE IF NOT EXISTS agent_activity_logs (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    user_id UUID,
    correlation_id UUID NOT NULL,
    agent_type VARCHAR(50) NOT NULL,
    operation_type VARCHAR(50) NOT NULL,
    operation_category VARCHAR(50) NOT NULL,
    operation_metadata JSONB DEFAULT '{}',
    resource_id UUID,
    resource_type VARCHAR(50),
    duration_ms INTEGER,
    start_time TIMESTAMP(3),
    end_time TIMESTAMP(3),
    model_id VARCHAR(100),
    provider VARCHAR(50),
    thinking_mode BOOLEAN DEFAULT false,
    input_tokens INTEGER,
    output_tokens INTEGER,
    reasoning_tokens INTEGER,
    total_tokens INTEGER,
    input_cost DECIMAL(10,6),
    output_cost DECIMAL(10,6),
    total_cost DECIMAL(10,6),
    success BOOLEAN DEFAULT true,
    error_type VARCHAR(100),
    error_message TEXT,
    retry_count INTEGER DEFAULT 0,
    created_at TIMESTAMP(3) DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT "agent_activity_logs_pkey" PRIMARY KEY (id)
);

-- ---------------------------------------------------------------------------------------------
-- Indexes: every index the seed names.
-- ---------------------------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_chat_user_id ON "Chat" (user_id);
CREATE INDEX IF NOT EXISTS idx_chat_user_created ON "Chat" (user_id, "createdAt" DESC);
CREATE INDEX IF NOT EXISTS idx_message_chat ON "Message_v2" ("chatId", "createdAt");
CREATE INDEX IF NOT EXISTS idx_document_user_id ON "Document" (user_id);
CREATE INDEX IF NOT EXISTS idx_document_user ON "Document" (user_id, "createdAt" DESC);
CREATE INDEX IF NOT EXISTS idx_document_versions ON "Document" (id, version_number DESC);
CREATE INDEX IF NOT EXISTS idx_document_chat ON "Document" (chat_id, "createdAt" DESC);
CREATE INDEX IF NOT EXISTS idx_document_parent ON "Document" (parent_version_id);
CREATE INDEX IF NOT EXISTS idx_document_kind ON "Document" (kind, "createdAt" DESC);
CREATE INDEX IF NOT EXISTS idx_suggestion_user_id ON "Suggestion" (user_id);
CREATE INDEX IF NOT EXISTS idx_usage_logs_user_id ON usage_logs (user_id);
CREATE INDEX IF NOT EXISTS idx_usage_logs_user_timestamp ON usage_logs (user_id, request_timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_usage_logs_agent_timestamp ON usage_logs (agent_type, request_timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_usage_logs_date_range ON usage_logs (request_timestamp);
CREATE INDEX IF NOT EXISTS idx_usage_logs_model_provider ON usage_logs (model_used, provider, request_timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_usage_logs_date_agent ON usage_logs ((request_timestamp::date), agent_type);
CREATE INDEX IF NOT EXISTS idx_usage_logs_cost_date ON usage_logs (request_timestamp DESC, total_cost) WHERE total_cost IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_rate_limit_user_id ON rate_limit_tracking (user_id);
CREATE INDEX IF NOT EXISTS idx_rate_limit_user_agent ON rate_limit_tracking (user_id, agent_type, period_start);
CREATE INDEX IF NOT EXISTS idx_rate_limit_user_agent_period ON rate_limit_tracking (user_id, agent_type, period_start DESC, period_end DESC);
CREATE INDEX IF NOT EXISTS idx_github_repos_user_id ON github_repositories (user_id);
CREATE INDEX IF NOT EXISTS idx_github_repos_user ON github_repositories (user_id, is_active);
CREATE INDEX IF NOT EXISTS idx_github_repos_user_active ON github_repositories (user_id, is_active, last_accessed DESC);
CREATE INDEX IF NOT EXISTS idx_error_logs_user_id ON error_logs (user_id);
CREATE INDEX IF NOT EXISTS idx_error_logs_error_type ON error_logs (error_type);
CREATE INDEX IF NOT EXISTS idx_error_logs_error_category ON error_logs (error_category);
CREATE INDEX IF NOT EXISTS idx_error_logs_severity ON error_logs (severity);
CREATE INDEX IF NOT EXISTS idx_error_logs_created_at ON error_logs (created_at DESC);
CREATE INDEX IF NOT EXISTS idx_error_logs_resolved ON error_logs (resolved);
CREATE INDEX IF NOT EXISTS idx_error_logs_user_created ON error_logs (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_error_logs_type_severity ON error_logs (error_type, severity);
CREATE INDEX IF NOT EXISTS idx_admin_config_key ON admin_config (config_key);
CREATE INDEX IF NOT EXISTS idx_admin_config_updated ON admin_config (updated_at DESC);
CREATE INDEX IF NOT EXISTS idx_model_config_model_id ON model_config (model_id);
CREATE INDEX IF NOT EXISTS idx_model_config_provider ON model_config (provider);
CREATE INDEX IF NOT EXISTS idx_model_config_provider_active ON model_config (provider, is_active);
CREATE INDEX IF NOT EXISTS idx_model_config_provider_default ON model_config (provider, is_default) WHERE is_default = true;
CREATE INDEX IF NOT EXISTS idx_model_config_active ON model_config (is_active) WHERE is_active = true;
CREATE INDEX IF NOT EXISTS idx_user_activity_user_id ON user_activity_logs (user_id);
CREATE INDEX IF NOT EXISTS idx_user_activity_correlation ON user_activity_logs (correlation_id);
CREATE INDEX IF NOT EXISTS idx_user_activity_type ON user_activity_logs (activity_type);
CREATE INDEX IF NOT EXISTS idx_user_activity_category ON user_activity_logs (activity_category);
CREATE INDEX IF NOT EXISTS idx_user_activity_created ON user_activity_logs (created_at DESC);
CREATE INDEX IF NOT EXISTS idx_user_activity_user_created ON user_activity_logs (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_user_activity_resource ON user_activity_logs (resource_type, resource_id);
CREATE INDEX IF NOT EXISTS idx_user_activity_success ON user_activity_logs (success, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_user_activity_user_type_date ON user_activity_logs (user_id, activity_type, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_agent_activity_user_id ON agent_activity_logs (user_id);
CREATE INDEX IF NOT EXISTS idx_agent_activity_correlation ON agent_activity_logs (correlation_id);
CREATE INDEX IF NOT EXISTS idx_agent_activity_agent_type ON agent_activity_logs (agent_type);
CREATE INDEX IF NOT EXISTS idx_agent_activity_operation ON agent_activity_logs (operation_type);
CREATE INDEX IF NOT EXISTS idx_agent_activity_category ON agent_activity_logs (operation_category);
CREATE INDEX IF NOT EXISTS idx_agent_activity_created ON agent_activity_logs (created_at DESC);
CREATE INDEX IF NOT EXISTS idx_agent_activity_model ON agent_activity_logs (model_id, provider);
CREATE INDEX IF NOT EXISTS idx_agent_activity_success ON agent_activity_logs (success, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_agent_activity_resource ON agent_activity_logs (resource_type, resource_id);
CREATE INDEX IF NOT EXISTS idx_agent_activity_duration ON agent_activity_logs (agent_type, duration_ms) WHERE duration_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_agent_activity_cost ON agent_activity_logs (created_at DESC, total_cost) WHERE total_cost IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_agent_activity_agent_op_date ON agent_activity_logs (agent_type, operation_type, created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- Functions (the seed's 13).
-- ---------------------------------------------------------------------------------------------

-- 1. The caller's role from the JWT (user_metadata.role), 'user' when absent. Used by the RLS
-- policies. nullif() makes an empty setting (what a transaction-local set_config leaves behind
-- in a pooled session) read as "no claims" instead of failing to parse.
CREATE OR REPLACE FUNCTION public.get_user_role()
RETURNS TEXT
LANGUAGE sql STABLE
AS $$
    SELECT COALESCE(
        nullif(current_setting('request.jwt.claims', true), '')::json -> 'user_metadata' ->> 'role',
        'user'
    )::TEXT;
$$;

-- 2. Trigger: NEW.user_id must name a row of auth.users (a foreign key across schemas).
CREATE OR REPLACE FUNCTION public.validate_user_id()
RETURNS TRIGGER
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM auth.users WHERE id = NEW.user_id) THEN
        RAISE EXCEPTION 'user_id % does not exist in auth.users', NEW.user_id
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'user_id';
    END IF;
    RETURN NEW;
END;
$$;

-- 3. Trigger on auth.users BEFORE DELETE: the cascade a cross-schema foreign key would do.
CREATE OR REPLACE FUNCTION public.handle_auth_user_deletion()
RETURNS TRIGGER
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    -- Chats take their messages, votes and streams (and chat documents) with them.
    DELETE FROM public."Chat" WHERE user_id = OLD.id;
    -- Documents take their suggestions with them; suggestions the user left elsewhere go too.
    DELETE FROM public."Document" WHERE user_id = OLD.id;
    DELETE FROM public."Suggestion" WHERE user_id = OLD.id;
    DELETE FROM public.usage_logs WHERE user_id = OLD.id;
    DELETE FROM public.rate_limit_tracking WHERE user_id = OLD.id;
    DELETE FROM public.github_repositories WHERE user_id = OLD.id;
    -- Logs and configuration outlive the user; only the reference is cleared.
    UPDATE public.error_logs SET resolved_by = NULL WHERE resolved_by = OLD.id;
    UPDATE public.admin_config SET updated_by = NULL WHERE updated_by = OLD.id;
    RETURN OLD;
END;
$$;

-- 4. The caller's usage between two dates (inclusive, UTC): totals and a per-agent breakdown.
-- SECURITY INVOKER: RLS limits the rows to the caller's own (all rows for an admin). Always one
-- row; an empty period gives zeros and an empty breakdown.
CREATE OR REPLACE FUNCTION public.get_current_user_usage_summary(
    p_start_date DATE DEFAULT ((now() AT TIME ZONE 'utc')::date - 30),
    p_end_date DATE DEFAULT ((now() AT TIME ZONE 'utc')::date)
)
RETURNS TABLE (
    total_calls BIGINT,
    total_input_tokens BIGINT,
    total_output_tokens BIGINT,
    total_tokens BIGINT,
    total_cost NUMERIC,
    agent_breakdown JSONB
)
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN QUERY
    WITH per_agent AS (
        SELECT u.agent_type,
               count(*) AS calls,
               coalesce(sum(u.input_tokens), 0) AS input_tokens,
               coalesce(sum(u.output_tokens), 0) AS output_tokens,
               coalesce(sum(u.total_tokens), 0) AS tokens,
               coalesce(sum(u.total_cost), 0) AS cost
        FROM public.usage_logs u
        WHERE u.request_timestamp::date BETWEEN p_start_date AND p_end_date
        GROUP BY u.agent_type
    )
    SELECT coalesce(sum(a.calls), 0)::BIGINT,
           coalesce(sum(a.input_tokens), 0)::BIGINT,
           coalesce(sum(a.output_tokens), 0)::BIGINT,
           coalesce(sum(a.tokens), 0)::BIGINT,
           coalesce(sum(a.cost), 0)::NUMERIC,
           coalesce(jsonb_object_agg(a.agent_type,
                                     jsonb_build_object('calls', a.calls, 'tokens', a.tokens, 'cost', a.cost))
                        FILTER (WHERE a.agent_type IS NOT NULL),
                    '{}'::jsonb)
    FROM per_agent a;
END;
$$;

-- 5. Whether the caller (auth.uid()) is an admin according to auth.users.raw_user_meta_data.
CREATE OR REPLACE FUNCTION public.is_current_user_admin()
RETURNS BOOLEAN
LANGUAGE plpgsql STABLE SECURITY INVOKER
AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM auth.users
        WHERE auth.users.id = auth.uid()
          AND auth.users.raw_user_meta_data ->> 'role' = 'admin'
    );
END;
$$;

-- 6. Trigger: admin_config.updated_at is the time of the last update.
CREATE OR REPLACE FUNCTION public.update_admin_config_timestamp()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = now() AT TIME ZONE 'utc';
    RETURN NEW;
END;
$$;

-- 7. Trigger: model_config.updated_at is the time of the last update.
CREATE OR REPLACE FUNCTION public.update_model_config_timestamp()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = now() AT TIME ZONE 'utc';
    RETURN NEW;
END;
$$;

-- 8. Trigger: one default model per provider. Making a model the default clears the flag on the
-- provider's other models; clearing it on the provider's only default is refused. The clearing
-- UPDATE runs with a transaction-local marker so that the nested trigger calls it causes skip
-- the "last default" check (the new default is not written yet while a BEFORE trigger runs).
CREATE OR REPLACE FUNCTION public.ensure_single_default_model_per_provider()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.is_default THEN
        PERFORM set_config('agentchat.switching_default_provider', NEW.provider, true);
        UPDATE public.model_config
           SET is_default = false
         WHERE provider = NEW.provider
           AND model_id <> NEW.model_id
           AND is_default;
        PERFORM set_config('agentchat.switching_default_provider', '', true);
    END IF;

    IF TG_OP = 'UPDATE' AND OLD.is_default AND NOT coalesce(NEW.is_default, false)
       AND coalesce(current_setting('agentchat.switching_default_provider', true), '') IS DISTINCT FROM NEW.provider
       AND NOT EXISTS (SELECT 1 FROM public.model_config
                        WHERE provider = NEW.provider
                          AND model_id <> NEW.model_id
                          AND is_default) THEN
        RAISE EXCEPTION 'Cannot remove default flag - at least one model must be default for provider %', NEW.provider
            USING ERRCODE = 'check_violation', TABLE = 'model_config', COLUMN = 'is_default';
    END IF;

    RETURN NEW;
END;
$$;

-- 9. Trigger: the structure of agent configurations ({agent_type}_{provider} keys; the patterns
-- are LIKE patterns as in the seed, so "_" matches any character). Other keys (app_settings,
-- logging_settings, ...) are not checked.
CREATE OR REPLACE FUNCTION public.validate_admin_config_data()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
DECLARE
    data JSONB := NEW.config_data;
BEGIN
    IF NOT (NEW.config_key LIKE 'chat_model_agent_%' OR
            NEW.config_key LIKE 'provider_tools_agent_%' OR
            NEW.config_key LIKE 'document_agent_%' OR
            NEW.config_key LIKE 'python_agent_%' OR
            NEW.config_key LIKE 'mermaid_agent_%' OR
            NEW.config_key LIKE 'git_mcp_agent_%') THEN
        RETURN NEW;
    END IF;

    IF jsonb_typeof(data) IS DISTINCT FROM 'object' OR NOT (data ? 'enabled') THEN
        RAISE EXCEPTION 'Admin config for % must include enabled field', NEW.config_key
            USING ERRCODE = 'check_violation', TABLE = 'admin_config', COLUMN = 'config_data';
    END IF;
    IF NOT (data ? 'rateLimit') THEN
        RAISE EXCEPTION 'Admin config for % must include rateLimit', NEW.config_key
            USING ERRCODE = 'check_violation', TABLE = 'admin_config', COLUMN = 'config_data';
    END IF;
    IF jsonb_typeof(data -> 'rateLimit') IS DISTINCT FROM 'object'
       OR NOT (data -> 'rateLimit' ? 'perMinute')
       OR NOT (data -> 'rateLimit' ? 'perHour')
       OR NOT (data -> 'rateLimit' ? 'perDay') THEN
        RAISE EXCEPTION 'rateLimit must include perMinute, perHour, and perDay for %', NEW.config_key
            USING ERRCODE = 'check_violation', TABLE = 'admin_config', COLUMN = 'config_data';
    END IF;

    IF (NEW.config_key LIKE 'document_agent_%' OR
        NEW.config_key LIKE 'python_agent_%' OR
        NEW.config_key LIKE 'mermaid_agent_%' OR
        NEW.config_key LIKE 'git_mcp_agent_%') AND NOT (data ? 'tools') THEN
        RAISE EXCEPTION 'Admin config for % must include tools configuration', NEW.config_key
            USING ERRCODE = 'check_violation', TABLE = 'admin_config', COLUMN = 'config_data';
    END IF;

    IF NEW.config_key LIKE 'provider_tools_agent_%' AND NOT (data ? 'systemPrompt') THEN
        RAISE EXCEPTION 'Admin config for % must include systemPrompt', NEW.config_key
            USING ERRCODE = 'check_violation', TABLE = 'admin_config', COLUMN = 'config_data';
    END IF;

    IF NEW.config_key LIKE 'chat_model_agent_%' THEN
        IF NOT (data ? 'capabilities') THEN
            RAISE EXCEPTION 'Chat Model Agent must include capabilities for %', NEW.config_key
                USING ERRCODE = 'check_violation', TABLE = 'admin_config', COLUMN = 'config_data';
        END IF;
        IF NOT (data ? 'tools') THEN
            RAISE EXCEPTION 'Chat Model Agent must include tools configuration for %', NEW.config_key
                USING ERRCODE = 'check_violation', TABLE = 'admin_config', COLUMN = 'config_data';
        END IF;
    END IF;

    RETURN NEW;
END;
$$;

-- 10. The logging configuration (admin_config 'logging_settings'), or the defaults when unset.
CREATE OR REPLACE FUNCTION public.get_logging_config()
RETURNS JSONB
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    config JSONB;
BEGIN
    SELECT config_data INTO config FROM public.admin_config WHERE config_key = 'logging_settings';
    RETURN COALESCE(config, '{"error_logging_enabled": true, "user_activity_logging_enabled": false, "agent_activity_logging_enabled": false}'::jsonb);
END;
$$;

-- 11. Whether user activity logging is on (false when unset).
CREATE OR REPLACE FUNCTION public.is_user_activity_logging_enabled()
RETURNS BOOLEAN
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN COALESCE(
        (SELECT config_data ->> 'user_activity_logging_enabled' = 'true'
           FROM public.admin_config WHERE config_key = 'logging_settings'),
        false);
END;
$$;

-- 12. Whether agent activity logging is on (false when unset).
CREATE OR REPLACE FUNCTION public.is_agent_activity_logging_enabled()
RETURNS BOOLEAN
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN COALESCE(
        (SELECT config_data ->> 'agent_activity_logging_enabled' = 'true'
           FROM public.admin_config WHERE config_key = 'logging_settings'),
        false);
END;
$$;

-- 13. Deletes logs older than logging_settings.log_retention_days (defaults: user activity 30,
-- agent activity 7, error logs 90 days; only resolved error logs are deleted) and returns the
-- number of rows deleted from each table.
CREATE OR REPLACE FUNCTION public.purge_old_activity_logs()
RETURNS TABLE (
    user_logs_deleted BIGINT,
    agent_logs_deleted BIGINT,
    error_logs_deleted BIGINT
)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    config JSONB;
    now_utc TIMESTAMP := now() AT TIME ZONE 'utc';
    user_days INTEGER;
    agent_days INTEGER;
    error_days INTEGER;
    user_count BIGINT;
    agent_count BIGINT;
    error_count BIGINT;
BEGIN
    SELECT config_data INTO config FROM public.admin_config WHERE config_key = 'logging_settings';
    user_days := COALESCE((config -> 'log_retention_days' ->> 'user_activity_logs')::INTEGER, 30);
    agent_days := COALESCE((config -> 'log_retention_days' ->> 'agent_activity_logs')::INTEGER, 7);
    error_days := COALESCE((config -> 'log_retention_days' ->> 'error_logs')::INTEGER, 90);

    DELETE FROM public.user_activity_logs WHERE created_at < now_utc - make_interval(days => user_days);
    GET DIAGNOSTICS user_count = ROW_COUNT;
    DELETE FROM public.agent_activity_logs WHERE created_at < now_utc - make_interval(days => agent_days);
    GET DIAGNOSTICS agent_count = ROW_COUNT;
    DELETE FROM public.error_logs WHERE created_at < now_utc - make_interval(days => error_days) AND resolved = true;
    GET DIAGNOSTICS error_count = ROW_COUNT;

    RETURN QUERY SELECT user_count, agent_count, error_count;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Triggers.
-- ---------------------------------------------------------------------------------------------

-- Deleting an auth user deletes their data.
DROP TRIGGER IF EXISTS on_auth_user_deleted ON auth.users;
CREATE TRIGGER on_auth_user_deleted
    BEFORE DELETE ON auth.users
    FOR EACH ROW EXECUTE FUNCTION public.handle_auth_user_deletion();

-- user_id must name an auth user.
DROP TRIGGER IF EXISTS validate_chat_user_id ON "Chat";
CREATE TRIGGER validate_chat_user_id
    BEFORE INSERT OR UPDATE ON "Chat"
    FOR EACH ROW EXECUTE FUNCTION public.validate_user_id();

DROP TRIGGER IF EXISTS validate_document_user_id ON "Document";
CREATE TRIGGER validate_document_user_id
    BEFORE INSERT OR UPDATE ON "Document"
    FOR EACH ROW EXECUTE FUNCTION public.validate_user_id();

DROP TRIGGER IF EXISTS validate_suggestion_user_id ON "Suggestion";
CREATE TRIGGER validate_suggestion_user_id
    BEFORE INSERT OR UPDATE ON "Suggestion"
    FOR EACH ROW EXECUTE FUNCTION public.validate_user_id();

DROP TRIGGER IF EXISTS validate_usage_logs_user_id ON usage_logs;
CREATE TRIGGER validate_usage_logs_user_id
    BEFORE INSERT OR UPDATE ON usage_logs
    FOR EACH ROW EXECUTE FUNCTION public.validate_user_id();

DROP TRIGGER IF EXISTS validate_rate_limit_user_id ON rate_limit_tracking;
CREATE TRIGGER validate_rate_limit_user_id
    BEFORE INSERT OR UPDATE ON rate_limit_tracking
    FOR EACH ROW EXECUTE FUNCTION public.validate_user_id();

DROP TRIGGER IF EXISTS validate_github_repos_user_id ON github_repositories;
CREATE TRIGGER validate_github_repos_user_id
    BEFORE INSERT OR UPDATE ON github_repositories
    FOR EACH ROW EXECUTE FUNCTION public.validate_user_id();

-- updated_at maintenance.
DROP TRIGGER IF EXISTS trigger_admin_config_updated_at ON admin_config;
CREATE TRIGGER trigger_admin_config_updated_at
    BEFORE UPDATE ON admin_config
    FOR EACH ROW EXECUTE FUNCTION public.update_admin_config_timestamp();

DROP TRIGGER IF EXISTS trigger_model_config_updated_at ON model_config;
CREATE TRIGGER trigger_model_config_updated_at
    BEFORE UPDATE ON model_config
    FOR EACH ROW EXECUTE FUNCTION public.update_model_config_timestamp();

-- Validation of agent configurations and of the default model.
DROP TRIGGER IF EXISTS trigger_validate_admin_config ON admin_config;
CREATE TRIGGER trigger_validate_admin_config
    BEFORE INSERT OR UPDATE ON admin_config
    FOR EACH ROW EXECUTE FUNCTION public.validate_admin_config_data();

DROP TRIGGER IF EXISTS trigger_ensure_single_default_model ON model_config;
CREATE TRIGGER trigger_ensure_single_default_model
    BEFORE INSERT OR UPDATE ON model_config
    FOR EACH ROW EXECUTE FUNCTION public.ensure_single_default_model_per_provider();
