"""Processing one call: a pure function of (audio or transcript, call info, models, config).

The batch runner only schedules :func:`process_call`; notebooks and tests can call every stage
on in-memory arrays and records.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple, Union

from .config import AnalyzerConfig, settings_hash
from .records import AGENT, CUSTOMER, CallInfo, CallResult, StereoAudio, Transcript
from .behaviours.model import tag_transcript, timeline_tags
from .behaviours.taxonomy import TIMELINE_BEHAVIOURS
from .dynamics import call_dynamics
from .redaction import RedactedUtterances, Redactor
from .sentiment.trajectory import call_sentiment, to_scores
from .timeuse import call_time_use
from .utterances import build_utterances


@dataclass(frozen=True)
class Models:
    """Models loaded once per batch and passed explicitly to the stages.

    transcriber: a :class:`analyzer.adapters.whisper.WhisperTranscriber`, or ``None`` when only
        transcripts are processed.
    text: the :class:`analyzer.textmodels.TextModels` bundle (one encoder; customer-sentiment,
        agent-tone and behaviour heads), or ``None`` when neither sentiment nor behaviours run.
    """

    transcriber: Optional[Any] = None
    text: Optional[Any] = None


def needs_text(config: AnalyzerConfig) -> bool:
    """Whether the configured pipeline runs the text models (sentiment or behaviours)."""
    return config.sentiment.enabled or config.behaviours.enabled


def load_models(config: AnalyzerConfig, need_asr: bool = True, need_text: bool = True) -> Models:
    """Load every model the configured pipeline needs (``need_text=False``: not the text models,
    e.g. when they run elsewhere). Raises ModelNotFoundError with advice."""
    transcriber = text = None
    if need_asr:
        from .adapters.whisper import WhisperTranscriber

        transcriber = WhisperTranscriber.load(config.transcribe)
    if need_text and needs_text(config):
        from .textmodels.bundle import load_text_models

        text = load_text_models(config.text)
    return Models(transcriber=transcriber, text=text)


def model_ids(config: AnalyzerConfig, kind: str, models: Optional[Models] = None) -> dict:
    """Identities of the models a call of this kind goes through: of ``models`` where they are
    given (already loaded), otherwise resolved from the config without loading anything."""
    ids = {}
    if kind == "audio":
        if models is not None and models.transcriber is not None:
            ids["asr_model"] = models.transcriber.model_id
        else:
            from .adapters.whisper import resolve_model

            ids["asr_model"] = resolve_model(config.transcribe)[1]
    if needs_text(config):
        if models is not None and models.text is not None:
            ids["text_model"] = models.text.model_id
        else:
            from .textmodels.bundle import text_model_id

            ids["text_model"] = text_model_id(config.text)
    return ids


def call_settings_hash(config: AnalyzerConfig, kind: str, models: Optional[Models] = None) -> str:
    """Hash of everything that changes a call's results: options and model identities.

    A stored call with the same input content hash and settings hash is not processed again.
    """
    options = [config.utterances, config.text, config.sentiment, config.behaviours, config.dynamics, config.redaction]
    if kind == "audio":
        options = [config.audio, config.transcribe] + options
    return settings_hash(*options, extra={"kind": kind, **model_ids(config, kind, models)})


def transcribe_call(audio: StereoAudio, transcriber: Any, config: AnalyzerConfig) -> Transcript:
    """Recognise both channels and build the interleaved, speaker-labelled utterances."""
    return transcribe_calls([audio], transcriber, config)[0]


def transcribe_calls(audios: Sequence[StereoAudio], transcriber: Any, config: AnalyzerConfig) -> List[Transcript]:
    """Recognise several calls at once: :func:`transcribe_call` for each, in order, with the
    speech of all of them packed into full 30 s windows and decoded in batches, and each call's
    speech found while the model decodes the others (``transcriber.transcribe_many``). Each
    call's transcript is the same as alone, within decoding noise. A transcriber without
    ``transcribe_many`` (only ``transcribe(*channels)``) recognises the calls one by one."""
    if transcriber is None:
        raise ValueError("audio calls need Models.transcriber")
    if hasattr(transcriber, "transcribe_many"):
        recognised = transcriber.transcribe_many([(a.agent, a.customer) for a in audios])
    else:
        recognised = [transcriber.transcribe(a.agent, a.customer) for a in audios]
    transcripts = []
    for audio, result in zip(audios, recognised):
        agent, customer = result.channels
        utterances = build_utterances({AGENT: agent, CUSTOMER: customer}, config.utterances)
        transcripts.append(Transcript(utterances=utterances, duration_s=audio.duration_s, asr_model=transcriber.model_id))
    return transcripts


def redact_transcript(transcript: Transcript, redactor: Redactor) -> Tuple[Transcript, RedactedUtterances]:
    """The transcript with card numbers, SSNs, emails, phone numbers... replaced by typed
    placeholders in every utterance's text and word list (same utterances, order and times), and
    the redaction's counts and audio spans."""
    redacted = redactor.redact_utterances(transcript.utterances)
    return dataclasses.replace(transcript, utterances=tuple(redacted.utterances)), redacted


def process_call(
    info: CallInfo,
    source: Union[StereoAudio, Transcript],
    models: Models,
    config: AnalyzerConfig,
    settings: str = "",
    redactor: Optional[Redactor] = None,
    transcript: Optional[Transcript] = None,
) -> CallResult:
    """Everything the pipeline computes for one call.

    ``transcript``: for an audio call, its transcript as recognised (not redacted) when the
    caller already has it (the batch runner transcribes several calls at once with
    :func:`transcribe_calls`); otherwise the audio is transcribed here.

    The transcript is redacted (``config.redaction``; ``redactor`` is built from it when not
    given: pass one built from the same options to reuse it across calls) right after
    transcription, or first thing for a transcript from another system, so sentiment, behaviours
    and everything stored read the redacted text. Only speech timing and word counts (``call_dynamics``, ``spoken_words``)
    are measured on the words as said: a placeholder stands for all the words it replaced, and
    these numbers do not depend on whether redaction is on.
    """
    started = time.perf_counter()
    stage_seconds = {}
    if redactor is None:
        redactor = Redactor(config.redaction)
    if isinstance(source, StereoAudio) and transcript is not None:
        said = transcript
    elif isinstance(source, StereoAudio):
        if models.transcriber is None:
            raise ValueError("audio calls need Models.transcriber")
        t0 = time.perf_counter()
        said = transcribe_call(source, models.transcriber, config)
        stage_seconds["transcribe"] = time.perf_counter() - t0
    else:
        said = source
    t0 = time.perf_counter()
    transcript, redacted = redact_transcript(said, redactor)
    stage_seconds["redact"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    utts = transcript.utterances
    sentiment, tags, checked = None, [], list(TIMELINE_BEHAVIOURS)
    if models.text is not None and needs_text(config):
        scores = models.text.score([u.text for u in utts], [u.speaker for u in utts], sentiment=config.sentiment.enabled, behaviours=config.behaviours.enabled)
        if scores.sentiment is not None:
            sentiment = call_sentiment(transcript, to_scores(scores.sentiment), models.text.model_id, config.sentiment)
        if scores.behaviours_present is not None:
            tags = tag_transcript(transcript, models.text.taxonomy, scores.behaviour_proba, scores.behaviours_present)
            checked = models.text.behaviour_ids + checked
    stage_seconds["text"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dynamics = call_dynamics(said, config.dynamics, source if isinstance(source, StereoAudio) else None)
    tags = sorted(tags + timeline_tags(dynamics), key=lambda t: (t.time_s, t.behaviour_id))
    counts = {b: sum(t.behaviour_id == b for t in tags) for b in checked}
    time_use = call_time_use(transcript.utterances, dynamics, sentiment, info.metadata)
    stage_seconds["dynamics"] = time.perf_counter() - t0
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
        text_model=models.text.model_id if models.text is not None else None,
        redaction=redactor.options if redactor.options.enabled else None,
        redaction_counts=dict(redacted.counts),
        redaction_spans=tuple(redacted.audio_spans),
        spoken_words={party: sum(len(u.text.split()) for u in said.utterances if u.speaker == party) for party in (AGENT, CUSTOMER)},
    )
