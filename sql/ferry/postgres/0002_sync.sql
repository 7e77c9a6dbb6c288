-- Ferry's sync state in the cloud database.

-- Every change to a synced table, from any writer (devices through Ferry, other apps' plain SQL,
-- cascades), written by the capture triggers. xid is the writing transaction: pulls hand out only
-- changes of transactions older than every running one (pg_snapshot_xmin), in (xid, id) order,
-- so a transaction that commits late is never skipped. Values are not copied here: a pull reads
-- the row's current state.  op: 1 insert, 2 update, 3 delete.
CREATE TABLE IF NOT EXISTS ferry.changes (
    xid xid8     NOT NULL DEFAULT pg_current_xact_id(),
    id  bigserial NOT NULL,
    tbl text     NOT NULL,
    pk  jsonb    NOT NULL,
    op  smallint NOT NULL,
    PRIMARY KEY (xid, id)
);

-- Per-row clocks for last-writer-wins: clocks maps each column to [hlc, site] of the write that
-- set it; created_* is the insert that (re)created the row; deleted_* its tombstone.
CREATE TABLE IF NOT EXISTS ferry.rows (
    tbl          text   NOT NULL,
    pk           jsonb  NOT NULL,
    clocks       jsonb  NOT NULL DEFAULT '{}',
    created_hlc  bigint NOT NULL DEFAULT 0,
    created_site text   NOT NULL DEFAULT '',
    deleted_hlc  bigint,
    deleted_site text,
    PRIMARY KEY (tbl, pk)
);

-- One row per device (site): the exactly-once ledger (highest applied push batch and its
-- results, replayed when a batch is retried) and progress.
CREATE TABLE IF NOT EXISTS ferry.sites (
    site         text PRIMARY KEY,
    last_seq     bigint NOT NULL DEFAULT 0,
    last_results jsonb,
    pull_cursor  text,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now()
);

-- The server's clock as an HLC value (milliseconds << 16).
CREATE OR REPLACE FUNCTION ferry.now_hlc() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    SELECT (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) << 16
$$;

-- Called by every capture trigger. During a Ferry merge (ferry.merging = on) the merge itself
-- records the clocks; for any other writer the change gets a clock newer than everything known
-- about the row, and the site named by ferry.site (default 'server').
-- SECURITY DEFINER: any role allowed to write a synced table (an RLS-limited web role included)
-- must get its change logged, without being granted anything on schema ferry.
CREATE OR REPLACE FUNCTION ferry.log_change(p_tbl text, p_pk jsonb, p_op smallint, p_cols text[])
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h bigint;
    s text;
BEGIN
    INSERT INTO ferry.changes(tbl, pk, op) VALUES (p_tbl, p_pk, p_op);
    IF coalesce(current_setting('ferry.merging', true), '') = 'on' THEN
        RETURN;
    END IF;
    s := coalesce(nullif(current_setting('ferry.site', true), ''), 'server');
    SELECT greatest(ferry.now_hlc(),
                    coalesce(max((c.value->>0)::bigint), 0) + 1,
                    coalesce(max(r.created_hlc), 0) + 1,
                    coalesce(max(r.deleted_hlc), 0) + 1)
      INTO h
      FROM ferry.rows r LEFT JOIN LATERAL jsonb_each(r.clocks) c ON true
     WHERE r.tbl = p_tbl AND r.pk = p_pk;
    h := coalesce(h, ferry.now_hlc());
    IF p_op = 3 THEN
        INSERT INTO ferry.rows(tbl, pk, deleted_hlc, deleted_site) VALUES (p_tbl, p_pk, h, s)
        ON CONFLICT (tbl, pk) DO UPDATE SET deleted_hlc = EXCLUDED.deleted_hlc, deleted_site = EXCLUDED.deleted_site;
    ELSE
        INSERT INTO ferry.rows AS r (tbl, pk, clocks, created_hlc, created_site)
        VALUES (p_tbl, p_pk,
                coalesce((SELECT jsonb_object_agg(c, jsonb_build_array(h, s)) FROM unnest(p_cols) c), '{}'),
                CASE WHEN p_op = 1 THEN h ELSE 0 END, CASE WHEN p_op = 1 THEN s ELSE '' END)
        ON CONFLICT (tbl, pk) DO UPDATE
           SET clocks = r.clocks || EXCLUDED.clocks,
               created_hlc = CASE WHEN p_op = 1 THEN EXCLUDED.created_hlc ELSE r.created_hlc END,
               created_site = CASE WHEN p_op = 1 THEN EXCLUDED.created_site ELSE r.created_site END;
    END IF;
END
$$;

-- Leases a block of integer ids from a sequence for a device working offline. The ids are taken
-- with nextval, so they can never be handed to anyone else (a web app's INSERT included); they
-- need not be contiguous.
CREATE OR REPLACE FUNCTION ferry.lease_ids(p_sequence regclass, p_count integer)
RETURNS SETOF bigint LANGUAGE sql VOLATILE AS $$
    SELECT nextval(p_sequence) FROM generate_series(1, p_count)
$$;
