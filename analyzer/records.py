"""Typed, frozen records that flow between pipeline stages.

Units are in the field names (``start_s``, ``duration_s``). Every record converts to plain
columns with :func:`dataclasses.asdict`; the store flattens them into Parquet tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Tuple

AGENT = "agent"
CUSTOMER = "customer"
SPEAKERS = (AGENT, CUSTOMER)


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span and the recogniser's probability."""

    start_s: float
    end_s: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class Utterance:
    """A stretch of one party's speech, ended by a pause longer than the configured gap.

    ``confidence`` is the mean word probability from the recogniser, or ``None`` when the
    utterance came from an external transcript without one.
    """

    speaker: str
    start_s: float
    end_s: float
    text: str
    words: Tuple[Word, ...] = ()
    confidence: Optional[float] = None

    def __post_init__(self) -> None:
        if self.speaker not in SPEAKERS:
            raise ValueError(f"speaker must be one of {SPEAKERS}, got {self.speaker!r}")
        if self.end_s < self.start_s:
            raise ValueError(f"utterance ends ({self.end_s}) before it starts ({self.start_s})")


@dataclass(frozen=True)
class CallInfo:
    """Who and what a call is, before any processing: identity, source and metadata.

    ``metadata`` holds the joined ACD/CRM columns (queue, csat, handle_seconds, extra columns...).
    """

    call_id: str
    agent_id: str
    source_file: str
    source_kind: str  # "audio" | "transcript"
    input_sha256: str
    started_at: Optional[str] = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StereoAudio:
    """Decoded dual-channel call audio, one party per channel, float32 mono arrays at 16 kHz."""

    agent: Any  # np.ndarray, float32, shape (n,)
    customer: Any  # np.ndarray, float32, shape (n,)
    sample_rate: int
    source_sample_rate: int

    @property
    def duration_s(self) -> float:
        return float(len(self.agent)) / self.sample_rate


@dataclass(frozen=True)
class Transcript:
    """A call's utterances from either party, interleaved by start time."""

    utterances: Tuple[Utterance, ...]
    duration_s: float
    asr_model: Optional[str] = None  # None when the transcript came from another system


SENTIMENT_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class SentimentScore:
    """Class probabilities for one utterance (they sum to 1)."""

    negative: float
    neutral: float
    positive: float

    @property
    def score(self) -> float:
        """Signed sentiment in [-1, 1]: P(positive) - P(negative)."""
        return self.positive - self.negative

    @property
    def index(self) -> float:
        """The 0-100 sentiment index: 50 * (score + 1); 50 is neutral."""
        return 50.0 * (self.score + 1.0)

    @property
    def label(self) -> str:
        probs = (self.negative, self.neutral, self.positive)
        return SENTIMENT_LABELS[max(range(3), key=probs.__getitem__)]


@dataclass(frozen=True)
class PartySentiment:
    """One party's sentiment over a call. Scores are signed, in [-1, 1].

    start, end: duration-weighted mean score of the party's first / last few utterances.
    change: end - start. minimum: lowest point of the smoothed trajectory.
    negative_share: share of the party's talk time in utterances labelled negative.
    trajectory: smoothed score at the centres of equal slices of normalised call time.
    turning_point_s: where the party's sentiment rose most (None if too few utterances).
    turned_by_utterance: index of the other party's utterance just before the turning point.
    """

    n_utterances: int
    start: Optional[float] = None
    end: Optional[float] = None
    change: Optional[float] = None
    minimum: Optional[float] = None
    negative_share: Optional[float] = None
    trajectory: Tuple[float, ...] = ()
    turning_point_s: Optional[float] = None
    turned_by_utterance: Optional[int] = None


@dataclass(frozen=True)
class CallSentiment:
    """Sentiment per utterance and per party for one call."""

    model_id: str
    utterances: Tuple[SentimentScore, ...]
    customer: PartySentiment
    agent: PartySentiment


@dataclass(frozen=True)
class Span:
    """A stretch of call time."""

    start_s: float
    end_s: float


@dataclass(frozen=True)
class Interruption:
    """A party starting to talk over the other (backchannels excluded)."""

    time_s: float
    interrupter: str
    utterance_index: int


@dataclass(frozen=True)
class CallDynamics:
    """A call's timeline: talk, silence, hold, overtalk, interruptions, pace.

    silence_s: all gaps of at least ``min_silence_s`` where neither party speaks, outside holds.
    dead_air_s: the part of that in gaps of at least ``dead_air_s``.
    hold_s: long silences (``hold_silence_s``) and non-speech sound such as hold music.
    overtalk_s: time both parties speak at once (word timings where known).
    """

    duration_s: float
    agent_talk_s: float
    customer_talk_s: float
    agent_talk_share: Optional[float]
    silence_s: float
    dead_air_s: float
    dead_air: Tuple[Span, ...]
    hold_s: float
    holds: Tuple[Span, ...]
    overtalk_s: float
    interruptions: Tuple[Interruption, ...]
    agent_interruptions: int
    customer_interruptions: int
    agent_wpm: Optional[float]
    longest_agent_monologue_s: float
    median_response_latency_s: Optional[float]


@dataclass(frozen=True)
class TimeUse:
    """How a call's handle time was spent, in seconds (shares = seconds / handle_s).

    productive_s: conversation (talk and short pauses) outside distress, hold and dead air.
    distress_s: stretches from a negative customer utterance until the customer is no longer
    negative. handle_source: where handle time came from (``handle_seconds`` from the ACD,
    ``timeline+acw`` or ``timeline``). other_s: handle time outside the recording and after-call
    work (queue, ring...), never negative.
    """

    handle_s: float
    handle_source: str
    productive_s: float
    distress_s: float
    dead_air_s: float
    hold_s: float
    acw_s: float
    other_s: float


@dataclass(frozen=True)
class BehaviourTag:
    """A behaviour found in an utterance (classifier) or on the timeline (dynamics)."""

    behaviour_id: str
    utterance_index: Optional[int]
    score: float
    time_s: float
    source: str  # "classifier" | "dynamics"


@dataclass(frozen=True)
class CallResult:
    """Everything the pipeline produced for one call: the unit the store writes."""

    info: CallInfo
    transcript: Transcript
    processing_s: float
    settings_hash: str
    stage_seconds: Mapping[str, float] = field(default_factory=dict)
    sentiment: Optional[CallSentiment] = None
    dynamics: Optional[CallDynamics] = None
    time_use: Optional[TimeUse] = None
    behaviours: Tuple[BehaviourTag, ...] = ()
    behaviour_counts: Mapping[str, int] = field(default_factory=dict)  # every behaviour checked, 0 if absent
    text_model: Optional[str] = None  # identity of the text-model bundle that scored the call
    # redaction: the options that ran (None: redaction off or not run), entities redacted by type,
    # and the time spans of the redacted words per speaker (for the redacted audio copy)
    redaction: Optional[Any] = None  # analyzer.redaction.RedactionOptions
    redaction_counts: Mapping[str, int] = field(default_factory=dict)
    redaction_spans: Tuple[Any, ...] = ()  # analyzer.redaction.AudioSpan
    # words said per party, counted before redaction (a placeholder stands for several words)
    spoken_words: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """A call or file that could not be processed, and why. Never stops the batch.

    severity: ``"error"`` when a call or file was not processed; ``"warning"`` when it was, but a
    piece of its input was unusable (e.g. a metadata value left blank).
    """

    file: str
    stage: str  # discover | decode | transcript | metadata | transcribe | analyze | store | aggregate | report
    reason: str
    call_id: Optional[str] = None
    severity: str = "error"


@dataclass(frozen=True)
class BatchSummary:
    """What one ``run_batch`` did. ``exit_code`` follows the CLI's documented codes.

    failed_stages: batch stages after the calls that failed (``aggregate``, ``report``): the
    calls are stored, but the agent comparison or the report is not up to date.
    """

    batch_id: str
    out_dir: str
    n_inputs: int
    n_ok: int
    n_skipped: int
    n_failed: int
    audio_s: float
    wall_s: float
    failures: Tuple[Failure, ...] = ()
    failed_stages: Tuple[str, ...] = ()

    @property
    def real_time_factor(self) -> float:
        """Wall time divided by audio time processed in this batch (lower is faster)."""
        return self.wall_s / self.audio_s if self.audio_s > 0 else float("nan")

    @property
    def exit_code(self) -> int:
        if self.n_failed == 0 and not self.failed_stages and (self.n_ok + self.n_skipped) > 0:
            return 0
        if self.n_ok + self.n_skipped > 0:
            return 1
        return 3

    def line(self) -> str:
        rtf = self.real_time_factor
        rtf_text = f"{rtf:.3f}" if rtf == rtf else "n/a"
        stages = "".join(f"; {stage} failed" for stage in self.failed_stages)
        return (
            f"batch {self.batch_id}: {self.n_ok} calls ok, {self.n_skipped} already done, "
            f"{self.n_failed} failed{stages}; {self.audio_s / 3600:.2f} h audio in {self.wall_s:.1f} s "
            f"(real-time factor {rtf_text}); results in {self.out_dir}"
        )
