-- agentchat, device schema version 3: the updated_at triggers of 0001, made safe under recursive
-- triggers. Ferry turns recursive triggers on (so the rows a REPLACE deletes fire the capture
-- delete trigger); then a trigger's own UPDATE fires it again, and when ferry_now() is still the
-- old value (same millisecond) NEW.updated_at IS OLD.updated_at holds once more and it would
-- recurse until SQLite's depth limit. The guard skips an UPDATE that would change nothing.
-- The single-default triggers of model_config need no change: their UPDATE only clears flags
-- that are set (is_default = 1), and a row it clears does not fire them again (NEW.is_default = 0).
DROP TRIGGER trigger_admin_config_updated_at;
CREATE TRIGGER trigger_admin_config_updated_at
AFTER UPDATE ON admin_config
WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE admin_config SET updated_at = ferry_now() WHERE id = NEW.id AND updated_at IS NOT ferry_now();
END;

DROP TRIGGER trigger_model_config_updated_at;
CREATE TRIGGER trigger_model_config_updated_at
AFTER UPDATE ON model_config
WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE model_config SET updated_at = ferry_now() WHERE id = NEW.id AND updated_at IS NOT ferry_now();
END;
