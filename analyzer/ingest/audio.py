"""Decode call recordings once, at the edge: file in, per-party float32 arrays at 16 kHz out.

PyAV (FFmpeg) decodes whatever container/codec it knows (wav, flac, mp3, ogg/opus, m4a...) and
its resampler (libswresample, band-limited interpolation) converts 8 kHz telephone audio to the
16 kHz the recogniser expects. Channels are kept apart: contact-center recorders put one party
on each channel.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..records import StereoAudio

TARGET_SAMPLE_RATE = 16000


def decode_channels(path: str | Path, sample_rate: int = TARGET_SAMPLE_RATE) -> tuple[np.ndarray, int]:
    """Decode every channel of an audio file, resampled to ``sample_rate``.

    Returns ``(samples, source_sample_rate)`` with ``samples`` float32 of shape
    ``(channels, n)``. Raises :class:`InputError` (stage ``decode``) for empty, corrupt or
    non-audio files.
    """
    import av  # lazy: PyAV is heavy to import

    path = str(path)
    if os.path.getsize(path) == 0:
        raise InputError(path, "empty file (0 bytes)", stage="decode")
    try:
        container = av.open(path, metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise InputError(path, f"not a readable audio file ({_ffmpeg_reason(exc)})", stage="decode") from None
    with container:
        if not container.streams.audio:
            raise InputError(path, "no audio stream in file", stage="decode")
        stream = container.streams.audio[0]
        n_channels = stream.codec_context.channels
        source_rate = stream.codec_context.sample_rate or stream.rate
        if n_channels > 2:
            raise InputError(
                path,
                f"{n_channels} audio channels; expected a dual-channel (stereo) call recording "
                "with one party per channel",
                stage="decode",
            )
        layout = "stereo" if n_channels == 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                frame.pts = None
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as exc:
            raise InputError(path, f"corrupt audio ({_ffmpeg_reason(exc)})", stage="decode") from None
    if not chunks:
        raise InputError(path, "no audio samples (zero-length recording)", stage="decode")
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if samples.shape[1] == 0:
        raise InputError(path, "no audio samples (zero-length recording)", stage="decode")
    return samples, int(source_rate)


def split_parties(
    samples: np.ndarray, agent_channel: str, source: str, sample_rate: int, source_sample_rate: int
) -> StereoAudio:
    """Map the two channels of a call onto agent and customer.

    Mono recordings are refused: both parties share one channel and telling them apart needs
    diarization, which this version does not do.
    """
    if samples.ndim != 2 or samples.shape[0] == 1:
        raise InputError(
            source,
            "mono recording: both parties on one channel need speaker diarization, which is not "
            "supported yet; supply the dual-channel recording or a transcript JSON",
            stage="decode",
        )
    if samples.shape[0] != 2:
        raise InputError(source, f"{samples.shape[0]} channels; expected 2", stage="decode")
    if agent_channel not in ("left", "right"):
        raise ValueError(f"agent_channel must be 'left' or 'right', got {agent_channel!r}")
    agent_index = 0 if agent_channel == "left" else 1
    return StereoAudio(
        agent=np.ascontiguousarray(samples[agent_index]),
        customer=np.ascontiguousarray(samples[1 - agent_index]),
        sample_rate=sample_rate,
        source_sample_rate=source_sample_rate,
    )


def load_call_audio(path: str | Path, agent_channel: str = "left") -> StereoAudio:
    """Decode a dual-channel call recording into agent and customer arrays at 16 kHz."""
    samples, source_rate = decode_channels(path)
    return split_parties(samples, agent_channel, str(path), TARGET_SAMPLE_RATE, source_rate)


def _ffmpeg_reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '", 1)[0]
