-- Ferry's own metadata in a device store. Every name starts with ferry_.

-- Key/value state of the store: app, site_id, hlc, pull_cursor, last_sync_at, ...
CREATE TABLE IF NOT EXISTS ferry_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Every migration applied, of Ferry's metadata (scope 'ferry') and of the app (scope = app name).
CREATE TABLE IF NOT EXISTS ferry_migrations (
    scope      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (scope, version)
) STRICT;

-- The synced tables with a stable small id each, and their columns in order: bit i of a change's
-- column mask is columns[i] (bit 62 stands for every column from the 63rd on).
CREATE TABLE IF NOT EXISTS ferry_tables (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    pk_columns TEXT NOT NULL CHECK (json_valid(pk_columns)),
    columns    TEXT NOT NULL CHECK (json_valid(columns))
) STRICT;

-- The local change log, written by the capture triggers. Lean on purpose: the key, which columns
-- changed and the clock; values are read from the row itself when the change is pushed.
-- op: 1 insert, 2 update, 3 delete. mask: changed columns (-1: all). pk: JSON array of key values.
-- AUTOINCREMENT: a sequence number is never reused, even after the log was emptied, because a
-- push batch in flight is acknowledged by "every entry up to seq N".
CREATE TABLE IF NOT EXISTS ferry_changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl  INTEGER NOT NULL,
    pk   TEXT NOT NULL,
    op   INTEGER NOT NULL,
    mask INTEGER NOT NULL,
    hlc  INTEGER NOT NULL
) STRICT;

-- Writes the server refused; the app lists them, the local row was restored to the server's state.
CREATE TABLE IF NOT EXISTS ferry_rejected (
    id          INTEGER PRIMARY KEY,
    tbl         TEXT NOT NULL,
    pk          TEXT NOT NULL,
    op          TEXT NOT NULL,
    code        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    row_values  TEXT CHECK (row_values IS NULL OR json_valid(row_values)),
    hlc         INTEGER NOT NULL,
    rejected_at TEXT NOT NULL
) STRICT;

-- Blocks of integer ids leased from the server's sequences for rows created offline.
CREATE TABLE IF NOT EXISTS ferry_id_leases (
    tbl     TEXT NOT NULL,
    column  TEXT NOT NULL,
    next_id INTEGER NOT NULL,
    last_id INTEGER NOT NULL,
    PRIMARY KEY (tbl, column, next_id)
) STRICT;
