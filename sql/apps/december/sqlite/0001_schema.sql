-- december (seed 001), device schema version 1: the seed's tables, indexes, updated_at
-- triggers and both views in SQLite, typed per sql/README.md. Differences from the cloud are
-- declared in ../sync_rules.json and explained in ../README.md (sessions.token stays on the
-- server). Checks beyond the type mapping: lowercase canonical UUIDs and VARCHAR(n) lengths,
-- so a value the cloud would refuse is refused here first, naming its table and column.

-- Users: authentication and profile information.
CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY DEFAULT (ferry_uuid())
        CONSTRAINT "users_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    email TEXT NOT NULL UNIQUE
        CONSTRAINT "users_email_length" CHECK (length(email) <= 255),
    name TEXT
        CONSTRAINT "users_name_length" CHECK (length(name) <= 255),
    avatar_url TEXT,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "users_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "users_updated_at_timestamp" CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    last_login TEXT
        CONSTRAINT "users_last_login_timestamp" CHECK (last_login GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    is_active INTEGER DEFAULT 1
        CONSTRAINT "users_is_active_boolean" CHECK (is_active IN (0, 1))
) STRICT;

-- Sessions: user sessions. The bearer token (sessions.token, with its unique index and
-- idx_sessions_token) never leaves the server; devices list, deactivate and purge sessions
-- but cannot create one (the cloud requires the token).
CREATE TABLE sessions (
    id TEXT NOT NULL PRIMARY KEY DEFAULT (ferry_uuid())
        CONSTRAINT "sessions_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
        CONSTRAINT "sessions_expires_at_timestamp" CHECK (expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "sessions_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    last_activity TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "sessions_last_activity_timestamp" CHECK (last_activity GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    ip_address TEXT,
    user_agent TEXT,
    is_active INTEGER DEFAULT 1
        CONSTRAINT "sessions_is_active_boolean" CHECK (is_active IN (0, 1))
) STRICT;

-- Containers: Docker container metadata and status. status is free text in the seed
-- (created, running, stopped, deleted by convention), so it has no CHECK here either.
CREATE TABLE containers (
    id TEXT NOT NULL PRIMARY KEY DEFAULT (ferry_uuid())
        CONSTRAINT "containers_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    container_id TEXT NOT NULL UNIQUE
        CONSTRAINT "containers_container_id_length" CHECK (length(container_id) <= 255),
    name TEXT NOT NULL
        CONSTRAINT "containers_name_length" CHECK (length(name) <= 255),
    status TEXT NOT NULL DEFAULT 'created'
        CONSTRAINT "containers_status_length" CHECK (length(status) <= 50),
    image_name TEXT
        CONSTRAINT "containers_image_name_length" CHECK (length(image_name) <= 255),
    assigned_port INTEGER,
    url TEXT,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "containers_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "containers_updated_at_timestamp" CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    started_at TEXT
        CONSTRAINT "containers_started_at_timestamp" CHECK (started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    stopped_at TEXT
        CONSTRAINT "containers_stopped_at_timestamp" CHECK (stopped_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    labels TEXT DEFAULT '{}'
        CONSTRAINT "containers_labels_json" CHECK (labels IS NULL OR json_valid(labels)),
    metadata TEXT DEFAULT '{}'
        CONSTRAINT "containers_metadata_json" CHECK (metadata IS NULL OR json_valid(metadata))
) STRICT;

-- Projects: project metadata.
CREATE TABLE projects (
    id TEXT NOT NULL PRIMARY KEY DEFAULT (ferry_uuid())
        CONSTRAINT "projects_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    container_id TEXT REFERENCES containers(id) ON DELETE CASCADE,
    name TEXT NOT NULL
        CONSTRAINT "projects_name_length" CHECK (length(name) <= 255),
    description TEXT,
    type TEXT DEFAULT 'nextjs'
        CONSTRAINT "projects_type_length" CHECK (length(type) <= 100),
    status TEXT DEFAULT 'active'
        CONSTRAINT "projects_status_length" CHECK (length(status) <= 50),
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "projects_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "projects_updated_at_timestamp" CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    metadata TEXT DEFAULT '{}'
        CONSTRAINT "projects_metadata_json" CHECK (metadata IS NULL OR json_valid(metadata)),
    settings TEXT DEFAULT '{}'
        CONSTRAINT "projects_settings_json" CHECK (settings IS NULL OR json_valid(settings))
) STRICT;

-- Chat messages: AI chat conversation history. role is free text in the seed (user,
-- assistant by convention); the typed helper checks it, the table does not.
CREATE TABLE chat_messages (
    id TEXT NOT NULL PRIMARY KEY DEFAULT (ferry_uuid())
        CONSTRAINT "chat_messages_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    container_id TEXT REFERENCES containers(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL
        CONSTRAINT "chat_messages_session_id_length" CHECK (length(session_id) <= 255),
    role TEXT NOT NULL
        CONSTRAINT "chat_messages_role_length" CHECK (length(role) <= 20),
    content TEXT NOT NULL,
    attachments TEXT DEFAULT '[]'
        CONSTRAINT "chat_messages_attachments_json" CHECK (attachments IS NULL OR json_valid(attachments)),
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "chat_messages_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    metadata TEXT DEFAULT '{}'
        CONSTRAINT "chat_messages_metadata_json" CHECK (metadata IS NULL OR json_valid(metadata))
) STRICT;

-- File storage: file metadata of generated projects.
CREATE TABLE file_storage (
    id TEXT NOT NULL PRIMARY KEY DEFAULT (ferry_uuid())
        CONSTRAINT "file_storage_id_uuid" CHECK (id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    container_id TEXT REFERENCES containers(id) ON DELETE CASCADE,
    file_path TEXT NOT NULL,
    file_name TEXT NOT NULL
        CONSTRAINT "file_storage_file_name_length" CHECK (length(file_name) <= 255),
    file_size INTEGER,
    mime_type TEXT
        CONSTRAINT "file_storage_mime_type_length" CHECK (length(mime_type) <= 100),
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "file_storage_created_at_timestamp" CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        CONSTRAINT "file_storage_updated_at_timestamp" CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
    is_deleted INTEGER DEFAULT 0
        CONSTRAINT "file_storage_is_deleted_boolean" CHECK (is_deleted IN (0, 1))
) STRICT;

-- Indexes: every index the seed lists, with the seed's names (idx_sessions_token excepted:
-- its column stays on the server).
CREATE INDEX idx_users_email ON users(email);
CREATE INDEX idx_users_created_at ON users(created_at);

CREATE INDEX idx_containers_container_id ON containers(container_id);
CREATE INDEX idx_containers_status ON containers(status);
CREATE INDEX idx_containers_user_id ON containers(user_id);
CREATE INDEX idx_containers_created_at ON containers(created_at);
CREATE INDEX idx_containers_assigned_port ON containers(assigned_port);

CREATE INDEX idx_sessions_user_id ON sessions(user_id);
CREATE INDEX idx_sessions_expires_at ON sessions(expires_at);

CREATE INDEX idx_projects_container_id ON projects(container_id);
CREATE INDEX idx_projects_user_id ON projects(user_id);
CREATE INDEX idx_projects_status ON projects(status);
CREATE INDEX idx_projects_type ON projects(type);

CREATE INDEX idx_chat_messages_container_id ON chat_messages(container_id);
CREATE INDEX idx_chat_messages_session_id ON chat_messages(session_id);
CREATE INDEX idx_chat_messages_created_at ON chat_messages(created_at);

CREATE INDEX idx_file_storage_container_id ON file_storage(container_id);
CREATE INDEX idx_file_storage_file_path ON file_storage(file_path);

-- update_updated_at_column() and its three triggers. The cloud's BEFORE UPDATE trigger sets
-- updated_at = NOW() on every update; here an AFTER UPDATE trigger does it for local writes
-- that left updated_at unchanged, and never while Ferry applies a pulled row (the synced value
-- wins). Recursive triggers are off, so the inner UPDATE does not fire it again.
CREATE TRIGGER update_containers_updated_at
AFTER UPDATE ON containers
FOR EACH ROW WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE containers SET updated_at = ferry_now() WHERE id = NEW.id;
END;

CREATE TRIGGER update_projects_updated_at
AFTER UPDATE ON projects
FOR EACH ROW WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE projects SET updated_at = ferry_now() WHERE id = NEW.id;
END;

CREATE TRIGGER update_file_storage_updated_at
AFTER UPDATE ON file_storage
FOR EACH ROW WHEN ferry_capturing() AND NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE file_storage SET updated_at = ferry_now() WHERE id = NEW.id;
END;

-- Views: the seed's two views with the same columns in the same order.
CREATE VIEW active_containers AS
SELECT
    c.*,
    p.name AS project_name,
    p.description AS project_description,
    u.email AS user_email
FROM containers c
LEFT JOIN projects p ON c.id = p.container_id
LEFT JOIN users u ON c.user_id = u.id
WHERE c.status IN ('running', 'created')
ORDER BY c.created_at DESC;

CREATE VIEW user_projects AS
SELECT
    p.*,
    c.status AS container_status,
    c.assigned_port AS assigned_port,
    c.url AS url,
    COUNT(cm.id) AS message_count
FROM projects p
LEFT JOIN containers c ON p.container_id = c.id
LEFT JOIN chat_messages cm ON c.id = cm.container_id
GROUP BY p.id, c.status, c.assigned_port, c.url
ORDER BY p.updated_at DESC;
