// bindings/python/ferry_py.cpp: `import ferry` (pybind11): stores, queries with parameters,
// transactions as context managers, sync (the GIL released while it runs), status, rejected
// writes, and the live sync service. Type hints: bindings/python/ferry.pyi.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ferry/error.hpp"
#include "ferry/http_transport.hpp"
#include "ferry/outcomes.hpp"
#include "ferry/postgres_transport.hpp"
#include "ferry/store.hpp"
#include "ferry/sync.hpp"
#include "ferry/sync_service.hpp"
#include "lib/store/store_impl.hpp"

namespace py = pybind11;

namespace {

PyObject* g_error_type = nullptr;  // ferry.Error

ferry::Value to_value(const py::handle& v) {
    if (v.is_none()) return ferry::Value();
    if (py::isinstance<py::bool_>(v)) return ferry::Value(v.cast<bool>());
    if (py::isinstance<py::int_>(v)) return ferry::Value(v.cast<std::int64_t>());
    if (py::isinstance<py::float_>(v)) return ferry::Value(v.cast<double>());
    if (py::isinstance<py::str>(v)) return ferry::Value(v.cast<std::string>());
    if (py::isinstance<py::bytes>(v)) {
        const std::string b = v.cast<std::string>();
        return ferry::Value(ferry::Blob(b.begin(), b.end()));
    }
    throw ferry::Error(ferry::ErrorDomain::ferry, ferry::ErrorCode::invalid_argument,
                       "a parameter of type " + std::string(py::str(v.get_type().attr("__name__"))) +
                           " cannot be bound: use None, bool, int, float, str or bytes");
}

std::vector<ferry::Value> to_values(const py::sequence& params) {
    std::vector<ferry::Value> out;
    for (const auto& p : params) out.push_back(to_value(p));
    return out;
}

py::object to_python(const ferry::Value& v) {
    switch (v.type()) {
    case ferry::Value::Type::null: return py::none();
    case ferry::Value::Type::integer: return py::int_(v.as_int());
    case ferry::Value::Type::real: return py::float_(v.as_real());
    case ferry::Value::Type::text: return py::str(v.as_text());
    case ferry::Value::Type::blob: {
        const auto& b = v.as_blob();
        return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
    }
    }
    return py::none();
}

py::dict report_dict(const ferry::SyncReport& r) {
    py::dict d;
    d["pushed"] = r.pushed;
    d["applied"] = r.applied;
    d["superseded"] = r.superseded;
    d["rejected"] = r.rejected;
    d["pulled"] = r.pulled;
    d["leased"] = r.leased;
    d["cursor"] = r.cursor;
    d["warnings"] = r.warnings;
    d["clock_skew_ms"] = r.clock_skew_ms ? py::object(py::int_(*r.clock_skew_ms)) : py::object(py::none());
    return d;
}

py::dict service_status_dict(const ferry::SyncServiceStatus& s) {
    py::dict d;
    d["state"] = ferry::sync_state_name(s.state);
    d["rounds"] = s.rounds;
    d["failed_rounds"] = s.failed_rounds;
    d["pushed"] = s.pushed;
    d["pulled"] = s.pulled;
    d["rejected"] = s.rejected;
    d["pending_changes"] = s.pending_changes;
    d["last_error_code"] = s.last_error.empty() ? py::object(py::none()) : py::object(py::str(ferry::error_code_name(s.last_error_code)));
    d["last_error"] = s.last_error;
    return d;
}

/// The transport for `sync` and the service: the gateway when `gateway` is given (with the
/// user's `token`), else PostgreSQL directly (`database_url`).
struct Endpoint {
    std::optional<std::string> gateway, token, database_url;
    void check() const {
        if (gateway.has_value() == database_url.has_value())
            throw ferry::Error(ferry::ErrorDomain::ferry, ferry::ErrorCode::invalid_argument,
                               "give either gateway= (with token=) or database_url=");
        if (gateway && !token)
            throw ferry::Error(ferry::ErrorDomain::ferry, ferry::ErrorCode::invalid_argument,
                               "gateway= needs the user's token=");
    }
    ferry::HttpOptions http() const {
        ferry::HttpOptions o;
        o.bearer_token = *token;
        return o;
    }
    std::unique_ptr<ferry::Transport> connect(const std::string& app) const {
        if (gateway) return ferry::connect_gateway(*gateway, http());
        return ferry::connect_postgres(*database_url, app);
    }
};

/// `with store.transaction():` is one level of Store::transaction (Store::Impl::begin_level):
/// committed when the block ends, rolled back when it raises or when the commit fails.
class Transaction {
public:
    explicit Transaction(ferry::Store& store) : m_impl(ferry::detail::impl_of(store)) {}
    void enter() { m_level = m_impl.begin_level(); }
    bool exit(const py::object& type, const py::object&, const py::object&) {
        if (type.is_none()) m_impl.commit_level(m_level);
        else m_impl.rollback_level(m_level);
        return false;  // the block's exception goes on
    }

private:
    ferry::Store::Impl& m_impl;
    ferry::Store::Impl::TransactionLevel m_level;
};

/// The service as Python holds it: stopped without the GIL (its callback may need the GIL to
/// finish the round), also when it is garbage-collected.
struct PyService {
    std::unique_ptr<ferry::SyncService> service;
    void stop() {
        py::gil_scoped_release nogil;
        service->stop();
    }
    ~PyService() {
        if (service) stop();
    }
};

/// A row whose local write lost, for on_lost.
py::dict lost_dict(const ferry::RemoteChange& r) {
    py::dict d;
    d["table"] = r.table;
    d["key"] = r.key_json;
    d["lost"] = r.lost;
    d["lost_columns"] = r.lost_columns;
    d["outcome_id"] = r.outcome_id;
    return d;
}

using ChangeCallback = std::function<void(std::string, std::string, bool)>;
using LostCallback = std::function<void(py::dict)>;

/// SyncOptions::on_remote_changes calling the Python callbacks (with the GIL) for each row, or
/// nothing when neither is set. `on_service_thread`: an exception in them is reported as
/// unraisable and the service goes on; otherwise it ends the sync() call that ran them.
std::function<void(const std::vector<ferry::RemoteChange>&)> change_callbacks(ChangeCallback on_change, LostCallback on_lost,
                                                                             bool on_service_thread) {
    if (!on_change && !on_lost) return {};
    return [on_change, on_lost, on_service_thread](const std::vector<ferry::RemoteChange>& rows) {
        py::gil_scoped_acquire gil;
        try {
            for (const auto& r : rows) {
                if (on_change) on_change(r.table, r.key_json, r.deleted);
                if (on_lost && !r.lost.empty()) on_lost(lost_dict(r));
            }
        } catch (py::error_already_set& err) {
            if (!on_service_thread) throw;
            err.discard_as_unraisable("ferry.SyncService on_change");
        }
    };
}

}  // namespace

PYBIND11_MODULE(ferry, m) {
    m.doc() = "Ferry: an embedded local-first store (SQLite) with sync to PostgreSQL";
    m.attr("__version__") = FERRY_VERSION;

    static py::exception<ferry::Error> error(m, "Error");
    g_error_type = error.ptr();
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const ferry::Error& e) {
            py::object instance = py::reinterpret_borrow<py::object>(g_error_type)(e.what());
            instance.attr("domain") = ferry::error_domain_name(e.domain());
            instance.attr("code") = ferry::error_code_name(e.code());
            instance.attr("transient") = e.is_transient();
            PyErr_SetObject(g_error_type, instance.ptr());
        }
    });

    py::class_<Transaction>(m, "Transaction")
        .def("__enter__", [](Transaction& t) { t.enter(); return &t; }, py::return_value_policy::reference)
        .def("__exit__", &Transaction::exit);

    py::class_<ferry::Store>(m, "Store")
        .def(py::init([](const std::string& path, std::optional<std::string> app) {
                 return app ? ferry::Store::open(path, *app) : ferry::Store::open_existing(path);
             }),
             py::arg("path"), py::arg("app") = py::none())
        .def_property_readonly("path", &ferry::Store::path)
        .def_property_readonly("app", &ferry::Store::app)
        .def("exec", [](ferry::Store& s, const std::string& sql) { s.exec(sql); }, py::arg("sql"))
        .def("execute",
             [](ferry::Store& s, const std::string& sql, const py::sequence& params) {
                 return s.execute(sql, to_values(params));
             },
             py::arg("sql"), py::arg("params") = py::tuple())
        .def("query",
             [](ferry::Store& s, const std::string& sql, const py::sequence& params, bool as_dicts) {
                 const ferry::QueryResult r = s.query(sql, to_values(params));
                 py::list out;
                 for (const auto& row : r.rows) {
                     if (as_dicts) {
                         py::dict d;
                         for (std::size_t i = 0; i < row.size(); ++i) d[py::str(r.columns[i])] = to_python(row[i]);
                         out.append(d);
                     } else {
                         py::tuple t(row.size());
                         for (std::size_t i = 0; i < row.size(); ++i) t[i] = to_python(row[i]);
                         out.append(t);
                     }
                 }
                 return out;
             },
             py::arg("sql"), py::arg("params") = py::tuple(), py::arg("as_dicts") = false)
        .def("transaction", [](ferry::Store& s) { return Transaction(s); }, py::keep_alive<0, 1>())
        .def("status",
             [](ferry::Store& s) {
                 const auto st = s.status();
                 py::dict d;
                 d["app"] = st.app;
                 d["schema_version"] = st.schema_version;
                 d["site_id"] = st.site_id;
                 d["pending_changes"] = st.pending_changes;
                 d["rejected_writes"] = st.rejected_writes;
                 d["pull_cursor"] = st.pull_cursor;
                 d["last_sync_at"] = st.last_sync_at;
                 py::dict tables;
                 for (const auto& t : st.tables) tables[py::str(t.name)] = t.rows;
                 d["tables"] = tables;
                 return d;
             })
        .def("sync",
             [](ferry::Store& s, std::optional<std::string> gateway, std::optional<std::string> token,
                std::optional<std::string> database_url, std::function<void(std::string, std::string, bool)> on_change,
                std::function<void(py::dict)> on_lost) {
                 const Endpoint e{gateway, token, database_url};
                 e.check();
                 ferry::SyncOptions o;
                 o.on_remote_changes = change_callbacks(on_change, on_lost, false);
                 ferry::SyncReport report;
                 {
                     py::gil_scoped_release nogil;  // a round can take long: other Python threads run
                     auto transport = e.connect(s.app());
                     report = ferry::SyncClient(s, *transport, o).sync();
                 }
                 return report_dict(report);
             },
             py::kw_only(), py::arg("gateway") = py::none(), py::arg("token") = py::none(),
             py::arg("database_url") = py::none(), py::arg("on_change") = nullptr, py::arg("on_lost") = nullptr)
        .def("rejected",
             [](ferry::Store& s) {
                 py::list out;
                 for (const auto& w : ferry::rejected_writes(s)) {
                     py::dict d;
                     d["id"] = w.id;
                     d["table"] = w.table;
                     d["key"] = w.key_json;
                     d["op"] = w.op;
                     d["code"] = w.code;
                     d["reason"] = w.reason;
                     d["rejected_at"] = w.rejected_at;
                     out.append(d);
                 }
                 return out;
             })
        .def("outcomes",
             [](ferry::Store& s, std::optional<std::string> outcome, std::optional<std::string> table, bool include_resolved,
                std::int64_t limit) {
                 ferry::OutcomeFilter f;
                 f.outcome = outcome.value_or("");
                 f.table = table.value_or("");
                 f.include_resolved = include_resolved;
                 f.limit = limit;
                 return py::module_::import("json").attr("loads")(ferry::write_outcomes_json(s, f));
             },
             py::arg("outcome") = py::none(), py::kw_only(), py::arg("table") = py::none(),
             py::arg("include_resolved") = false, py::arg("limit") = 0)
        .def("retry",
             [](ferry::Store& s, std::int64_t id, std::optional<py::dict> changes) {
                 const std::string text =
                     changes ? py::module_::import("json").attr("dumps")(*changes).cast<std::string>() : std::string();
                 ferry::retry_write(s, id, text);
             },
             py::arg("id"), py::arg("changes") = py::none())
        .def("restore", [](ferry::Store& s, std::int64_t id) { ferry::restore_write(s, id); }, py::arg("id"))
        .def("discard", [](ferry::Store& s, std::int64_t id) { return ferry::discard_write(s, id); }, py::arg("id"))
        .def("watch_outcomes",
             [](ferry::Store& s, std::vector<std::string> tables, std::optional<int> max_age_days,
                std::optional<std::int64_t> max_count) {
                 ferry::OutcomePolicy p = ferry::outcome_policy(s);
                 p.watch = std::move(tables);
                 if (max_age_days) p.max_age_days = *max_age_days;
                 if (max_count) p.max_count = *max_count;
                 ferry::set_outcome_policy(s, p);
             },
             py::arg("tables"), py::kw_only(), py::arg("max_age_days") = py::none(), py::arg("max_count") = py::none())
        .def("outcome_policy",
             [](ferry::Store& s) {
                 const ferry::OutcomePolicy p = ferry::outcome_policy(s);
                 py::dict d;
                 d["watch"] = p.watch;
                 d["max_age_days"] = p.max_age_days;
                 d["max_count"] = p.max_count;
                 return d;
             })
        .def("write_status",
             [](ferry::Store& s, const std::string& table, const py::object& key) {
                 py::object k = py::isinstance<py::list>(key) || py::isinstance<py::tuple>(key) ? py::list(key) : py::list();
                 if (!py::isinstance<py::list>(key) && !py::isinstance<py::tuple>(key)) k.attr("append")(key);
                 return ferry::write_status(s, table, py::module_::import("json").attr("dumps")(k).cast<std::string>());
             },
             py::arg("table"), py::arg("key"));

    py::class_<PyService>(m, "SyncService")
        .def(py::init([](const std::string& path, std::optional<std::string> gateway, std::optional<std::string> token,
                         std::optional<std::string> database_url, std::function<void(py::dict)> on_status,
                         std::function<void(std::string, std::string, bool)> on_change, std::function<void(py::dict)> on_lost) {
                 const Endpoint e{gateway, token, database_url};
                 e.check();
                 const std::string app = ferry::Store::open_existing(path).app();
                 ferry::SyncServiceOptions o;
                 if (on_status)
                     o.on_status = [on_status](const ferry::SyncServiceStatus& s) {
                         py::gil_scoped_acquire gil;
                         try {
                             on_status(service_status_dict(s));
                         } catch (py::error_already_set& err) {
                             err.discard_as_unraisable("ferry.SyncService on_status");
                         }
                     };
                 o.sync.on_remote_changes = change_callbacks(on_change, on_lost, true);
                 ferry::SyncService::FeedFactory feed;
                 if (e.gateway) feed = [e] { return ferry::gateway_changes(*e.gateway, e.http()); };
                 else feed = [url = *e.database_url] { return ferry::postgres_changes(url); };
                 auto holder = std::make_unique<PyService>();
                 holder->service =
                     std::make_unique<ferry::SyncService>(path, [e, app] { return e.connect(app); }, feed, o);
                 return holder;
             }),
             py::arg("path"), py::kw_only(), py::arg("gateway") = py::none(), py::arg("token") = py::none(),
             py::arg("database_url") = py::none(), py::arg("on_status") = nullptr, py::arg("on_change") = nullptr,
             py::arg("on_lost") = nullptr)
        .def("start", [](PyService& s) { s.service->start(); })
        .def("stop", &PyService::stop)
        .def("sync_now", [](PyService& s) { s.service->sync_now(); })
        .def("status", [](const PyService& s) { return service_status_dict(s.service->status()); })
        .def("__enter__", [](PyService& s) -> PyService& {
            s.service->start();
            return s;
        }, py::return_value_policy::reference)
        .def("__exit__", [](PyService& s, const py::object&, const py::object&, const py::object&) {
            s.stop();
            return false;
        });
}
