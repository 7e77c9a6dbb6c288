-- Live sync (DESIGN.md decision 11): every statement that changes a synced table, whoever runs it,
-- notifies channel ferry_changes when its transaction commits, so a gateway's LISTEN connection
-- (or a daemon's) wakes its waiting long polls instead of polling. PostgreSQL folds identical
-- notifications of one transaction into one, so a large statement costs one notification.
CREATE OR REPLACE FUNCTION ferry.notify_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('ferry_changes', '');
    RETURN NULL;
END
$$;
