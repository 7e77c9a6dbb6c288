-- Compact clocks for the server's own inserts, as a merge's inserts have had since 13dda6d: a
-- row inserted outside a merge (a web app, psql) records its insert's clock as its creation and
-- no clock per column; a column without a clock of its own has its row's insert's. An insert of
-- a key with an earlier incarnation (a tombstone) drops that incarnation's column clocks: every
-- column's value is the insert's, with a clock newer than all of them. Otherwise as 0009's.
-- Rows logged before this migration keep their per-column clocks: both forms mean the same.
CREATE OR REPLACE FUNCTION ferry.log_change(p_tbl text, p_pk jsonb, p_op smallint, p_cols text[],
                                            p_readers text[], p_owner text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h bigint;
    merge_hlc bigint;
    pushed boolean := false;
    before text[];
    scoped boolean := p_op <> 3 AND p_readers IS NOT NULL;
BEGIN
    SELECT r.readers, ferry.next_hlc(r.clocks, r.created_hlc, r.deleted_hlc) INTO before, h
      FROM ferry.rows r WHERE r.tbl = p_tbl AND r.pk = p_pk;
    INSERT INTO ferry.changes(tbl, pk, op, readers)
    VALUES (p_tbl, p_pk, p_op, ferry.union_readers(before, CASE WHEN p_op = 3 THEN NULL ELSE p_readers END));
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
            -- The merge records this row's clocks itself; the scope is the trigger's to record.
            IF scoped THEN
                INSERT INTO ferry.rows AS r (tbl, pk, readers, owner) VALUES (p_tbl, p_pk, p_readers, p_owner)
                ON CONFLICT (tbl, pk) DO UPDATE SET readers = EXCLUDED.readers, owner = EXCLUDED.owner;
            END IF;
            RETURN;
        END IF;
    END IF;
    h := greatest(coalesce(h, ferry.now_hlc()), coalesce(merge_hlc, 0) + 1);
    IF p_op = 3 THEN
        INSERT INTO ferry.rows(tbl, pk, deleted_hlc, deleted_site) VALUES (p_tbl, p_pk, h, 'server')
        ON CONFLICT (tbl, pk) DO UPDATE SET deleted_hlc = EXCLUDED.deleted_hlc, deleted_site = EXCLUDED.deleted_site;
    ELSE
        INSERT INTO ferry.rows AS r (tbl, pk, clocks, created_hlc, created_site, readers, owner)
        VALUES (p_tbl, p_pk,
                CASE WHEN p_op = 1 THEN '{}'::jsonb
                     ELSE coalesce((SELECT jsonb_object_agg(c, jsonb_build_array(h, 'server')) FROM unnest(p_cols) c), '{}')
                END,
                CASE WHEN p_op = 1 THEN h ELSE 0 END, CASE WHEN p_op = 1 THEN 'server' ELSE '' END,
                p_readers, p_owner)
        ON CONFLICT (tbl, pk) DO UPDATE
           SET clocks = CASE WHEN p_op = 1 THEN EXCLUDED.clocks ELSE r.clocks || EXCLUDED.clocks END,
               created_hlc = CASE WHEN p_op = 1 THEN EXCLUDED.created_hlc ELSE r.created_hlc END,
               created_site = CASE WHEN p_op = 1 THEN EXCLUDED.created_site ELSE r.created_site END,
               readers = CASE WHEN scoped THEN EXCLUDED.readers ELSE r.readers END,
               owner = CASE WHEN scoped THEN EXCLUDED.owner ELSE r.owner END;
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION ferry.log_change(text, jsonb, smallint, text[], text[], text) FROM PUBLIC;
