"""Read a results store back as pandas DataFrames (for notebooks, reports and aggregation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

from .store import ResultsStore

TABLES = ("calls", "utterances", "behaviours", "failures", "batches")


@dataclass(frozen=True)
class Results:
    """The stored tables of a results directory, one DataFrame each (empty if not written yet)."""

    calls: "object"
    utterances: "object"
    behaviours: "object"
    failures: "object"
    batches: "object"


def load_results(path: Union[str, Path]) -> Results:
    """Load ``calls``, ``utterances``, ``behaviours``, ``failures`` and ``batches`` from a results
    directory."""
    import pandas as pd

    store = ResultsStore(Path(path))
    if not store.root.is_dir():
        raise FileNotFoundError(f"{store.root}: no such results directory")
    frames = {}
    for name in TABLES:
        table = store.read(name)
        frames[name] = table.to_pandas() if table is not None else pd.DataFrame()
    return Results(**frames)
