"""Sentiment classifiers: text in, probabilities of negative / neutral / positive out.

Two kinds behind one protocol (``model_id``, ``predict_proba(texts)``):
- :class:`EmbeddingSentimentModel`: sentence-encoder embeddings + a :class:`LinearHead` trained by
  ``scripts/train_sentiment.py`` (the shipped default, ``models/sentiment``);
- a Hugging Face sequence-classification model (:class:`HFSequenceClassifier`).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from ..config import SentimentOptions
from ..errors import ModelNotFoundError
from ..model_files import shipped_model
from ..records import SENTIMENT_LABELS, SentimentScore
from .head import HEAD_FILE, LinearHead, read_config

class EmbeddingSentimentModel:
    """A sentence encoder and a linear head over its embeddings."""

    def __init__(self, encoder, head: LinearHead, model_id: str):
        if list(head.classes_) != list(SENTIMENT_LABELS):
            raise ValueError(f"sentiment head labels must be {SENTIMENT_LABELS}, got {list(head.classes_)}")
        self.encoder = encoder
        self.head = head
        self.model_id = model_id

    def predict_proba(self, texts: Sequence[str], embeddings: Optional[np.ndarray] = None) -> np.ndarray:
        """Probabilities for ``texts``; pass ``embeddings`` from this model's encoder to skip
        encoding (the pipeline shares one encoder pass between sentiment and behaviours)."""
        if not len(texts):
            return np.zeros((0, 3), dtype=np.float32)
        if embeddings is None:
            embeddings = self.encoder.encode(list(texts))
        return self.head.predict_proba(embeddings)


def head_dir(options: SentimentOptions) -> Optional[Path]:
    """The head directory to use, or None when ``model`` names a Hugging Face classifier."""
    if options.model is None:
        path = shipped_model("sentiment")
        if not (path / HEAD_FILE).exists():
            raise ModelNotFoundError(f"the shipped sentiment model is missing at {path}; rebuild it with scripts/train_sentiment.py")
        return path
    path = Path(options.model).expanduser()
    return path if (path / HEAD_FILE).exists() else None


def encoder_name(options: SentimentOptions, head_path: Path) -> Optional[str]:
    """The encoder under a head: the configured one, else the one it was trained with (None =
    the packaged all-MiniLM-L6-v2, or the hub where a network exists)."""
    from ..adapters.hf_text import stored_encoder

    if options.encoder is not None:
        return options.encoder
    return stored_encoder(read_config(head_path).get("encoder"))


def sentiment_model_id(options: SentimentOptions) -> str:
    """Identity of the configured classifier, without loading it (for the settings hash)."""
    from ..adapters.hf_text import _fingerprint, resolve_encoder

    path = head_dir(options)
    if path is None:
        return resolve_encoder(options.model)[1]
    encoder_id = resolve_encoder(encoder_name(options, path))[1]
    return f"head:{path.name}:{_fingerprint(path)}+{encoder_id}/{options.backend}-{options.compute_type}"


def load_sentiment_model(options: SentimentOptions, encoders: Optional[dict] = None):
    """Load the configured classifier once; pass it to the stages that score text.

    ``encoders``: a dict shared with other loaders so one sentence encoder serves them all.
    """
    from ..adapters.hf_text import HFSequenceClassifier, load_encoder_once

    path = head_dir(options)
    if path is None:
        return HFSequenceClassifier.load(options.model, options.label_map, options.max_length, options.batch_size, options.threads)
    encoder = load_encoder_once(
        {} if encoders is None else encoders,
        encoder_name(options, path), options.backend, options.compute_type, options.max_length, options.batch_size, options.threads,
    )
    return EmbeddingSentimentModel(encoder, LinearHead.load(path), sentiment_model_id(options))


def to_scores(probabilities: np.ndarray) -> List[SentimentScore]:
    """Rows of (negative, neutral, positive) probabilities -> records."""
    return [SentimentScore(round(float(n), 4), round(float(u), 4), round(float(p), 4)) for n, u, p in probabilities]
