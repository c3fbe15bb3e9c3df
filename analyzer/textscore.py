"""Score text without audio: for researchers, and for checking the models.

Input lines (JSONL): ``{"id": ..., "text": ..., "speaker": "agent"|"customer"}`` (speaker
optional). Output lines keep ``id`` (and ``speaker``) and add ``sentiment_label``,
``sentiment`` (P(positive) - P(negative)), ``sentiment_index`` (0-100), the probabilities
``negative``, ``neutral``, ``positive``, and ``behaviours``: the ids of the behaviours present
(only the speaker's party's behaviours when ``speaker`` is given).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from .config import AnalyzerConfig
from .errors import InputError
from .sentiment.model import to_scores


def score_texts(items: Iterable[Mapping[str, Any]], sentiment_model, behaviour_model=None) -> List[Dict[str, Any]]:
    """Score records that have ``text`` (and optionally ``id``, ``speaker``); returns new dicts."""
    items = list(items)
    texts = [str(item["text"]) for item in items]
    embeddings = None
    encoder = getattr(sentiment_model, "encoder", None)
    if texts and encoder is not None and encoder is getattr(behaviour_model, "encoder", None):
        embeddings = encoder.encode(texts)
    scores = to_scores(sentiment_model.predict_proba(texts, embeddings))
    found = [[] for _ in items]
    if behaviour_model is not None and texts:
        _, present = behaviour_model.present(texts, [item.get("speaker") for item in items], embeddings)
        found = [[bid for bid, on in zip(behaviour_model.behaviour_ids, row) if on] for row in present]
    out = []
    for item, score, behaviours in zip(items, scores, found):
        row = {k: item[k] for k in ("id", "speaker") if k in item}
        row.update(
            sentiment_label=score.label,
            sentiment=round(score.score, 4),
            sentiment_index=round(score.index, 2),
            negative=score.negative,
            neutral=score.neutral,
            positive=score.positive,
            behaviours=behaviours,
        )
        out.append(row)
    return out


def read_jsonl(path: Union[str, Path]) -> List[Dict[str, Any]]:
    """Read and validate scoring input; errors name the file and line."""
    path = Path(path)
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(str(path), "file not found", stage="score-text") from None
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc})", stage="score-text") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"line {number}: not valid JSON ({exc})", stage="score-text") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise InputError(str(path), f"line {number}: needs a JSON object with a string 'text'", stage="score-text")
        if item.get("speaker") not in (None, "agent", "customer"):
            raise InputError(str(path), f"line {number}: speaker must be 'agent' or 'customer'", stage="score-text")
        items.append(item)
    return items


def score_jsonl(
    in_path: Union[str, Path],
    out_path: Union[str, Path],
    config: Optional[AnalyzerConfig] = None,
    sentiment_model=None,
    behaviour_model=None,
) -> int:
    """Score every line of ``in_path`` into ``out_path``; returns the number of lines written.
    Models not passed are loaded from ``config`` (behaviours only if enabled there)."""
    items = read_jsonl(in_path)
    config = config or AnalyzerConfig()
    encoders: dict = {}
    if sentiment_model is None:
        from .sentiment.model import load_sentiment_model

        sentiment_model = load_sentiment_model(config.sentiment, encoders)
    if behaviour_model is None and config.behaviours.enabled:
        from .behaviours.model import load_behaviour_model

        behaviour_model = load_behaviour_model(config.behaviours, config.sentiment, encoders)
    rows = score_texts(items, sentiment_model, behaviour_model)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(out_path)
    return len(rows)
