-- Keys received during a snapshot (a fresh device's first pull, or a resync after the server
-- trimmed its change log below this device's cursor). When the snapshot ends, synced rows not
-- seen and without local writes are deleted: they were deleted on the server meanwhile.
CREATE TABLE IF NOT EXISTS ferry_snapshot_seen (
    tbl INTEGER NOT NULL,
    pk  TEXT NOT NULL,
    PRIMARY KEY (tbl, pk)
) STRICT, WITHOUT ROWID;
