"""The behaviour taxonomy: a YAML file QA teams edit (``models/text/taxonomy.yaml``, part of the
text-model bundle)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from ..errors import ConfigError
from ..model_files import shipped_model

PARTIES = ("agent", "customer")
POLARITIES = ("positive", "negative")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")

#: behaviours found on the timeline, not by the classifier (always agent, negative)
TIMELINE_BEHAVIOURS = {
    "interruption": "Interrupting the customer",
    "dead_air": "Dead air",
}


@dataclass(frozen=True)
class Behaviour:
    """One QA-form behaviour."""

    id: str
    name: str
    definition: str
    party: str
    polarity: str
    examples: Tuple[str, ...]
    near_misses: Tuple[str, ...] = ()
    keywords: Tuple[str, ...] = ()
    data: Tuple[str, ...] = ()
    #: behaviours that cannot share an utterance with this one (e.g. dismissive vs empathy): when
    #: both clear their thresholds, only the one further above its own threshold is tagged
    contradicted_by: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    behaviours: Tuple[Behaviour, ...]
    source: str
    sha256: str

    @property
    def ids(self) -> Tuple[str, ...]:
        return tuple(b.id for b in self.behaviours)

    @property
    def contradictions(self) -> Tuple[Tuple[str, str], ...]:
        """Pairs (behaviour, contradicting behaviour), from every ``contradicted_by``."""
        return tuple((b.id, other) for b in self.behaviours for other in b.contradicted_by)

    def get(self, behaviour_id: str) -> Behaviour:
        for b in self.behaviours:
            if b.id == behaviour_id:
                return b
        raise KeyError(behaviour_id)


def default_taxonomy_path() -> Path:
    return shipped_model("text") / "taxonomy.yaml"


def load_taxonomy(path: Optional[str | Path] = None) -> Taxonomy:
    """Read and validate a taxonomy; errors name the file and the behaviour."""
    import yaml

    path = Path(path) if path is not None else default_taxonomy_path()
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except FileNotFoundError:
        raise ConfigError(f"{path}: behaviour taxonomy not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("behaviours"), list):
        raise ConfigError(f"{path}: needs a top-level 'behaviours' list")
    behaviours, seen = [], set()
    for i, item in enumerate(data["behaviours"]):
        where = f"{path}: behaviour {i + 1}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be a mapping")
        bid = str(item.get("id", ""))
        where = f"{path}: behaviour {bid or i + 1}"
        if not _ID.match(bid):
            raise ConfigError(f"{where}: id must be lowercase letters, digits and underscores")
        if bid in seen or bid in TIMELINE_BEHAVIOURS:
            raise ConfigError(f"{where}: duplicate or reserved id")
        seen.add(bid)
        for key in ("name", "definition"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise ConfigError(f"{where}: needs a '{key}'")
        party, polarity = item.get("party", "agent"), item.get("polarity", "positive")
        if party not in PARTIES:
            raise ConfigError(f"{where}: party must be one of {PARTIES}")
        if polarity not in POLARITIES:
            raise ConfigError(f"{where}: polarity must be one of {POLARITIES}")
        examples = _strings(item.get("examples"), where, "examples")
        if len(examples) < 3:
            raise ConfigError(f"{where}: needs at least 3 examples")
        keywords = _strings(item.get("keywords"), where, "keywords")
        for pattern in keywords:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{where}: keyword {pattern!r} is not a valid regular expression ({exc})") from None
        behaviours.append(
            Behaviour(
                id=bid,
                name=item["name"].strip(),
                definition=item["definition"].strip(),
                party=party,
                polarity=polarity,
                examples=examples,
                near_misses=_strings(item.get("near_misses"), where, "near_misses"),
                keywords=keywords,
                data=_strings(item.get("data"), where, "data"),
                contradicted_by=_strings(item.get("contradicted_by"), where, "contradicted_by"),
            )
        )
    if not behaviours:
        raise ConfigError(f"{path}: no behaviours defined")
    for b in behaviours:
        for other in b.contradicted_by:
            if other not in seen or other == b.id:
                raise ConfigError(f"{path}: behaviour {b.id}: contradicted_by names {other!r}, which is not another behaviour of this taxonomy")
    return Taxonomy(tuple(behaviours), str(path), hashlib.sha256(raw).hexdigest()[:16])


def _strings(value, where: str, key: str) -> Tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())
