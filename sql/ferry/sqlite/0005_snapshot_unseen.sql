-- The rows a snapshot has not brought yet (a fresh device's first pull, or a resync after the
-- server trimmed its change log below this device's cursor). Filled with the rows the device
-- holds when the snapshot's first page arrives; a row a page or a push answer brings leaves it.
-- When the snapshot ends, the rows still here without local writes were deleted on the server
-- meanwhile. It replaces ferry_snapshot_seen (0003), which marked every row a snapshot brought:
-- a fresh device's first sync now keeps no mark at all.
CREATE TABLE IF NOT EXISTS ferry_snapshot_unseen (
    tbl INTEGER NOT NULL,
    pk  TEXT NOT NULL,
    PRIMARY KEY (tbl, pk)
) STRICT, WITHOUT ROWID;
DROP TABLE IF EXISTS ferry_snapshot_seen;
-- A snapshot under way restarts from its first page: its marks meant "seen", not "unseen".
UPDATE ferry_meta SET value = '{}' WHERE key = 'snapshot';
