"""Pack speech regions into 30 s decoding windows, map times back, and find speech the decoder
skipped. Pure numpy; used by the Whisper adapter.

Whisper's encoder costs the same for a full or a half-empty 30 s window, so speech regions found
by the VAD are laid end to end into as few windows as possible: each call's in time order
(:func:`pack_in_order`), then the calls' last, part-filled windows merged (:func:`merge_windows`;
each region is tagged with the source it came from). Decoding each window once (batched) is fast,
but a small model sometimes stops early or jumps over a stretch of a window; :func:`uncovered`
finds VAD speech with no recognised word near it so it can be decoded again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

Region = Tuple[int, int]  # [start, end) in samples
Piece = Tuple[int, int, int]  # (source index, start, end): a region of one of several sources


def split_long_regions(regions: Sequence[Piece], max_samples: int) -> List[Piece]:
    """Cut any region longer than ``max_samples`` into equal pieces that fit a window."""
    out: List[Piece] = []
    for source, start, end in regions:
        n = max(1, -(-(end - start) // max_samples))
        edges = np.linspace(start, end, n + 1).astype(int)
        out.extend((source, int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a)
    return out


def pack_in_order(regions: Sequence[Piece], max_samples: int) -> List[List[Piece]]:
    """Lay one source's regions end to end in time order into windows of at most ``max_samples``
    samples, a new window starting when the next region does not fit: a window holds consecutive
    speech (a small model decoding a window of speech out of order skips more of it)."""
    windows: List[List[Piece]] = []
    used = 0
    for piece in split_long_regions(sorted(regions), max_samples):
        length = piece[2] - piece[1]
        if windows and used + length <= max_samples:
            windows[-1].append(piece)
            used += length
        else:
            windows.append([piece])
            used = length
    return windows


def merge_windows(windows: Sequence[Sequence[Piece]], max_samples: int) -> List[List[Piece]]:
    """Merge part-filled windows (each source's last) where they fit together: first fit,
    longest first; each keeps its regions in order."""
    merged: List[List[Piece]] = []
    room: List[int] = []
    for window in sorted(windows, key=lambda w: -sum(b - a for _, a, b in w)):
        length = sum(b - a for _, a, b in window)
        for i, free in enumerate(room):
            if length <= free:
                merged[i].extend(window)
                room[i] -= length
                break
        else:
            merged.append(list(window))
            room.append(max_samples - length)
    return merged


@dataclass(frozen=True)
class PackedAudio:
    """Speech regions laid end to end, one clip per window, with the map back to source time.

    audio: the packed samples. clips: ``[{"start": s, "end": s}]`` per window, in seconds of the
    packed audio. Per region, in samples: ``packed_starts`` (in the packed audio), ``sources``
    (index of its source), ``source_starts`` (in its source) and ``lengths``.
    """

    audio: np.ndarray
    clips: List[dict]
    packed_starts: np.ndarray
    sources: np.ndarray
    source_starts: np.ndarray
    lengths: np.ndarray
    sample_rate: int

    @classmethod
    def build(cls, sources: Sequence[np.ndarray], windows: Sequence[Sequence[Piece]], sample_rate: int) -> "PackedAudio":
        pieces, clips, packed, index, starts, lengths = [], [], [], [], [], []
        position = 0
        for window in windows:
            window_start = position
            for source, start, end in window:
                pieces.append(sources[source][start:end])
                packed.append(position)
                index.append(source)
                starts.append(start)
                lengths.append(end - start)
                position += end - start
            clips.append({"start": window_start / sample_rate, "end": position / sample_rate})
        samples = np.concatenate(pieces).astype(np.float32, copy=False) if pieces else np.zeros(0, np.float32)
        return cls(samples, clips, np.array(packed), np.array(index), np.array(starts), np.array(lengths), sample_rate)

    def to_source(self, start_s: float, end_s: float) -> Tuple[int, float, float]:
        """Map a word's packed-audio span to ``(source, start_s, end_s)`` in its source, by the
        region holding its middle (a span straddling a splice is clamped to that region)."""
        sr = self.sample_rate
        middle = (start_s + end_s) / 2 * sr
        i = int(np.clip(np.searchsorted(self.packed_starts, middle, side="right") - 1, 0, len(self.packed_starts) - 1))
        lo, hi = self.packed_starts[i], self.packed_starts[i] + self.lengths[i]
        shift = self.source_starts[i] - self.packed_starts[i]
        start = (min(max(start_s * sr, lo), hi) + shift) / sr
        end = (min(max(end_s * sr, lo), hi) + shift) / sr
        return int(self.sources[i]), float(start), float(max(end, start))


def uncovered(
    regions: Sequence[Region],
    spans_s: Sequence[Tuple[float, float]],
    sample_rate: int,
    margin_s: float = 0.5,
    min_gap_s: float = 1.5,
) -> List[Region]:
    """Parts of speech regions at least ``min_gap_s`` long with no word within ``margin_s``.

    ``regions``: speech of one source, in samples; ``spans_s``: (start, end) of the words
    recognised in that source, in seconds.
    """
    covered = sorted((max(0.0, a - margin_s), b + margin_s) for a, b in spans_s)
    merged: List[List[float]] = []
    for a, b in covered:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    gaps: List[Region] = []
    for start, end in regions:
        cursor = start / sample_rate
        stop = end / sample_rate
        for a, b in merged:
            if b <= cursor:
                continue
            if a >= stop:
                break
            if a - cursor >= min_gap_s:
                gaps.append((int(cursor * sample_rate), int(a * sample_rate)))
            cursor = max(cursor, b)
        if stop - cursor >= min_gap_s:
            gaps.append((int(cursor * sample_rate), end))
    return gaps
