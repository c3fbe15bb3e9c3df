"""Flatten call results into table rows (one writer per format lives in ``store``)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Sequence

from .ingest.metadata import KNOWN_COLUMNS
from .records import AGENT, CUSTOMER, CallResult, Failure, Utterance

CALL_COLUMNS = (
    "call_id",
    "agent_id",
    "batch_id",
    "batch_date",
    "processed_at",
    "source_file",
    "source_kind",
    "input_sha256",
    "settings_hash",
    "started_at",
    "duration_s",
    "agent_talk_s",
    "customer_talk_s",
    "n_utterances",
    "n_agent_utterances",
    "n_customer_utterances",
    "agent_words",
    "customer_words",
    "asr_model",
    "asr_mean_confidence",
    "processing_s",
) + tuple(c for c in KNOWN_COLUMNS if c not in ("call_id", "agent_id", "started_at"))

UTTERANCE_COLUMNS = ("call_id", "utterance_index", "speaker", "start_s", "end_s", "text", "words", "asr_confidence")
FAILURE_COLUMNS = ("batch_id", "failed_at", "file", "call_id", "stage", "severity", "reason")


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
        "call_id": info.call_id,
        "agent_id": info.agent_id,
        "batch_id": batch_id,
        "batch_date": batch_date,
        "processed_at": processed_at,
        "source_file": info.source_file,
        "source_kind": info.source_kind,
        "input_sha256": info.input_sha256,
        "settings_hash": result.settings_hash,
        "started_at": info.started_at,
        "duration_s": round(result.transcript.duration_s, 3),
        "agent_talk_s": talk_seconds(utts, AGENT),
        "customer_talk_s": talk_seconds(utts, CUSTOMER),
        "n_utterances": len(utts),
        "n_agent_utterances": sum(u.speaker == AGENT for u in utts),
        "n_customer_utterances": sum(u.speaker == CUSTOMER for u in utts),
        "agent_words": sum(len(u.text.split()) for u in utts if u.speaker == AGENT),
        "customer_words": sum(len(u.text.split()) for u in utts if u.speaker == CUSTOMER),
        "asr_model": result.transcript.asr_model,
        "asr_mean_confidence": round(sum(confidences) / len(confidences), 4) if confidences else None,
        "processing_s": round(result.processing_s, 3),
    }
    for stage, seconds in result.stage_seconds.items():
        row[f"{stage}_s"] = round(seconds, 3)
    row.update(sentiment_columns(result))
    row.update(dynamics_columns(result))
    for behaviour, count in result.behaviour_counts.items():
        row[f"beh_{behaviour}_n"] = count
        row[f"beh_{behaviour}"] = count > 0
    for column in CALL_COLUMNS:
        row.setdefault(column, None)
    for key, value in info.metadata.items():
        if key in ("call_id", "agent_id", "started_at"):
            continue
        if key in row and key not in KNOWN_COLUMNS:
            key = f"meta_{key}"  # never let an export column overwrite a computed one
        row[key] = value
    return row


def sentiment_columns(result: CallResult) -> Dict[str, Any]:
    """Per-party sentiment summary columns (empty values when sentiment was not scored)."""
    sentiment = result.sentiment
    row: Dict[str, Any] = {"sentiment_model": sentiment.model_id if sentiment else None}
    for party in ("customer", "agent"):
        summary = getattr(sentiment, party) if sentiment else None
        for name in PARTY_FIELDS:
            row[f"{party}_sentiment_{name}"] = getattr(summary, name) if summary else None
        row[f"{party}_sentiment_trajectory"] = list(summary.trajectory) if summary else None
        row[f"{party}_negative_share"] = summary.negative_share if summary else None
        for edge in ("start", "end"):
            value = getattr(summary, edge) if summary else None
            row[f"{party}_index_{edge}"] = None if value is None else round(50 * (value + 1), 2)
        row[f"{party}_turning_point_s"] = summary.turning_point_s if summary else None
        row[f"{party}_turned_by_utterance"] = summary.turned_by_utterance if summary else None
    return row


PARTY_FIELDS = ("start", "end", "change", "minimum")

DYNAMICS_FIELDS = (
    "agent_talk_share", "silence_s", "dead_air_s", "hold_s", "overtalk_s", "agent_interruptions",
    "customer_interruptions", "agent_wpm", "longest_agent_monologue_s", "median_response_latency_s",
)


def dynamics_columns(result: CallResult) -> Dict[str, Any]:
    """Timeline and time-use columns (None when not computed)."""
    d, use = result.dynamics, result.time_use
    row: Dict[str, Any] = {name: getattr(d, name) if d else None for name in DYNAMICS_FIELDS}
    row["n_dead_air"] = len(d.dead_air) if d else None
    row["n_holds"] = len(d.holds) if d else None
    row["time_handle_s"] = use.handle_s if use else None
    row["time_handle_source"] = use.handle_source if use else None
    for part in ("productive_s", "distress_s", "dead_air_s", "hold_s", "acw_s", "other_s"):
        row[f"time_{part}"] = getattr(use, part) if use else None
        row[f"share_{part[:-2]}"] = round(getattr(use, part) / use.handle_s, 4) if use and use.handle_s else None
    return row


def behaviour_rows(result: CallResult) -> List[Dict[str, Any]]:
    """One row per behaviour found: by the classifier in an utterance, or on the timeline."""
    utts = result.transcript.utterances
    return [
        {
            "call_id": result.info.call_id,
            "utterance_index": t.utterance_index,
            "speaker": utts[t.utterance_index].speaker if t.utterance_index is not None else "agent",
            "behaviour_id": t.behaviour_id,
            "score": t.score,
            "time_s": t.time_s,
            "source": t.source,
        }
        for t in result.behaviours
    ]


def utterance_rows(result: CallResult) -> List[Dict[str, Any]]:
    scores = result.sentiment.utterances if result.sentiment else [None] * len(result.transcript.utterances)
    return [
        {
            "call_id": result.info.call_id,
            "utterance_index": i,
            "speaker": u.speaker,
            "start_s": u.start_s,
            "end_s": u.end_s,
            "text": u.text,
            "words": [{"start_s": w.start_s, "end_s": w.end_s, "text": w.text, "probability": w.probability} for w in u.words],
            "asr_confidence": u.confidence,
            **score_columns(score),
        }
        for i, (u, score) in enumerate(zip(result.transcript.utterances, scores))
    ]


def score_columns(score) -> Dict[str, Any]:
    """Sentiment columns of one utterance (None values when not scored)."""
    if score is None:
        return dict.fromkeys(SCORE_COLUMNS)
    return {
        "sentiment_negative": score.negative,
        "sentiment_neutral": score.neutral,
        "sentiment_positive": score.positive,
        "sentiment": round(score.score, 4),
        "sentiment_label": score.label,
        "sentiment_index": round(score.index, 2),
    }


SCORE_COLUMNS = ("sentiment_negative", "sentiment_neutral", "sentiment_positive", "sentiment", "sentiment_label", "sentiment_index")


def failure_rows(failures: Iterable[Failure], batch_id: str, failed_at: str) -> List[Dict[str, Any]]:
    return [
        {"batch_id": batch_id, "failed_at": failed_at, "file": f.file, "call_id": f.call_id, "stage": f.stage, "severity": f.severity, "reason": f.reason}
        for f in failures
    ]
