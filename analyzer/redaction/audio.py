"""Blank the redacted words' time spans in call audio (array in, array out)."""

from __future__ import annotations

import math
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np

from .options import AudioSpan

DEFAULT_CHANNELS: Mapping[str, int] = {"agent": 0, "customer": 1}


def redact_audio_spans(
    samples: np.ndarray,
    sample_rate: int,
    spans: Iterable[AudioSpan],
    mode: str = "tone",
    channels: Optional[Mapping[str, int]] = None,
    channel_axis: int = -1,
    pad_s: float = 0.15,
    tone_hz: float = 1000.0,
    tone_level: float = 0.1,
) -> np.ndarray:
    """A copy of ``samples`` with each span replaced by a tone or silence on its speaker's channel.

    samples: mono ``(n,)`` (every span applies to it) or multi-channel, by default
        ``(n, channels)`` as soundfile reads it (``channel_axis=0`` for ``(channels, n)``).
        Float or integer PCM; the copy has the same shape and dtype (unsigned PCM keeps its
        midpoint as silence).
    spans: :class:`AudioSpan` from ``Redactor.redact_utterances``; ``speaker`` picks the channel.
    channels: speaker -> channel index; default agent 0 (left), customer 1. Pass
        ``{"agent": 1, "customer": 0}`` when the agent is on the right channel.
    pad_s: widen each span by this much on both sides: recogniser word times are only accurate to
        about a tenth of a second, and a clipped digit can still be recognised.
    tone_hz, tone_level: the tone (default 1 kHz at -20 dBFS, 5 ms fades, kept below a quarter of
        the sample rate); ``mode="silence"`` writes digital silence instead.
    """
    if mode not in ("tone", "silence"):
        raise ValueError(f"mode must be 'tone' or 'silence', got {mode!r}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    original = np.asarray(samples)
    if original.ndim not in (1, 2):
        raise ValueError(f"samples must be 1-D (mono) or 2-D (multi-channel), got shape {original.shape}")
    out = original.copy()
    frames = out if out.ndim == 1 else np.moveaxis(out, channel_axis, -1)  # a view: (n, channels)
    n = frames.shape[0]
    mapping = dict(DEFAULT_CHANNELS if channels is None else channels)
    by_channel: Dict[Optional[int], List[Tuple[int, int]]] = {}
    for span in spans:
        if frames.ndim == 1:
            channel = None
        else:
            if span.speaker not in mapping:
                raise ValueError(f"no channel for speaker {span.speaker!r} (channels: {mapping})")
            channel = mapping[span.speaker]
            if not 0 <= channel < frames.shape[1]:
                raise ValueError(f"channel {channel} of {span.speaker!r} is not in audio with {frames.shape[1]} channels")
        a = max(0, int(math.floor((span.start_s - pad_s) * sample_rate)))
        b = min(n, int(math.ceil((span.end_s + pad_s) * sample_rate)))
        if b > a:
            by_channel.setdefault(channel, []).append((a, b))
    for channel, ranges in by_channel.items():
        target = frames if channel is None else frames[:, channel]
        for a, b in _merge(ranges):
            target[a:b] = _fill(b - a, a, sample_rate, out.dtype, mode, tone_hz, tone_level)
    return out


def _merge(ranges: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    merged: List[List[int]] = []
    for a, b in sorted(ranges):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _fill(length: int, offset: int, rate: int, dtype: np.dtype, mode: str, tone_hz: float, level: float) -> np.ndarray:
    if mode == "silence":
        wave = np.zeros(length, dtype=np.float64)
    else:
        freq = min(tone_hz, rate / 4.0)
        t = (np.arange(length) + offset) / rate
        wave = level * np.sin(2 * np.pi * freq * t)
        ramp = min(length // 2, max(1, int(0.005 * rate)))
        envelope = np.ones(length)
        envelope[:ramp] = np.linspace(0.0, 1.0, ramp, endpoint=False)
        envelope[length - ramp :] = np.linspace(1.0, 0.0, ramp)
        wave *= envelope
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return wave.astype(dtype)
    if dtype.kind == "i":
        return np.round(wave * np.iinfo(dtype).max).astype(dtype)
    if dtype.kind == "u":
        mid = (np.iinfo(dtype).max + 1) / 2
        return np.round(mid + wave * (mid - 1)).astype(dtype)
    raise ValueError(f"unsupported sample dtype {dtype}")
