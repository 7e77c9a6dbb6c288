-- The write-outcome ledger (docs/outcomes.md): what became of each local write the device pushed.
-- applied: the server took it. superseded: it lost last-writer-wins, wholly or some columns
-- (`columns`); the row holds the winner's values (`winner_values`, written by `winner_site` at
-- `winner_at`; site 'server' is a write made in the cloud database). rejected: the server refused
-- it (`code`, `reason`); the row was brought back to the server's state.
-- Rejected writes are always kept until the app resolves them; applied and superseded ones only
-- for the tables in ferry_outcome_watch, and pruned by age and count (ferry_meta
-- outcomes_max_age_days, outcomes_max_count). `resolution` says what the app did about one.
CREATE TABLE IF NOT EXISTS ferry_outcomes (
    id            INTEGER PRIMARY KEY,
    tbl           TEXT NOT NULL,
    pk            TEXT NOT NULL,
    op            TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    outcome       TEXT NOT NULL CHECK (outcome IN ('applied', 'superseded', 'rejected')),
    code          TEXT,
    reason        TEXT,
    columns       TEXT CHECK (columns IS NULL OR json_valid(columns)),
    local_values  TEXT CHECK (local_values IS NULL OR json_valid(local_values)),
    winner_values TEXT CHECK (winner_values IS NULL OR json_valid(winner_values)),
    winner_site   TEXT,
    winner_at     TEXT,
    hlc           INTEGER NOT NULL,
    batch         INTEGER,
    recorded_at   TEXT NOT NULL,
    resolution    TEXT CHECK (resolution IS NULL OR resolution IN ('retried', 'restored', 'discarded')),
    resolved_at   TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS ferry_outcomes_row ON ferry_outcomes (tbl, pk);

-- The tables whose applied and superseded outcomes are kept: a synced table's name, or '*'.
CREATE TABLE IF NOT EXISTS ferry_outcome_watch (
    tbl TEXT PRIMARY KEY
) STRICT;

-- The rejected writes of earlier versions move into the ledger with their ids.
INSERT INTO ferry_outcomes (id, tbl, pk, op, outcome, code, reason, local_values, hlc, recorded_at)
SELECT id, tbl, pk, op, 'rejected', code, reason, row_values, hlc, rejected_at FROM ferry_rejected;
DROP TABLE ferry_rejected;

-- What ferry_rejected was: the rejected writes the app has not resolved yet.
CREATE VIEW ferry_rejected AS
SELECT id, tbl, pk, op, code, reason, local_values AS row_values, hlc, recorded_at AS rejected_at
FROM ferry_outcomes WHERE outcome = 'rejected' AND resolution IS NULL;

-- What became of the latest write of each row: 'pending' while it is queued (or in flight),
-- then its latest recorded outcome. A row with neither was applied (or its outcome was pruned,
-- or its table is not watched). Query it by key: WHERE tbl = 'users' AND pk = json_array(?).
CREATE VIEW ferry_write_status AS
SELECT t.name AS tbl, c.pk AS pk, 'pending' AS outcome, NULL AS outcome_id, max(c.hlc) AS hlc
FROM ferry_changes c JOIN ferry_tables t ON t.id = c.tbl
GROUP BY c.tbl, c.pk
UNION ALL
SELECT o.tbl, o.pk, o.outcome, o.id, o.hlc FROM ferry_outcomes o
WHERE o.id = (SELECT max(o2.id) FROM ferry_outcomes o2 WHERE o2.tbl = o.tbl AND o2.pk = o.pk)
  AND NOT EXISTS (SELECT 1 FROM ferry_changes c JOIN ferry_tables t ON t.id = c.tbl
                  WHERE t.name = o.tbl AND c.pk = o.pk);
