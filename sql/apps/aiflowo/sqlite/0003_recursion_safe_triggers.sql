-- aiflowo, device schema version 3: the "updatedAt" triggers of 0001, made safe under recursive
-- triggers. Ferry turns recursive triggers on (so the rows a REPLACE deletes fire the capture
-- delete trigger); then a trigger's own UPDATE fires it again, and when ferry_now() is still the
-- old value (same millisecond) NEW."updatedAt" IS OLD."updatedAt" holds once more and it would
-- recurse until SQLite's depth limit. The guard skips an UPDATE that would change nothing.

DROP TRIGGER "User_set_updatedAt";
CREATE TRIGGER "User_set_updatedAt" AFTER UPDATE ON "User"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "User" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id" AND "updatedAt" IS NOT ferry_now();
END;

DROP TRIGGER "UserProfile_set_updatedAt";
CREATE TRIGGER "UserProfile_set_updatedAt" AFTER UPDATE ON "UserProfile"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "UserProfile" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id" AND "updatedAt" IS NOT ferry_now();
END;

DROP TRIGGER "Task_set_updatedAt";
CREATE TRIGGER "Task_set_updatedAt" AFTER UPDATE ON "Task"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "Task" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id" AND "updatedAt" IS NOT ferry_now();
END;

-- As in 0001: an UPDATE that sets only "usageCount" (a counter) leaves "updatedAt" alone.
DROP TRIGGER "Tool_set_updatedAt";
CREATE TRIGGER "Tool_set_updatedAt"
AFTER UPDATE OF "id", "name", "displayName", "description", "category", "schema", "enabled", "createdAt", "updatedAt" ON "Tool"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "Tool" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id" AND "updatedAt" IS NOT ferry_now();
END;
