-- Trimming also forgets old tombstones. ferry.rows keeps, per deleted row, the clock of its
-- delete (so a stale update or insert of that key loses to it). Once the delete is older than
-- p_inactive, every device that may still push about the row has either pulled the delete or
-- will resync from a snapshot; a stale update of a key that no longer exists is superseded
-- without the tombstone, and keys are never re-inserted by an old write (an insert reaches the
-- server once: pushes apply exactly once). Keeping them would grow ferry.rows without end.
DROP FUNCTION IF EXISTS ferry.trim_changes(interval);

CREATE FUNCTION ferry.trim_changes(p_inactive interval DEFAULT interval '30 days')
RETURNS TABLE (deleted bigint, horizon text, tombstones bigint)
LANGUAGE plpgsql AS $$
DECLARE
    h_xid xid8;
    h_id  bigint;
    n     bigint := 0;
    t     bigint;
    cutoff_hlc bigint := (floor(extract(epoch FROM clock_timestamp() - p_inactive) * 1000)::bigint) << 16;
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
    IF h_xid IS NOT NULL THEN
        DELETE FROM ferry.changes c WHERE (c.xid, c.id) <= (h_xid, h_id);
        GET DIAGNOSTICS n = ROW_COUNT;
        INSERT INTO ferry.meta(key, value) VALUES ('trim_horizon', h_xid::text || ':' || h_id)
        ON CONFLICT (key) DO UPDATE SET value = CASE
            WHEN (split_part(ferry.meta.value, ':', 1)::xid8, split_part(ferry.meta.value, ':', 2)::bigint) < (h_xid, h_id)
            THEN EXCLUDED.value ELSE ferry.meta.value END;
    END IF;
    -- A row is deleted now when its latest delete is not older than its latest (re-)creation.
    DELETE FROM ferry.rows r
     WHERE r.deleted_hlc IS NOT NULL AND r.deleted_hlc >= r.created_hlc AND r.deleted_hlc < cutoff_hlc;
    GET DIAGNOSTICS t = ROW_COUNT;
    RETURN QUERY SELECT n, (SELECT value FROM ferry.meta WHERE key = 'trim_horizon'), t;
END
$$;
