-- projectme, device schema version 3: the "updatedAt" triggers of 0001, made safe under recursive
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

DROP TRIGGER "Task_set_updatedAt";
CREATE TRIGGER "Task_set_updatedAt" AFTER UPDATE ON "Task"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "Task" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id" AND "updatedAt" IS NOT ferry_now();
END;

DROP TRIGGER "Settings_set_updatedAt";
CREATE TRIGGER "Settings_set_updatedAt" AFTER UPDATE ON "Settings"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "Settings" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id" AND "updatedAt" IS NOT ferry_now();
END;

DROP TRIGGER "LLMSession_set_updatedAt";
CREATE TRIGGER "LLMSession_set_updatedAt" AFTER UPDATE ON "LLMSession"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "LLMSession" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id" AND "updatedAt" IS NOT ferry_now();
END;

DROP TRIGGER "SandboxFile_set_updatedAt";
CREATE TRIGGER "SandboxFile_set_updatedAt" AFTER UPDATE ON "SandboxFile"
WHEN ferry_capturing() AND NEW."updatedAt" IS OLD."updatedAt"
BEGIN
    UPDATE "SandboxFile" SET "updatedAt" = ferry_now() WHERE "id" = NEW."id" AND "updatedAt" IS NOT ferry_now();
END;
