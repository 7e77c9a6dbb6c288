-- december, device schema version 2: the updated_at triggers of 0001, made safe under
-- recursive triggers. Ferry turns recursive triggers on (so the rows a REPLACE deletes fire the
-- capture delete trigger); then a trigger's own UPDATE fires it again, and when ferry_now() is
-- still the old value (same millisecond) NEW.updated_at IS OLD.updated_at holds once more and it
-- would recurse until SQLite's depth limit. The guard skips an UPDATE that would change nothing.
DROP TRIGGER update_containers_updated_at;
CREATE TRIGGER update_containers_updated_at
AFTER UPDATE ON containers
FOR EACH ROW WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE containers SET updated_at = ferry_now() WHERE id = NEW.id AND updated_at IS NOT ferry_now();
END;

DROP TRIGGER update_projects_updated_at;
CREATE TRIGGER update_projects_updated_at
AFTER UPDATE ON projects
FOR EACH ROW WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE projects SET updated_at = ferry_now() WHERE id = NEW.id AND updated_at IS NOT ferry_now();
END;

DROP TRIGGER update_file_storage_updated_at;
CREATE TRIGGER update_file_storage_updated_at
AFTER UPDATE ON file_storage
FOR EACH ROW WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE file_storage SET updated_at = ferry_now() WHERE id = NEW.id AND updated_at IS NOT ferry_now();
END;
