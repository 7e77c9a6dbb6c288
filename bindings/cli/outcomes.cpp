// bindings/cli/outcomes.cpp: `ferry outcomes`: the write-outcome ledger from the command line.
#include "bindings/cli/outcomes.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "ferry/error.hpp"
#include "ferry/outcomes.hpp"
#include "ferry/store.hpp"

namespace ferry::cli {
namespace {

using ordered = nlohmann::ordered_json;

/// One line: ID, when, what, the outcome and its detail.
void print_line(const WriteOutcome& o) {
    std::cout << o.id << "\t" << o.recorded_at << "\t" << o.op << " " << o.table << " " << o.key_json << "\t" << o.outcome;
    if (o.outcome == "rejected") std::cout << " (" << o.code << "): " << o.reason;
    if (o.outcome == "superseded") {
        std::cout << ": " << o.reason;
        if (!o.winner_site.empty()) std::cout << "; won by " << o.winner_site << " at " << o.winner_at;
        if (!o.winner_values_json.empty()) std::cout << " with " << o.winner_values_json;
    }
    if (!o.resolution.empty()) std::cout << "\t[" << o.resolution << "]";
    std::cout << "\n";
}

int list(const OutcomesCommand& c) {
    auto store = Store::open_existing(c.db);
    OutcomeFilter f;
    if ((c.rejected ? 1 : 0) + (c.superseded ? 1 : 0) + (c.applied ? 1 : 0) > 1)
        throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "give one of --rejected, --superseded and --applied");
    f.outcome = c.rejected ? "rejected" : c.superseded ? "superseded" : c.applied ? "applied" : "";
    f.table = c.table;
    f.include_resolved = c.all;
    f.limit = c.limit;
    if (c.json) {
        std::cout << write_outcomes_json(store, f) << "\n";
        return 0;
    }
    for (const auto& o : write_outcomes(store, f)) print_line(o);
    return 0;
}

/// Acts on each id; an id that is not there or not in the right state is named, the others done.
int act(const OutcomesCommand& c, const char* verb) {
    auto store = Store::open_existing(c.db);
    int failures = 0;
    for (auto id : c.ids) {
        try {
            if (c.retry->parsed()) retry_write(store, id, c.with);
            else if (c.restore->parsed()) restore_write(store, id);
            else if (!discard_write(store, id))
                throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument,
                            "no unresolved write outcome " + std::to_string(id));
            std::cerr << "ferry: " << verb << " " << id << "\n";
        } catch (const Error& e) {
            ++failures;
            std::cerr << "ferry: error [" << error_domain_name(e.domain()) << "/" << error_code_name(e.code()) << "]: outcome "
                      << id << ": " << e.what() << "\n";
        }
    }
    if (c.retry->parsed() || c.restore->parsed())
        std::cerr << "ferry: the next sync pushes what was written again (ferry sync --db " << c.db << ")\n";
    return failures == 0 ? 0 : 1;
}

int watch(const OutcomesCommand& c) {
    auto store = Store::open_existing(c.db);
    OutcomePolicy p = outcome_policy(store);
    if (c.none) p.watch.clear();
    if (!c.tables.empty()) p.watch = c.tables;
    if (c.max_age_days > 0) p.max_age_days = c.max_age_days;
    if (c.max_count > 0) p.max_count = c.max_count;
    if (c.none || !c.tables.empty() || c.max_age_days > 0 || c.max_count > 0) set_outcome_policy(store, p);
    p = outcome_policy(store);
    if (c.json) {
        ordered j = {{"watch", p.watch}, {"max_age_days", p.max_age_days}, {"max_count", p.max_count}};
        std::cout << j.dump(2) << "\n";
    } else {
        std::string tables;
        for (const auto& t : p.watch) tables += (tables.empty() ? "" : " ") + t;
        std::cout << "watch\t" << (tables.empty() ? "(none: only rejected writes are kept)" : tables) << "\n"
                  << "max_age_days\t" << p.max_age_days << "\n"
                  << "max_count\t" << p.max_count << "\n";
    }
    return 0;
}

}  // namespace

void add_outcomes_command(CLI::App& app, OutcomesCommand& c) {
    c.list = app.add_subcommand("outcomes", "What became of the local writes sync pushed: applied, superseded (and who "
                                            "won), rejected (and why); retry, restore or discard them");
    c.list->require_subcommand(0, 1);
    c.list->add_option("--db", c.db, "Store file");
    c.list->add_flag("--rejected", c.rejected, "Only writes the server refused");
    c.list->add_flag("--superseded", c.superseded, "Only writes that lost last-writer-wins");
    c.list->add_flag("--applied", c.applied, "Only writes the server took (kept for watched tables)");
    c.list->add_flag("--all", c.all, "Also those already retried, restored or discarded");
    c.list->add_option("--table", c.table, "Only this table");
    c.list->add_option("--limit", c.limit, "Only the newest N")->check(CLI::PositiveNumber);
    c.list->add_flag("--json", c.json, "Print JSON");

    auto ids = [&](CLI::App* sub) {
        sub->add_option("--db", c.db, "Store file")->required();
        sub->add_option("id", c.ids, "Outcome ids (from ferry outcomes)")->required()->expected(1, -1);
    };
    c.retry = c.list->add_subcommand("retry", "Write rejected writes again as new local writes (after fixing the data)");
    ids(c.retry);
    c.retry->add_option("--with", c.with, "A JSON object of column values to write over the refused ones, "
                                          "e.g. '{\"email\": \"ann2@example.com\"}'");
    c.restore = c.list->add_subcommand("restore", "Write superseded values again as new local writes, so that they win");
    ids(c.restore);
    c.discard = c.list->add_subcommand("discard", "Accept the server's state for these outcomes and mark them discarded");
    ids(c.discard);

    c.watch = c.list->add_subcommand("watch", "Show or set what the ledger keeps besides rejected writes");
    c.watch->add_option("--db", c.db, "Store file")->required();
    c.watch->add_option("table", c.tables, "Tables whose applied and superseded outcomes to keep ('*': every table)");
    c.watch->add_flag("--none", c.none, "Keep only rejected writes");
    c.watch->add_option("--max-age-days", c.max_age_days, "Prune kept outcomes older than this")->check(CLI::PositiveNumber);
    c.watch->add_option("--max-count", c.max_count, "Keep at most this many outcomes")->check(CLI::PositiveNumber);
    c.watch->add_flag("--json", c.json, "Print JSON");
}

int run_outcomes(const OutcomesCommand& c) {
    if (c.retry->parsed()) return act(c, "retried");
    if (c.restore->parsed()) return act(c, "restored");
    if (c.discard->parsed()) return act(c, "discarded");
    if (c.watch->parsed()) return watch(c);
    if (c.db.empty()) throw Error(ErrorDomain::ferry, ErrorCode::invalid_argument, "ferry outcomes needs --db FILE");
    return list(c);
}

}  // namespace ferry::cli
