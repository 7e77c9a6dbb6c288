// ferry/apps/december.hpp: typed helpers for the "december" app schema (seed 001, an AI app
// builder: users, containers, sessions, projects, chat messages, file storage, two views).
// Each helper is plain SQL on a Store opened for "december"; its writes sync like any other.
// Optional: an app that brings its own schema needs none of this. Every helper runs on the
// calling thread under the Store's rules (one thread at a time), borrows the Store for the call,
// and throws ferry::Error as Store::execute does (a constraint, a busy database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ferry/store.hpp>

namespace ferry::apps::december {

/// A user to create. Timestamps and is_active take their column defaults.
struct NewUser {
    std::string email;
    std::optional<std::string> name;
    std::optional<std::string> avatar_url;
};

/// A container to create. `labels` and `metadata` are JSON text.
struct NewContainer {
    std::string container_id;  ///< the Docker container id (unique)
    std::string name;
    std::string status = "created";
    std::optional<std::string> image_name;
    std::optional<std::int64_t> assigned_port;
    std::optional<std::string> url;
    std::optional<std::string> user_id;
    std::string labels = "{}";
    std::string metadata = "{}";
};

/// A project to create. `metadata` and `settings` are JSON text.
struct NewProject {
    std::string name;
    std::optional<std::string> container_id;
    std::optional<std::string> description;
    std::string type = "nextjs";
    std::string status = "active";
    std::optional<std::string> user_id;
    std::string metadata = "{}";
    std::string settings = "{}";
};

/// A chat message to add. `attachments` (a JSON array by convention) and `metadata` are JSON text.
struct NewChatMessage {
    std::optional<std::string> container_id;
    std::string session_id;
    std::string role;  ///< "user" or "assistant"
    std::string content;
    std::string attachments = "[]";
    std::string metadata = "{}";
};

/// A row of the active_containers view: a container that is running or created, with its
/// project (one row per project; NULLs when it has none) and its user's email.
struct ActiveContainer {
    std::string id;
    std::string container_id;
    std::string name;
    std::string status;
    std::optional<std::string> image_name;
    std::optional<std::int64_t> assigned_port;
    std::optional<std::string> url;
    std::optional<std::string> created_at;
    std::optional<std::string> updated_at;
    std::optional<std::string> started_at;
    std::optional<std::string> stopped_at;
    std::optional<std::string> user_id;
    std::optional<std::string> labels;
    std::optional<std::string> metadata;
    std::optional<std::string> project_name;
    std::optional<std::string> project_description;
    std::optional<std::string> user_email;
};

/// A row of the user_projects view: a project with its container's state and message count.
struct UserProject {
    std::string id;
    std::optional<std::string> container_id;
    std::string name;
    std::optional<std::string> description;
    std::optional<std::string> type;
    std::optional<std::string> status;
    std::optional<std::string> created_at;
    std::optional<std::string> updated_at;
    std::optional<std::string> user_id;
    std::optional<std::string> metadata;
    std::optional<std::string> settings;
    std::optional<std::string> container_status;
    std::optional<std::int64_t> assigned_port;
    std::optional<std::string> url;
    std::int64_t message_count = 0;
};

/// Creates a user and returns its new id (a UUID).
/// Throws Error(constraint) when the email is taken or longer than 255 characters.
std::string create_user(Store& store, const NewUser& user);

/// Creates a container and returns its new id (a UUID).
/// Throws Error(constraint) for a taken container_id, an unknown user_id, invalid JSON in
/// labels/metadata, or a value longer than its column allows.
std::string create_container(Store& store, const NewContainer& container);

/// Sets a container's status and the timestamps that go with it: "running" sets started_at to
/// now and clears stopped_at; "stopped" sets stopped_at to now; "deleted" sets stopped_at to now
/// unless it is already set; "created" changes only the status. updated_at follows by trigger.
/// Throws Error(invalid_argument) for any other status, Error(not_found) for an unknown id.
void update_container_status(Store& store, const std::string& id, const std::string& status);

/// Creates a project and returns its new id (a UUID).
/// Throws Error(constraint) for an unknown container_id or user_id, invalid JSON, or a value
/// longer than its column allows.
std::string create_project(Store& store, const NewProject& project);

/// Adds a chat message and returns its new id (a UUID).
/// Throws Error(invalid_argument) when role is not "user" or "assistant"; Error(constraint)
/// for an unknown container_id or invalid JSON.
std::string add_chat_message(Store& store, const NewChatMessage& message);

/// The rows of the active_containers view, newest container first.
std::vector<ActiveContainer> active_containers(Store& store);

/// The rows of the user_projects view, most recently updated first; only `user_id`'s projects
/// when given.
std::vector<UserProject> user_projects(Store& store, const std::optional<std::string>& user_id = std::nullopt);

/// Deletes the sessions whose expires_at has passed and returns how many were deleted. The
/// deletes sync like any other (an expired session is useless everywhere).
std::int64_t purge_expired_sessions(Store& store);

}  // namespace ferry::apps::december
