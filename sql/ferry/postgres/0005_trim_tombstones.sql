-- Trimming also forgets old tombstones. ferry.rows keeps, per deleted row, the clock of its
-- delete (so a stale update or insert of that key loses to it). Once the delete is older than
-- p_inactive, every device that may still push about the row has either pulled the delete or
-- will resync from a snapshot; a stale update of a key that no longer exists is superseded
-- without the tombstone, and keys are never re-inserted by an old write (an insert reaches the
-- server once: pushes apply exactly once). Keeping them would grow ferry.rows without end.
-- Called with ferry.trim_changes, in the same transaction (ferry::server::trim_changes).
CREATE OR REPLACE FUNCTION ferry.trim_tombstones(p_inactive interval DEFAULT interval '30 days')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    -- A row is deleted now when its latest delete is not older than its latest (re-)creation.
    DELETE FROM ferry.rows r
     WHERE r.deleted_hlc IS NOT NULL AND r.deleted_hlc >= r.created_hlc
       AND r.deleted_hlc < (floor(extract(epoch FROM clock_timestamp() - p_inactive) * 1000)::bigint) << 16;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
