"""Per-call outcomes and case mix, from the stored calls table (or any DataFrame of calls).

AHT per call = talk + hold + after-call work: the ACD's ``handle_seconds`` where the metadata
has it, else the recording's talk time plus ``hold_seconds`` and ``acw_seconds`` from the
metadata, else the recording/transcript timeline alone (``aht_source`` says which).
CSAT: the survey score where surveyed (1-5) and ``satisfied`` = score of 4 or 5. The customer's
sentiment at the start and end of the call on the 0-100 index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from ..schema import CALL_OUTCOMES, CALLS

C, O = CALLS.c, CALL_OUTCOMES.c  # stored calls columns in, outcome columns out (analyzer/schema.py)
HOUR_BINS = (0, 10, 12, 14, 16, 18, 24)
CASE_MIX = (C.queue, "topic", "hour", O.sentiment_start)


def _column(calls, name: str, default=np.nan):
    import pandas as pd

    if name in calls.columns:
        return pd.to_numeric(calls[name], errors="coerce").to_numpy(dtype=np.float64, copy=True)
    return np.full(len(calls), default, dtype=np.float64)


def prepare_calls(calls):
    """Standard outcome and case-mix columns for the engine, keeping every original column.

    Adds: aht_s, aht_source, csat (NaN if not surveyed), satisfied (0/1, NaN if not surveyed),
    transferred and fcr (0/1 where the metadata has them),
    sentiment_start, sentiment_end (0-100 index), hour (0-23, NaN if unknown), queue/topic
    (strings, "unknown" if missing).
    """
    import pandas as pd

    if C.agent_id not in calls.columns:
        raise ValueError("calls need an agent_id column")
    df = calls[calls[C.agent_id].notna()].reset_index(drop=True)  # a new frame (rows taken): calls stays as it was, not copied twice
    handle = _column(df, C.handle_seconds)
    duration = _column(df, C.duration_s)
    hold_meta, acw = _column(df, C.hold_seconds), _column(df, C.acw_seconds)
    hold_timeline = np.nan_to_num(_column(df, C.hold_s), nan=0.0)
    timeline_plus = np.where(np.isnan(duration), np.nan, duration - hold_timeline + np.where(np.isnan(hold_meta), hold_timeline, hold_meta) + np.nan_to_num(acw))
    has_meta = ~np.isnan(hold_meta) | ~np.isnan(acw)
    df[O.aht_s] = np.where(~np.isnan(handle), handle, np.where(has_meta, timeline_plus, duration))
    df[O.aht_source] = np.where(~np.isnan(handle), "handle_seconds", np.where(has_meta & ~np.isnan(duration), "timeline+metadata", np.where(np.isnan(duration), "unknown", "timeline")))
    csat = _column(df, C.csat)
    csat[(csat < 1) | (csat > 5)] = np.nan
    df[O.csat] = csat
    df[O.satisfied] = np.where(np.isnan(csat), np.nan, (csat >= 4).astype(float))
    for flag in (C.transferred, C.fcr):  # 0/1 where the export has them (true/false, yes/no, 1/0)
        if flag in df.columns:
            text = df[flag].astype(str).str.strip().str.lower()
            df[flag] = np.where(text.isin(["true", "1", "1.0", "yes", "y", "t"]), 1.0, np.where(text.isin(["false", "0", "0.0", "no", "n", "f"]), 0.0, np.nan))
        else:
            df[flag] = np.nan
    for edge in ("start", "end"):
        index = _column(df, getattr(C, f"customer_index_{edge}"))
        signed = _column(df, getattr(C, f"customer_sentiment_{edge}"))
        df[getattr(O, f"sentiment_{edge}")] = np.where(np.isnan(index), 50 * (signed + 1), index)
    if C.started_at in df.columns:
        df["_started"], df["hour"] = parse_started_at(df[C.started_at])
    else:
        df["hour"] = np.nan
    for name in (C.queue, "topic"):
        df[name] = df[name].fillna("unknown").astype(str) if name in df.columns else "unknown"
    df[C.agent_id] = df[C.agent_id].astype(str)
    return df


def arrow_text(values):
    """The Arrow string array holding a pandas text column (pandas' ``str`` columns, and
    ``ArrowDtype`` ones, are Arrow arrays: no Python string per value, ~0.15 s a million), or None
    for a column held otherwise (the caller converts it value by value)."""
    import pandas as pd
    import pyarrow as pa

    dtype = getattr(values, "dtype", None)
    arrow_backed = (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or (
        isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)))
    if not arrow_backed:
        return None
    array = pa.array(values.array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


_OFFSET = r"([T ]\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def parse_started_at(values):
    """``(instants, local_hour)`` from ISO 8601 start times that may carry different UTC offsets
    (daylight-saving time changes mid-period) or none.

    instants: UTC timestamps (values without an offset are taken as UTC), for spans of time.
    local_hour: the hour of day as written, in the contact center's local time, for case mix.
    Unparseable values are NaT / NaN.
    """
    instants, local = _parse_started(values)
    hour = local.dt.hour.astype("float64").where(instants.notna())
    return instants, hour


def started_dates(values):
    """The local calendar date of each start time, as written (the contact center's date, offsets
    that change with daylight-saving time are fine): midnight timestamps, NaT where unparseable
    (as :func:`parse_started_at`)."""
    instants, local = _parse_started(values)
    return local.dt.normalize().where(instants.notna())


#: _OFFSET for ASCII text through pyarrow (RE2): Python's ``\s`` and ``str.strip`` whitespace
#: among ASCII characters, ``\d`` the ASCII digits (the same matches, for ASCII text)
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_OFFSET_ASCII = _OFFSET.replace(r"\s", "[" + _ASCII_SPACE.encode("unicode_escape").decode() + "]")


def _parse_started(values):
    import pandas as pd

    series = pd.Series(values, copy=False)
    text = None
    try:  # a million start times: the regex in C (pyarrow) rather than per value in Python
        import pyarrow as pa
        import pyarrow.compute as pc

        array = arrow_text(series)
        if array is None:
            array = pa.array(series.to_numpy(dtype=object, na_value=None), pa.string(), from_pandas=True)
        if pc.all(pc.string_is_ascii(array)).as_py() is not False:
            stripped = pc.utf8_trim(array, characters=_ASCII_SPACE)
            local_text = pc.replace_substring_regex(stripped, pattern=_OFFSET_ASCII, replacement=r"\1")
            text = pd.Series(stripped.to_numpy(zero_copy_only=False), index=series.index, dtype=object)
            local_text = pd.Series(local_text.to_numpy(zero_copy_only=False), index=series.index, dtype=object)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # values that are not all text: as below
        text = None
    if text is None:
        text = series.astype("string").str.strip()
        local_text = text.str.replace(_OFFSET, r"\1", regex=True)
    instants = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    local = pd.to_datetime(local_text, errors="coerce", format="ISO8601")
    return instants, local


def case_mix_matrix(df, factors: Sequence[str] = CASE_MIX) -> tuple[np.ndarray, List[str]]:
    """Design matrix (no intercept) for the case-mix factors present and varying in ``df``:
    one-hot queue and topic (first level dropped), time-of-day bins, the customer's starting
    sentiment (centred; missing values get the mean and an indicator)."""
    import pandas as pd

    columns, names = [], []
    for factor in factors:
        if factor in ("queue", "topic") and factor in df.columns:
            levels = pd.Categorical(df[factor])
            if len(levels.categories) > 1:
                dummies = pd.get_dummies(levels, prefix=factor, drop_first=True, dtype=float)
                columns.append(dummies.to_numpy())
                names += list(dummies.columns)
        elif factor == "hour" and df["hour"].notna().any():
            bins = pd.cut(df["hour"].fillna(-1), [-2, *HOUR_BINS[1:]], right=False, labels=False)
            levels = pd.Categorical(bins)
            if len(levels.categories) > 1:
                dummies = pd.get_dummies(levels, prefix="hour_bin", drop_first=True, dtype=float)
                columns.append(dummies.to_numpy())
                names += list(dummies.columns)
        elif factor == "sentiment_start" and df["sentiment_start"].notna().any():
            values = df["sentiment_start"].to_numpy(dtype=float)
            missing = np.isnan(values)
            mean = np.nanmean(values)
            columns.append((np.where(missing, mean, values) - mean)[:, None])
            names.append("sentiment_start")
            if missing.any() and not missing.all():
                columns.append(missing.astype(float)[:, None])
                names.append("sentiment_start_missing")
    if not columns:
        return np.zeros((len(df), 0)), []
    return np.concatenate(columns, axis=1), names


DEFAULT_FEATURES = (
    O.sentiment_start, O.sentiment_end, C.customer_sentiment_minimum, C.customer_negative_share, C.customer_sentiment_change,
    C.agent_sentiment_end, C.dead_air_s, C.hold_s, C.overtalk_s, C.agent_interruptions, C.customer_interruptions,
    C.agent_talk_share, C.duration_s, O.aht_s,
)


#: time-use parts of handle time (``time_<part>_s``)
TIME_PARTS = ("productive", "distress", "dead_air", "hold", "acw", "other")
#: the stored calls columns the engine reads: outcomes and case mix (prepare_calls), the CSAT
#: model's features, time use; plus every ``beh_<behaviour>`` flag (see :func:`engine_columns`)
ENGINE_COLUMNS = tuple(dict.fromkeys((
    C.call_id, C.agent_id, C.started_at, C.handle_seconds, C.duration_s, C.hold_seconds, C.acw_seconds, C.hold_s, C.csat,
    C.transferred, C.fcr, C.customer_index_start, C.customer_index_end, C.customer_sentiment_start, C.customer_sentiment_end,
    C.queue, "topic", *DEFAULT_FEATURES, C.time_handle_s, *[f"time_{p}_s" for p in TIME_PARTS],
)))


def engine_columns(available: Sequence[str]) -> List[str]:
    """Of the stored calls columns ``available``, those the engine reads (``ENGINE_COLUMNS`` and
    the ``beh_<behaviour>`` flags), in their stored order: what aggregation loads, never the
    trajectories, spans, timings or redaction counts."""
    wanted = set(ENGINE_COLUMNS)
    return [c for c in available if c in wanted or (c.startswith("beh_") and not c.endswith("_n"))]


@dataclass
class CsatModel:
    """Predicted CSAT for every call from call features, fitted on the surveyed calls.

    Ridge regression on sentiment trajectory, behaviours and dynamics features; ``cv_rmse_`` and
    ``cv_mae_`` are cross-validated errors on surveyed calls with the folds grouped by agent
    (GroupKFold: no agent's calls are both fitted and scored, so the error is that of predicting
    an agent the model has not seen, not one whose calls it learnt), ``baseline_rmse_`` the error
    of always predicting the training folds' mean. Needs surveys from at least 2 agents. Predictions
    are a separate column, never mixed with surveys.
    """

    alpha: float = 1.0
    folds: int = 5
    random_state: int = 0

    def features(self, df) -> List[str]:
        behaviour = [c for c in df.columns if c.startswith("beh_") and not c.endswith("_n")]
        return [c for c in list(DEFAULT_FEATURES) + behaviour if c in df.columns]

    def _matrix(self, df) -> np.ndarray:
        import pandas as pd

        X = np.column_stack([pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in self.features_]) if self.features_ else np.zeros((len(df), 0))
        np.copyto(X, self.fill_, where=np.isnan(X))  # in place: a million calls by 30 features is 240 MB a copy
        return X

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        """``(X - center_) / scale_``, in place (X is a fresh matrix of :meth:`_matrix`)."""
        X -= self.center_
        X /= self.scale_
        return X

    def fit(self, df) -> "CsatModel":
        import pandas as pd

        surveyed = df[df["csat"].notna()]
        self.features_ = [c for c in self.features(df) if pd.to_numeric(surveyed[c], errors="coerce").notna().any()]
        self.n_surveyed_ = int(len(surveyed))
        self.fill_ = np.array([np.nanmean(pd.to_numeric(surveyed[c], errors="coerce").to_numpy(dtype=float)) for c in self.features_])
        y = surveyed["csat"].to_numpy(dtype=float)
        groups = surveyed["agent_id"].astype(str).to_numpy() if "agent_id" in surveyed.columns else np.arange(len(surveyed)).astype(str)
        # numbered in the order of the sorted names: GroupKFold's folds are those of the names (it
        # numbers groups by np.unique), without sorting 300,000 strings twice (~1 s)
        groups, names = pd.factorize(groups, sort=True)
        self.n_folds_ = int(min(self.folds, len(names)))
        if len(surveyed) < 20 or not self.features_ or self.n_folds_ < 2:
            self.model_ = None
            self.mean_ = float(np.mean(y)) if len(y) else float("nan")
            self.cv_rmse_ = self.cv_mae_ = self.baseline_rmse_ = float("nan")
            return self
        from sklearn.linear_model import Ridge  # here: a night too small for the model does not import scikit-learn
        from sklearn.model_selection import GroupKFold

        X = self._matrix(surveyed)
        self.scale_ = X.std(axis=0) + 1e-9
        self.center_ = X.mean(axis=0)
        Z = self._scaled(X)
        predictions = np.zeros(len(y))
        baseline = np.zeros(len(y))
        for train, test in GroupKFold(self.n_folds_).split(Z, y, groups):
            predictions[test] = Ridge(alpha=self.alpha).fit(Z[train], y[train]).predict(Z[test])
            baseline[test] = y[train].mean()
        self.cv_rmse_ = float(np.sqrt(np.mean((np.clip(predictions, 1, 5) - y) ** 2)))
        self.cv_mae_ = float(np.mean(np.abs(np.clip(predictions, 1, 5) - y)))
        self.baseline_rmse_ = float(np.sqrt(np.mean((baseline - y) ** 2)))
        self.model_ = Ridge(alpha=self.alpha).fit(Z, y)
        self.mean_ = float(y.mean())
        return self

    def predict(self, df) -> np.ndarray:
        if self.model_ is None:
            return np.full(len(df), self.mean_)
        return np.clip(self.model_.predict(self._scaled(self._matrix(df))), 1, 5)

    def summary(self) -> dict:
        return {
            "n_surveyed": self.n_surveyed_,
            "features": self.features_,
            "cv_rmse": _round(self.cv_rmse_),
            "cv_mae": _round(self.cv_mae_),
            "baseline_rmse": _round(self.baseline_rmse_),
            "method": f"ridge regression on call features, {self.n_folds_}-fold cross-validated on surveyed calls with the folds "
            "grouped by agent (no agent in both the fitted and the scored folds)",
        }


def _round(value: float, digits: int = 4) -> Optional[float]:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)
