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
    for column in CALL_COLUMNS:
        row.setdefault(column, None)
    for key, value in info.metadata.items():
        if key in ("call_id", "agent_id", "started_at"):
            continue
        if key in row and key not in KNOWN_COLUMNS:
            key = f"meta_{key}"  # never let an export column overwrite a computed one
        row[key] = value
    return row


def utterance_rows(result: CallResult) -> List[Dict[str, Any]]:
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
        }
        for i, u in enumerate(result.transcript.utterances)
    ]


def failure_rows(failures: Iterable[Failure], batch_id: str, failed_at: str) -> List[Dict[str, Any]]:
    return [
        {"batch_id": batch_id, "failed_at": failed_at, "file": f.file, "call_id": f.call_id, "stage": f.stage, "severity": f.severity, "reason": f.reason}
        for f in failures
    ]
