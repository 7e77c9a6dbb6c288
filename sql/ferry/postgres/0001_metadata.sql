-- Ferry's own metadata in the cloud database, in schema "ferry" (created by the installer
-- together with ferry.schema_migrations before any migration runs).

-- Key/value state: which app this database holds, ...
CREATE TABLE IF NOT EXISTS ferry.meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
