"""Processing one call: a pure function of (audio or transcript, call info, models, config).

The batch runner only schedules :func:`process_call`; notebooks and tests can call every stage
on in-memory arrays and records.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional, Union

from .config import AnalyzerConfig, settings_hash
from .records import AGENT, CUSTOMER, CallInfo, CallResult, StereoAudio, Transcript
from .behaviours.model import tag_transcript, timeline_tags
from .behaviours.taxonomy import TIMELINE_BEHAVIOURS
from .dynamics import call_dynamics
from .sentiment.trajectory import score_transcript
from .timeuse import call_time_use
from .utterances import build_utterances


@dataclass(frozen=True)
class Models:
    """Models loaded once per batch and passed explicitly to the stages.

    transcriber: a :class:`analyzer.adapters.whisper.WhisperTranscriber`, or ``None`` when only
        transcripts are processed.
    sentiment: a sentiment classifier (``model_id``, ``predict_proba(texts)``), or ``None`` to
        skip sentiment.
    behaviours: a :class:`analyzer.behaviours.model.BehaviourModel`, or ``None`` to skip
        behaviour tagging.
    """

    transcriber: Optional[Any] = None
    sentiment: Optional[Any] = None
    behaviours: Optional[Any] = None


def load_models(config: AnalyzerConfig, need_asr: bool = True) -> Models:
    """Load every model the configured pipeline needs. Raises ModelNotFoundError with advice."""
    transcriber = sentiment = behaviours = None
    encoders: dict = {}  # one sentence encoder serves every text model that uses it
    if need_asr:
        from .adapters.whisper import WhisperTranscriber

        transcriber = WhisperTranscriber.load(config.transcribe)
    if config.sentiment.enabled:
        from .sentiment.model import load_sentiment_model

        sentiment = load_sentiment_model(config.sentiment, encoders)
    if config.behaviours.enabled:
        from .behaviours.model import load_behaviour_model

        behaviours = load_behaviour_model(config.behaviours, config.sentiment, encoders)
    return Models(transcriber=transcriber, sentiment=sentiment, behaviours=behaviours)


def model_ids(config: AnalyzerConfig, kind: str) -> dict:
    """Identities of the models a call of this kind goes through, without loading them."""
    ids = {}
    if kind == "audio":
        from .adapters.whisper import resolve_model

        ids["asr_model"] = resolve_model(config.transcribe)[1]
    if config.sentiment.enabled:
        from .sentiment.model import sentiment_model_id

        ids["sentiment_model"] = sentiment_model_id(config.sentiment)
    if config.behaviours.enabled:
        from .behaviours.model import behaviour_model_id

        ids["behaviour_model"] = behaviour_model_id(config.behaviours, config.sentiment)
    return ids


def call_settings_hash(config: AnalyzerConfig, kind: str) -> str:
    """Hash of everything that changes a call's results: options and model identities.

    A stored call with the same input content hash and settings hash is not processed again.
    """
    options = [config.utterances, config.sentiment, config.behaviours, config.dynamics]
    if kind == "audio":
        options = [config.audio, config.transcribe] + options
    return settings_hash(*options, extra={"kind": kind, **model_ids(config, kind)})


def transcribe_call(audio: StereoAudio, transcriber: Any, config: AnalyzerConfig) -> Transcript:
    """Recognise both channels and build the interleaved, speaker-labelled utterances."""
    agent, customer = transcriber.transcribe(audio.agent, audio.customer).channels
    utterances = build_utterances({AGENT: agent, CUSTOMER: customer}, config.utterances)
    return Transcript(utterances=utterances, duration_s=audio.duration_s, asr_model=transcriber.model_id)


def process_call(
    info: CallInfo,
    source: Union[StereoAudio, Transcript],
    models: Models,
    config: AnalyzerConfig,
    settings: str = "",
) -> CallResult:
    """Everything the pipeline computes for one call."""
    started = time.perf_counter()
    stage_seconds = {}
    if isinstance(source, StereoAudio):
        if models.transcriber is None:
            raise ValueError("audio calls need Models.transcriber")
        t0 = time.perf_counter()
        transcript = transcribe_call(source, models.transcriber, config)
        stage_seconds["transcribe"] = time.perf_counter() - t0
    else:
        transcript = source
    t0 = time.perf_counter()
    embeddings = shared_embeddings(models, transcript)
    sentiment = None
    if models.sentiment is not None:
        sentiment = score_transcript(transcript, models.sentiment, config.sentiment, embeddings)
        stage_seconds["sentiment"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dynamics = call_dynamics(transcript, config.dynamics, source if isinstance(source, StereoAudio) else None)
    tags = []
    if models.behaviours is not None:
        tags = tag_transcript(transcript, models.behaviours, embeddings)
    tags = sorted(tags + timeline_tags(dynamics), key=lambda t: (t.time_s, t.behaviour_id))
    checked = (list(models.behaviours.behaviour_ids) if models.behaviours is not None else []) + list(TIMELINE_BEHAVIOURS)
    counts = {b: sum(t.behaviour_id == b for t in tags) for b in checked}
    time_use = call_time_use(transcript.utterances, dynamics, sentiment, info.metadata)
    stage_seconds["behaviours"] = time.perf_counter() - t0
    return CallResult(
        info=info,
        transcript=transcript,
        processing_s=time.perf_counter() - started,
        settings_hash=settings or call_settings_hash(config, info.source_kind),
        stage_seconds=stage_seconds,
        sentiment=sentiment,
        dynamics=dynamics,
        time_use=time_use,
        behaviours=tuple(tags),
        behaviour_counts=counts,
    )


def shared_embeddings(models: Models, transcript: Transcript):
    """Encode the utterances once when sentiment and behaviours use the same encoder."""
    sentiment_encoder = getattr(models.sentiment, "encoder", None)
    behaviour_encoder = getattr(models.behaviours, "encoder", None)
    if sentiment_encoder is None or sentiment_encoder is not behaviour_encoder or not transcript.utterances:
        return None
    return sentiment_encoder.encode([u.text for u in transcript.utterances])
