"""The behaviour tagger: taxonomy + sentence encoder + per-behaviour heads, loaded once.

Tags each utterance of the party a behaviour belongs to, and adds the timeline behaviours
(interruptions by the agent, dead air) from the call's dynamics.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from ..config import BehaviourOptions, SentimentOptions
from ..errors import ModelNotFoundError
from ..model_files import shipped_model
from ..records import AGENT, BehaviourTag, CallDynamics, Transcript
from .classifier import WEIGHTS_FILE, BehaviourClassifier, read_config
from .taxonomy import TIMELINE_BEHAVIOURS, Taxonomy, load_taxonomy

RETRAIN_HINT = "run `analyzer train-behaviours` (or scripts/train_behaviours.py) to retrain"


class BehaviourModel:
    """Multi-label behaviour tagging for utterances."""

    def __init__(self, encoder, classifier: BehaviourClassifier, taxonomy: Taxonomy, model_id: str):
        if list(classifier.behaviour_ids_) != list(taxonomy.ids):
            raise ModelNotFoundError(f"the behaviour heads do not match the taxonomy {taxonomy.source}; {RETRAIN_HINT}")
        self.encoder = encoder
        self.classifier = classifier
        self.taxonomy = taxonomy
        self.model_id = model_id

    @property
    def behaviour_ids(self) -> List[str]:
        return list(self.taxonomy.ids)

    def predict_proba(self, texts: Sequence[str], embeddings: Optional[np.ndarray] = None) -> np.ndarray:
        """Probability of every behaviour for every text, shape ``(n, n_behaviours)``."""
        if not len(texts):
            return np.zeros((0, len(self.taxonomy.ids)), dtype=np.float32)
        if embeddings is None:
            embeddings = self.encoder.encode(list(texts))
        return self.classifier.predict_proba(embeddings)

    def present(self, texts: Sequence[str], speakers: Sequence[Optional[str]], embeddings: Optional[np.ndarray] = None):
        """``(probabilities, present)``: ``present[i, j]`` when behaviour j clears its threshold
        and belongs to utterance i's party (any party when the speaker is unknown)."""
        probs = self.predict_proba(texts, embeddings)
        present = probs >= self.classifier.thresholds_
        parties = np.array([b.party for b in self.taxonomy.behaviours])
        for i, speaker in enumerate(speakers):
            if speaker is not None:
                present[i] &= parties == speaker
        return probs, present


def behaviour_dir(options: BehaviourOptions) -> Path:
    path = shipped_model("behaviours") if options.model is None else Path(options.model).expanduser()
    if not (path / WEIGHTS_FILE).exists():
        raise ModelNotFoundError(f"no trained behaviour classifier in {path}; {RETRAIN_HINT}")
    return path


def _encoder_name(path: Path) -> Optional[str]:
    from ..adapters.hf_text import stored_encoder

    return stored_encoder(read_config(path).get("encoder"))


def behaviour_model_id(options: BehaviourOptions, text: SentimentOptions) -> str:
    """Identity of the configured tagger (taxonomy + heads + encoder), without loading it."""
    from ..adapters.hf_text import _fingerprint, resolve_encoder

    path = behaviour_dir(options)
    return f"behaviours:{path.name}:{_fingerprint(path)}+{resolve_encoder(_encoder_name(path))[1]}/{text.backend}-{text.compute_type}"


def load_behaviour_model(options: BehaviourOptions, text: SentimentOptions, encoders: Optional[dict] = None) -> BehaviourModel:
    """Load the tagger; ``text`` gives the encoder runtime settings, ``encoders`` a shared cache."""
    from ..adapters.hf_text import load_encoder_once

    path = behaviour_dir(options)
    meta = read_config(path)
    taxonomy = load_taxonomy(path / "taxonomy.yaml")
    if meta.get("taxonomy_sha256") not in (None, taxonomy.sha256):
        raise ModelNotFoundError(f"{taxonomy.source} changed since the behaviour classifier was trained; {RETRAIN_HINT}")
    encoder = load_encoder_once(
        {} if encoders is None else encoders,
        _encoder_name(path), text.backend, text.compute_type, meta.get("max_length", text.max_length), text.batch_size, text.threads,
    )
    return BehaviourModel(encoder, BehaviourClassifier.load(path), taxonomy, behaviour_model_id(options, text))


def tag_transcript(transcript: Transcript, model: BehaviourModel, embeddings: Optional[np.ndarray] = None) -> List[BehaviourTag]:
    """Behaviours found in a call's utterances by the classifier."""
    utts = transcript.utterances
    if not utts:
        return []
    probs, present = model.present([u.text for u in utts], [u.speaker for u in utts], embeddings)
    tags = []
    for i, j in zip(*np.nonzero(present)):
        tags.append(BehaviourTag(model.taxonomy.behaviours[j].id, int(i), round(float(probs[i, j]), 4), utts[i].start_s, "classifier"))
    return sorted(tags, key=lambda t: (t.time_s, t.behaviour_id))


def timeline_tags(dynamics: CallDynamics) -> List[BehaviourTag]:
    """Negative behaviours found on the timeline: the agent interrupting, dead air."""
    tags = [BehaviourTag("interruption", i.utterance_index, 1.0, i.time_s, "dynamics") for i in dynamics.interruptions if i.interrupter == AGENT]
    tags += [BehaviourTag("dead_air", None, 1.0, span.start_s, "dynamics") for span in dynamics.dead_air]
    return tags


def behaviour_ids_with_timeline(taxonomy: Taxonomy) -> List[str]:
    return list(taxonomy.ids) + list(TIMELINE_BEHAVIOURS)
