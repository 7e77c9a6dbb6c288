-- Partial sync (DESIGN.md decision 10): every change records who could read its row before and
-- after it (readers: user ids, '*' for every user), and ferry.rows keeps each row's current
-- readers and owner (the user who may write it; '*' anyone; NULL only trusted processes). A pull
-- for a user hands out only the entries naming them, so a device receives the deletes of its
-- rows and a removal when a row leaves its scope, and never another user's key or tombstone.
-- The capture triggers compute both from the sync rules (sync/server/scope.cpp).
ALTER TABLE ferry.changes ADD COLUMN IF NOT EXISTS readers text[];
ALTER TABLE ferry.rows ADD COLUMN IF NOT EXISTS readers text[];
ALTER TABLE ferry.rows ADD COLUMN IF NOT EXISTS owner text;

-- A site id belongs to the user who first used it (NULL: first used by a trusted process).
ALTER TABLE ferry.sites ADD COLUMN IF NOT EXISTS user_id text;

CREATE OR REPLACE FUNCTION ferry.union_readers(a text[], b text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(DISTINCT r ORDER BY r), '{}') FROM unnest(coalesce(a, '{}') || coalesce(b, '{}')) r
$$;

-- The user of the request (the gateway sets request.jwt.claims per transaction, as PostgREST
-- does for Supabase's auth.uid()); NULL outside a user's request.
CREATE OR REPLACE FUNCTION ferry.user_id() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')
$$;

-- As 0006's, plus the row's scope: the entry records the readers before (ferry.rows) and after
-- (p_readers) the change; the row keeps p_readers and p_owner. p_readers NULL: scope unknown
-- (a trigger from before 0009): the row's recorded scope is kept. One read of the row's
-- ferry.rows entry and one write of it per change, as in 0006.
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
                coalesce((SELECT jsonb_object_agg(c, jsonb_build_array(h, 'server')) FROM unnest(p_cols) c), '{}'),
                CASE WHEN p_op = 1 THEN h ELSE 0 END, CASE WHEN p_op = 1 THEN 'server' ELSE '' END,
                p_readers, p_owner)
        ON CONFLICT (tbl, pk) DO UPDATE
           SET clocks = r.clocks || EXCLUDED.clocks,
               created_hlc = CASE WHEN p_op = 1 THEN EXCLUDED.created_hlc ELSE r.created_hlc END,
               created_site = CASE WHEN p_op = 1 THEN EXCLUDED.created_site ELSE r.created_site END,
               readers = CASE WHEN scoped THEN EXCLUDED.readers ELSE r.readers END,
               owner = CASE WHEN scoped THEN EXCLUDED.owner ELSE r.owner END;
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION ferry.log_change(text, jsonb, smallint, text[], text[], text) FROM PUBLIC;

-- Triggers generated before 0009 call the four-argument form until `ferry server init`
-- regenerates them (it does right after this migration).
CREATE OR REPLACE FUNCTION ferry.log_change(p_tbl text, p_pk jsonb, p_op smallint, p_cols text[])
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT ferry.log_change(p_tbl, p_pk, p_op, p_cols, NULL::text[], NULL::text)
$$;
REVOKE EXECUTE ON FUNCTION ferry.log_change(text, jsonb, smallint, text[]) FROM PUBLIC;
