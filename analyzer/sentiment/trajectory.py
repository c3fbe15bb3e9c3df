"""Sentiment over a call: where each party started, where they ended, and what turned them.

Pure functions of utterances and their scores; no model needed.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from ..config import SentimentOptions
from ..records import AGENT, CUSTOMER, CallSentiment, PartySentiment, SentimentScore, Transcript, Utterance

MIN_WEIGHT_S = 0.3  # an utterance shorter than this still counts as this long in averages


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    return float(np.sum(values * weights) / np.sum(weights))


def smoothed_trajectory(times: np.ndarray, scores: np.ndarray, weights: np.ndarray, points: int, width: float) -> np.ndarray:
    """Kernel-smoothed score at the centres of ``points`` equal slices of [0, 1].

    Each utterance counts with its duration times a Gaussian of its distance (in normalised call
    time) to the slice centre, so one short utterance cannot swing a slice and slices with no
    speech take their neighbours' values.
    """
    centres = (np.arange(points) + 0.5) / points
    kernel = np.exp(-0.5 * ((times[None, :] - centres[:, None]) / width) ** 2) * weights[None, :]
    totals = kernel.sum(axis=1)
    smooth = (kernel * scores[None, :]).sum(axis=1) / np.where(totals > 0, totals, 1.0)
    if np.any(totals < 1e-12):  # far from every utterance: nearest utterance's score
        nearest = scores[np.abs(times[None, :] - centres[:, None]).argmin(axis=1)]
        smooth = np.where(totals < 1e-12, nearest, smooth)
    return smooth


def turning_point(scores: np.ndarray, window: int, min_rise: float) -> Optional[int]:
    """Position (in the party's utterances) where the rolling mean of ``window`` utterances rose
    most versus the ``window`` before it; None if it never rose by ``min_rise``."""
    n = len(scores)
    if n < 2 * window:
        return None
    csum = np.concatenate([[0.0], np.cumsum(scores)])
    best, best_rise = None, min_rise
    for i in range(window, n - window + 1):
        rise = (csum[i + window] - csum[i]) / window - (csum[i] - csum[i - window]) / window
        if rise > best_rise + 1e-12:
            best, best_rise = i, rise
    return best


def customer_opening(utterances: Sequence[Utterance], k: int) -> List[int]:
    """Indices of the customer's utterances that make their starting state: those that begin
    before the agent's second turn begins (the agent's first turn is the greeting; what the
    customer says before the agent's next turn is how they came in, before the agent could
    change it), at most the first ``k``; the customer's first utterance when they said nothing
    before the agent's second turn. A turn is a run of one party's consecutive utterances."""
    order = sorted(range(len(utterances)), key=lambda i: (utterances[i].start_s, i))
    agent_turns, previous, second_turn_s = 0, None, None
    for i in order:
        speaker = utterances[i].speaker
        if speaker == AGENT and previous != AGENT:
            agent_turns += 1
            if agent_turns == 2:
                second_turn_s = utterances[i].start_s
                break
        previous = speaker
    customer = [i for i in order if utterances[i].speaker == CUSTOMER]
    before = [i for i in customer if second_turn_s is None or utterances[i].start_s < second_turn_s]
    return (before or customer[:1])[:k]


def party_sentiment(
    utterances: Sequence[Utterance],
    scores: Sequence[SentimentScore],
    speaker: str,
    duration_s: float,
    options: SentimentOptions,
) -> PartySentiment:
    """Start, end, change, minimum, negative share, trajectory and turning point of one party.

    The customer's start is their opening (:func:`customer_opening`: what they said before the
    agent's second turn, so it is case mix, not the agent's doing) and their end the last
    ``edge_utterances`` utterances after the opening (the opening itself when they said nothing
    after it), so the two never share an utterance on calls with more to say. The agent's start
    and end are their first and last ``edge_utterances`` utterances."""
    own = [i for i, u in enumerate(utterances) if u.speaker == speaker]
    if not own:
        return PartySentiment(n_utterances=0)
    values = np.array([scores[i].score for i in own])
    spans = np.array([max(utterances[i].end_s - utterances[i].start_s, 0.0) for i in own])
    weights = np.maximum(spans, MIN_WEIGHT_S)
    length = max(duration_s, max(utterances[i].end_s for i in own), 1e-6)
    times = np.clip(np.array([(utterances[i].start_s + utterances[i].end_s) / 2 for i in own]) / length, 0, 1)
    k = max(1, options.edge_utterances)
    if speaker == CUSTOMER:
        position = {i: j for j, i in enumerate(own)}
        opening = [position[i] for i in customer_opening(utterances, k)]
        rest = [j for j in range(len(own)) if j > max(opening)]
        closing = (rest or opening)[-k:]
    else:
        opening, closing = list(range(min(k, len(own)))), list(range(max(len(own) - k, 0), len(own)))
    start = _weighted_mean(values[opening], weights[opening])
    end = _weighted_mean(values[closing], weights[closing])
    trajectory = smoothed_trajectory(times, values, weights, options.trajectory_points, options.smoothing)
    negative = np.array([scores[i].label == "negative" for i in own])
    negative_share = float(spans[negative].sum() / spans.sum()) if spans.sum() > 0 else float(negative.mean())
    turn = turning_point(values, k, options.min_rise)
    turning_s = turned_by = None
    if turn is not None:
        turning_s = utterances[own[turn]].start_s
        before = [i for i, u in enumerate(utterances) if u.speaker != speaker and u.start_s < turning_s]
        turned_by = before[-1] if before else None
    return PartySentiment(
        n_utterances=len(own),
        start=round(start, 4),
        end=round(end, 4),
        change=round(end - start, 4),
        minimum=round(float(trajectory.min()), 4),
        negative_share=round(negative_share, 4),
        trajectory=tuple(round(float(v), 4) for v in trajectory),
        turning_point_s=turning_s,
        turned_by_utterance=turned_by,
    )


def call_sentiment(transcript: Transcript, scores: Sequence[SentimentScore], model_id: str, options: SentimentOptions) -> CallSentiment:
    """Both parties' sentiment over one call, from per-utterance scores."""
    if len(scores) != len(transcript.utterances):
        raise ValueError(f"{len(scores)} scores for {len(transcript.utterances)} utterances")
    utts = transcript.utterances
    return CallSentiment(
        model_id=model_id,
        utterances=tuple(scores),
        customer=party_sentiment(utts, scores, CUSTOMER, transcript.duration_s, options),
        agent=party_sentiment(utts, scores, AGENT, transcript.duration_s, options),
    )


def to_scores(probabilities) -> List[SentimentScore]:
    """Rows of (negative, neutral, positive) probabilities -> records."""
    return [SentimentScore(round(float(n), 4), round(float(u), 4), round(float(p), 4)) for n, u, p in probabilities]


def score_transcript(transcript: Transcript, text_models, options: SentimentOptions) -> CallSentiment:
    """Score every utterance of a call with the text models (customer head for the customer,
    agent-tone head for the agent) and summarise each party."""
    utts = transcript.utterances
    probabilities = text_models.sentiment_proba([u.text for u in utts], [u.speaker for u in utts])
    return call_sentiment(transcript, to_scores(probabilities), text_models.model_id, options)
