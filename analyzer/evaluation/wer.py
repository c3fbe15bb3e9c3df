"""Word error rate with Whisper's English text normalizer (the standard for comparing ASR output)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Tuple


def normalizer():
    """Whisper's EnglishTextNormalizer (spelling, numbers, punctuation, casing)."""
    try:
        from whisper_normalizer.english import EnglishTextNormalizer
    except ImportError as exc:  # pragma: no cover
        raise ImportError("WER needs the eval extra: pip install 'analyzer[eval]'") from exc
    return EnglishTextNormalizer()


@dataclass(frozen=True)
class WerCounts:
    """Error counts over one or more reference/hypothesis pairs; ``wer`` pools them."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def wer(self) -> float:
        errors = self.substitutions + self.deletions + self.insertions
        return errors / self.reference_words if self.reference_words else float("nan")

    def __add__(self, other: "WerCounts") -> "WerCounts":
        return WerCounts(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.reference_words + other.reference_words,
        )


ZERO = WerCounts(0, 0, 0, 0)


def wer_counts(reference: str, hypothesis: str, norm=None) -> WerCounts:
    """Errors of ``hypothesis`` against ``reference`` after Whisper normalisation."""
    import jiwer

    norm = norm or normalizer()
    ref, hyp = norm(reference).strip(), norm(hypothesis).strip()
    if not ref:
        return WerCounts(0, 0, len(hyp.split()), 0)
    if not hyp:
        return WerCounts(0, len(ref.split()), 0, len(ref.split()))
    out = jiwer.process_words(ref, hyp)
    return WerCounts(out.substitutions, out.deletions, out.insertions, len(ref.split()))


def pooled_wer(pairs: Iterable[Tuple[str, str]]) -> float:
    """WER over many pairs: total errors / total reference words (not a mean of ratios)."""
    norm = normalizer()
    total = ZERO
    for reference, hypothesis in pairs:
        total = total + wer_counts(reference, hypothesis, norm)
    return total.wer
