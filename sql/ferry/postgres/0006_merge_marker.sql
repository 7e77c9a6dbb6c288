-- Who is merging: a row per Ferry merge transaction in progress, written by the merge itself
-- (INSERT at its start, DELETE just before its commit; an aborted merge leaves nothing behind).
-- It replaces the settings ferry.merging and ferry.site, which any role could set to pretend to be
-- a device or to skip clock recording. Only the roles that own and run Ferry may write it: no
-- grant to PUBLIC, and web roles have none on schema ferry.
-- site: the pushing device. hlc: the highest clock of the batch; the merge's side effects get
-- clocks above it, so an effect is ordered after the change that caused it even when the device's
-- clock runs ahead of the server's.
CREATE TABLE IF NOT EXISTS ferry.merges (
    xid  xid8   PRIMARY KEY DEFAULT pg_current_xact_id(),
    site text   NOT NULL,
    hlc  bigint NOT NULL DEFAULT 0
);
REVOKE ALL ON ferry.merges FROM PUBLIC;

-- A clock newer than anything recorded for a row (each column's, its (re)insert's, its
-- tombstone's) and not older than the server's clock: what a write from outside a merge gets
-- (ferry.log_change, and the TRUNCATE triggers ferry."truncate_<table>" for each row they delete).
CREATE OR REPLACE FUNCTION ferry.next_hlc(p_clocks jsonb, p_created bigint, p_deleted bigint)
RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT greatest(ferry.now_hlc(),
                    coalesce((SELECT max((c.value ->> 0)::bigint) FROM jsonb_each(p_clocks) c), 0) + 1,
                    coalesce(p_created, 0) + 1,
                    coalesce(p_deleted, 0) + 1)
$$;

-- Called by every capture trigger. The settings ferry.merging and ferry.site mean nothing any more.
-- In a Ferry merge (a row of ferry.merges for this transaction) a change to a row the batch pushed
-- (one of the session's pg_temp.ferry_stage rows) is only logged: the merge records its clocks,
-- with the pushing device's site. Every other change (a plain writer, or a side effect of a merge
-- on a row the batch did not push: a cascade, an app trigger updating another row) gets a clock
-- newer than everything known about the row (and, in a merge, than the batch), and the site
-- 'server'.
-- The stage is read with dynamic SQL: the temp table exists only in the merging session.
-- SECURITY DEFINER: any role allowed to write a synced table (an RLS-limited web role included)
-- gets its change logged, without being granted anything on schema ferry.
CREATE OR REPLACE FUNCTION ferry.log_change(p_tbl text, p_pk jsonb, p_op smallint, p_cols text[])
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h bigint;
    merge_hlc bigint;
    pushed boolean := false;
BEGIN
    INSERT INTO ferry.changes(tbl, pk, op) VALUES (p_tbl, p_pk, p_op);
    SELECT m.hlc INTO merge_hlc FROM ferry.merges m WHERE m.xid = pg_current_xact_id();
    IF FOUND AND to_regclass('pg_temp.ferry_stage') IS NOT NULL THEN
        -- This function runs as Ferry's owner; the stage belongs to the merging role.
        IF NOT has_table_privilege('pg_temp.ferry_stage', 'SELECT') THEN
            RAISE EXCEPTION 'Ferry''s capture (role %) cannot read the merge''s stage pg_temp.ferry_stage', current_user
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'run the merge as the role that owns schema ferry, or GRANT SELECT ON ferry_stage TO ' ||
                             quote_ident(current_user) || ' after creating it';
        END IF;
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_temp.ferry_stage s WHERE s.tbl = $1 AND s.pk = $2)'
           INTO pushed USING p_tbl, p_pk;
        IF pushed THEN
            RETURN;
        END IF;
    END IF;
    SELECT ferry.next_hlc(r.clocks, r.created_hlc, r.deleted_hlc) INTO h
      FROM ferry.rows r WHERE r.tbl = p_tbl AND r.pk = p_pk;
    h := greatest(coalesce(h, ferry.now_hlc()), coalesce(merge_hlc, 0) + 1);
    IF p_op = 3 THEN
        INSERT INTO ferry.rows(tbl, pk, deleted_hlc, deleted_site) VALUES (p_tbl, p_pk, h, 'server')
        ON CONFLICT (tbl, pk) DO UPDATE SET deleted_hlc = EXCLUDED.deleted_hlc, deleted_site = EXCLUDED.deleted_site;
    ELSE
        INSERT INTO ferry.rows AS r (tbl, pk, clocks, created_hlc, created_site)
        VALUES (p_tbl, p_pk,
                coalesce((SELECT jsonb_object_agg(c, jsonb_build_array(h, 'server')) FROM unnest(p_cols) c), '{}'),
                CASE WHEN p_op = 1 THEN h ELSE 0 END, CASE WHEN p_op = 1 THEN 'server' ELSE '' END)
        ON CONFLICT (tbl, pk) DO UPDATE
           SET clocks = r.clocks || EXCLUDED.clocks,
               created_hlc = CASE WHEN p_op = 1 THEN EXCLUDED.created_hlc ELSE r.created_hlc END,
               created_site = CASE WHEN p_op = 1 THEN EXCLUDED.created_site ELSE r.created_site END;
    END IF;
END
$$;
-- Only the capture triggers (running as Ferry's owner) call it.
REVOKE EXECUTE ON FUNCTION ferry.log_change(text, jsonb, smallint, text[]) FROM PUBLIC;
