"""Redaction of what the batch stores about a call besides its transcript: call ids, file paths,
metadata values and failure reasons. Pure functions of a :class:`Redactor` and records.

In call ids and file paths only the typed entities count (a card, phone or social security
number, an e-mail...): the catch-all NUMBER type (an uncued run of 7+ digits) is what ACD and
recorder ids usually are (``20261201-0001234``, ``sim-0000001``), and treating every such id as
sensitive would rename ordinary calls. Call ids are identities (rows are keyed by them, re-runs
skip by them), so a call id in which something is found is not just redacted but made a pseudonym: its redacted form plus 8 letters
derived from the input file's SHA-256, so two callers' calls never share an id and the same file
gets the same id every night. The letters are consonants only: redacting the pseudonym again
changes nothing (no digit runs, no number words).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping, Optional, Set, Tuple

from ..records import CallInfo, Failure
from .redactor import Redactor

#: metadata columns that are never redacted: the agent (the company's own staff id; redacting a
#: numeric or e-mail agent id would merge agents) and the start time (a timestamp)
KEEP_COLUMNS = ("agent_id", "started_at")
_LETTERS = "bcdfghjkmnpqrstvwxz"


def pseudonym_suffix(sha256: str, length: int = 8) -> str:
    """``length`` consonants derived from a hex digest (the input file's content hash)."""
    try:
        number = int(sha256 or "0", 16)
    except ValueError:
        import hashlib

        number = int(hashlib.sha256(str(sha256).encode()).hexdigest(), 16)
    out = []
    for _ in range(length):
        number, k = divmod(number, len(_LETTERS))
        out.append(_LETTERS[k])
    return "".join(out)


def redact_identifier(text: str, redactor: Redactor) -> str:
    """``text`` (a call id or a path) with its typed entities replaced; runs of digits that are
    only the catch-all NUMBER type are kept."""
    found = redactor.redact_text(text)
    spans = sorted((s for s in found.spans if s.type != "NUMBER"), key=lambda s: s.start)
    if len(spans) == len(found.spans):
        return found.text
    pieces, position = [], 0
    for span in spans:
        pieces.append(text[position:span.start])
        pieces.append(redactor.options.placeholder.format(type=span.type))
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)


def redact_call_id(call_id: str, redactor: Redactor, sha256: str) -> str:
    """The call id as stored: unchanged when nothing is found in it (or ids are not redacted),
    else ``<redacted id>-<8 letters from the file's SHA-256>``."""
    options = redactor.options
    if not options.enabled or not options.ids or not call_id:
        return call_id
    redacted = redact_identifier(call_id, redactor)
    if redacted == call_id:
        return call_id
    return f"{redacted}-{pseudonym_suffix(sha256)}"


def redacted_id_prefix(call_id: str, redactor: Redactor) -> Optional[str]:
    """What a pseudonym made from ``call_id`` starts with, or None when the id is kept as is."""
    options = redactor.options
    if not options.enabled or not options.ids or not call_id:
        return None
    redacted = redact_identifier(call_id, redactor)
    return None if redacted == call_id else redacted + "-"


def is_stored(call_id: str, stored: Set[str], redactor: Redactor) -> bool:
    """Whether a call named ``call_id`` in the metadata is already in the store (where the stored
    id is a pseudonym, any stored call whose id starts like it counts)."""
    if call_id in stored:
        return True
    prefix = redacted_id_prefix(call_id, redactor)
    return prefix is not None and any(s.startswith(prefix) for s in stored)


def redact_path(path: Optional[str], redactor: Redactor) -> Optional[str]:
    """A file path with what is found in it replaced (``/rec/call_[PHONE].wav``)."""
    options = redactor.options
    if path is None or not options.enabled or not options.ids:
        return path
    return redact_identifier(str(path), redactor)


def redact_value(value: Any, redactor: Redactor) -> Any:
    """A metadata value: text is redacted; an integer is read as text and replaced by the
    redacted text when something is found in it (a card or phone number kept as a number);
    other values (booleans, floats, None) are kept."""
    if not redactor.options.enabled:
        return value
    if isinstance(value, str):
        return redactor.redact_text(value).text
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        redacted = redactor.redact_text(text).text
        return value if redacted == text else redacted
    return value


def redact_metadata(metadata: Mapping[str, Any], redactor: Redactor) -> dict:
    """Every metadata value through :func:`redact_value`, except ``KEEP_COLUMNS``."""
    return {k: (v if k in KEEP_COLUMNS else redact_value(v, redactor)) for k, v in metadata.items()}


def redact_call_info(info: CallInfo, redactor: Redactor) -> CallInfo:
    """A call's identity as stored: id (a pseudonym where something is found in it), source
    path and metadata values redacted; agent id and start time kept."""
    if not redactor.options.enabled:
        return info
    return dataclasses.replace(
        info,
        call_id=redact_call_id(info.call_id, redactor, info.input_sha256),
        source_file=redact_path(info.source_file, redactor),
        metadata=redact_metadata(info.metadata, redactor),
    )


def redact_failure(failure: Failure, redactor: Redactor) -> Failure:
    """A failure row as stored and shown: reason redacted as text; file and call id too (unless
    ``ids`` is off). Call ids already made pseudonyms are left as they are."""
    options = redactor.options
    if not options.enabled:
        return failure
    reason = redactor.redact_text(failure.reason).text if failure.reason else failure.reason
    file = redact_path(failure.file, redactor)
    call_id = failure.call_id
    if call_id is not None and options.ids:
        call_id = redactor.redact_text(str(call_id)).text
    if (reason, file, call_id) == (failure.reason, failure.file, failure.call_id):
        return failure
    return dataclasses.replace(failure, reason=reason, file=file, call_id=call_id)


def redact_failures(failures: Iterable[Failure], redactor: Redactor) -> Tuple[Failure, ...]:
    return tuple(redact_failure(f, redactor) for f in failures)
