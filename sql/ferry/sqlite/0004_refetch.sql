-- Rows the device cleared out of the way while applying the server's rows (an out-of-date local
-- row holding a unique value the server gave to another row). The next pull asks the server for
-- their current state, so none stays missing.
CREATE TABLE IF NOT EXISTS ferry_refetch (
    tbl INTEGER NOT NULL,
    pk  TEXT NOT NULL,
    PRIMARY KEY (tbl, pk)
) STRICT, WITHOUT ROWID;
