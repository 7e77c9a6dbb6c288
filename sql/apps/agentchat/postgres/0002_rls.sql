-- agentchat (seed 002), cloud schema version 2: row-level security exactly as the seed
-- documents it, and the grants Supabase gives its API roles. A user reaches their own rows;
-- get_user_role() = 'admin' (JWT user_metadata.role) adds read access where the seed says so.

-- Supabase grants its API roles these privileges on every table of schema public by default;
-- RLS then decides which rows each request reaches. A stock server needs them spelled out.
GRANT SELECT, INSERT, UPDATE, DELETE ON
    "Chat", "Message_v2", "Vote_v2", "Document", "Suggestion", "Stream",
    admin_config, model_config, usage_logs, rate_limit_tracking, github_repositories,
    error_logs, user_activity_logs, agent_activity_logs
TO anon, authenticated, service_role;

GRANT EXECUTE ON FUNCTION public.get_user_role() TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.get_current_user_usage_summary(DATE, DATE) TO authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.is_current_user_admin() TO authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.get_logging_config() TO authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.is_user_activity_logging_enabled() TO authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.is_agent_activity_logging_enabled() TO authenticated, service_role;
-- The purge deletes every user's logs with its owner's rights: only the service role runs it.
REVOKE EXECUTE ON FUNCTION public.purge_old_activity_logs() FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.purge_old_activity_logs() TO service_role;

ALTER TABLE "Chat" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Message_v2" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Vote_v2" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Document" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Suggestion" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Stream" ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin_config ENABLE ROW LEVEL SECURITY;
ALTER TABLE model_config ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE rate_limit_tracking ENABLE ROW LEVEL SECURITY;
ALTER TABLE github_repositories ENABLE ROW LEVEL SECURITY;
ALTER TABLE error_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_activity_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_activity_logs ENABLE ROW LEVEL SECURITY;

-- Chat ---------------------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can read own chats" ON "Chat";
CREATE POLICY "Users can read own chats" ON "Chat"
    FOR SELECT USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can create own chats" ON "Chat";
CREATE POLICY "Users can create own chats" ON "Chat"
    FOR INSERT WITH CHECK (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can update own chats" ON "Chat";
CREATE POLICY "Users can update own chats" ON "Chat"
    FOR UPDATE USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can delete own chats" ON "Chat";
CREATE POLICY "Users can delete own chats" ON "Chat"
    FOR DELETE USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Admins can read all chats" ON "Chat";
CREATE POLICY "Admins can read all chats" ON "Chat"
    FOR SELECT USING (public.get_user_role() = 'admin');

-- Message_v2: a message belongs to the owner of its chat ---------------------------------------
DROP POLICY IF EXISTS "Users can read own messages" ON "Message_v2";
CREATE POLICY "Users can read own messages" ON "Message_v2"
    FOR SELECT USING (EXISTS (
        SELECT 1 FROM "Chat" c WHERE c.id = "Message_v2"."chatId" AND c.user_id = auth.uid()));

DROP POLICY IF EXISTS "Users can create messages in own chats" ON "Message_v2";
CREATE POLICY "Users can create messages in own chats" ON "Message_v2"
    FOR INSERT WITH CHECK (EXISTS (
        SELECT 1 FROM "Chat" c WHERE c.id = "Message_v2"."chatId" AND c.user_id = auth.uid()));

-- Vote_v2 ------------------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can vote on messages in own chats" ON "Vote_v2";
CREATE POLICY "Users can vote on messages in own chats" ON "Vote_v2"
    FOR ALL USING (EXISTS (
        SELECT 1 FROM "Chat" c WHERE c.id = "Vote_v2"."chatId" AND c.user_id = auth.uid()));

-- Document -----------------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can read own documents" ON "Document";
CREATE POLICY "Users can read own documents" ON "Document"
    FOR SELECT USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can create own documents" ON "Document";
CREATE POLICY "Users can create own documents" ON "Document"
    FOR INSERT WITH CHECK (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can update own documents" ON "Document";
CREATE POLICY "Users can update own documents" ON "Document"
    FOR UPDATE USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can delete own documents" ON "Document";
CREATE POLICY "Users can delete own documents" ON "Document"
    FOR DELETE USING (auth.uid() = user_id);

-- Suggestion: "similar to Document" in the seed ------------------------------------------------
DROP POLICY IF EXISTS "Users can read own suggestions" ON "Suggestion";
CREATE POLICY "Users can read own suggestions" ON "Suggestion"
    FOR SELECT USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can create own suggestions" ON "Suggestion";
CREATE POLICY "Users can create own suggestions" ON "Suggestion"
    FOR INSERT WITH CHECK (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can update own suggestions" ON "Suggestion";
CREATE POLICY "Users can update own suggestions" ON "Suggestion"
    FOR UPDATE USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Users can delete own suggestions" ON "Suggestion";
CREATE POLICY "Users can delete own suggestions" ON "Suggestion"
    FOR DELETE USING (auth.uid() = user_id);

-- Stream -------------------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can access streams in own chats" ON "Stream";
CREATE POLICY "Users can access streams in own chats" ON "Stream"
    FOR ALL USING (EXISTS (
        SELECT 1 FROM "Chat" c WHERE c.id = "Stream"."chatId" AND c.user_id = auth.uid()));

-- admin_config: admins only --------------------------------------------------------------------
DROP POLICY IF EXISTS "Admins can read admin_config" ON admin_config;
CREATE POLICY "Admins can read admin_config" ON admin_config
    FOR SELECT USING (public.get_user_role() = 'admin');

DROP POLICY IF EXISTS "Admins can update admin_config" ON admin_config;
CREATE POLICY "Admins can update admin_config" ON admin_config
    FOR ALL USING (public.get_user_role() = 'admin');

-- model_config: every signed-in user reads, admins write ----------------------------------------
DROP POLICY IF EXISTS "Authenticated users can read model_config" ON model_config;
CREATE POLICY "Authenticated users can read model_config" ON model_config
    FOR SELECT USING (auth.uid() IS NOT NULL);

DROP POLICY IF EXISTS "Admins can manage model_config" ON model_config;
CREATE POLICY "Admins can manage model_config" ON model_config
    FOR ALL USING (public.get_user_role() = 'admin');

-- usage_logs ---------------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can read own usage_logs" ON usage_logs;
CREATE POLICY "Users can read own usage_logs" ON usage_logs
    FOR SELECT USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Admins can read all usage_logs" ON usage_logs;
CREATE POLICY "Admins can read all usage_logs" ON usage_logs
    FOR SELECT USING (public.get_user_role() = 'admin');

DROP POLICY IF EXISTS "System can create usage_logs" ON usage_logs;
CREATE POLICY "System can create usage_logs" ON usage_logs
    FOR INSERT WITH CHECK (true);

-- rate_limit_tracking ------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can read own rate_limits" ON rate_limit_tracking;
CREATE POLICY "Users can read own rate_limits" ON rate_limit_tracking
    FOR SELECT USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "System can manage rate_limits" ON rate_limit_tracking;
CREATE POLICY "System can manage rate_limits" ON rate_limit_tracking
    FOR ALL USING (true);

-- github_repositories ------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can manage own repositories" ON github_repositories;
CREATE POLICY "Users can manage own repositories" ON github_repositories
    FOR ALL USING (auth.uid() = user_id);

-- error_logs ---------------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can read own error_logs" ON error_logs;
CREATE POLICY "Users can read own error_logs" ON error_logs
    FOR SELECT USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Admins can read all error_logs" ON error_logs;
CREATE POLICY "Admins can read all error_logs" ON error_logs
    FOR SELECT USING (public.get_user_role() = 'admin');

DROP POLICY IF EXISTS "Admins can update error_logs" ON error_logs;
CREATE POLICY "Admins can update error_logs" ON error_logs
    FOR UPDATE USING (public.get_user_role() = 'admin');

DROP POLICY IF EXISTS "System can insert error_logs" ON error_logs;
CREATE POLICY "System can insert error_logs" ON error_logs
    FOR INSERT WITH CHECK (true);

-- user_activity_logs -------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can read own activity logs" ON user_activity_logs;
CREATE POLICY "Users can read own activity logs" ON user_activity_logs
    FOR SELECT USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Admins can read all activity logs" ON user_activity_logs;
CREATE POLICY "Admins can read all activity logs" ON user_activity_logs
    FOR SELECT USING (public.get_user_role() = 'admin');

DROP POLICY IF EXISTS "System can insert activity logs" ON user_activity_logs;
CREATE POLICY "System can insert activity logs" ON user_activity_logs
    FOR INSERT WITH CHECK (true);

-- agent_activity_logs ------------------------------------------------------------------------
DROP POLICY IF EXISTS "Users can read own agent logs" ON agent_activity_logs;
CREATE POLICY "Users can read own agent logs" ON agent_activity_logs
    FOR SELECT USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "Admins can read all agent logs" ON agent_activity_logs;
CREATE POLICY "Admins can read all agent logs" ON agent_activity_logs
    FOR SELECT USING (public.get_user_role() = 'admin');

DROP POLICY IF EXISTS "System can insert agent logs" ON agent_activity_logs;
CREATE POLICY "System can insert agent logs" ON agent_activity_logs
    FOR INSERT WITH CHECK (true);
