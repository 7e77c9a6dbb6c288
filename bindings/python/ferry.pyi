"""Type hints of `ferry`, Ferry's Python module (bindings/python/ferry_py.cpp)."""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

__version__: str

Param = Union[None, bool, int, float, str, bytes]

class Error(Exception):
    """Every failure: `domain` ("ferry", "sqlite", "postgres", "http", "io"), `code` (a name from
    error_codes.def: "constraint", "connection", ...), `transient` (worth retrying as it is)."""
    domain: str
    code: str
    transient: bool

class Transaction:
    def __enter__(self) -> "Transaction": ...
    def __exit__(self, *exc: Any) -> bool: ...

class Store:
    """A device store: SQLite with Ferry's capture. Opens (creating and migrating) the store for
    `app`, or an existing one whatever its app when `app` is None. Use from one thread at a time."""
    def __init__(self, path: str, app: Optional[str] = None) -> None: ...
    @property
    def path(self) -> str: ...
    @property
    def app(self) -> str: ...
    def exec(self, sql: str) -> None: ...
    def execute(self, sql: str, params: Sequence[Param] = ()) -> int: ...
    def query(self, sql: str, params: Sequence[Param] = (), as_dicts: bool = False
              ) -> Union[List[Tuple[Any, ...]], List[Dict[str, Any]]]: ...
    def transaction(self) -> Transaction:
        """`with store.transaction():` commits when the block ends, rolls back when it raises."""
    def status(self) -> Dict[str, Any]: ...
    def sync(self, *, gateway: Optional[str] = None, token: Optional[str] = None,
             database_url: Optional[str] = None,
             on_change: Optional[Callable[[str, str, bool], None]] = None,
             on_lost: Optional[Callable[[Dict[str, Any]], None]] = None) -> Dict[str, Any]:
        """One round (lease, push, pull) through the gateway (with the user's token) or directly.
        The GIL is released while it runs; `on_change(table, key_json, deleted)` is called for
        each row the round brought, `on_lost({table, key, lost, lost_columns, outcome_id})` for
        each row whose local write lost ("superseded" or "rejected")."""
    def rejected(self) -> List[Dict[str, Any]]: ...
    # The write-outcome ledger (docs/outcomes.md).
    def outcomes(self, outcome: Optional[str] = None, *, table: Optional[str] = None,
                 include_resolved: bool = False, limit: int = 0) -> List[Dict[str, Any]]:
        """Recorded outcomes ("applied", "superseded", "rejected"), oldest first, as
        `ferry outcomes --json` prints them."""
    def retry(self, id: int, changes: Optional[Dict[str, Any]] = None) -> None:
        """Writes a rejected write again as a new local write, `changes` on top."""
    def restore(self, id: int) -> None:
        """Writes a superseded write's losing values again, so that they win."""
    def discard(self, id: int) -> bool:
        """Marks an outcome discarded; False if there is no unresolved outcome `id`."""
    def watch_outcomes(self, tables: Sequence[str], *, max_age_days: Optional[int] = None,
                       max_count: Optional[int] = None) -> None:
        """Keeps applied and superseded outcomes of these tables ("*": all); [] keeps only rejections."""
    def outcome_policy(self) -> Dict[str, Any]: ...
    def write_status(self, table: str, key: Any) -> str:
        """"pending", "applied", "superseded", "rejected" or "unknown" for a row's latest write
        (`key`: its key value, or a list of them)."""

class SyncService:
    """Keeps the store file at `path` in sync on threads of its own (live: LISTEN or long polls)
    until stop(). `on_status(status)`, `on_change(table, key_json, deleted)` and `on_lost(...)`
    (as for Store.sync) are called on the service's thread. A context manager."""
    def __init__(self, path: str, *, gateway: Optional[str] = None, token: Optional[str] = None,
                 database_url: Optional[str] = None,
                 on_status: Optional[Callable[[Dict[str, Any]], None]] = None,
                 on_change: Optional[Callable[[str, str, bool], None]] = None,
                 on_lost: Optional[Callable[[Dict[str, Any]], None]] = None) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def sync_now(self) -> None: ...
    def status(self) -> Dict[str, Any]: ...
    def __enter__(self) -> "SyncService": ...
    def __exit__(self, *exc: Any) -> bool: ...
