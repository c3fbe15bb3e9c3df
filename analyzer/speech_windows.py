"""Pack speech regions into 30 s decoding windows, map times back, and find speech the decoder
skipped. Pure numpy; used by the Whisper adapter.

Whisper's encoder costs the same for a full or a half-empty 30 s window, so speech regions found
by the VAD are laid end to end into as few windows as possible. Decoding each window once
(batched) is fast, but a small model sometimes stops early or jumps over a stretch of a window;
:func:`uncovered` finds VAD speech with no recognised word near it so it can be decoded again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

Region = Tuple[int, int]  # [start, end) in samples


def split_long_regions(regions: Sequence[Region], max_samples: int) -> List[Region]:
    """Cut any region longer than ``max_samples`` into equal pieces that fit a window."""
    out: List[Region] = []
    for start, end in regions:
        n = max(1, -(-(end - start) // max_samples))
        edges = np.linspace(start, end, n + 1).astype(int)
        out.extend((int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a)
    return out


def pack_regions(regions: Sequence[Region], max_samples: int) -> List[List[Region]]:
    """Group time-ordered regions greedily into windows of at most ``max_samples`` samples."""
    windows: List[List[Region]] = []
    used = 0
    for region in split_long_regions(sorted(regions), max_samples):
        length = region[1] - region[0]
        if windows and used + length <= max_samples:
            windows[-1].append(region)
            used += length
        else:
            windows.append([region])
            used = length
    return windows


@dataclass(frozen=True)
class PackedAudio:
    """Speech regions laid end to end, one clip per window, with the map back to source time.

    audio: the packed samples. clips: ``[{"start": s, "end": s}]`` per window, in seconds of the
    packed audio. ``packed_starts``/``source_starts``/``lengths``: per region, in samples.
    """

    audio: np.ndarray
    clips: List[dict]
    packed_starts: np.ndarray
    source_starts: np.ndarray
    lengths: np.ndarray
    sample_rate: int

    @classmethod
    def build(cls, audio: np.ndarray, windows: Sequence[Sequence[Region]], sample_rate: int) -> "PackedAudio":
        pieces, clips, packed, source, lengths = [], [], [], [], []
        position = 0
        for window in windows:
            window_start = position
            for start, end in window:
                pieces.append(audio[start:end])
                packed.append(position)
                source.append(start)
                lengths.append(end - start)
                position += end - start
            clips.append({"start": window_start / sample_rate, "end": position / sample_rate})
        samples = np.concatenate(pieces).astype(np.float32, copy=False) if pieces else np.zeros(0, np.float32)
        return cls(samples, clips, np.array(packed), np.array(source), np.array(lengths), sample_rate)

    def to_source(self, start_s: float, end_s: float) -> Tuple[float, float]:
        """Map a word's packed-audio span to source seconds, by the region holding its middle."""
        sr = self.sample_rate
        middle = (start_s + end_s) / 2 * sr
        i = int(np.clip(np.searchsorted(self.packed_starts, middle, side="right") - 1, 0, len(self.packed_starts) - 1))
        lo, hi = self.packed_starts[i], self.packed_starts[i] + self.lengths[i]
        shift = self.source_starts[i] - self.packed_starts[i]
        start = (min(max(start_s * sr, lo), hi) + shift) / sr
        end = (min(max(end_s * sr, lo), hi) + shift) / sr
        return float(start), float(max(end, start))


def uncovered(
    regions: Sequence[Region],
    spans_s: Sequence[Tuple[float, float]],
    sample_rate: int,
    margin_s: float = 0.5,
    min_gap_s: float = 1.5,
) -> List[Region]:
    """Parts of speech regions at least ``min_gap_s`` long with no word within ``margin_s``.

    ``spans_s``: (start, end) of recognised words, source seconds.
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
