"""Flatten call results into table rows (one writer per format lives in ``store``). Column
names and types are declared in :mod:`analyzer.schema`."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Sequence

from . import schema
from .ingest.metadata import KNOWN_COLUMNS
from .records import AGENT, CUSTOMER, CallResult, Failure, Utterance

C = schema.CALLS.c
U = schema.UTTERANCES.c
B = schema.BEHAVIOURS.c
F = schema.FAILURES.c

#: calls columns every row has (the store adds ``version``; ``batch_date`` becomes the partition)
CALL_COLUMNS = (
    C.call_id, C.agent_id, C.batch_id, C.batch_date, C.processed_at, C.source_file, C.source_kind, C.input_sha256,
    C.settings_hash, C.started_at, C.duration_s, C.agent_talk_s, C.customer_talk_s, C.n_utterances, C.n_agent_utterances,
    C.n_customer_utterances, C.agent_words, C.customer_words, C.asr_model, C.text_model, C.asr_mean_confidence, C.processing_s,
) + tuple(c for c in KNOWN_COLUMNS if c not in (C.call_id, C.agent_id, C.started_at))

UTTERANCE_COLUMNS = (U.call_id, U.utterance_index, U.speaker, U.start_s, U.end_s, U.text, U.words, U.asr_confidence)
FAILURE_COLUMNS = (F.batch_id, F.failed_at, F.file, F.call_id, F.stage, F.severity, F.reason)


def talk_seconds(utterances: Sequence[Utterance], speaker: str) -> float:
    """Seconds during which ``speaker`` talks: the length of the union of their utterances."""
    spans = sorted((u.start_s, u.end_s) for u in utterances if u.speaker == speaker)
    total, cur_start, cur_end = 0.0, None, None
    for start, end in spans:
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start
    return round(total, 3)


def call_row(result: CallResult, batch_id: str, batch_date: str, processed_at: str) -> Dict[str, Any]:
    info, utts = result.info, result.transcript.utterances
    confidences = [u.confidence for u in utts if u.confidence is not None]
    row: Dict[str, Any] = {
        C.call_id: info.call_id,
        C.agent_id: info.agent_id,
        C.batch_id: batch_id,
        C.batch_date: batch_date,
        C.processed_at: processed_at,
        C.source_file: info.source_file,
        C.source_kind: info.source_kind,
        C.input_sha256: info.input_sha256,
        C.settings_hash: result.settings_hash,
        C.started_at: info.started_at,
        C.duration_s: round(result.transcript.duration_s, 3),
        C.agent_talk_s: talk_seconds(utts, AGENT),
        C.customer_talk_s: talk_seconds(utts, CUSTOMER),
        C.n_utterances: len(utts),
        C.n_agent_utterances: sum(u.speaker == AGENT for u in utts),
        C.n_customer_utterances: sum(u.speaker == CUSTOMER for u in utts),
        C.agent_words: _words(result, utts, AGENT),
        C.customer_words: _words(result, utts, CUSTOMER),
        C.asr_model: result.transcript.asr_model,
        C.text_model: result.text_model,
        C.asr_mean_confidence: round(sum(confidences) / len(confidences), 4) if confidences else None,
        C.processing_s: round(result.processing_s, 3),
    }
    for stage, seconds in result.stage_seconds.items():
        row[schema.STAGE_SECONDS.format(stage=stage)] = round(seconds, 3)
    row.update(sentiment_columns(result))
    row.update(dynamics_columns(result))
    row.update(redaction_columns(result))
    for behaviour, count in result.behaviour_counts.items():
        row[schema.BEHAVIOUR_COUNT.format(behaviour=behaviour)] = count
        row[schema.BEHAVIOUR_FLAG.format(behaviour=behaviour)] = count > 0
    for column in CALL_COLUMNS:
        row.setdefault(column, None)
    for key, value in info.metadata.items():
        if key in (C.call_id, C.agent_id, C.started_at):
            continue
        if key in row and key not in KNOWN_COLUMNS:
            key = f"meta_{key}"  # never let an export column overwrite a computed one
        row[key] = value
    return row


def _words(result: CallResult, utts: Sequence[Utterance], speaker: str) -> int:
    """Words the party said: counted before redaction where the pipeline recorded it."""
    if speaker in result.spoken_words:
        return int(result.spoken_words[speaker])
    return sum(len(u.text.split()) for u in utts if u.speaker == speaker)


def redaction_columns(result: CallResult) -> Dict[str, Any]:
    """Whether the call was redacted and of what (``redaction_types``, blank when off), and how
    many entities of each type were redacted from its transcript (``redactions_<type>``,
    ``redactions_total``; blank when redaction was off, so 0 always means "none found")."""
    from .redaction import count_columns

    options = result.redaction
    if options is None:
        return {C.redaction_enabled: False, C.redaction_types: None, C.redactions_total: None}
    row: Dict[str, Any] = {C.redaction_enabled: True, C.redaction_types: ",".join(options.types)}
    row.update(count_columns(result.redaction_counts, options))
    return row


def sentiment_columns(result: CallResult) -> Dict[str, Any]:
    """Per-party sentiment summary columns (empty values when sentiment was not scored)."""
    sentiment = result.sentiment
    row: Dict[str, Any] = {}
    for party in ("customer", "agent"):
        summary = getattr(sentiment, party) if sentiment else None
        column = lambda name: getattr(C, f"{party}_{name}")  # noqa: E731 - declared in analyzer/schema.py
        for name in PARTY_FIELDS:
            row[column(f"sentiment_{name}")] = getattr(summary, name) if summary else None
        row[column("sentiment_trajectory")] = list(summary.trajectory) if summary else None
        row[column("negative_share")] = summary.negative_share if summary else None
        for edge in ("start", "end"):
            value = getattr(summary, edge) if summary else None
            row[column(f"index_{edge}")] = None if value is None else round(50 * (value + 1), 2)
        row[column("turning_point_s")] = summary.turning_point_s if summary else None
        row[column("turned_by_utterance")] = summary.turned_by_utterance if summary else None
    return row


PARTY_FIELDS = schema.SENTIMENT_FIELDS

DYNAMICS_FIELDS = schema.DYNAMICS_COLUMNS


def dynamics_columns(result: CallResult) -> Dict[str, Any]:
    """Timeline and time-use columns (None when not computed)."""
    d, use = result.dynamics, result.time_use
    row: Dict[str, Any] = {name: getattr(d, name) if d else None for name in DYNAMICS_FIELDS}
    row[C.n_dead_air] = len(d.dead_air) if d else None
    row[C.n_holds] = len(d.holds) if d else None
    # the spans themselves, so the call page draws what was detected (holds found in the audio
    # included) rather than guessing again from gaps in the transcript
    row[C.hold_spans] = [{"start_s": h.start_s, "end_s": h.end_s} for h in d.holds] if d else None
    row[C.dead_air_spans] = [{"start_s": h.start_s, "end_s": h.end_s} for h in d.dead_air] if d else None
    row[C.time_handle_s] = use.handle_s if use else None
    row[C.time_handle_source] = use.handle_source if use else None
    for part in schema.TIME_USE_PARTS:
        seconds = getattr(use, f"{part}_s") if use else None
        row[getattr(C, f"time_{part}_s")] = seconds
        row[getattr(C, f"share_{part}")] = round(seconds / use.handle_s, 4) if use and use.handle_s else None
    return row


def behaviour_rows(result: CallResult) -> List[Dict[str, Any]]:
    """One row per behaviour found: by the classifier in an utterance, or on the timeline."""
    utts = result.transcript.utterances
    return [
        {
            B.call_id: result.info.call_id,
            B.utterance_index: t.utterance_index,
            B.speaker: utts[t.utterance_index].speaker if t.utterance_index is not None else "agent",
            B.behaviour_id: t.behaviour_id,
            B.score: t.score,
            B.time_s: t.time_s,
            B.source: t.source,
        }
        for t in result.behaviours
    ]


def utterance_rows(result: CallResult) -> List[Dict[str, Any]]:
    scores = result.sentiment.utterances if result.sentiment else [None] * len(result.transcript.utterances)
    return [
        {
            U.call_id: result.info.call_id,
            U.utterance_index: i,
            U.speaker: u.speaker,
            U.start_s: u.start_s,
            U.end_s: u.end_s,
            U.text: u.text,
            U.words: [{"start_s": w.start_s, "end_s": w.end_s, "text": w.text, "probability": w.probability} for w in u.words],
            U.asr_confidence: u.confidence,
            **score_columns(score),
        }
        for i, (u, score) in enumerate(zip(result.transcript.utterances, scores))
    ]


def score_columns(score) -> Dict[str, Any]:
    """Sentiment columns of one utterance (None values when not scored)."""
    if score is None:
        return dict.fromkeys(SCORE_COLUMNS)
    return {
        U.sentiment_negative: score.negative,
        U.sentiment_neutral: score.neutral,
        U.sentiment_positive: score.positive,
        U.sentiment: round(score.score, 4),
        U.sentiment_label: score.label,
        U.sentiment_index: round(score.index, 2),
    }


SCORE_COLUMNS = (U.sentiment_negative, U.sentiment_neutral, U.sentiment_positive, U.sentiment, U.sentiment_label, U.sentiment_index)


def failure_rows(failures: Iterable[Failure], batch_id: str, failed_at: str) -> List[Dict[str, Any]]:
    return [
        {F.batch_id: batch_id, F.failed_at: failed_at, F.file: f.file, F.call_id: f.call_id, F.stage: f.stage, F.severity: f.severity, F.reason: f.reason}
        for f in failures
    ]
