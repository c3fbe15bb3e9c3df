"""Redaction options and the frozen records redaction returns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

from ..errors import ConfigError

#: Built-in entity types, in the order they are reported. Each is also its placeholder name.
ENTITY_TYPES: Tuple[str, ...] = ("CARD", "EXPIRY", "CVV", "SSN", "EMAIL", "PHONE", "DOB", "ACCOUNT", "NUMBER")

ENTITY_DESCRIPTIONS: Mapping[str, str] = {
    "CARD": "payment card numbers: 13-19 Luhn-valid digits anywhere; 8+ digits after a card cue",
    "EXPIRY": "card expiry dates after their cues (expiry, expiration, expires, valid thru)",
    "CVV": "card security codes and PINs after their cues (security code, CVV, CVC, PIN)",
    "SSN": "US social security numbers: 123-45-6789 anywhere; 4-11 digits or a code after a cue",
    "EMAIL": "email addresses, written or spoken ('john dot smith at gmail dot com')",
    "PHONE": "phone numbers: written US/UK/international formats, 10-11 digits, 7-15 after a cue",
    "DOB": "dates of birth after their cues (date of birth, DOB, born on, birthday)",
    "ACCOUNT": "account, reference, confirmation, member, policy, order... numbers after their cues",
    "NUMBER": "any other run of at least min_number_digits digits (an identifier of some kind)",
}

_NAME = r"[A-Za-z][A-Za-z0-9_]*\Z"


@dataclass(frozen=True)
class RedactionOptions:
    """What is redacted from transcripts, and how (``[redaction]`` in the config file).

    enabled: redact at all (``--no-redact`` sets False for teams that must keep raw text).
    entities: the built-in types that are redacted (see ``ENTITY_TYPES``); names are
        case-insensitive. A span is classified once, as its most likely type, and left as it is
        when that type is switched off.
    extra_patterns: placeholder name -> Python regular expression, matched on each utterance's
        text (case-sensitive unless the pattern starts with ``(?i)``). A name that is a built-in
        type adds patterns to that type. Extra patterns are always on.
    placeholder: the replacement; ``{type}`` becomes the entity type (``"[{type}]"`` -> ``[CARD]``).
    card_cue_skips_luhn: after a card cue ("card number", "long number on the front"...), a run
        of at least 8 digits is a card number even when it fails the Luhn check: speech
        recognition drops or mishears digits (``4556 7375 868 99855``), and such a near-miss
        still identifies the card. Without a cue only Luhn-valid 13-19 digit runs are cards.
    min_number_digits: an uncued run of at least this many digits that is no other type
        (a local phone number, an order, tracking or member number said without its cue) is
        redacted as NUMBER. 7 was chosen on real conversation text (DailyDialog): at 7 the extra
        redactions are local phone numbers; at 6, spoken amounts and addresses start to go.
    cue_window: how many tokens after a cue its value may start.
    join_gap_s: consecutive utterances of the same speaker at most this far apart are read as
        one stream, so a number split over two utterances (or a cue in one and its value in the
        next) is still found.
    cue_carry_s: a cue in the other party's utterance just before ("can I take the card number?")
        applies to the start of this party's reply if the reply starts within this many seconds.
    ids: also redact call ids and input file paths (recorders often name files by the caller's
        number). A call id in which something is found becomes its redacted form plus 8 letters
        derived from the input file's SHA-256 (``call_[PHONE]-kqzdmxbt``): unique, stable across
        re-runs of the same file, and not derived from the redacted value. Set False when your
        call ids are your ACD's own numeric ids (a 10-digit or Luhn-valid 16-digit id reads as a
        phone or card number) and your file names carry no customer data.
    audio_dir: with audio calls, write a redacted copy of each recording here (``--redact-audio``;
        same format, sample rate and channels, named by the call id). Where files go, not what
        the results are: not part of the settings hash.
    audio_mode: what replaces the redacted words in the copy: ``"tone"`` (1 kHz at -20 dBFS, the
        usual bleep) or ``"silence"``.
    """

    enabled: bool = True
    entities: Tuple[str, ...] = ENTITY_TYPES
    extra_patterns: Mapping[str, str] = field(default_factory=dict)
    placeholder: str = "[{type}]"
    card_cue_skips_luhn: bool = True
    min_number_digits: int = 7
    cue_window: int = 12
    join_gap_s: float = 6.0
    cue_carry_s: float = 10.0
    ids: bool = True
    audio_dir: Optional[str] = field(default=None, metadata={"runtime": True})
    audio_mode: str = field(default="tone", metadata={"runtime": True})

    def __post_init__(self) -> None:
        if isinstance(self.entities, str):
            entities = (self.entities,)
        else:
            entities = tuple(self.entities)
        entities = tuple(dict.fromkeys(str(e).upper() for e in entities))
        unknown = [e for e in entities if e not in ENTITY_TYPES]
        if unknown:
            raise ConfigError(
                f"redaction.entities: unknown type(s) {', '.join(unknown)} (known: {', '.join(ENTITY_TYPES)})"
            )
        object.__setattr__(self, "entities", tuple(e for e in ENTITY_TYPES if e in entities))
        patterns = dict(self.extra_patterns or {})
        for name, pattern in patterns.items():
            if not isinstance(name, str) or not re.match(_NAME, name):
                raise ConfigError(f"redaction.extra_patterns: name {name!r} must be letters, digits and _")
            if not isinstance(pattern, str) or not pattern:
                raise ConfigError(f"redaction.extra_patterns.{name}: the pattern must be a non-empty string")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"redaction.extra_patterns.{name}: not a valid regular expression ({exc})") from None
            if compiled.match(""):
                raise ConfigError(f"redaction.extra_patterns.{name}: the pattern matches the empty string")
        object.__setattr__(self, "extra_patterns", {k.upper(): patterns[k] for k in sorted(patterns)})
        if "{type}" not in self.placeholder and not self.placeholder.strip():
            raise ConfigError("redaction.placeholder must not be empty")
        try:
            self.placeholder.format(type="CARD")
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"redaction.placeholder: only {{type}} may be substituted ({exc})") from None
        if self.min_number_digits < 5:
            raise ConfigError("redaction.min_number_digits must be at least 5 (shorter runs are ordinary numbers)")
        if self.cue_window < 1:
            raise ConfigError("redaction.cue_window must be at least 1")
        if self.join_gap_s < 0 or self.cue_carry_s < 0:
            raise ConfigError("redaction.join_gap_s and cue_carry_s must not be negative")
        if self.audio_mode not in ("tone", "silence"):
            raise ConfigError(f"redaction.audio_mode must be 'tone' or 'silence', got {self.audio_mode!r}")
        if self.audio_dir is not None:
            object.__setattr__(self, "audio_dir", str(self.audio_dir))
            if not self.audio_dir.strip():
                raise ConfigError("redaction.audio_dir must not be empty")
            if not self.enabled:
                raise ConfigError("redaction.audio_dir (--redact-audio) needs redaction enabled: with --no-redact there is nothing to remove")

    @property
    def types(self) -> Tuple[str, ...]:
        """Every type that can be redacted: the enabled built-ins, then extra pattern names."""
        return self.entities + tuple(n for n in self.extra_patterns if n not in self.entities)


@dataclass(frozen=True)
class EntitySpan:
    """A redacted stretch of the original text: ``text[start:end]`` was replaced."""

    type: str
    start: int
    end: int


@dataclass(frozen=True)
class RedactedText:
    """A redacted string, where its spans were in the original, and how many of each type."""

    text: str
    spans: Tuple[EntitySpan, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AudioSpan:
    """Call time whose audio must be blanked: one speaker's redacted words (for audio redaction)."""

    speaker: str
    start_s: float
    end_s: float
    type: str


@dataclass(frozen=True)
class RedactedUtterances:
    """Redacted utterances (same number and order as given), counts by type, and audio spans.

    counts: entities redacted, by type (an entity split over two utterances counts once).
    audio_spans: per speaker, the time of every redacted word (from word timings; a whole
        utterance when it has none), for :func:`analyzer.redaction.redact_audio_spans`.
    """

    utterances: Tuple = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    audio_spans: Tuple[AudioSpan, ...] = ()
