-- Secondary indexes a fresh device's first snapshot set aside while it loads an empty table:
-- building an index once over the loaded rows is much cheaper than inserting every row into it.
-- Written in the transaction that drops the index and deleted in the one that builds it again
-- (the snapshot's last page), so a crash in between leaves the definition here: opening the
-- store builds every index still listed.
CREATE TABLE IF NOT EXISTS ferry_deferred_indexes (
    name TEXT PRIMARY KEY,
    tbl  TEXT NOT NULL,
    sql  TEXT NOT NULL
) STRICT;
