"""analyzer: contact-center call analytics.

Heavy dependencies (faster-whisper, torch, transformers, pandas) are imported lazily, on first
use of the function that needs them, so ``import analyzer`` and ``analyzer --help`` are instant.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "run_batch": "analyzer.runner",
    "plan_batch": "analyzer.runner",
    "Progress": "analyzer.runner",
    "load_results": "analyzer.results",
    "connect_duckdb": "analyzer.results",
    "duckdb_views": "analyzer.results",
    "compact": "analyzer.store",
    "Results": "analyzer.results",
    "AnalyzerConfig": "analyzer.config",
    "AudioOptions": "analyzer.config",
    "TranscribeOptions": "analyzer.config",
    "UtteranceOptions": "analyzer.config",
    "RunOptions": "analyzer.config",
    "load_models": "analyzer.pipeline",
    "process_call": "analyzer.pipeline",
    "transcribe_call": "analyzer.pipeline",
    "Models": "analyzer.pipeline",
    "load_call_audio": "analyzer.ingest.audio",
    "read_transcript": "analyzer.ingest.transcripts",
    "read_metadata": "analyzer.ingest.metadata",
    "build_utterances": "analyzer.utterances",
    "SentimentOptions": "analyzer.config",
    "TextOptions": "analyzer.config",
    "load_text_models": "analyzer.textmodels.bundle",
    "TextModels": "analyzer.textmodels.bundle",
    "score_transcript": "analyzer.sentiment.trajectory",
    "call_sentiment": "analyzer.sentiment.trajectory",
    "score_texts": "analyzer.textscore",
    "score_jsonl": "analyzer.textscore",
    "BehaviourOptions": "analyzer.config",
    "DynamicsOptions": "analyzer.config",
    "train_behaviours": "analyzer.behaviours.train",
    "load_taxonomy": "analyzer.behaviours.taxonomy",
    "call_dynamics": "analyzer.dynamics",
    "time_use_by_agent": "analyzer.timeuse",
    "AggregateOptions": "analyzer.config",
    "AgentVariability": "analyzer.variability.estimator",
    "aggregate": "analyzer.variability.aggregate",
    "coaching_opportunities": "analyzer.variability.coaching",
    "prepare_calls": "analyzer.variability.outcomes",
    "simulate_population": "analyzer.variability.simulate",
    "write_transcripts": "analyzer.variability.simulate",
    "SimulationOptions": "analyzer.variability.simulate",
    "write_report": "analyzer.report.writer",
    "Redactor": "analyzer.redaction",
    "RedactionOptions": "analyzer.redaction",
    "CallInfo": "analyzer.records",
    "Utterance": "analyzer.records",
    "Transcript": "analyzer.records",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
