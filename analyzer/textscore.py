"""Score text without audio: for researchers, and for checking the models.

Input lines (JSONL): ``{"id": ..., "text": ..., "speaker": "agent"|"customer"}`` (speaker
optional; agent lines are scored for the agent's tone, the rest as customer sentiment). Output
lines keep ``id`` (and ``speaker``) and add ``sentiment_label``,
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
from .sentiment.trajectory import to_scores


def score_texts(items: Iterable[Mapping[str, Any]], text_models, behaviours: bool = True) -> List[Dict[str, Any]]:
    """Score records that have ``text`` (and optionally ``id``, ``speaker``); returns new dicts.
    Agent lines get the agent-tone head, customer lines and lines without a speaker the
    customer-sentiment head; one encoder pass for sentiment and behaviours."""
    items = list(items)
    texts = [str(item["text"]) for item in items]
    speakers = [item.get("speaker") for item in items]
    scores = text_models.score(texts, speakers, sentiment=True, behaviours=behaviours)
    sentiment = to_scores(scores.sentiment)
    found = [[] for _ in items]
    if scores.behaviours_present is not None:
        found = [[bid for bid, on in zip(text_models.behaviour_ids, row) if on] for row in scores.behaviours_present]
    out = []
    for item, score, tags in zip(items, sentiment, found):
        row = {k: item[k] for k in ("id", "speaker") if k in item}
        row.update(
            sentiment_label=score.label,
            sentiment=round(score.score, 4),
            sentiment_index=round(score.index, 2),
            negative=score.negative,
            neutral=score.neutral,
            positive=score.positive,
            behaviours=tags,
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
    text_models=None,
) -> int:
    """Score every line of ``in_path`` into ``out_path``; returns the number of lines written.
    The text models are loaded from ``config`` unless passed (behaviours only if enabled there)."""
    items = read_jsonl(in_path)
    config = config or AnalyzerConfig()
    if text_models is None:
        from .textmodels.bundle import load_text_models

        text_models = load_text_models(config.text)
    rows = score_texts(items, text_models, behaviours=config.behaviours.enabled)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(out_path)
    return len(rows)
