-- Trimming the change log (DESIGN.md decision 12). Entries every active device has pulled are
-- deleted; the highest trimmed position is kept as the horizon. A device whose cursor is below
-- the horizon (it was inactive for longer than p_inactive) is told "resync required" and takes a
-- fresh snapshot instead, so it never silently misses a delete.
CREATE OR REPLACE FUNCTION ferry.trim_changes(p_inactive interval DEFAULT interval '30 days')
RETURNS TABLE (deleted bigint, horizon text)
LANGUAGE plpgsql AS $$
DECLARE
    h_xid xid8;
    h_id  bigint;
    n     bigint;
BEGIN
    SELECT split_part(s.pull_cursor, ':', 1)::xid8, split_part(s.pull_cursor, ':', 2)::bigint
      INTO h_xid, h_id
      FROM ferry.sites s
     WHERE s.pull_cursor IS NOT NULL AND s.pull_cursor <> '' AND s.last_seen > now() - p_inactive
     ORDER BY 1, 2 LIMIT 1;
    IF h_xid IS NULL THEN
        -- No active device: everything older than every running transaction can go.
        SELECT c.xid, c.id INTO h_xid, h_id FROM ferry.changes c
         WHERE c.xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY c.xid DESC, c.id DESC LIMIT 1;
    END IF;
    IF h_xid IS NULL THEN
        RETURN QUERY SELECT 0::bigint, (SELECT value FROM ferry.meta WHERE key = 'trim_horizon');
        RETURN;
    END IF;
    DELETE FROM ferry.changes c WHERE (c.xid, c.id) <= (h_xid, h_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO ferry.meta(key, value) VALUES ('trim_horizon', h_xid::text || ':' || h_id)
    ON CONFLICT (key) DO UPDATE SET value = CASE
        WHEN (split_part(ferry.meta.value, ':', 1)::xid8, split_part(ferry.meta.value, ':', 2)::bigint) < (h_xid, h_id)
        THEN EXCLUDED.value ELSE ferry.meta.value END;
    RETURN QUERY SELECT n, (SELECT value FROM ferry.meta WHERE key = 'trim_horizon');
END
$$;
