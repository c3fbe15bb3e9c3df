"""How handle time is spent: productive conversation, silence/dead air, hold, after-call work
and distress handling (stretches where the customer's sentiment is negative).

The categories are disjoint and, with ``other_s``, add up to the handle time.
"""

from __future__ import annotations

import math
from typing import Any, List, Mapping, Optional, Sequence

from .dynamics import Interval, subtract, total, union
from .records import CUSTOMER, CallDynamics, CallSentiment, TimeUse, Utterance

TIME_USE_PARTS = ("productive_s", "distress_s", "dead_air_s", "hold_s", "acw_s", "other_s")


def distress_spans(utterances: Sequence[Utterance], sentiment: Optional[CallSentiment], end_s: float) -> List[Interval]:
    """From each negative customer utterance to the start of the customer's next utterance that
    is not negative (or the end of the call)."""
    if sentiment is None:
        return []
    customer = [(u, s) for u, s in zip(utterances, sentiment.utterances) if u.speaker == CUSTOMER]
    spans, start = [], None
    for u, score in customer:
        negative = score.label == "negative"
        if negative and start is None:
            start = u.start_s
        elif not negative and start is not None:
            spans.append((start, u.start_s))
            start = None
    if start is not None:
        spans.append((start, end_s))
    return union(spans)


def _number(value: Any) -> Optional[float]:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def call_time_use(
    utterances: Sequence[Utterance],
    dynamics: CallDynamics,
    sentiment: Optional[CallSentiment],
    metadata: Mapping[str, Any],
) -> TimeUse:
    """Split one call's handle time into disjoint uses."""
    duration = dynamics.duration_s
    holds = [(s.start_s, s.end_s) for s in dynamics.holds]
    dead = [(s.start_s, s.end_s) for s in dynamics.dead_air]
    distress = subtract(subtract(distress_spans(utterances, sentiment, duration), union(holds)), union(dead))
    distress_s = total(distress)
    hold_s, dead_s = dynamics.hold_s, dynamics.dead_air_s
    productive = max(0.0, duration - hold_s - dead_s - distress_s)
    acw = _number(metadata.get("acw_seconds")) or 0.0
    handle = _number(metadata.get("handle_seconds"))
    if handle is not None:
        source = "handle_seconds"
    else:
        handle = duration + acw
        source = "timeline+acw" if acw else "timeline"
    other = max(0.0, handle - duration - acw)
    return TimeUse(
        handle_s=round(handle, 3),
        handle_source=source,
        productive_s=round(productive, 3),
        distress_s=round(distress_s, 3),
        dead_air_s=round(dead_s, 3),
        hold_s=round(hold_s, 3),
        acw_s=round(acw, 3),
        other_s=round(other, 3),
    )


def time_use_by_agent(calls):
    """Per-agent time use from a calls DataFrame: seconds summed over calls, shares as sums over
    sums (total seconds in a category / total handle seconds), with call counts."""
    columns = [f"time_{p}" for p in TIME_USE_PARTS] + ["time_handle_s"]
    grouped = calls.groupby("agent_id")[columns].sum()
    out = grouped.copy()
    out.insert(0, "calls", calls.groupby("agent_id").size())
    for part in TIME_USE_PARTS:
        out[f"share_{part[:-2]}"] = grouped[f"time_{part}"] / grouped["time_handle_s"]
    return out.reset_index()
