"""Conversation dynamics from timestamps (and audio where there is audio): talk, silence and dead
air, hold, overtalk and interruptions, speaking rate, monologues, response latency.

Pure functions over utterances (with word timings when the ASR made them) and, optionally, the
decoded channels; no model needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .config import DynamicsOptions
from .records import AGENT, CUSTOMER, CallDynamics, Interruption, Span, StereoAudio, Transcript, Utterance

Interval = Tuple[float, float]


def union(intervals: Sequence[Interval]) -> List[Interval]:
    """Merge overlapping intervals; sorted, disjoint output."""
    merged: List[List[float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def total(intervals: Sequence[Interval]) -> float:
    return float(sum(b - a for a, b in intervals))


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> List[Interval]:
    """Intersection of two disjoint sorted interval lists."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[Interval], b: Sequence[Interval]) -> List[Interval]:
    """Parts of ``a`` not covered by ``b`` (both disjoint and sorted)."""
    out = []
    for start, end in a:
        cursor = start
        for lo, hi in b:
            if hi <= cursor or lo >= end:
                continue
            if lo > cursor:
                out.append((cursor, lo))
            cursor = max(cursor, hi)
        if cursor < end:
            out.append((cursor, end))
    return out


def gaps(intervals: Sequence[Interval], start: float, end: float) -> List[Interval]:
    """Stretches of [start, end] covered by none of ``intervals``."""
    return subtract([(start, end)], union(intervals))


def speech_spans(utterances: Sequence[Utterance], speaker: str) -> List[Interval]:
    """Where a party is actually speaking: word spans when known (utterances include short
    pauses), otherwise utterance spans."""
    spans: List[Interval] = []
    for u in utterances:
        if u.speaker != speaker:
            continue
        if u.words:
            spans.extend((w.start_s, max(w.end_s, w.start_s + 0.05)) for w in u.words)
        else:
            spans.append((u.start_s, u.end_s))
    return union(spans)


def nonspeech_activity(
    channel: np.ndarray, sample_rate: int, speech: Sequence[Interval], options: DynamicsOptions
) -> List[Interval]:
    """Stretches of sound on a channel that are not speech (hold music, tones, noise).

    Frames whose level is ``activity_db`` above the channel's noise floor count as active; active
    frames away from recognised speech, merged across short breaks, and at least
    ``hold_min_audio_s`` long are returned.
    """
    frame = int(sample_rate * 0.05)
    n = len(channel) // frame
    if n == 0:
        return []
    frames = channel[: n * frame].reshape(n, frame).astype(np.float64)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    floor = np.percentile(level, 10)
    active = level > max(floor + options.activity_db, -60.0)
    # music has quiet notes and rests: a frame is in a stretch of sound when at least
    # ``activity_share`` of the frames in the ``activity_window_s`` around it are active
    width = max(1, int(round(options.activity_window_s / 0.05)))
    sums = np.concatenate([[0.0], np.cumsum(active, dtype=np.float64)])
    first = np.arange(n) - width // 2
    active = (sums[np.clip(first + width, 0, n)] - sums[np.clip(first, 0, n)]) / width >= options.activity_share - 1e-9
    times = (np.arange(n) + 0.5) * 0.05
    near_speech = np.zeros(n, dtype=bool)
    for start, end in speech:
        near_speech |= (times >= start - 0.5) & (times <= end + 0.5)
    candidate = active & ~near_speech
    runs: List[Interval] = []
    i = 0
    while i < n:
        if candidate[i]:
            j = i
            while j < n and candidate[j]:
                j += 1
            runs.append((i * 0.05, j * 0.05))
            i = j
        else:
            i += 1
    merged: List[Interval] = []
    for start, end in runs:  # music has short quiet notes: bridge breaks under a second
        if merged and start - merged[-1][1] < 1.0:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return [(a, b) for a, b in merged if b - a >= options.hold_min_audio_s]


def audio_holds(audio: StereoAudio, transcript: Transcript, options: DynamicsOptions) -> List[Interval]:
    """Non-speech sound on either channel (typically hold music played on the agent line) while
    neither party speaks: a customer's television under the agent's voice is not a hold."""
    found: List[Interval] = []
    speech = union(speech_spans(transcript.utterances, AGENT) + speech_spans(transcript.utterances, CUSTOMER))
    for channel in (audio.agent, audio.customer):
        found.extend(nonspeech_activity(channel, audio.sample_rate, speech, options))
    return union(found)


def interruptions(utterances: Sequence[Utterance], options: DynamicsOptions) -> List[Interruption]:
    """Utterances that start while the other party is still talking and go on past a backchannel.

    An interruption: the other party has speech at least ``interruption_overlap_s`` after this
    utterance starts, began at least that long before it, and this utterance has at least
    ``interruption_min_words`` words (so "mm-hmm", "yeah" are not interruptions).
    """
    found = []
    for index, u in enumerate(utterances):
        if len(u.text.split()) < options.interruption_min_words:
            continue
        for other in utterances:
            if other.speaker == u.speaker:
                continue
            if other.start_s > u.start_s - options.interruption_overlap_s:
                continue
            other_end = max((w.end_s for w in other.words), default=other.end_s) if other.words else other.end_s
            if other_end >= u.start_s + options.interruption_overlap_s:
                found.append(Interruption(time_s=u.start_s, interrupter=u.speaker, utterance_index=index))
                break
    return found


def longest_monologue(utterances: Sequence[Utterance], speaker: str, min_words_to_break: int) -> float:
    """Longest stretch of one party talking without the other saying more than a backchannel."""
    best, start, end = 0.0, None, None
    for u in utterances:
        if u.speaker == speaker:
            start = u.start_s if start is None else start
            end = u.end_s if end is None else max(end, u.end_s)
            best = max(best, end - start)
        elif len(u.text.split()) >= min_words_to_break:
            start = end = None
    return best


def response_latencies(utterances: Sequence[Utterance], max_s: float) -> List[float]:
    """Customer-to-agent turn transitions: agent start minus customer end (negative = overlap).
    Transitions longer than ``max_s`` (holds) are left out."""
    out = []
    for prev, nxt in zip(utterances, utterances[1:]):
        if prev.speaker == CUSTOMER and nxt.speaker == AGENT:
            latency = nxt.start_s - prev.end_s
            if latency <= max_s:
                out.append(latency)
    return out


def call_dynamics(transcript: Transcript, options: DynamicsOptions, audio: Optional[StereoAudio] = None) -> CallDynamics:
    """Everything about a call's timeline, from its utterances (and audio, if any)."""
    utts = transcript.utterances
    duration = max(transcript.duration_s, max((u.end_s for u in utts), default=0.0))
    agent = speech_spans(utts, AGENT)
    customer = speech_spans(utts, CUSTOMER)
    anyone = union(agent + customer)
    silences = [g for g in gaps(anyone, 0.0, duration) if g[1] - g[0] >= options.min_silence_s]
    holds = [g for g in silences if g[1] - g[0] >= options.hold_silence_s]
    if audio is not None:
        holds = union(holds + audio_holds(audio, transcript, options))
    dead_air = [g for g in subtract(silences, holds) if g[1] - g[0] >= options.dead_air_s]
    agent_talk = sum(u.end_s - u.start_s for u in utts if u.speaker == AGENT)
    customer_talk = sum(u.end_s - u.start_s for u in utts if u.speaker == CUSTOMER)
    agent_words = sum(len(u.text.split()) for u in utts if u.speaker == AGENT)
    talk = agent_talk + customer_talk
    found = interruptions(utts, options)
    latencies = response_latencies(utts, options.hold_silence_s)
    return CallDynamics(
        duration_s=round(duration, 3),
        agent_talk_s=round(agent_talk, 3),
        customer_talk_s=round(customer_talk, 3),
        agent_talk_share=round(agent_talk / talk, 4) if talk else None,
        silence_s=round(total(subtract(silences, holds)), 3),
        dead_air_s=round(total(dead_air), 3),
        dead_air=tuple(Span(round(a, 3), round(b, 3)) for a, b in dead_air),
        hold_s=round(total(holds), 3),
        holds=tuple(Span(round(a, 3), round(b, 3)) for a, b in holds),
        overtalk_s=round(total(intersect(agent, customer)), 3),
        interruptions=tuple(found),
        agent_interruptions=sum(i.interrupter == AGENT for i in found),
        customer_interruptions=sum(i.interrupter == CUSTOMER for i in found),
        agent_wpm=round(agent_words / (agent_talk / 60), 1) if agent_talk > 0 else None,
        longest_agent_monologue_s=round(longest_monologue(utts, AGENT, options.interruption_min_words), 3),
        median_response_latency_s=round(float(np.median(latencies)), 3) if latencies else None,
    )
