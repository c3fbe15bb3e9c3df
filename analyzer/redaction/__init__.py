"""PCI/PII redaction of transcripts and call audio (issue 11).

Card numbers (Luhn-checked; written, spoken as words, with "oh", "double five"...), card expiry
dates and security codes after their cues, US SSNs, emails (also spoken), phone numbers, dates
of birth and account/reference numbers after their cues, and any other long digit string are
replaced by typed placeholders (``[CARD]``, ``[SSN]``, ``[EMAIL]``...); amounts, durations,
times, counts, years and percentages are left alone.

    from analyzer.redaction import Redactor, RedactionOptions, redact_audio_spans

    redactor = Redactor(RedactionOptions())                    # compile once, reuse
    redactor.redact_text("my card number is 4556 7375 8689 9855").text   # 'my card number is [CARD]'
    result = redactor.redact_utterances(transcript.utterances)  # text and words, counts, audio spans
    clean = redact_audio_spans(samples, 8000, result.audio_spans, mode="tone")

Nothing is compiled at import time; numpy is needed only by ``redact_audio_spans``.
"""

from __future__ import annotations

from typing import Any

from .options import (
    ENTITY_DESCRIPTIONS,
    ENTITY_TYPES,
    AudioSpan,
    EntitySpan,
    RedactedText,
    RedactedUtterances,
    RedactionOptions,
)
from .redactor import RedactingLogFilter, Redactor, count_columns

__all__ = [
    "ENTITY_DESCRIPTIONS",
    "ENTITY_TYPES",
    "AudioSpan",
    "EntitySpan",
    "RedactedText",
    "RedactedUtterances",
    "RedactingLogFilter",
    "RedactionOptions",
    "Redactor",
    "count_columns",
    "redact_audio_spans",
]


def __getattr__(name: str) -> Any:
    if name == "redact_audio_spans":
        from .audio import redact_audio_spans

        return redact_audio_spans
    raise AttributeError(f"module 'analyzer.redaction' has no attribute {name!r}")
