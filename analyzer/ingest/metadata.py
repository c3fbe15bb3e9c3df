"""Read the ACD/CRM export (CSV or Parquet) that joins onto calls by ``call_id``.

Known columns (all optional except ``call_id``): agent_id, started_at, queue, csat (1-5 survey
score, blank when not surveyed), handle_seconds, hold_seconds, acw_seconds, transferred; fcr
(first-contact resolution, true/false) is also read as a boolean.
Any other column is kept and written to the ``calls`` table as is. A bad value is recorded as a
problem naming the file, call and column, and that value is left blank; the call still runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

from ..errors import InputError
from ..records import Failure
from ..schema import CALLS

C = CALLS.c  # names and types declared in analyzer/schema.py
NUMERIC_COLUMNS = (C.handle_seconds, C.hold_seconds, C.acw_seconds)
TEXT_COLUMNS = (C.agent_id, C.started_at, C.queue)
KNOWN_COLUMNS = (C.call_id,) + TEXT_COLUMNS + (C.csat,) + NUMERIC_COLUMNS + (C.transferred,)
BOOLEAN_COLUMNS = (C.transferred, C.fcr)
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


@dataclass(frozen=True)
class Metadata:
    """Validated metadata rows keyed by call_id, plus the problems found reading them."""

    source: str
    rows: Mapping[str, Mapping[str, Any]]
    problems: Tuple[Failure, ...] = ()

    def get(self, call_id: str) -> Mapping[str, Any]:
        return self.rows.get(call_id, {})


EMPTY_METADATA = Metadata(source="", rows={})


def read_metadata(path: str | Path) -> Metadata:
    """Read a CSV or Parquet export. A file that cannot be read at all raises InputError."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "metadata file not found", stage="metadata")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # pandas raises many types for unreadable files
        raise InputError(str(path), f"cannot read metadata ({type(exc).__name__}: {exc})", stage="metadata") from None
    return validate_metadata(frame.to_dict(orient="records"), source=str(path))


def validate_metadata(records: list[Mapping[str, Any]], source: str = "metadata") -> Metadata:
    """Normalise metadata rows; usable from notebooks on in-memory records."""
    if records and C.call_id not in records[0]:
        raise InputError(source, "metadata has no 'call_id' column", stage="metadata")
    rows: Dict[str, Dict[str, Any]] = {}
    problems: list[Failure] = []
    for line, record in enumerate(records, start=2):
        call_id = _clean_text(record.get(C.call_id))
        if call_id is None:
            problems.append(Failure(source, "metadata", f"row {line}: blank call_id; row ignored", severity="warning"))
            continue
        if call_id in rows:
            problems.append(Failure(source, "metadata", f"row {line}: duplicate call_id {call_id!r}; the first row is used", call_id, "warning"))
            continue
        row: Dict[str, Any] = {}
        for column, value in record.items():
            if column == C.call_id:
                continue
            try:
                row[column] = _convert(column, value)
            except ValueError as exc:
                problems.append(Failure(source, "metadata", f"row {line}, column {column}: {exc}; value left blank", call_id, "warning"))
                row[column] = None
        rows[call_id] = row
    return Metadata(source=source, rows=rows, problems=tuple(problems))


def convert_value(column: str, value: Any) -> Any:
    """A metadata value of ``column`` as stored (known columns validated; ValueError says why
    a value cannot be used). Shared by the metadata export and top-level transcript fields."""
    return _convert(column, value)


def _convert(column: str, value: Any) -> Any:
    if column in TEXT_COLUMNS:
        return _clean_text(value)
    if column == C.csat:
        number = _number(value)
        if number is not None and not 1 <= number <= 5:
            raise ValueError(f"csat {value!r} is outside the 1-5 survey scale")
        return number
    if column in NUMERIC_COLUMNS:
        number = _number(value)
        if number is not None and number < 0:
            raise ValueError(f"{value!r} is negative")
        return number
    if column in BOOLEAN_COLUMNS:
        return _boolean(value)
    return _clean_text(value) if isinstance(value, str) else _blank_to_none(value)


def _clean_text(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _blank_to_none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, (str, bytes)) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _number(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("the number is too large") from None
    except (TypeError, ValueError):
        raise ValueError(f"{_short(value)} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _boolean(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{_short(value)} is not true/false")
