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
    container, stream = _open_audio(path)
    with container:
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


def _open_audio(path: str):
    """Open ``path`` with PyAV: ``(container, its first audio stream)``; the caller closes the
    container. :class:`InputError` (stage ``decode``) for empty, unreadable or audio-less files."""
    import av

    if os.path.getsize(path) == 0:
        raise InputError(path, "empty file (0 bytes)", stage="decode")
    try:
        container = av.open(path, metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise InputError(path, f"not a readable audio file ({_ffmpeg_reason(exc)})", stage="decode") from None
    if not container.streams.audio:
        container.close()
        raise InputError(path, "no audio stream in file", stage="decode")
    return container, container.streams.audio[0]


def _ffmpeg_reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '", 1)[0]


# -- redacted copies (``--redact-audio``) ---------------------------------------------------------

#: decoders whose encoder has another name in FFmpeg
_ENCODERS = {"mp3float": "libmp3lame", "mp3": "libmp3lame", "opus": "libopus", "libvorbis": "vorbis", "aac_fixed": "aac"}


def decode_native(path: str | Path):
    """Decode every channel of a recording at its own sample rate and sample format (no
    resampling, nothing converted that the encoder would have to convert back).

    Returns ``(samples, sample_rate, stream)``: ``samples`` of shape ``(channels, n)`` in the
    decoder's sample type, and what :func:`encode_like` needs to write the same format again
    (codec, container, bit rate, channel layout, sample format).
    """
    import av  # lazy: PyAV is heavy to import

    path = str(path)
    container, stream = _open_audio(path)
    with container:
        ctx = stream.codec_context
        info = {"codec": ctx.codec.name, "bit_rate": ctx.bit_rate or stream.bit_rate, "layout": ctx.layout.name,
                "channels": ctx.channels, "rate": ctx.sample_rate or stream.rate}
        chunks: list[np.ndarray] = []
        fmt = None
        resampler = None
        try:
            for frame in container.decode(stream):
                if fmt is None:
                    fmt = frame.format.name
                if frame.format.name != fmt or resampler is not None:  # a stream that changes format midway
                    if resampler is None:
                        resampler = av.AudioResampler(format=fmt, layout=info["layout"], rate=info["rate"])
                    frame.pts = None
                    frames = resampler.resample(frame)
                else:
                    frames = [frame]
                for f in frames:
                    chunks.append(_planar(f))
        except av.error.FFmpegError as exc:
            raise InputError(path, f"corrupt audio ({_ffmpeg_reason(exc)})", stage="decode") from None
    if not chunks:
        raise InputError(path, "no audio samples (zero-length recording)", stage="decode")
    info["format"] = fmt
    return np.concatenate(chunks, axis=1), int(info["rate"]), info


def _planar(frame) -> np.ndarray:
    array = frame.to_ndarray()
    if frame.format.is_planar:
        return array
    channels = len(frame.layout.channels)
    return array.reshape(-1, channels).T


def encode_like(samples: np.ndarray, info: dict, dst: str | Path) -> None:
    """Write ``samples`` ``(channels, n)`` (as :func:`decode_native` returned them) to ``dst``
    with the original's codec, sample rate, channel layout and bit rate; the container follows
    ``dst``'s extension (keep the original's)."""
    import av

    fmt = av.AudioFormat(info["format"])
    codec = info["codec"]
    try:
        av.codec.Codec(codec, "w")
    except Exception:  # noqa: BLE001 - no encoder under the decoder's name
        codec = _ENCODERS.get(codec, codec)
    try:
        av.codec.Codec(codec, "w")
    except Exception:  # noqa: BLE001
        raise InputError(str(dst), f"cannot write the redacted copy: this FFmpeg has no encoder for {info['codec']}", stage="redact_audio") from None
    with av.open(str(dst), "w") as out:
        stream = out.add_stream(codec, rate=info["rate"], layout=info["layout"])
        if codec in ("vorbis", "opus"):
            stream.codec_context.options = {"strict": "experimental"}
        lossy = codec not in ("flac",) and not codec.startswith(("pcm_", "adpcm_"))
        if lossy and info.get("bit_rate"):
            stream.codec_context.bit_rate = int(info["bit_rate"])
        step = 4096
        for start in range(0, samples.shape[1], step):
            block = samples[:, start : start + step]
            if fmt.is_planar:
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format=fmt.name, layout=info["layout"])
            else:
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block.T).reshape(1, -1), format=fmt.name, layout=info["layout"])
            frame.sample_rate = info["rate"]
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def write_redacted_copy(src: str | Path, dst: str | Path, spans, agent_channel: str = "left", mode: str = "tone") -> Path:
    """Decode ``src`` at its own sample rate keeping its channels, replace the redacted words'
    time spans (``CallResult.redaction_spans``) on their speaker's channel with a tone or
    silence, and write ``dst`` in the same format and sample rate. Written to a temporary file
    beside ``dst`` and renamed, so ``dst`` is either complete or absent. Returns ``dst``."""
    from ..redaction import redact_audio_spans

    dst = Path(dst)
    samples, rate, info = decode_native(src)
    if samples.shape[0] != 2:
        raise InputError(str(src), f"{samples.shape[0]} channel(s); the redacted copy needs the dual-channel recording", stage="redact_audio")
    agent = 0 if agent_channel == "left" else 1
    clean = redact_audio_spans(samples, rate, spans, mode=mode, channels={"agent": agent, "customer": 1 - agent}, channel_axis=0)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.stem}.partial{dst.suffix}")
    try:
        encode_like(clean, info, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dst
