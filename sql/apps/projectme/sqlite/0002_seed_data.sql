-- projectme (seed 000), device seed rows: the global settings row ("userId" IS NULL) that
-- get_settings() falls back to. Same fixed id and timestamps as postgres/0002_seed_data.sql.
INSERT OR IGNORE INTO "Settings" ("id", "userId", "runnerUrl", "preferences", "createdAt", "updatedAt")
VALUES ('settings_global', NULL, NULL, '{}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
