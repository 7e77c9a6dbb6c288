-- The device whose push made a change to one of the rows it pushed. That device already received
-- the row's final state in the push's answer, so its pulls skip these entries (no echo).
-- Side effects of a push on other rows (cascades, the app's triggers) keep origin NULL and reach
-- every device, the pusher included.
ALTER TABLE ferry.changes ADD COLUMN IF NOT EXISTS origin text;
