"""Trajectory math on hand-made utterances with known answers."""

import numpy as np
import pytest

from analyzer.config import SentimentOptions
from analyzer.records import SentimentScore, Transcript, Utterance
from analyzer.sentiment.trajectory import call_sentiment, party_sentiment, smoothed_trajectory, turning_point


def s(score):
    """A score with the given P(pos) - P(neg)."""
    return SentimentScore(max(-score, 0.0), 1 - abs(score), max(score, 0.0))


def convo(customer_scores, agent_score=0.0, gap=10.0):
    """Alternating agent / customer utterances, each 4 s, one turn every ``gap`` seconds."""
    utts, scores = [], []
    for i, c in enumerate(customer_scores):
        utts.append(Utterance("agent", i * gap, i * gap + 4, f"agent {i}"))
        scores.append(s(agent_score))
        utts.append(Utterance("customer", i * gap + 5, i * gap + 9, f"customer {i}"))
        scores.append(s(c))
    return utts, scores, len(customer_scores) * gap


def test_score_index_and_label():
    x = SentimentScore(0.1, 0.2, 0.7)
    assert x.score == pytest.approx(0.6) and x.index == pytest.approx(80.0) and x.label == "positive"
    assert SentimentScore(0.6, 0.3, 0.1).index == pytest.approx(25.0)


def test_start_end_change_from_edge_utterances():
    utts, scores, duration = convo([-0.8, -0.6, -0.4, 0.0, 0.2, 0.5, 0.7, 0.9])
    p = party_sentiment(utts, scores, "customer", duration, SentimentOptions(edge_utterances=3))
    assert p.start == pytest.approx(-0.8)  # the customer's opening: what they said before the agent's second turn
    assert p.end == pytest.approx(0.7)  # mean of 0.5, 0.7, 0.9 (equal durations)
    assert p.change == pytest.approx(1.5)
    assert p.n_utterances == 8
    agent = party_sentiment(utts, scores, "agent", duration, SentimentOptions(edge_utterances=3))
    assert agent.start == pytest.approx(0.0) and agent.n_utterances == 8  # the agent's edges: first / last 3 utterances


def test_customer_start_is_what_they_said_before_the_agent_could_influence_it():
    # agent greets (two utterances, one turn); customer explains in two utterances; then the
    # agent's second turn, after which the customer calms down
    utts = [Utterance("agent", 0, 3, "hello"), Utterance("agent", 3.5, 5, "how can I help"),
            Utterance("customer", 6, 10, "I was charged twice"), Utterance("customer", 10.5, 14, "this is awful"),
            Utterance("agent", 15, 19, "I'm sorry, let me fix that"), Utterance("customer", 20, 22, "ok"),
            Utterance("agent", 23, 25, "done"), Utterance("customer", 26, 28, "thanks")]
    scores = [s(0.2), s(0.2), s(-0.4), s(-0.8), s(0.5), s(0.1), s(0.3), s(0.7)]
    p = party_sentiment(utts, scores, "customer", 30, SentimentOptions(edge_utterances=3))
    assert p.start == pytest.approx((-0.4 * 4 + -0.8 * 3.5) / 7.5, abs=1e-4)  # both opening utterances, nothing after the agent's 2nd turn
    assert p.end == pytest.approx((0.1 * 2 + 0.7 * 2) / 4, abs=1e-4)  # the utterances after the opening
    # the customer speaks first (a "hello?" before the greeting): still part of how they came in
    first = [Utterance("customer", 0, 1, "hello?")] + utts
    p = party_sentiment(first, [s(-0.2)] + scores, "customer", 30, SentimentOptions(edge_utterances=3))
    assert p.start == pytest.approx((-0.2 * 1 + -0.4 * 4 + -0.8 * 3.5) / 8.5, abs=1e-4)


def test_short_calls_keep_start_and_end_apart():
    # three customer utterances: the old first-3 / last-3 windows were the same utterances
    utts, scores, duration = convo([-0.9, 0.3, 0.9])
    p = party_sentiment(utts, scores, "customer", duration, SentimentOptions(edge_utterances=3))
    assert p.start == pytest.approx(-0.9) and p.end == pytest.approx(0.6) and p.change == pytest.approx(1.5)
    # a customer who only spoke in the opening: start and end are that opening
    utts, scores, duration = convo([-0.5])
    p = party_sentiment(utts, scores, "customer", duration, SentimentOptions(edge_utterances=3))
    assert p.start == pytest.approx(-0.5) and p.end == pytest.approx(-0.5)


def test_negative_share_is_share_of_talk_time():
    utts = [Utterance("customer", 0, 10, "a"), Utterance("customer", 12, 14, "b"), Utterance("customer", 20, 28, "c")]
    scores = [SentimentScore(0.8, 0.1, 0.1), SentimentScore(0.1, 0.8, 0.1), SentimentScore(0.1, 0.1, 0.8)]
    p = party_sentiment(utts, scores, "customer", 30, SentimentOptions())
    assert p.negative_share == pytest.approx(10 / 20)


def test_one_utterance_cannot_swing_the_trajectory():
    values = [0.5] * 20
    values[10] = -1.0  # one short outburst
    utts, scores, duration = convo(values)
    p = party_sentiment(utts, scores, "customer", duration, SentimentOptions(trajectory_points=10, smoothing=0.1))
    assert len(p.trajectory) == 10
    assert p.minimum > 0.0  # the smoothed curve dips but stays positive
    raw_min = min(sc.score for u, sc in zip(utts, scores) if u.speaker == "customer")
    assert raw_min == -1.0


def test_trajectory_follows_a_rise():
    utts, scores, duration = convo(list(np.linspace(-0.9, 0.9, 20)))
    p = party_sentiment(utts, scores, "customer", duration, SentimentOptions())
    assert all(b > a for a, b in zip(p.trajectory, p.trajectory[1:]))
    assert p.trajectory[0] < -0.5 and p.trajectory[-1] > 0.5


def test_empty_slices_take_neighbour_values():
    times, scores, weights = np.array([0.05]), np.array([0.4]), np.array([1.0])
    assert np.allclose(smoothed_trajectory(times, scores, weights, 10, 0.01), 0.4)


def test_turning_point_and_what_turned_them():
    utts, scores, duration = convo([-0.7, -0.8, -0.7, -0.6, 0.6, 0.7, 0.8, 0.8])
    p = party_sentiment(utts, scores, "customer", duration, SentimentOptions(edge_utterances=3))
    assert p.turning_point_s == 45.0  # the 5th customer utterance starts at 4 * 10 + 5
    assert p.turned_by_utterance == 8  # the agent utterance just before it
    assert utts[p.turned_by_utterance].speaker == "agent"


def test_no_turning_point_when_flat_or_falling():
    assert turning_point(np.array([0.5, 0.4, 0.3, 0.2, 0.1, 0.0]), 3, 0.15) is None
    assert turning_point(np.array([0.1, 0.2]), 3, 0.15) is None


def test_party_without_utterances():
    utts, scores, duration = convo([0.1, 0.2])
    p = party_sentiment(utts, scores, "customer", duration, SentimentOptions())
    assert p.n_utterances == 2
    empty = party_sentiment([u for u in utts if u.speaker == "agent"], scores[::2], "customer", duration, SentimentOptions())
    assert empty.n_utterances == 0 and empty.start is None and empty.trajectory == ()


def test_call_sentiment_checks_alignment():
    utts, scores, duration = convo([0.1, 0.2])
    transcript = Transcript(tuple(utts), duration)
    result = call_sentiment(transcript, scores, "m", SentimentOptions())
    assert result.customer.n_utterances == 2 and result.agent.n_utterances == 2
    with pytest.raises(ValueError, match="scores for"):
        call_sentiment(transcript, scores[:-1], "m", SentimentOptions())
