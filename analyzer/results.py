"""Read a results store back as pandas DataFrames (for notebooks, reports and aggregation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

from .store import ResultsStore

TABLES = ("calls", "utterances", "behaviours", "failures", "batches", "agents", "coaching", "call_outcomes")


@dataclass(frozen=True)
class Results:
    """The stored tables of a results directory, one DataFrame each (empty if not written yet)."""

    root: str
    calls: "object"
    utterances: "object"
    behaviours: "object"
    failures: "object"
    batches: "object"
    agents: "object"
    coaching: "object"
    call_outcomes: "object"

    def variability(self) -> dict:
        """The headline table (``variability.json``), or {} before the first aggregation."""
        import json

        path = Path(self.root) / "variability.json"
        return json.loads(path.read_text()) if path.exists() else {}


def load_results(path: Union[str, Path]) -> Results:
    """Load every table of a results directory: ``calls``, ``utterances``, ``behaviours``,
    ``failures``, ``batches`` and the aggregates ``agents``, ``coaching``, ``call_outcomes``."""
    import pandas as pd

    store = ResultsStore(Path(path))
    if not store.root.is_dir():
        raise FileNotFoundError(f"{store.root}: no such results directory")
    frames = {}
    for name in TABLES:
        table = store.read(name)
        frames[name] = table.to_pandas() if table is not None else pd.DataFrame()
    return Results(root=str(store.root), **frames)
