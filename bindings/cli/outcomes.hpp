// bindings/cli/outcomes.hpp: `ferry outcomes` (docs/cli.md, docs/outcomes.md): lists what became
// of the store's pushed writes, and retries, restores or discards them; `watch` sets what the
// ledger keeps.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::cli {

/// The command's options, filled by CLI11.
struct OutcomesCommand {
    CLI::App* list = nullptr;
    CLI::App* retry = nullptr;
    CLI::App* restore = nullptr;
    CLI::App* discard = nullptr;
    CLI::App* watch = nullptr;
    std::string db;
    bool rejected = false, superseded = false, applied = false, all = false, json = false, none = false;
    std::string table, with;
    std::int64_t limit = 0;
    std::vector<std::int64_t> ids;
    std::vector<std::string> tables;
    int max_age_days = 0;
    std::int64_t max_count = 0;
};

/// Adds `outcomes` and its subcommands to `app`; `command` must outlive the parse.
void add_outcomes_command(CLI::App& app, OutcomesCommand& command);

/// Runs it (after a parse that selected it). Returns the exit code (throws ferry::Error).
int run_outcomes(const OutcomesCommand& command);

}  // namespace ferry::cli
