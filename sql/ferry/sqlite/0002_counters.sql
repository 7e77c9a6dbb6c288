-- Counter columns (sync rules "counters") merge by adding deltas, not by last-writer-wins.
-- base is the column's value as last agreed with the server; a push sends (current - base).
CREATE TABLE IF NOT EXISTS ferry_counter_base (
    tbl  INTEGER NOT NULL,
    pk   TEXT NOT NULL,
    col  TEXT NOT NULL,
    base INTEGER NOT NULL,
    PRIMARY KEY (tbl, pk, col)
) STRICT, WITHOUT ROWID;
