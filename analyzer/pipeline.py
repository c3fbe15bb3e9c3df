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
from .sentiment.trajectory import score_transcript
from .utterances import build_utterances


@dataclass(frozen=True)
class Models:
    """Models loaded once per batch and passed explicitly to the stages.

    transcriber: a :class:`analyzer.adapters.whisper.WhisperTranscriber`, or ``None`` when only
        transcripts are processed.
    sentiment: a sentiment classifier (``model_id``, ``predict_proba(texts)``), or ``None`` to
        skip sentiment.
    """

    transcriber: Optional[Any] = None
    sentiment: Optional[Any] = None


def load_models(config: AnalyzerConfig, need_asr: bool = True) -> Models:
    """Load every model the configured pipeline needs. Raises ModelNotFoundError with advice."""
    transcriber = sentiment = None
    if need_asr:
        from .adapters.whisper import WhisperTranscriber

        transcriber = WhisperTranscriber.load(config.transcribe)
    if config.sentiment.enabled:
        from .sentiment.model import load_sentiment_model

        sentiment = load_sentiment_model(config.sentiment)
    return Models(transcriber=transcriber, sentiment=sentiment)


def model_ids(config: AnalyzerConfig, kind: str) -> dict:
    """Identities of the models a call of this kind goes through, without loading them."""
    ids = {}
    if kind == "audio":
        from .adapters.whisper import resolve_model

        ids["asr_model"] = resolve_model(config.transcribe)[1]
    if config.sentiment.enabled:
        from .sentiment.model import sentiment_model_id

        ids["sentiment_model"] = sentiment_model_id(config.sentiment)
    return ids


def call_settings_hash(config: AnalyzerConfig, kind: str) -> str:
    """Hash of everything that changes a call's results: options and model identities.

    A stored call with the same input content hash and settings hash is not processed again.
    """
    options = [config.utterances, config.sentiment]
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
    sentiment = None
    if models.sentiment is not None:
        t0 = time.perf_counter()
        sentiment = score_transcript(transcript, models.sentiment, config.sentiment)
        stage_seconds["sentiment"] = time.perf_counter() - t0
    return CallResult(
        info=info,
        transcript=transcript,
        processing_s=time.perf_counter() - started,
        settings_hash=settings or call_settings_hash(config, info.source_kind),
        stage_seconds=stage_seconds,
        sentiment=sentiment,
    )
