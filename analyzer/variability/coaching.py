"""Coaching opportunities: per agent, the behaviours where the agent's (shrunk) rate is furthest
from the top quartile's, ranked by gap x estimated effect on the customer's end-of-call
sentiment, with example moments from the agent's own calls and a top-quartile example of the
behaviour done well."""

from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np


def coaching_opportunities(est, behaviours=None, utterances=None, per_agent: int = 3, examples: int = 3, outcome: str = "sentiment_end"):
    """DataFrame: agent_id, quartile, behaviour, polarity, agent_rate, agent_rate_shrunk,
    top_quartile_rate, gap, effect (+ interval), priority (sentiment-index points per call the
    agent would gain by closing the gap), rank, examples, top_example."""
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
        if gap <= 0 or benefit <= 0:
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
                "effect_is_clear": bool(effect["low"] > 0 or effect["high"] < 0),
                "priority": round(float(gap * benefit), 4),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values(["agent_id", "priority"], ascending=[True, False])
    table["rank"] = table.groupby("agent_id").cumcount() + 1
    table = table[table["rank"] <= per_agent].reset_index(drop=True)
    finder = _Moments(est, behaviours, utterances)
    table["examples"] = [finder.agent_moments(a, b, p, examples) for a, b, p in zip(table.agent_id, table.behaviour, table.polarity)]
    table["top_example"] = [finder.done_well(b) for b in table.behaviour]
    return table


class _Moments:
    """Finds example moments in the stored behaviours and utterances tables."""

    def __init__(self, est, behaviours, utterances):
        self.ok = behaviours is not None and utterances is not None and len(utterances) > 0
        if not self.ok:
            return
        calls = est.calls_[["call_id", "agent_id", "quartile"]]
        self.calls_of = calls.groupby("agent_id").call_id.apply(list).to_dict()
        self.top_calls = set(calls[calls.quartile == 1].call_id)
        self.agent_of = dict(zip(calls.call_id, calls.agent_id))
        u = utterances[utterances.call_id.isin(set(calls.call_id))]
        self.text = {(c, int(i)): t for c, i, t in zip(u.call_id, u.utterance_index, u.text)}
        self.utts = u
        b = behaviours[behaviours.call_id.isin(set(calls.call_id))] if len(behaviours) else behaviours
        self.by_behaviour = {k: g for k, g in b.groupby("behaviour_id")} if len(b) else {}
        self._done: Dict[str, Optional[dict]] = {}

    def agent_moments(self, agent: str, behaviour: str, polarity: str, k: int) -> List[dict]:
        if not self.ok:
            return []
        calls = set(self.calls_of.get(agent, []))
        if polarity == "negative":  # evidence: the agent doing it
            rows = self.by_behaviour.get(behaviour)
            if rows is None:
                return []
            rows = rows[rows.call_id.isin(calls)].sort_values("score", ascending=False).head(k)
            return [self._moment(r.call_id, r.utterance_index, r.time_s, behaviour) for r in rows.itertuples()]
        # a positive behaviour the agent rarely shows: the moments that most needed it -- the
        # agent's reply to the customer's most negative utterance in calls without it
        done = self.by_behaviour.get(behaviour)
        with_it = set(done.call_id) if done is not None else set()
        u = self.utts[self.utts.call_id.isin(calls - with_it)]
        if u.empty or "sentiment" not in u.columns:
            return []
        customer = u[u.speaker == "customer"].sort_values("sentiment").head(4 * k)
        moments, used = [], set()
        for r in customer.itertuples():
            if r.call_id in used:  # one moment per call
                continue
            replies = u[(u.call_id == r.call_id) & (u.speaker == "agent") & (u.utterance_index > r.utterance_index)]
            if replies.empty:
                continue
            reply = replies.sort_values("utterance_index").iloc[0]
            moments.append({"call_id": r.call_id, "time_s": float(reply.start_s), "text": str(reply.text), "context": str(r.text)})
            used.add(r.call_id)
            if len(moments) >= k:
                break
        return moments

    def done_well(self, behaviour: str) -> Optional[dict]:
        if not self.ok:
            return None
        if behaviour not in self._done:
            rows = self.by_behaviour.get(behaviour)
            best = None
            if rows is not None:
                rows = rows[rows.call_id.isin(self.top_calls) & rows.utterance_index.notna()].sort_values("score", ascending=False)
                if len(rows):
                    r = rows.iloc[0]
                    best = {"agent_id": self.agent_of[r.call_id], **self._moment(r.call_id, r.utterance_index, r.time_s, behaviour)}
            self._done[behaviour] = best
        return self._done[behaviour]

    def _moment(self, call_id, index, time_s, behaviour) -> dict:
        if index is None or (isinstance(index, float) and np.isnan(index)):
            return {"call_id": call_id, "time_s": float(time_s), "text": f"({behaviour.replace('_', ' ')})", "context": ""}
        return {"call_id": call_id, "time_s": float(time_s), "text": self.text.get((call_id, int(index)), ""), "context": ""}
