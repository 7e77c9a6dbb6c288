"""`import ferry` against a real PostgreSQL and a real gateway: a store used offline, typed
values, transactions, errors, sync directly and through the gateway (the GIL released), change
callbacks, rejected writes, and the live sync service."""
import threading
import time
import uuid

import pytest

import ferry
from conftest import eventually, token_for

ME = "11111111-1111-4111-8111-111111111111"


def test_a_store_used_offline(tmp_path):
    store = ferry.Store(str(tmp_path / "a.db"), "december")
    assert store.app == "december"
    assert store.execute("INSERT INTO users(id, email, name) VALUES (?, ?, ?)", (ME, "ann@x.org", "Ann")) == 1
    assert store.query("SELECT email, name FROM users") == [("ann@x.org", "Ann")]
    assert store.query("SELECT email FROM users", as_dicts=True) == [{"email": "ann@x.org"}]
    row = store.query("SELECT ?, ?, ?, ?, ?", (42, 2.5, None, b"\x00\xff", True))[0]
    assert row == (42, 2.5, None, b"\x00\xff", 1)
    assert store.status()["pending_changes"] == 1
    # A store reopened by path alone knows its app.
    assert ferry.Store(str(tmp_path / "a.db")).app == "december"


def test_transactions_commit_and_roll_back(tmp_path):
    store = ferry.Store(str(tmp_path / "t.db"), "december")
    with store.transaction():
        store.execute("INSERT INTO users(id, email) VALUES (?, 'one@x.org')", (ME,))
        with store.transaction():
            store.execute("INSERT INTO users(id, email) VALUES ('22222222-2222-4222-8222-222222222222', 'two@x.org')")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.execute("INSERT INTO users(id, email) VALUES ('33333333-3333-4333-8333-333333333333', 'x@x.org')")
            raise RuntimeError("the app gives up")
    assert [r[0] for r in store.query("SELECT email FROM users ORDER BY email")] == ["one@x.org", "two@x.org"]
    assert store.status()["pending_changes"] == 2


def test_errors_say_what_they_are(tmp_path):
    store = ferry.Store(str(tmp_path / "e.db"), "december")
    with pytest.raises(ferry.Error) as bad_sql:
        store.exec("SELEKT 1")
    assert bad_sql.value.domain == "sqlite" and bad_sql.value.code == "sql" and "SELEKT" in str(bad_sql.value)
    store.execute("INSERT INTO users(id, email) VALUES (?, 'a@x.org')", (ME,))
    with pytest.raises(ferry.Error) as duplicate:
        store.execute("INSERT INTO users(id, email) VALUES (?, 'b@x.org')", (ME,))
    assert duplicate.value.code == "constraint" and not duplicate.value.transient
    with pytest.raises(ferry.Error) as wrong_type:
        store.execute("SELECT ?", (object(),))
    assert wrong_type.value.code == "invalid_argument" and "object" in str(wrong_type.value)
    with pytest.raises(ferry.Error) as unknown:
        ferry.Store(str(tmp_path / "u.db"), "no-such-app")
    assert unknown.value.code == "unknown_app"
    with pytest.raises(ferry.Error) as neither:
        store.sync()
    assert "gateway=" in str(neither.value)


def test_sync_directly_with_change_callbacks(tmp_path, database):
    a = ferry.Store(str(tmp_path / "a.db"), "december")
    b = ferry.Store(str(tmp_path / "b.db"), "december")
    a.execute("INSERT INTO users(id, email) VALUES (?, 'ann@x.org')", (ME,))
    report = a.sync(database_url=database)
    assert report["pushed"] == 1 and report["applied"] == 1 and report["rejected"] == 0
    changed = []
    assert b.sync(database_url=database, on_change=lambda t, k, d: changed.append((t, k, d)))["pulled"] == 1
    assert changed == [("users", '["' + ME + '"]', False)]
    assert b.query("SELECT email FROM users") == [("ann@x.org",)]
    assert a.rejected() == []


def test_the_gil_is_released_while_a_sync_runs(tmp_path, database):
    store = ferry.Store(str(tmp_path / "g.db"), "december")
    with store.transaction():
        for i in range(3000):
            store.execute("INSERT INTO users(id, email) VALUES (?, ?)", (str(uuid.uuid4()), "u%d@x.org" % i))
    ticks = []
    done = threading.Event()

    def other_thread():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=other_thread)
    t.start()
    try:
        assert store.sync(database_url=database)["applied"] == 3000
    finally:
        done.set()
        t.join()
    assert len(ticks) > 10  # the other thread ran while the round did


def test_sync_through_the_gateway(tmp_path, database, gateway):
    token = token_for(ME)
    a = ferry.Store(str(tmp_path / "a.db"), "december")
    b = ferry.Store(str(tmp_path / "b.db"), "december")
    a.execute("INSERT INTO users(id, email) VALUES (?, 'me@x.org')", (ME,))
    assert a.sync(gateway=gateway, token=token)["applied"] == 1
    assert b.sync(gateway=gateway, token=token)["pulled"] == 1
    assert b.query("SELECT email FROM users") == [("me@x.org",)]
    with pytest.raises(ferry.Error) as refused:
        a.sync(gateway=gateway, token="not-a-token")
    assert refused.value.code == "unauthenticated" and refused.value.domain == "http"


def test_the_sync_service_keeps_a_store_in_sync(tmp_path, database):
    a = ferry.Store(str(tmp_path / "a.db"), "december")
    b_path = str(tmp_path / "b.db")
    b = ferry.Store(b_path, "december")
    statuses, changed = [], []
    with ferry.SyncService(b_path, database_url=database, on_status=statuses.append,
                           on_change=lambda t, k, d: changed.append((t, k, d))) as service:
        a.execute("INSERT INTO users(id, email) VALUES (?, 'live@x.org')", (ME,))
        a.sync(database_url=database)
        assert eventually(lambda: b.query("SELECT count(*) FROM users") == [(1,)])
        assert eventually(lambda: ("users", '["' + ME + '"]', False) in changed)
        assert service.status()["failed_rounds"] == 0
    assert service.status()["state"] == "stopped"
    assert any(s["state"] == "idle" for s in statuses)


def test_a_conflict_through_the_gateway_is_recorded_and_restored(tmp_path, database, gateway):
    token = token_for(ME)
    a = ferry.Store(str(tmp_path / "a.db"), "december")
    b = ferry.Store(str(tmp_path / "b.db"), "december")
    a.execute("INSERT INTO users(id, email, name) VALUES (?, 'me@x.org', 'Me')", (ME,))
    a.sync(gateway=gateway, token=token)
    b.sync(gateway=gateway, token=token)
    a.watch_outcomes(["users"])
    assert a.outcome_policy()["watch"] == ["users"]
    a.execute("UPDATE users SET name = 'from a' WHERE id = ?", (ME,))
    time.sleep(0.005)  # b writes later: b wins
    b.execute("UPDATE users SET name = 'from b' WHERE id = ?", (ME,))
    b.sync(gateway=gateway, token=token)
    assert a.write_status("users", ME) == "pending"
    lost = []
    report = a.sync(gateway=gateway, token=token, on_lost=lost.append)
    assert report["superseded"] == 1
    [outcome] = a.outcomes("superseded")
    assert outcome["table"] == "users" and outcome["key"] == [ME]
    assert outcome["local_values"]["name"] == "from a"
    assert outcome["winner_values"]["name"] == "from b"
    assert outcome["winner_site"] == b.status()["site_id"]
    assert [(x["lost"], x["outcome_id"]) for x in lost] == [("superseded", outcome["id"])]
    assert a.write_status("users", [ME]) == "superseded"
    assert a.query("SELECT name FROM users") == [("from b",)]
    a.restore(outcome["id"])
    a.sync(gateway=gateway, token=token)
    b.sync(gateway=gateway, token=token)
    assert b.query("SELECT name FROM users") == [("from a",)]
    assert a.write_status("users", ME) == "applied"
    assert a.outcomes("superseded") == []
    assert a.outcomes("superseded", include_resolved=True)[0]["resolution"] == "restored"


def test_rejected_writes_are_retried_with_the_data_fixed_or_discarded(tmp_path, database):
    a = ferry.Store(str(tmp_path / "a.db"), "december")
    b = ferry.Store(str(tmp_path / "b.db"), "december")
    b.execute("INSERT INTO users(id, email) VALUES (?, 'taken@x.org')", (ME,))
    b.execute("INSERT INTO users(id, email) VALUES (?, 'taken2@x.org')", (str(uuid.uuid4()),))
    b.sync(database_url=database)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    a.execute("INSERT INTO users(id, email, name) VALUES (?, 'taken@x.org', 'A')", (first,))
    a.execute("INSERT INTO users(id, email, name) VALUES (?, 'taken2@x.org', 'B')", (second,))
    assert a.sync(database_url=database)["rejected"] == 2
    refused = a.outcomes("rejected")
    assert [r["key"] for r in refused] == [[first], [second]]
    assert all(r["code"] == "constraint" and "unique" in r["reason"] for r in refused)
    with pytest.raises(ferry.Error) as bad:
        a.retry(refused[0]["id"], {"no_such_column": 1})
    assert bad.value.code == "invalid_argument" and "no_such_column" in str(bad.value)
    a.retry(refused[0]["id"], {"email": "mine@x.org"})
    assert a.discard(refused[1]["id"]) is True
    assert a.discard(refused[1]["id"]) is False
    assert a.sync(database_url=database)["rejected"] == 0
    b.sync(database_url=database)
    assert b.query("SELECT name FROM users WHERE email = 'mine@x.org'") == [("A",)]
    assert a.rejected() == [] and a.status()["rejected_writes"] == 0
