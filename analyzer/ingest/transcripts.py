"""Read call transcripts produced by another system (one JSON file per call).

Schema (see README, "Transcript JSON")::

    {"call_id": "c-001", "agent_id": "a-17", "started_at": "2026-11-26T18:04:00Z",
     "utterances": [{"speaker": "agent", "start": 0.0, "end": 2.4, "text": "Thank you for calling"},
                    {"speaker": "customer", "start": 2.9, "end": 5.0, "text": "Hi, my bill is wrong"}]}

``call_id`` defaults to the file name without extension; ``agent_id`` and ``started_at`` may come
from the metadata instead. Utterances may carry ``confidence`` and ``words``
(``[{"start", "end", "text"}]``). Other top-level keys are kept as metadata.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Mapping, Optional, Tuple

from ..errors import InputError
from ..records import AGENT, CUSTOMER, Failure, Transcript, Utterance, Word
from .metadata import convert_value

SPEAKER_ALIASES = {
    "agent": AGENT,
    "rep": AGENT,
    "representative": AGENT,
    "customer": CUSTOMER,
    "caller": CUSTOMER,
    "client": CUSTOMER,
}
_RESERVED = {"call_id", "agent_id", "started_at", "utterances", "duration"}
#: no call lasts longer: times beyond it are errors in the file (and would make every
#: timeline computation and chart meaningless)
MAX_CALL_S = 24 * 3600.0


@dataclass(frozen=True)
class TranscriptFile:
    """A parsed transcript file: the call's identity fields and its utterances."""

    call_id: str
    agent_id: Optional[str]
    started_at: Optional[str]
    extra: Mapping[str, Any]
    transcript: Transcript
    problems: Tuple[Failure, ...] = ()  # warnings: top-level values left blank, and why


def read_transcript(path: str | Path) -> TranscriptFile:
    """Parse and validate one transcript file; :class:`InputError` names the problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read file ({exc.strerror})", stage="transcript") from None
    if not raw.strip():
        raise InputError(str(path), "empty transcript file", stage="transcript")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not valid JSON ({exc})", stage="transcript") from None
    return parse_transcript(data, source=str(path), default_call_id=path.stem)


def parse_transcript(data: Any, source: str, default_call_id: str) -> TranscriptFile:
    """Validate an already-decoded transcript object (used for files and in-memory data)."""

    def bad(reason: str) -> InputError:
        call_id = data.get("call_id") if isinstance(data, dict) else None
        return InputError(source, reason, stage="transcript", call_id=_text(call_id) if _is_id(call_id) else None)

    if not isinstance(data, dict):
        raise bad("transcript must be a JSON object with an 'utterances' list")
    for key in ("call_id", "agent_id"):
        if not _is_id(data.get(key)):
            raise bad(f"'{key}' must be text or a number, got {type(data.get(key)).__name__}")
    items = data.get("utterances")
    if not isinstance(items, list):
        raise bad("missing 'utterances' list")
    utterances = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad(f"utterance {i} is not an object")
        speaker = SPEAKER_ALIASES.get(str(item.get("speaker", "")).strip().lower())
        if speaker is None:
            raise bad(f"utterance {i}: speaker must be 'agent' or 'customer', got {item.get('speaker')!r}")
        start, end = _seconds(item.get("start")), _seconds(item.get("end"))
        if start is None or end is None:
            raise bad(f"utterance {i}: 'start' and 'end' must be numbers of seconds")
        if not (0 <= start <= MAX_CALL_S and 0 <= end <= MAX_CALL_S):
            raise bad(f"utterance {i}: 'start' and 'end' must be seconds from the start of the call, between 0 and {MAX_CALL_S:.0f}")
        if end < start:
            raise bad(f"utterance {i}: ends at {end} before it starts at {start}")
        text = item.get("text")
        if not isinstance(text, str):
            raise bad(f"utterance {i}: 'text' must be a string")
        raw_words = item.get("words") or []
        if not isinstance(raw_words, list):
            raise bad(f"utterance {i}: 'words' must be a list of word objects")
        words = tuple(_words(raw_words, i, bad))
        confidence = _seconds(item.get("confidence"))
        utterances.append(Utterance(speaker, start, end, text.strip(), words, confidence))
    utterances.sort(key=lambda u: (u.start_s, u.end_s))
    call_id = _text(data.get("call_id")) or default_call_id
    problems: List[Failure] = []

    def warn(key: str, reason: str) -> None:
        problems.append(Failure(source, "transcript", f"field {key}: {reason}; value left blank", call_id, "warning"))

    last_end = max((u.end_s for u in utterances), default=0.0)
    duration = _seconds(data.get("duration"))
    if data.get("duration") is not None and (duration is None or not last_end <= duration <= MAX_CALL_S):
        warn("duration", f"{_show(data.get('duration'))} is not a number of seconds between the last utterance's end ({last_end:g}) "
                         f"and {MAX_CALL_S:.0f}; the last utterance's end is used")
        duration = None
    if duration is None:
        duration = last_end
    started_at = data.get("started_at")
    if started_at is not None and not isinstance(started_at, str):
        warn("started_at", f"{_show(started_at)} is not an ISO 8601 time")
        started_at = None
    extra = {}
    for key, value in data.items():
        if key in _RESERVED:
            continue
        if not str(key).strip():
            continue  # a blank key cannot be a column
        if not _is_scalar(value):
            continue  # nested values (lists, objects) are not kept as columns
        try:
            extra[key] = convert_value(key, value)
        except ValueError as exc:
            warn(key, str(exc))
            extra[key] = None
    return TranscriptFile(
        call_id=call_id,
        agent_id=_text(data.get("agent_id")),
        started_at=_text(started_at),
        extra=extra,
        transcript=Transcript(tuple(utterances), duration_s=float(duration), asr_model=None),
        problems=tuple(problems),
    )


def _words(items: list, index: int, bad) -> list[Word]:
    words = []
    for w in items:
        if not isinstance(w, dict):
            raise bad(f"utterance {index}: each word must be an object")
        start, end = _seconds(w.get("start")), _seconds(w.get("end"))
        text = w.get("text", w.get("word"))
        if start is None or end is None or not isinstance(text, str):
            raise bad(f"utterance {index}: each word needs numeric 'start', 'end' and a 'text'")
        prob = _seconds(w.get("probability"))
        words.append(Word(start, end, text.strip(), 1.0 if prob is None else prob))
    return words


def _seconds(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return value if math.isfinite(value) else None


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _is_id(value: Any) -> bool:
    return value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))
