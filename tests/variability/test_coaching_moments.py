"""Coaching moments that teach (issue 12): missed opportunities for an under-used positive
behaviour, each beside a top-quartile agent handling the same kind of moment with it; the
agent's own instances of a negative behaviour. Built on a simulated team rendered as
transcripts and tagged by a perfect tagger (the simulator knows which line shows which
behaviour), so no text model is involved."""

import re

import numpy as np
import pandas as pd
import pytest

from analyzer.variability.coaching import SITUATIONS, coaching_opportunities
from analyzer.variability.estimator import AgentVariability
from analyzer.variability.simulate import AGENT_LINES, CUSTOMER_LINES, SimulationOptions, render_population, simulate_population

NEGATIVE_LINES = set(CUSTOMER_LINES[0]) | set(CUSTOMER_LINES[1])


def _pattern(line: str):
    return re.compile(re.sub(r"\\\{\w+\\\}", r"\\w+", re.escape(line)))


PATTERNS = {b: [_pattern(line) for line in lines] for b, lines in AGENT_LINES.items()}


def _tag(text: str) -> str:
    """The behaviour whose line this is (perfect tagger), or ''."""
    return next((b for b, patterns in PATTERNS.items() if any(p.search(text) for p in patterns)), "")


def _shows(text: str, behaviour: str) -> bool:
    return any(p.search(text) for p in PATTERNS.get(behaviour, []))


@pytest.fixture(scope="module")
def coached():
    population = simulate_population(SimulationOptions(n_agents=16, n_calls=1200, seed=4))
    utterances, behaviours = [], []
    for call in render_population(population):
        for i, u in enumerate(call["utterances"]):
            negative = u["speaker"] == "customer" and u["text"] in NEGATIVE_LINES
            utterances.append({"call_id": call["call_id"], "utterance_index": i, "speaker": u["speaker"], "start_s": u["start"],
                               "end_s": u["end"], "text": u["text"], "sentiment": -0.8 if negative else 0.1,
                               "sentiment_label": "negative" if negative else "neutral"})
            behaviour = _tag(u["text"]) if u["speaker"] == "agent" else ""
            if behaviour:
                behaviours.append({"call_id": call["call_id"], "utterance_index": i, "speaker": "agent", "behaviour_id": behaviour,
                                   "score": 0.9, "time_s": u["start"], "source": "classifier"})
    utterances, behaviours = pd.DataFrame(utterances), pd.DataFrame(behaviours)
    est = AgentVariability(n_boot=0, min_calls=10).fit(population.calls)
    return est, coaching_opportunities(est, behaviours, utterances, per_agent=3, examples=3), utterances, behaviours


def test_positive_behaviours_show_missed_moments_beside_a_top_quartile_reply(coached):
    est, coaching, utterances, behaviours = coached
    positive = coaching[coaching.polarity == "positive"]
    assert len(positive)
    text = {(c, i): t for c, i, t in zip(utterances.call_id, utterances.utterance_index, utterances.text)}
    agent_of = dict(zip(est.calls_.call_id, est.calls_.agent_id))
    quartile_of = dict(zip(est.agents_.agent_id, est.agents_.quartile))
    checked = 0
    for row in positive.itertuples():
        assert row.situation in SITUATIONS
        for m in row.examples:
            assert m["missed"] and m["situation"] == SITUATIONS[row.situation]
            # the agent's own call, a reply without the behaviour...
            assert agent_of[m["call_id"]] == row.agent_id
            assert not _shows(m["text"], row.behaviour)
            # ...to the kind of moment that called for it
            if row.situation == "upset":
                assert m["context"] in NEGATIVE_LINES
            elif row.situation == "asked":
                assert m["context"].rstrip().endswith("?")
            # beside a top-quartile agent's reply with it to the same kind of moment
            top = m["top"]
            assert top is not None and quartile_of[top["agent_id"]] == 1 and top["agent_id"] != row.agent_id
            assert _shows(top["text"], row.behaviour)
            if row.situation == "upset":
                assert top["context"] in NEGATIVE_LINES
            assert (top["call_id"], 0) in text
            checked += 1
        assert len({m["call_id"] for m in row.examples}) == len(row.examples)  # one moment per call
    assert checked >= 5


def test_negative_behaviours_quote_the_agents_own_instances(coached):
    est, coaching, _, _ = coached
    negative = coaching[coaching.polarity == "negative"]
    if negative.empty:
        pytest.skip("no negative behaviour to coach on this team")
    agent_of = dict(zip(est.calls_.call_id, est.calls_.agent_id))
    for row in negative.itertuples():
        assert row.situation == "did it"
        assert row.top_example is None  # never a top-quartile agent "doing it well"
        for m in row.examples:
            assert agent_of[m["call_id"]] == row.agent_id and not m["missed"]
            if row.behaviour in AGENT_LINES:
                assert _shows(m["text"], row.behaviour)


def test_simulated_recordings_cover_handle_time_less_after_call_work():
    population = simulate_population(SimulationOptions(n_agents=5, n_calls=200, seed=1))
    calls = render_population(population)
    recorded = np.array([max(u["end"] for u in c["utterances"]) for c in calls])
    expected = (population.calls.handle_seconds - population.calls.acw_seconds).to_numpy()
    assert np.median(recorded / expected) == pytest.approx(1.0, abs=0.01)
    assert np.mean(np.abs(recorded / expected - 1) < 0.05) > 0.97  # the shortest calls cannot be spoken faster than twice the natural pace
