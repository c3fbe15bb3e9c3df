"""Read a results store back as pandas DataFrames (for notebooks, reports and aggregation), and
the same tables from DuckDB.

Every dataset is read with latest wins (see :mod:`analyzer.store`): a call's latest version, with
its own utterances and behaviours. Tables load when first used, with the columns asked for
(``utterances.words``, the bulk of the store, only when asked) and optionally only the runs of a
window of dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Union

from . import schema
from .store import ResultsStore

TABLES = tuple(schema.TABLES)  # calls, utterances, behaviours, failures, batches, agents, coaching, call_outcomes


class Results:
    """The stored tables of a results directory, one DataFrame each (empty if not written yet):
    ``calls``, ``utterances``, ``behaviours``, ``failures``, ``batches``, ``agents``,
    ``coaching``, ``call_outcomes``. Each is read on first use and kept."""

    def __init__(self, root: Union[str, Path], columns: Optional[Mapping[str, Sequence[str]]] = None,
                 since: Optional[str] = None, until: Optional[str] = None, words: bool = False,
                 exclude: Optional[Mapping[str, Sequence[str]]] = None):
        self.root = str(root)
        self.since, self.until = since, until
        self._columns = dict(columns or {})
        self._exclude = {k: tuple(v) for k, v in (exclude or {}).items()}
        self._words = words
        self._store = ResultsStore(Path(root))
        self._frames: Dict[str, object] = {}

    def table(self, name: str, columns: Optional[Sequence[str]] = None, exclude: Sequence[str] = ()):
        """One table as a DataFrame (``columns``: only these; ``exclude``: all but these), read now
        (not kept)."""
        import pandas as pd

        if name not in schema.TABLES:
            raise KeyError(f"{name}: not a table of a results directory ({', '.join(TABLES)})")
        if columns is None and name == "utterances" and not self._words:
            exclude = tuple(exclude) + ("words",)
        if schema.TABLES[name].kind == "derived":
            table = self._store.read(name, columns)
            if table is not None and exclude:
                table = table.drop_columns([c for c in exclude if c in table.column_names])
        else:
            table = self._store.read(name, columns, since=self.since, until=self.until, exclude=exclude)
        return table.to_pandas() if table is not None else pd.DataFrame()

    def _get(self, name: str):
        if name not in self._frames:
            self._frames[name] = self.table(name, self._columns.get(name), self._exclude.get(name, ()))
        return self._frames[name]

    calls = property(lambda self: self._get("calls"), doc="one row per call (its latest version)")
    utterances = property(lambda self: self._get("utterances"), doc="one row per utterance of the calls' latest versions")
    behaviours = property(lambda self: self._get("behaviours"), doc="one row per behaviour found")
    failures = property(lambda self: self._get("failures"), doc="one row per problem, every batch")
    batches = property(lambda self: self._get("batches"), doc="one row per run")
    agents = property(lambda self: self._get("agents"), doc="one row per agent (the last aggregation)")
    coaching = property(lambda self: self._get("coaching"), doc="agent x behaviour to coach (the last aggregation)")
    call_outcomes = property(lambda self: self._get("call_outcomes"), doc="per-call outcomes (the last aggregation)")

    def variability(self) -> dict:
        """The headline table (``variability.json``), or {} before the first aggregation."""
        import json

        path = Path(self.root) / "variability.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def __repr__(self) -> str:
        return f"Results({self.root!r})"


TAXONOMY_FILE = "taxonomy.json"


def taxonomy_record(taxonomy, previous: Optional[dict] = None) -> dict:
    """What ``taxonomy.json`` records: every behaviour that tagged calls in this results
    directory (ids, names, polarity, party), the timeline behaviours, and where the taxonomy came
    from. Behaviours of earlier runs that this taxonomy no longer has are kept (their calls are
    still stored); this taxonomy's entries replace theirs."""
    from .behaviours.taxonomy import TIMELINE_BEHAVIOURS

    merged = {b["id"]: b for b in (previous or {}).get("behaviours", []) if isinstance(b, dict) and "id" in b}
    for b in taxonomy.behaviours:
        merged[b.id] = {"id": b.id, "name": b.name, "polarity": b.polarity, "party": getattr(b, "party", "agent"), "found_by": "classifier"}
    for bid, name in TIMELINE_BEHAVIOURS.items():
        merged[bid] = {"id": bid, "name": name, "polarity": "negative", "party": "agent", "found_by": "dynamics"}
    return {"source": str(getattr(taxonomy, "source", "")), "sha256": getattr(taxonomy, "sha256", None), "behaviours": list(merged.values())}


def behaviour_catalog(results_dir: Union[str, Path]) -> Dict[str, dict]:
    """Behaviour id -> ``{"name", "polarity", ...}`` for the calls in a results directory: from the
    ``taxonomy.json`` the runs recorded; the shipped default taxonomy only fills in behaviours it
    does not name (results written before runs recorded their taxonomy)."""
    import json

    from .behaviours.taxonomy import TIMELINE_BEHAVIOURS

    catalog: Dict[str, dict] = {}
    try:
        from .behaviours.taxonomy import load_taxonomy

        for b in load_taxonomy().behaviours:
            catalog[b.id] = {"id": b.id, "name": b.name, "polarity": b.polarity, "party": b.party}
    except Exception:  # noqa: BLE001 - no shipped taxonomy: the recorded one (if any) is all there is
        pass
    for bid, name in TIMELINE_BEHAVIOURS.items():
        catalog[bid] = {"id": bid, "name": name, "polarity": "negative", "party": "agent"}
    path = Path(results_dir) / TAXONOMY_FILE
    if path.exists():
        try:
            recorded = json.loads(path.read_text(encoding="utf-8"))
            for b in recorded.get("behaviours", []):
                if isinstance(b, dict) and b.get("id") and b.get("polarity") in ("positive", "negative"):
                    catalog[str(b["id"])] = {**b, "name": str(b.get("name") or b["id"])}
        except (OSError, ValueError, AttributeError):
            pass
    return catalog


def load_results(path: Union[str, Path], columns: Optional[Mapping[str, Sequence[str]]] = None, since: Optional[str] = None,
                 until: Optional[str] = None, words: bool = False, exclude: Optional[Mapping[str, Sequence[str]]] = None) -> Results:
    """The tables of a results directory: ``calls``, ``utterances``, ``behaviours``,
    ``failures``, ``batches`` and the aggregates ``agents``, ``coaching``, ``call_outcomes``, each
    read (latest wins) when first used.

    columns: ``{"calls": ["call_id", "agent_id", ...], ...}``: only these columns of those tables.
    exclude: ``{"calls": ["customer_sentiment_trajectory", ...]}``: every column but these.
    words: also read ``utterances.words`` (word timings: most of the store's bytes; off by default).
    since, until: ISO dates (inclusive): only calls (and failures, batches) of runs whose
    ``batch_date`` falls in the window (a call counts by its latest version).
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such results directory")
    return Results(root, columns=columns, since=_iso_date(since), until=_iso_date(until), words=words, exclude=exclude)


def _iso_date(value) -> Optional[str]:
    if value is None:
        return None
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)


def duckdb_views(path: Union[str, Path]) -> str:
    """SQL that creates one DuckDB view per stored table of a results directory, latest wins
    (``calls``, ``utterances``, ``behaviours``, ``failures``, ``batches``, and the aggregates).
    Paths are as given (relative paths are relative to where DuckDB runs)."""
    root = str(path).rstrip("/").replace("'", "''")
    store = ResultsStore(Path(path))
    read = "read_parquet('{root}/{name}/*/*.parquet', hive_partitioning = true, union_by_name = true)"
    statements = []
    for name, table in schema.TABLES.items():
        source = read.format(root=root, name=name)
        if table.kind == "derived":
            if store.path(name).exists() and _has_columns(store.path(name)):
                statements.append(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM '{root}/{name}.parquet';")
            continue
        if not store.parts(name):
            continue
        if name == "calls":
            query = f"SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY version DESC) = 1"
        elif table.kind == "call":
            calls = read.format(root=root, name="calls")
            query = (f"SELECT t.* FROM {source} t SEMI JOIN (SELECT call_id, max(version) AS version FROM {calls} "
                     "GROUP BY call_id) latest USING (call_id, version)")
        else:
            query = f"SELECT * FROM {source} QUALIFY version = max(version) OVER (PARTITION BY batch_id)"
        statements.append(f"CREATE OR REPLACE VIEW {name} AS {query};")
    return "\n".join(statements)


def _has_columns(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        return bool(pq.read_schema(path).names)  # an aggregate with nothing to say yet has none
    except Exception:  # noqa: BLE001 - unreadable: leave it out
        return False


def connect_duckdb(path: Union[str, Path], connection=None):
    """A DuckDB connection (``connection``, or a new in-memory one) with one view per stored table
    of a results directory, latest wins: ``analyzer.connect_duckdb("results/").sql("SELECT ...
    FROM calls")``."""
    import duckdb

    con = connection if connection is not None else duckdb.connect()
    sql = duckdb_views(path)
    if sql:
        con.execute(sql)
    return con
