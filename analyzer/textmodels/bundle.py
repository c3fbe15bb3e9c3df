"""The text-model bundle: one fine-tuned sentence encoder and the heads that share its
embeddings, loaded as one object with one identity.

A bundle directory (the shipped one is ``models/text``)::

    encoder/            CTranslate2 int8 encoder (fine-tuned all-MiniLM-L6-v2) + its tokenizer
    heads.safetensors   customer-sentiment head, agent-tone head, behaviour heads + thresholds
    config.json         format, encoder settings, head metadata, training data, evaluation
    taxonomy.yaml       the behaviours the heads were trained for (QA teams edit it)
    MODEL_CARD.md

Every utterance is encoded once; the customer's utterances (and text with no speaker) get the
customer-sentiment head, the agent's utterances the agent-tone head (an apology or an
empathetic line is warm agent tone, not a negative customer), and behaviours the multi-label
heads, restricted to the party each behaviour belongs to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import numpy as np

from ..config import TextOptions
from ..errors import ModelNotFoundError
from ..model_files import shipped_model
from ..records import AGENT, SENTIMENT_LABELS
from ..behaviours.classifier import BehaviourClassifier
from ..behaviours.taxonomy import Taxonomy, load_taxonomy
from ..sentiment.head import LinearHead

FORMAT = "analyzer-text-models/1"
ENCODER_DIR = "encoder"
HEADS_FILE = "heads.safetensors"
CONFIG_FILE = "config.json"
TAXONOMY_FILE = "taxonomy.yaml"
#: documentation kept in a bundle: not part of its identity (re-evaluating or re-documenting a
#: model must not re-score every stored call)
DOC_FILES = ("MODEL_CARD.md", "lodo.json")
RETRAIN_HINT = "run `analyzer train-behaviours` to retrain the behaviour heads"


@dataclass(frozen=True)
class TextScores:
    """Scores of a batch of utterances: sentiment probabilities (n, 3) of negative / neutral /
    positive, behaviour probabilities (n, k) and presence (n, k) at the calibrated thresholds
    for the utterance's party; ``None`` where that part was not asked for."""

    sentiment: Optional[np.ndarray]
    behaviour_proba: Optional[np.ndarray]
    behaviours_present: Optional[np.ndarray]


class TextModels:
    """The encoder and its heads. Build with :func:`load_text_models` (or
    :meth:`from_directory`); pass it explicitly to the stages that score text."""

    def __init__(
        self,
        encoder,
        customer: LinearHead,
        agent: LinearHead,
        behaviours: Optional[BehaviourClassifier],
        taxonomy: Optional[Taxonomy],
        model_id: str,
        config: Optional[Dict[str, Any]] = None,
        sentiment_override=None,
    ):
        for name, head in (("customer", customer), ("agent", agent)):
            if list(head.classes_) != list(SENTIMENT_LABELS):
                raise ValueError(f"{name} sentiment head labels must be {SENTIMENT_LABELS}, got {list(head.classes_)}")
        if behaviours is not None and (taxonomy is None or list(behaviours.behaviour_ids_) != list(taxonomy.ids)):
            raise ModelNotFoundError(f"the behaviour heads do not match the taxonomy; {RETRAIN_HINT}")
        self.encoder = encoder
        self.customer = customer
        self.agent = agent
        self.behaviours = behaviours
        self.taxonomy = taxonomy
        self.model_id = model_id
        self.config = dict(config or {})
        self.sentiment_override = sentiment_override

    @property
    def behaviour_ids(self) -> list:
        return list(self.taxonomy.ids) if self.behaviours is not None and self.taxonomy is not None else []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(list(texts))

    def sentiment_proba(self, texts: Sequence[str], speakers: Optional[Sequence[Optional[str]]] = None, embeddings: Optional[np.ndarray] = None) -> np.ndarray:
        """Probabilities of negative / neutral / positive: the agent-tone head for agent
        utterances, the customer head for everything else."""
        if not len(texts):
            return np.zeros((0, 3), dtype=np.float32)
        if self.sentiment_override is not None:
            return self.sentiment_override.predict_proba(list(texts))
        if embeddings is None:
            embeddings = self.encode(texts)
        out = self.customer.predict_proba(embeddings)
        if speakers is not None:
            agent = np.array([s == AGENT for s in speakers], dtype=bool)
            if agent.any():
                out[agent] = self.agent.predict_proba(embeddings[agent])
        return out

    def behaviours_present(self, texts: Sequence[str], speakers: Sequence[Optional[str]], embeddings: Optional[np.ndarray] = None):
        """``(probabilities, present)``: ``present[i, j]`` when behaviour j clears its threshold
        (and wins against any behaviour that contradicts it, see
        :func:`analyzer.behaviours.classifier.resolve_contradictions`) and belongs to utterance
        i's party (any party when the speaker is unknown)."""
        k = len(self.behaviour_ids)
        if not len(texts) or self.behaviours is None:
            return np.zeros((len(texts), k), dtype=np.float32), np.zeros((len(texts), k), dtype=bool)
        if embeddings is None:
            embeddings = self.encode(texts)
        probs = self.behaviours.predict_proba(embeddings)
        present = self.behaviours.present(probs)
        parties = np.array([b.party for b in self.taxonomy.behaviours])
        for i, speaker in enumerate(speakers):
            if speaker is not None:
                present[i] &= parties == speaker
        return probs, present

    def score(self, texts: Sequence[str], speakers: Sequence[Optional[str]], sentiment: bool = True, behaviours: bool = True) -> TextScores:
        """Everything for a batch of utterances, with one encoder pass."""
        needs_encoder = (sentiment and self.sentiment_override is None) or (behaviours and self.behaviours is not None)
        embeddings = self.encode(texts) if needs_encoder and len(texts) else None
        probs = self.sentiment_proba(texts, speakers, embeddings) if sentiment else None
        beh_probs = present = None
        if behaviours and self.behaviours is not None:
            beh_probs, present = self.behaviours_present(texts, speakers, embeddings)
        return TextScores(probs, beh_probs, present)

    # -- persistence ---------------------------------------------------------------------------
    @classmethod
    def from_directory(cls, path: str | Path, options: TextOptions = TextOptions()) -> "TextModels":
        from ..adapters.hf_text import SentenceEncoder

        path = Path(path)
        config = read_bundle_config(path)
        tensors = _load_tensors(path)
        customer = LinearHead.from_tensors(_prefixed(tensors, "customer."), config["heads"]["customer"])
        agent = LinearHead.from_tensors(_prefixed(tensors, "agent."), config["heads"]["agent"])
        behaviours = taxonomy = None
        if "behaviours" in config:
            taxonomy = load_taxonomy(path / TAXONOMY_FILE)
            if config.get("taxonomy_sha256") not in (None, taxonomy.sha256):
                raise ModelNotFoundError(f"{taxonomy.source} changed since the behaviour heads were trained; {RETRAIN_HINT}")
            behaviours = BehaviourClassifier.from_tensors(_prefixed(tensors, "behaviours."), config["behaviours"])
        encoder_config = config.get("encoder", {})
        encoder = SentenceEncoder.load_converted(
            path / ENCODER_DIR,
            compute_type=options.compute_type,
            max_length=int(encoder_config.get("max_length", 128)),
            batch_size=options.batch_size,
            threads=options.threads,
        )
        override = None
        if options.sentiment_model is not None:
            from ..adapters.hf_text import HFSequenceClassifier

            override = HFSequenceClassifier.load(options.sentiment_model, options.label_map, batch_size=options.batch_size, threads=options.threads)
        return cls(encoder, customer, agent, behaviours, taxonomy, text_model_id(options, path), config, override)

    def save(self, path: str | Path, encoder_dir: str | Path, config: Optional[Dict[str, Any]] = None) -> Path:
        """Write the bundle to ``path``: the encoder directory ``encoder_dir`` is copied in
        (unless it already is ``path/encoder``), heads, taxonomy and config written."""
        import shutil

        from safetensors.numpy import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        target = path / ENCODER_DIR
        if Path(encoder_dir).resolve() != target.resolve():
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(encoder_dir, target)
        tensors = {f"customer.{k}": v for k, v in self.customer.to_tensors().items()}
        tensors.update({f"agent.{k}": v for k, v in self.agent.to_tensors().items()})
        meta: Dict[str, Any] = {"format": FORMAT, **{k: v for k, v in self.config.items() if k not in ("format", "heads", "behaviours")}}
        meta.update(config or {})
        meta["heads"] = {"customer": self.customer.to_meta(), "agent": self.agent.to_meta()}
        if self.behaviours is not None:
            tensors.update({f"behaviours.{k}": v for k, v in self.behaviours.to_tensors().items()})
            meta["behaviours"] = self.behaviours.to_meta()
            meta["taxonomy_sha256"] = self.taxonomy.sha256
            source = Path(self.taxonomy.source)
            if not (path / TAXONOMY_FILE).exists() or source.resolve() != (path / TAXONOMY_FILE).resolve():
                shutil.copyfile(source, path / TAXONOMY_FILE)
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path / HEADS_FILE))
        (path / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        return path


def _load_tensors(path: Path) -> Dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path / HEADS_FILE))


def _prefixed(tensors: Dict[str, np.ndarray], prefix: str) -> Dict[str, np.ndarray]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def read_bundle_config(path: str | Path) -> Dict[str, Any]:
    file = Path(path) / CONFIG_FILE
    try:
        meta = json.loads(file.read_text())
    except FileNotFoundError:
        raise ModelNotFoundError(f"no text-model bundle in {path} (missing {CONFIG_FILE}); rebuild it with scripts/train_text_models.py") from None
    if meta.get("format") != FORMAT:
        raise ModelNotFoundError(f"{file}: not an analyzer text-model bundle (format {meta.get('format')!r})")
    return meta


def bundle_dir(options: TextOptions) -> Path:
    """The bundle directory the options point at (the shipped ``models/text`` by default)."""
    path = shipped_model("text") if options.model is None else Path(options.model).expanduser()
    if not (path / CONFIG_FILE).exists() or not (path / HEADS_FILE).exists():
        raise ModelNotFoundError(f"no text-model bundle in {path}; rebuild it with scripts/train_text_models.py")
    return path


def bundle_fingerprint(path: Path) -> str:
    """Digest of what a bundle computes with: every file's bytes (encoder, heads, taxonomy) and its
    config without the ``evaluation`` block; documentation (:data:`DOC_FILES`) left out."""
    import hashlib

    path = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and ".cache" not in p.parts):
        name = str(file.relative_to(path))
        if name in DOC_FILES:
            continue
        if name == CONFIG_FILE:
            config = json.loads(file.read_text())
            config.pop("evaluation", None)
            data = json.dumps(config, sort_keys=True).encode()
        else:
            data = file.read_bytes()
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:12]


def text_model_id(options: TextOptions, path: Optional[Path] = None) -> str:
    """Identity of the configured text models, without loading them (goes into every call's
    settings hash and the calls table)."""
    from ..adapters.hf_text import resolve_encoder

    path = bundle_dir(options) if path is None else path
    model_id = f"text:{path.name}:{bundle_fingerprint(path)}/ct2-{options.compute_type}"
    if options.sentiment_model is not None:
        model_id += f"+sentiment:{resolve_encoder(options.sentiment_model)[1]}"
    return model_id


def load_text_models(options: TextOptions = TextOptions()) -> TextModels:
    """Load the configured bundle once; pass it to the stages that score text."""
    return TextModels.from_directory(bundle_dir(options), options)
