-- A push batch is identified by (site, seq) *and* its content (DESIGN.md decision 6). The digest
-- of the last applied batch lets the server answer a retry as a duplicate only when it is the
-- same batch; a different batch under a recorded seq comes from a store restored from a backup
-- or copied to another machine, which is told to take a new site id (site_reused) instead of
-- being answered with results that are not its own.
ALTER TABLE ferry.sites ADD COLUMN IF NOT EXISTS last_digest text;

-- The batch whose merge made a change (with origin, the site). A device's pull skips the entries
-- of its own batches it has acknowledged (acked_seq in the pull request): it already holds those
-- rows from the push's answer. Entries of a batch it has not acknowledged (a copy of the store
-- pushing under the same site id) are not skipped.
ALTER TABLE ferry.changes ADD COLUMN IF NOT EXISTS origin_seq bigint;
