-- projectme (seed 000), cloud seed rows: the global settings row ("userId" IS NULL), the fallback
-- of getSettings(userId). Fixed id and timestamps, identical to the device's 0002_seed_data.sql,
-- so a device that seeded locally and the cloud hold the same row. Never overwrites an existing row.
INSERT INTO "Settings" ("id", "userId", "runnerUrl", "runnerToken", "preferences", "createdAt", "updatedAt")
VALUES ('settings_global', NULL, NULL, NULL, '{}', '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000')
ON CONFLICT DO NOTHING;
