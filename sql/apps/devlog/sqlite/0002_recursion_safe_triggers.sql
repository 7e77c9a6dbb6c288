-- devlog, device schema version 2: the updated_at / last_seen_at triggers of 0001, made safe
-- under recursive triggers. Ferry turns recursive triggers on (so the rows a REPLACE deletes fire
-- the capture delete trigger); then a trigger's own UPDATE fires it again, and when ferry_now()
-- is still the old value (same millisecond) the WHEN clause holds once more and it would recurse
-- until SQLite's depth limit. The guard skips an UPDATE that would change nothing.
DROP TRIGGER "projects_updated_at";
CREATE TRIGGER "projects_updated_at"
AFTER UPDATE ON "projects"
FOR EACH ROW WHEN ferry_capturing() AND NEW."updated_at" IS OLD."updated_at"
BEGIN
    UPDATE "projects" SET "updated_at" = ferry_now() WHERE "id" = NEW."id" AND "updated_at" IS NOT ferry_now();
END;

DROP TRIGGER "machines_last_seen_at";
CREATE TRIGGER "machines_last_seen_at"
AFTER UPDATE ON "machines"
FOR EACH ROW WHEN ferry_capturing() AND NEW."last_seen_at" IS OLD."last_seen_at"
BEGIN
    UPDATE "machines" SET "last_seen_at" = ferry_now() WHERE "id" = NEW."id" AND "last_seen_at" IS NOT ferry_now();
END;

DROP TRIGGER "workspaces_last_seen_at";
CREATE TRIGGER "workspaces_last_seen_at"
AFTER UPDATE ON "workspaces"
FOR EACH ROW WHEN ferry_capturing() AND NEW."last_seen_at" IS OLD."last_seen_at"
BEGIN
    UPDATE "workspaces" SET "last_seen_at" = ferry_now() WHERE "id" = NEW."id" AND "last_seen_at" IS NOT ferry_now();
END;

DROP TRIGGER "devlog_entries_updated_at";
CREATE TRIGGER "devlog_entries_updated_at"
AFTER UPDATE ON "devlog_entries"
FOR EACH ROW WHEN ferry_capturing() AND NEW."updated_at" IS OLD."updated_at"
BEGIN
    UPDATE "devlog_entries" SET "updated_at" = ferry_now() WHERE "id" = NEW."id" AND "updated_at" IS NOT ferry_now();
END;

DROP TRIGGER "devlog_documents_updated_at";
CREATE TRIGGER "devlog_documents_updated_at"
AFTER UPDATE ON "devlog_documents"
FOR EACH ROW WHEN ferry_capturing() AND NEW."updated_at" IS OLD."updated_at"
BEGIN
    UPDATE "devlog_documents" SET "updated_at" = ferry_now() WHERE "id" = NEW."id" AND "updated_at" IS NOT ferry_now();
END;

DROP TRIGGER "users_updated_at";
CREATE TRIGGER "users_updated_at"
AFTER UPDATE ON "users"
FOR EACH ROW WHEN ferry_capturing() AND NEW."updated_at" IS OLD."updated_at"
BEGIN
    UPDATE "users" SET "updated_at" = ferry_now() WHERE "id" = NEW."id" AND "updated_at" IS NOT ferry_now();
END;
