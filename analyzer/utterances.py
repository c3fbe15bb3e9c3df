"""Build utterances from per-channel word timings and interleave the two parties by time."""

from __future__ import annotations

from typing import Iterable, List, Mapping, Sequence, Tuple

from .config import UtteranceOptions
from .records import Utterance, Word


def group_words(words: Sequence[Word], max_gap_s: float) -> List[List[Word]]:
    """Split a time-ordered word list wherever the pause between words exceeds ``max_gap_s``."""
    groups: List[List[Word]] = []
    for word in sorted(words, key=lambda w: (w.start_s, w.end_s)):
        if groups and word.start_s - groups[-1][-1].end_s <= max_gap_s:
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups


def split_long(group: List[Word], max_utterance_s: float) -> List[List[Word]]:
    """Split a group longer than ``max_utterance_s`` at its longest pause, recursively."""
    if len(group) < 2 or group[-1].end_s - group[0].start_s <= max_utterance_s:
        return [group]
    gaps = [group[i + 1].start_s - group[i].end_s for i in range(len(group) - 1)]
    cut = max(range(len(gaps)), key=lambda i: (gaps[i], -abs(i - len(gaps) / 2))) + 1
    return split_long(group[:cut], max_utterance_s) + split_long(group[cut:], max_utterance_s)


def words_to_utterances(speaker: str, words: Sequence[Word], options: UtteranceOptions) -> List[Utterance]:
    """One party's words → that party's utterances."""
    utterances = []
    for group in group_words(words, options.max_gap_s):
        for part in split_long(group, options.max_utterance_s):
            utterances.append(
                Utterance(
                    speaker=speaker,
                    start_s=part[0].start_s,
                    end_s=max(w.end_s for w in part),
                    text=join_words(w.text for w in part),
                    words=tuple(part),
                    confidence=round(sum(w.probability for w in part) / len(part), 4),
                )
            )
    return utterances


def interleave(*parties: Iterable[Utterance]) -> Tuple[Utterance, ...]:
    """Merge the parties' utterances into one conversation ordered by start time."""
    merged = [u for party in parties for u in party]
    merged.sort(key=lambda u: (u.start_s, u.end_s, u.speaker))
    return tuple(merged)


def build_utterances(words_by_speaker: Mapping[str, Sequence[Word]], options: UtteranceOptions) -> Tuple[Utterance, ...]:
    """Per-speaker words → the interleaved conversation."""
    return interleave(*(words_to_utterances(s, w, options) for s, w in words_by_speaker.items()))


def join_words(tokens: Iterable[str]) -> str:
    """Join recognised words with single spaces (whisper words carry their own punctuation)."""
    return " ".join(t.strip() for t in tokens if t.strip())
