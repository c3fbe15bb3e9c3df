"""Coaching opportunities: per agent, the behaviours where the agent's (shrunk) rate is furthest
from the top quartile's, ranked by gap x the behaviour's *within-agent* effect on the customer's
end-of-call sentiment (the same agent's calls with vs without it, so a behaviour is not credited
with the skill of the agents who happen to use it), with moments that teach: for a positive
behaviour the agent under-uses, missed opportunities (the situation that called for it -- the
customer upset, the customer asking, the opening or the close of the call -- and the agent's reply
without it) each next to a top-quartile agent's reply with it to the same kind of situation; for
a negative behaviour, the agent's instances of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

from .outcomes import arrow_text

#: situations a behaviour can answer, as worded on the scorecard
SITUATIONS = {
    "upset": "the customer was upset",
    "asked": "the customer asked a question",
    "opening": "the opening of the call",
    "closing": "the close of the call",
}
_QUESTION = re.compile(r"^\s*(who|what|when|where|why|how|which|can|could|will|would|is|are|am|do|does|did|should|have|has|may|shall)\b", re.I)


def _is_question(text: str) -> bool:
    text = str(text).strip()
    return text.endswith("?") or bool(_QUESTION.match(text))


# _is_question for a whole column at once (RE2 through pyarrow): the same words, Python's case
# folding (i also matches İ and ı, s also ſ), its whitespace (str.strip / \s) and its word
# boundary (\b: not followed by a letter, digit or _); tests/variability/test_coaching_moments.py
# checks the two agree
_WORDS = _QUESTION.pattern.split("(", 1)[1].split(")", 1)[0].split("|")
_FOLD = {"i": "iI\u0130\u0131", "s": "sS\u017f"}
_WS = r"[\t\n\x0b\x0c\r\x1c-\x1f\x85\p{Z}]"
QUESTION_START = "^" + _WS + "*(?:" + "|".join("".join("[" + _FOLD.get(c, c + c.upper()) + "]" for c in w) for w in _WORDS) + r")(?:[^\p{L}\p{N}_]|$)"
QUESTION_END = r"\?" + _WS + "*$"


def is_question(texts) -> np.ndarray:
    """Whether each text is a question (ends with "?" or starts with a question word), for a
    pyarrow string array or a sequence of texts; missing text is not."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(texts, (pa.Array, pa.ChunkedArray)):
        texts = pa.array([t if t is None or isinstance(t, str) else str(t) for t in texts], pa.string())
    if len(texts) == 0:
        return np.zeros(0, dtype=bool)
    found = pc.or_(pc.match_substring_regex(texts, QUESTION_START), pc.match_substring_regex(texts, QUESTION_END))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False).astype(bool)


# -- what the example search reads -------------------------------------------------------------

AGENT, CUSTOMER, NO_SPEAKER = 0, 1, -1


class CallCodes:
    """The calls of a fitted estimator (``est.calls_``), numbered in the order of their ids:
    their agents, quartiles and (when stored) versions, by number."""

    def __init__(self, calls):
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = arrow_text(calls["call_id"])
        if ids is None:
            ids = pa.array(calls["call_id"].to_numpy(dtype=object), pa.string())
        ids = pc.dictionary_encode(ids, null_encoding="encode")
        by_id = pc.sort_indices(ids.dictionary).to_numpy()  # sorted as Python sorts str (a missing id last)
        #: the ids as an Arrow array (what :class:`analyzer.store.CallKeys` reads without a Python object per id)
        self.id_array = ids.dictionary.take(pa.array(by_id))
        self.ids = self.id_array.to_numpy(zero_copy_only=False)
        n = len(self.ids)
        number = np.empty(n, dtype=np.int64)
        number[by_id] = np.arange(n)
        code = number[ids.indices.to_numpy(zero_copy_only=False)]  # one hash of the ids, not two
        # agents numbered in the order of their sorted names (as np.unique, by a hash table)
        agent, names = pd.factorize(pd.Series(calls["agent_id"].to_numpy(dtype=object), dtype=object), sort=True)
        self.agent_names = np.asarray(names, dtype=object)
        self.agent = np.zeros(n, dtype=np.int64)
        self.agent[code] = agent  # (a call id twice: the last row's, as a dict built from the rows)
        quartile = pd.to_numeric(calls["quartile"]).to_numpy() if "quartile" in calls.columns else np.zeros(len(calls))
        self.quartile = np.zeros(n)
        self.quartile[code] = quartile
        self.top = np.zeros(n, dtype=bool)
        np.logical_or.at(self.top, code, quartile == 1)
        self.versions = None
        if "version" in calls.columns:
            self.versions = np.zeros(n, dtype=np.int64)
            self.versions[code] = pd.to_numeric(calls["version"]).fillna(0).to_numpy(dtype=np.int64)
        self.agent_code = {a: i for i, a in enumerate(self.agent_names)}
        self._index = None

    def __len__(self) -> int:
        return len(self.ids)

    def codes(self, call_ids) -> np.ndarray:
        """Numbers of ``call_ids`` (-1: not one of these calls)."""
        import pandas as pd

        if self._index is None:  # made when first needed (the store's reading finds calls with its own keys)
            self._index = pd.Index(self.ids)
        return self._index.get_indexer(np.asarray(call_ids, dtype=object)).astype(np.int64)


def call_codes(est) -> CallCodes:
    """The :class:`CallCodes` of a fitted estimator's calls, made once per ``est.calls_``."""
    cached = getattr(est, "_call_codes", None)
    if cached is None or cached[0] is not est.calls_:
        cached = (est.calls_, CallCodes(est.calls_))
        est._call_codes = cached
    return cached[1]


@dataclass
class MomentData:
    """What the example search reads, as arrays: the utterances and behaviour rows of the calls of
    a :class:`CallCodes` (``call``: their numbers), the behaviour rows in the order they were
    read. Texts are not held: ``fetch_text(row_ids)`` returns the text of utterances by their
    ``u_row`` ids (None where missing), for the few moments shown."""

    u_call: np.ndarray
    u_index: np.ndarray
    u_speaker: np.ndarray  # AGENT, CUSTOMER, other speakers >= 2, NO_SPEAKER
    u_start: np.ndarray
    u_sentiment: np.ndarray
    u_negative: np.ndarray
    u_question: np.ndarray
    u_has_text: np.ndarray
    u_row: np.ndarray
    fetch_text: Callable[[np.ndarray], list]
    b_call: np.ndarray
    b_index: np.ndarray  # float, NaN where the behaviour has no utterance (dead air)
    b_behaviour: np.ndarray  # codes into b_names, -1 missing
    b_names: List[str]
    b_score: np.ndarray
    b_time: np.ndarray
    n_utterances_read: int = 0  # before keeping these calls' rows (none read: no examples)
    #: the utterances' (call, utterance_index) keys when they are in that order already (as the
    #: store's reader gives them): the search then neither makes the keys nor sorts the columns
    u_key: Optional[np.ndarray] = None


class SpeakerCodes:
    """Speaker labels -> AGENT, CUSTOMER, 2, 3... (other labels), NO_SPEAKER for missing."""

    def __init__(self):
        self.codes: Dict[str, int] = {"agent": AGENT, "customer": CUSTOMER}

    def __call__(self, values) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.compute as pc

        values = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(
            [v if v is None or isinstance(v, str) else str(v) for v in values], pa.string())
        if len(values) == 0:
            return np.zeros(0, dtype=np.int64)
        distinct = pc.unique(values)
        labels = distinct.to_pylist()
        found = np.array([NO_SPEAKER if v is None else self.codes.setdefault(v, len(self.codes)) for v in labels] + [NO_SPEAKER], dtype=np.int64)
        where = pc.fill_null(pc.index_in(values, value_set=distinct, skip_nulls=True), len(labels))
        return found[where.to_numpy(zero_copy_only=False)]


def moments_from_frames(calls: CallCodes, behaviours, utterances) -> Optional[MomentData]:
    """MomentData from DataFrames of utterances and behaviours (e.g. ``load_results``'s)."""
    import pandas as pd

    if behaviours is None or utterances is None or len(utterances) == 0:
        return None
    n_read = len(utterances)
    code = calls.codes(utterances["call_id"])
    keep = np.flatnonzero(code >= 0)
    u = utterances.iloc[keep]
    text = u["text"].to_numpy(dtype=object) if "text" in u.columns else np.full(len(u), None, dtype=object)

    def number(frame, column, default=np.nan):
        return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float) if column in frame.columns else np.full(len(frame), default)

    data = dict(
        u_call=code[keep], u_index=u["utterance_index"].to_numpy().astype(np.int64), u_speaker=SpeakerCodes()(u["speaker"].to_numpy(dtype=object)),
        u_start=number(u, "start_s"), u_sentiment=number(u, "sentiment"),
        u_negative=u["sentiment_label"].eq("negative").to_numpy(dtype=bool) if "sentiment_label" in u.columns else np.zeros(len(u), dtype=bool),
        u_question=is_question(text), u_has_text=np.array([t is not None for t in text], dtype=bool), u_row=np.arange(len(u), dtype=np.int64),
        fetch_text=lambda rows: text[np.asarray(rows, dtype=np.int64)].tolist(), n_utterances_read=n_read,
    )
    if len(behaviours):
        bcode = calls.codes(behaviours["call_id"])
        b = behaviours.iloc[np.flatnonzero(bcode >= 0)]
        ids, names = pd.factorize(b["behaviour_id"])
        data.update(b_call=bcode[bcode >= 0], b_index=number(b, "utterance_index"), b_behaviour=ids.astype(np.int64), b_names=[str(n) for n in names],
                    b_score=number(b, "score"), b_time=number(b, "time_s"))
    else:
        empty = np.zeros(0)
        data.update(b_call=empty.astype(np.int64), b_index=empty, b_behaviour=empty.astype(np.int64), b_names=[], b_score=empty, b_time=empty)
    return MomentData(**data)


def coaching_opportunities(est, behaviours=None, utterances=None, per_agent: int = 3, examples: int = 3, outcome: str = "sentiment_end",
                           moments: Optional[MomentData] = None):
    """DataFrame: agent_id, quartile, behaviour, polarity, calls, agent_rate, agent_rate_shrunk,
    top_quartile_rate, gap, effect (within agents, + interval), effect_naive (pooled across
    agents, for comparison), effect_is_clear, priority (sentiment-index points per call the agent
    would gain by closing the gap, at the within-agent effect), rank, situation, examples,
    top_example.

    Example moments come from ``behaviours`` and ``utterances`` (DataFrames of the stored tables),
    or from ``moments`` (:class:`MomentData`, e.g. read from a results store without loading the
    texts: see ``analyzer.variability.aggregate``)."""
    import pandas as pd

    rates = est.behaviour_rates_
    effects = {r["behaviour"]: r for r in est.behaviour_effects_.get(outcome, {}).get("behaviours", [])}
    if rates.empty or not effects:
        return pd.DataFrame(columns=["agent_id", "behaviour", "priority"])
    quartile = dict(zip(est.agents_.agent_id, est.agents_.quartile))
    rows: List[dict] = []
    for r in rates.itertuples():
        effect = effects.get(r.behaviour)
        if effect is None or not np.isfinite(r.top_quartile_rate):
            continue
        positive = r.polarity == "positive"
        gap = (r.top_quartile_rate - r.rate_shrunk) if positive else (r.rate_shrunk - r.top_quartile_rate)
        benefit = effect["effect"] if positive else -effect["effect"]
        priority = round(float(gap * benefit), 4)
        if gap <= 0 or benefit <= 0 or priority <= 0:  # nothing to gain at the precision reported
            continue
        rows.append(
            {
                "agent_id": r.agent_id,
                "quartile": int(quartile.get(r.agent_id, 0)),
                "behaviour": r.behaviour,
                "polarity": r.polarity,
                "calls": int(r.calls),
                "agent_rate": round(float(r.rate), 4),
                "agent_rate_shrunk": round(float(r.rate_shrunk), 4),
                "top_quartile_rate": round(float(r.top_quartile_rate), 4),
                "gap": round(float(gap), 4),
                "effect": effect["effect"],
                "effect_low": effect["low"],
                "effect_high": effect["high"],
                "effect_naive": effect.get("naive_effect"),
                "effect_is_clear": bool(effect["low"] > 0 or effect["high"] < 0),
                "priority": priority,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values(["agent_id", "priority"], ascending=[True, False])
    table["rank"] = table.groupby("agent_id").cumcount() + 1
    table = table[table["rank"] <= per_agent].reset_index(drop=True)
    if moments is None:
        moments = moments_from_frames(call_codes(est), behaviours, utterances)
    finder = _Moments(est, moments)
    table["situation"] = [finder.situation(b) if p == "positive" else "did it" for b, p in zip(table.behaviour, table.polarity)]
    table["examples"] = [finder.agent_moments(a, b, p, examples) for a, b, p in zip(table.agent_id, table.behaviour, table.polarity)]
    # a top-quartile agent's strongest instance: for a positive behaviour only (for a negative one
    # it would hold up the top quartile doing what the agent should stop doing)
    table["top_example"] = [finder.done_well(b) if p == "positive" else None for b, p in zip(table.behaviour, table.polarity)]
    finder.fill_texts()
    return table


class _Text:
    """A text of a moment, filled in once every moment is chosen (texts are read only for them):
    the joined text of a turn (``rows``: its utterances), or one utterance's text as stored."""

    __slots__ = ("rows", "joined")

    def __init__(self, rows, joined: bool):
        self.rows, self.joined = rows, joined


class _Nearest:
    """The top-quartile replies of one kind of moment with a behaviour, for finding the one whose
    customer sentiment is closest to a given moment's: the smallest |difference| (missing
    sentiment: infinitely far), ties to the earliest call (by id) and turn, skipping the agent's
    own replies and those already shown."""

    def __init__(self, positions: np.ndarray, sentiment: np.ndarray, agent: np.ndarray):
        self.positions, self.agent = positions, agent  # agent turns, in turn order
        self.sentiment = sentiment
        self.order = np.argsort(sentiment, kind="stable")  # missing last
        self.sorted = sentiment[self.order]
        self.n_finite = int(np.isfinite(self.sorted).sum())

    def _first_valid(self, candidates, agent: int, used: set) -> Optional[int]:
        for i in candidates:  # in turn order: the earliest call, then turn
            if self.agent[i] != agent and int(self.positions[i]) not in used:
                return int(i)
        return None

    def pick(self, x: float, agent: int, used: set) -> Optional[int]:
        """Index into ``positions`` of the reply to show, or None."""
        n = len(self.positions)
        if n == 0:
            return None
        if not np.isfinite(x) or self.n_finite == 0:  # every distance infinite
            return self._first_valid(range(n), agent, used)
        p = int(np.searchsorted(self.sorted[: self.n_finite], x))
        width = 16
        while True:
            lo, hi = max(0, p - width), min(self.n_finite, p + width)
            seg = self.order[lo:hi]
            distance = np.abs(self.sentiment[seg] - x)
            ok = self.agent[seg] != agent
            if used:  # a few replies at most (one per moment shown): compared one by one, cheaper than np.isin
                positions = self.positions[seg]
                for shown in used:
                    ok &= positions != shown
            if ok.any():
                best = distance[ok].min()
                # distances only grow away from x: nothing outside the segment is as close
                if (lo == 0 or abs(self.sorted[lo - 1] - x) > best) and (hi == self.n_finite or abs(self.sorted[hi] - x) > best):
                    return int(seg[ok & (distance == best)].min())
            if lo == 0 and hi == self.n_finite:  # no finite candidate left: the missing ones, in turn order
                return self._first_valid(self.order[self.n_finite:][np.argsort(self.order[self.n_finite:])], agent, used)
            width *= 4


def _stable_order(values: np.ndarray, n_values: int) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of codes in [0, ``n_values``): as 16-bit integers when
    they fit, which numpy sorts by radix (several times faster than its timsort on int64)."""
    return np.argsort(values.astype(np.int16) if n_values <= 2**15 else values, kind="stable")


def _utterance_rows(key: np.ndarray, call: np.ndarray, index: np.ndarray, b_call: np.ndarray, b_index: np.ndarray) -> np.ndarray:
    """The row of each behaviour row's utterance (``b_call``, ``b_index``) among the utterances
    (``key``: their sorted (call, utterance_index) keys; ``call``, ``index``: theirs, in that
    order), -1 where there is none; a key stored twice: its last row, as a dict would.

    A call whose utterances are numbered without gaps or repeats (the usual case) holds index i
    at its first row plus i minus its first index: a lookup, where a binary search of twenty
    million keys among fourteen million took seconds; the other calls' rows are searched."""
    n_calls = int(max(call.max(initial=-1), b_call.max(initial=-1))) + 1
    count = np.bincount(call, minlength=n_calls)
    first = np.cumsum(count) - count
    has = np.flatnonzero(count)
    low, high = np.zeros(n_calls, dtype=np.int64), np.zeros(n_calls, dtype=np.int64)
    low[has], high[has] = index[first[has]], index[first[has] + count[has] - 1]
    dense = (count > 0) & (high - low + 1 == count)
    dense[call[1:][key[1:] == key[:-1]]] = False  # a key stored twice
    at = b_index.astype(np.int64)
    at -= low[b_call]
    ok = dense[b_call]
    ok &= at >= 0
    ok &= at < count[b_call]
    at += first[b_call]
    at[~ok] = -1
    other = np.flatnonzero(~dense[b_call])
    if len(other):
        b_key = b_call[other].astype(np.int64) * (1 << 32) + (b_index[other].astype(np.int64) + (1 << 31))
        found = np.searchsorted(key, b_key, side="right") - 1
        at[other] = np.where((found >= 0) & (key[np.maximum(found, 0)] == b_key), found, -1)
    return at


class _Moments:
    """Finds example moments in the utterances and behaviour rows of the estimator's calls.

    Works on agent *turns* (consecutive agent utterances): each turn answers the customer's turn
    before it, which was upset (an utterance labelled negative), asked (a question), or neither;
    the agent's first and last turns are the opening and the close. Everything is arrays over
    turns and rows, looked up by sorted keys (joins, not a scan per coaching row); texts are
    read at the end for the moments chosen."""

    def __init__(self, est, data: Optional[MomentData]):
        self.ok = data is not None and data.n_utterances_read > 0  # no utterances stored: no examples
        self._situation: Dict[str, Optional[str]] = {}
        self._done: Dict[str, Optional[dict]] = {}
        self._texts: List[tuple] = []  # (dict, key, _Text) to fill
        if not self.ok:
            return
        self.calls = call_codes(est)
        self.data = data
        # utterances in call, utterance order (a stable sort on one key; the store's reader gives
        # them in that order, and then nothing is copied); turns: runs of one speaker in a call
        key = data.u_key if data.u_key is not None else data.u_call.astype(np.int64) * (1 << 32) + (data.u_index.astype(np.int64) + (1 << 31))
        n = len(key)
        if n < 2 or bool((key[1:] >= key[:-1]).all()):
            order = slice(None)
        else:
            order = np.argsort(key, kind="stable")
            key = key[order]
        self.key = key  # sorted: (call, utterance_index)
        call, speaker = data.u_call[order], data.u_speaker[order]
        self.row = data.u_row[order]
        self.has_text = data.u_has_text[order]
        self.speaker = speaker
        new = np.ones(n, dtype=bool)
        if n > 1:
            new[1:] = (call[1:] != call[:-1]) | (speaker[1:] != speaker[:-1]) | (speaker[1:] == NO_SPEAKER) | (speaker[:-1] == NO_SPEAKER)
        starts = np.flatnonzero(new)
        del new
        self.turn_start, self.turn_end = starts, np.append(starts[1:], n)
        t_call, t_speaker = call[starts], speaker[starts]
        if n:
            start_s = data.u_start[order]
            if np.isnan(start_s).any():
                first = np.minimum.reduceat(np.where(np.isnan(start_s), n, np.arange(n)), starts)  # first start_s given
                t_start = np.where(first < n, start_s[np.minimum(first, n - 1)], np.nan)
                del first
            else:
                t_start = start_s[starts]
            del start_s
            with np.errstate(invalid="ignore"):
                t_sentiment = np.fmin.reduceat(data.u_sentiment[order], starts)
            t_upset = np.logical_or.reduceat(data.u_negative[order], starts)
            t_asked = np.logical_or.reduceat(data.u_question[order], starts)
        else:
            t_start = t_sentiment = np.zeros(0)
            t_upset = t_asked = np.zeros(0, dtype=bool)
        # agent turns and the customer's turn just before each, in the same call
        a = np.flatnonzero(t_speaker == AGENT)
        prev = np.maximum(a - 1, 0)
        same = (a > 0) & (t_call[prev] == t_call[a]) & (t_speaker[prev] == CUSTOMER)
        self.turn = a  # turn numbers of the agent turns (their order: calls by id, then time)
        self.context_turn = np.where(same, prev, -1)
        self.customer_sentiment = np.where(same, t_sentiment[prev], np.nan)
        self.start = t_start[a]
        self.call = t_call[a]
        self.flags = {"upset": same & t_upset[prev], "asked": same & t_asked[prev]}
        del t_start, t_sentiment, t_upset, t_asked, t_call, prev, same
        boundary = self.call[1:] != self.call[:-1]
        self.flags["opening"] = np.append(True, boundary) if len(a) else np.zeros(0, dtype=bool)
        self.flags["closing"] = np.append(boundary, True) if len(a) else np.zeros(0, dtype=bool)
        self.agent = self.calls.agent[self.call]
        self.top = self.calls.quartile[self.call] == 1
        by_agent = _stable_order(self.agent, len(self.calls.agent_names))
        bounds = np.searchsorted(self.agent[by_agent], np.arange(len(self.calls.agent_names) + 1))
        self.agent_turns = [by_agent[bounds[i]:bounds[i + 1]] for i in range(len(self.calls.agent_names))]
        # the behaviours tagged in each agent turn: rows with an utterance, joined on (call, utterance_index)
        agent_position = np.full(len(starts), -1, dtype=np.int32 if len(a) < 2**31 else np.int64)
        agent_position[a] = np.arange(len(a))
        with_utterance = np.flatnonzero(~np.isnan(data.b_index) & (data.b_behaviour >= 0))
        self.tag_rows: Dict[int, np.ndarray] = {}
        if len(with_utterance) and len(a):
            at = _utterance_rows(key, call, data.u_index[order], data.b_call[with_utterance], data.b_index[with_utterance])
            missing = at < 0
            at[missing] = 0
            position = np.repeat(agent_position, self.turn_end - starts)[at]  # the agent turn holding each row's utterance
            position[missing] = -1
            del at, missing
            behaviour = data.b_behaviour[with_utterance]
            valid = position >= 0
            behaviour, position = behaviour[valid], position[valid]
            by_code = _stable_order(behaviour, len(data.b_names))  # each behaviour's rows, in the order read
            codes, first = np.unique(behaviour[by_code], return_index=True)
            for code, lo, hi in zip(codes.tolist(), first.tolist(), np.append(first[1:], len(by_code)).tolist()):
                self.tag_rows[int(code)] = position[by_code[lo:hi]]
            del behaviour, valid, position, by_code
        self.behaviour_code = {name: i for i, name in enumerate(data.b_names)}
        self._tags: Dict[str, np.ndarray] = {}
        self._good: Dict[tuple, _Nearest] = {}
        # behaviour rows grouped by (behaviour, agent), strongest first (score, then call id, then as read)
        b_agent = self.calls.agent[data.b_call] if len(data.b_call) else np.zeros(0, dtype=np.int64)
        self.b_agent = b_agent
        self._b_sorted: Dict[int, tuple] = {}  # per behaviour: its rows by agent, strongest first; and their agents
        self._top_rows: Optional[Dict[int, np.ndarray]] = None  # per behaviour: its rows in top-quartile calls (see done_well)

    def _behaviour_rows(self, bcode: int) -> tuple:
        """The rows of one behaviour, grouped by agent, strongest first (score, then call id, then
        as read: a stable sort), and their agents (sorted)."""
        if bcode not in self._b_sorted:
            d = self.data
            rows = np.flatnonzero(d.b_behaviour == bcode)
            rows = rows[np.lexsort((d.b_call[rows], -d.b_score[rows], self.b_agent[rows]))]
            self._b_sorted[bcode] = (rows, self.b_agent[rows])
        return self._b_sorted[bcode]

    def tags(self, behaviour: str) -> np.ndarray:
        """Whether each agent turn shows the behaviour."""
        if behaviour not in self._tags:
            mask = np.zeros(len(self.turn), dtype=bool)
            code = self.behaviour_code.get(behaviour)
            if code is not None and code in self.tag_rows:
                mask[self.tag_rows[code]] = True
            self._tags[behaviour] = mask
        return self._tags[behaviour]

    def situation(self, behaviour: str) -> Optional[str]:
        """The kind of situation in which top-quartile agents show the behaviour most often (all
        agents' turns when nobody is ranked yet): upset, asked, opening or closing."""
        if not self.ok or not len(self.turn):
            return None
        if behaviour not in self._situation:
            chosen = self.top if self.top.any() else np.ones(len(self.turn), dtype=bool)
            has = self.tags(behaviour)
            best, best_rate = None, 0.0
            for kind in SITUATIONS:
                where = self.flags[kind] & chosen
                count = int(where.sum())
                if count >= 5:
                    rate = np.int64((has & where).sum()) / np.int64(count)
                    if rate > best_rate:
                        best, best_rate = kind, float(rate)
            self._situation[behaviour] = best
        return self._situation[behaviour]

    def agent_moments(self, agent: str, behaviour: str, polarity: str, k: int) -> List[dict]:
        if not self.ok:
            return []
        code = self.calls.agent_code.get(agent)
        if polarity == "negative":  # evidence: the agent doing it, with what the customer had just said
            bcode = self.behaviour_code.get(behaviour)
            if bcode is None or code is None:
                return []
            ordered, agents = self._behaviour_rows(bcode)
            lo, hi = np.searchsorted(agents, [code, code + 1])
            rows = ordered[lo:hi]
            _, first = np.unique(self.data.b_call[rows], return_index=True)  # one per call: its strongest
            rows = rows[np.sort(first)][:k]
            return [self._moment(int(r), behaviour, tail={"situation": "did it", "missed": False}) for r in rows]
        # a positive behaviour the agent under-uses: missed opportunities -- the situations that
        # call for it where the agent's reply did not show it -- each beside a top-quartile
        # agent's reply that did, to the closest situation of the same kind
        kind = self.situation(behaviour)
        if kind is None or code is None:
            return []
        tagged = self.tags(behaviour)
        turns = self.agent_turns[code]
        mine = turns[self.flags[kind][turns] & ~tagged[turns]]
        mine = mine[np.lexsort((self.call[mine], self.customer_sentiment[mine]))]  # most upset first (missing last), then call id
        _, first = np.unique(self.call[mine], return_index=True)
        mine = mine[np.sort(first)][:k]
        if (behaviour, kind) not in self._good:
            good = np.flatnonzero(self.top & self.flags[kind] & tagged)
            self._good[(behaviour, kind)] = _Nearest(good, self.customer_sentiment[good], self.agent[good])
        good = self._good[(behaviour, kind)]
        moments, used = [], set()
        for r in mine:
            top = None
            i = good.pick(float(self.customer_sentiment[r]), code, used)
            if i is not None:
                pick = int(good.positions[i])
                used.add(pick)
                top = {"agent_id": self.calls.agent_names[self.agent[pick]], "call_id": self.calls.ids[self.call[pick]],
                       "time_s": float(self.start[pick]), "text": None, "context": None}
                self._turn_texts(top, pick)
            moment = {"call_id": self.calls.ids[self.call[r]], "time_s": float(self.start[r]), "text": None, "context": None,
                      "situation": SITUATIONS[kind], "missed": True, "top": top}
            self._turn_texts(moment, int(r))
            moments.append(moment)
        return moments

    def done_well(self, behaviour: str) -> Optional[dict]:
        if not self.ok:
            return None
        if behaviour not in self._done:
            best = None
            bcode = self.behaviour_code.get(behaviour)
            if bcode is not None:
                d = self.data
                rows = self._top_quartile_rows().get(bcode, np.zeros(0, dtype=np.int64))
                if len(rows):
                    r = int(rows[np.lexsort((rows, d.b_call[rows], -d.b_score[rows]))[0]])
                    best = self._moment(r, behaviour, head={"agent_id": self.calls.agent_names[self.b_agent[r]]})
            self._done[behaviour] = best
        return self._done[behaviour]

    def _top_quartile_rows(self) -> Dict[int, np.ndarray]:
        """Per behaviour code, its rows with an utterance in top-quartile agents' calls, in the order
        read: found for every behaviour in one pass over the rows (one pass per behaviour took
        ~50 ms each on twenty million rows)."""
        if self._top_rows is None:
            d = self.data
            rows = np.flatnonzero(self.calls.top[d.b_call] & ~np.isnan(d.b_index) & (d.b_behaviour >= 0))
            code = d.b_behaviour[rows]
            by_code = _stable_order(code, len(d.b_names))
            rows, code = rows[by_code], code[by_code]
            codes, first = np.unique(code, return_index=True)
            self._top_rows = {int(c): rows[lo:hi] for c, lo, hi in zip(codes.tolist(), first.tolist(), np.append(first[1:], len(rows)).tolist())}
        return self._top_rows

    # -- texts ---------------------------------------------------------------------------------
    def _turn_texts(self, moment: dict, position: int) -> None:
        turn = int(self.turn[position])
        self._texts.append((moment, "text", _Text(self.row[self.turn_start[turn]:self.turn_end[turn]], True)))
        context = int(self.context_turn[position])
        if context >= 0:
            self._texts.append((moment, "context", _Text(self.row[self.turn_start[context]:self.turn_end[context]], True)))
        else:
            moment["context"] = ""

    def _find(self, call: int, index: int) -> int:
        key = call * (1 << 32) + (index + (1 << 31))
        at = int(np.searchsorted(self.key, key, side="right")) - 1
        return at if at >= 0 and self.key[at] == key else -1

    def _moment(self, r: int, behaviour: str, head: Optional[dict] = None, tail: Optional[dict] = None) -> dict:
        """The moment of behaviour row ``r``: its call, time, the utterance and what the customer
        had just said (``head`` and ``tail``: keys before and after these)."""
        d = self.data
        call, index, time_s = int(d.b_call[r]), d.b_index[r], d.b_time[r]
        moment = {**(head or {}), "call_id": self.calls.ids[call], "time_s": float(time_s), "text": "", "context": "", **(tail or {})}
        if np.isnan(index):
            moment["text"] = f"({behaviour.replace('_', ' ')})"
            return moment
        index = int(index)
        at = self._find(call, index)
        if at >= 0:
            self._texts.append((moment, "text", _Text(self.row[at:at + 1], False)))
        for i in range(index - 1, -1, -1):  # what the customer said just before
            before = self._find(call, i)
            if before < 0 or not self.has_text[before]:
                break
            if self.speaker[before] == CUSTOMER:
                self._texts.append((moment, "context", _Text(self.row[before:before + 1], False)))
                break
        return moment

    def fill_texts(self) -> None:
        """Read the texts of the moments chosen and put them in place."""
        if not self._texts:
            return
        rows = np.unique(np.concatenate([t.rows for _, _, t in self._texts]))
        text = dict(zip(rows.tolist(), self.data.fetch_text(rows)))
        for moment, key, t in self._texts:
            values = [text[r] for r in t.rows.tolist()]
            moment[key] = " ".join(map(str, values)) if t.joined else values[0]
        self._texts = []
