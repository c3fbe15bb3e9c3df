"""Labelled text for training and evaluating sentiment (read from ../shared/data, never copied).

- DailyDialog (CC BY-NC-SA 4.0): manual emotion per utterance; happiness -> positive; anger,
  disgust, sadness, fear -> negative; no emotion -> neutral; surprise (either sign) is dropped.
  Official train/validation/test split by dialogue.
- User Satisfaction Simulation (research use): user turns in task dialogues rated 1-5 for
  satisfaction; mean <= 2 -> negative, >= 4 -> positive, else neutral. Dialogue-level OVERALL
  satisfaction is a CSAT proxy. Split by dialogue with a fixed hash (15% test, 15% validation).
- TweetEval sentiment (SemEval-2017 Task 4A; research use): tweets labelled negative / neutral /
  positive; TweetEval's validation and test, train rebuilt from the SemEval files (see SOURCE.txt).
- GoEmotions (Apache-2.0): Reddit comments with 27 emotions; the official sentiment groups give
  3-way labels (only positive -> positive, only negative -> negative, only neutral -> neutral;
  ambiguous-only or mixed comments are dropped). Official train/validation/test split.
- A team's own CSV with columns ``text,label`` (label negative/neutral/positive, or neg/neu/pos),
  optional ``split`` (train/validation/test); rows without a split are assigned by text hash.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from ..errors import InputError
from ..records import SENTIMENT_LABELS

DAILYDIALOG_MAP = {
    "happiness": "positive",
    "anger": "negative",
    "disgust": "negative",
    "sadness": "negative",
    "fear": "negative",
    "no emotion": "neutral",
}
USS_CORPORA = ("MWOZ", "SGD", "ReDial", "CCPE")
LABEL_ALIASES = {"neg": "negative", "neu": "neutral", "pos": "positive", **{name: name for name in SENTIMENT_LABELS}}


def hash_split(key: str, test: int = 15, validation: int = 15) -> str:
    """A fixed train/validation/test assignment from a key (a dialogue id, or a text)."""
    h = int(hashlib.md5(key.encode()).hexdigest(), 16) % 100
    return "test" if h < test else ("validation" if h < test + validation else "train")


def dailydialog(data_dir: Path):
    """DataFrame: split, dialogue, idx, text, label (surprise dropped)."""
    import pandas as pd

    path = Path(data_dir) / "dailydialog_emotion" / "dailydialog_turns.tsv.gz"
    df = pd.read_csv(path, sep="\t", quoting=3, keep_default_na=False, dtype=str)
    out = pd.DataFrame(
        {
            "split": df["split"],
            "dialogue": df["dialogue_id"],
            "idx": df["utt_idx"].astype(int),
            "text": df["utterance"].str.strip(),
            "label": df["emotion"].map(DAILYDIALOG_MAP),
        }
    )
    return out[out.label.notna() & (out.text != "")].reset_index(drop=True)


def tweeteval(data_dir: Path):
    """DataFrame: split, dialogue (the tweet's row key), idx, text, label."""
    import pandas as pd

    df = pd.read_csv(Path(data_dir) / "tweeteval_sentiment" / "tweeteval_sentiment.tsv.gz", sep="\t", keep_default_na=False, dtype=str)
    out = pd.DataFrame(
        {"split": df["split"], "dialogue": "tweet:" + df["split"] + ":" + df["idx"], "idx": 0, "text": df["text"].str.strip(), "label": df["label"]}
    )
    return out[out.label.isin(SENTIMENT_LABELS) & (out.text != "")].reset_index(drop=True)


def goemotions(data_dir: Path):
    """DataFrame: split, dialogue (comment id), idx, text, label, emotions (comma-separated)."""
    import pandas as pd

    df = pd.read_csv(Path(data_dir) / "goemotions" / "goemotions.tsv.gz", sep="\t", keep_default_na=False, dtype=str)
    groups = df["sentiment_groups"].str.split(",").apply(lambda g: {x.strip() for x in g if x.strip()})

    def label(found: set) -> Optional[str]:
        found = found - {"neutral"} if found - {"neutral"} else found
        if found == {"positive"}:
            return "positive"
        if found == {"negative"}:
            return "negative"
        if found == {"neutral"}:
            return "neutral"
        return None  # ambiguous-only or mixed

    out = pd.DataFrame(
        {"split": df["split"], "dialogue": "goemotions:" + df["comment_id"], "idx": 0, "text": df["text"].str.strip(),
         "label": groups.apply(label), "emotions": df["emotions"]}
    )
    return out[out.label.notna() & (out.text != "")].reset_index(drop=True)


def user_satisfaction(data_dir: Path) -> Tuple["object", "object"]:
    """(user_turns, dialogues). user_turns: split, dialogue, idx, text, sat_mean, label;
    dialogues: dialogue, split, overall (mean annotator satisfaction, 1-5)."""
    import pandas as pd

    rows, dialogues = [], []
    for corpus in USS_CORPORA:
        text = (Path(data_dir) / "user_satisfaction_simulation" / f"{corpus}.txt").read_text(encoding="utf-8")
        for number, block in enumerate(text.strip("\n").split("\n\n")):
            lines = [line for line in block.split("\n") if line.strip()]
            if not lines:
                continue
            dialogue = f"{corpus}-{number}"
            split = hash_split(f"{corpus}:{number}")
            overall, turn = None, 0
            for line in lines:
                role, utterance, _act, sats = (line.split("\t") + ["", "", "", ""])[:4]
                scores = [float(x) for x in sats.split(",") if x.strip()]
                if role == "USER" and utterance == "OVERALL":
                    overall = float(np.mean(scores)) if scores else None
                    continue
                if role == "USER" and scores:
                    mean = float(np.mean(scores))
                    label = "negative" if mean <= 2 else ("positive" if mean >= 4 else "neutral")
                    rows.append({"split": split, "dialogue": dialogue, "idx": turn, "text": utterance.strip(), "sat_mean": mean, "label": label})
                turn += 1
            dialogues.append({"dialogue": dialogue, "split": split, "overall": overall})
    return pd.DataFrame(rows), pd.DataFrame(dialogues)


def labelled_csv(path: Path):
    """A team's own labelled utterances. Errors name the file, row and problem."""
    import pandas as pd

    path = Path(path)
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
                raise InputError(str(path), "needs a header with columns text,label", stage="training")
            for line, row in enumerate(reader, start=2):
                label = LABEL_ALIASES.get((row.get("label") or "").strip().lower())
                text = (row.get("text") or "").strip()
                if label is None:
                    raise InputError(str(path), f"row {line}: label {row.get('label')!r} is not negative/neutral/positive", stage="training")
                if not text:
                    raise InputError(str(path), f"row {line}: empty text", stage="training")
                split = (row.get("split") or "").strip().lower() or hash_split(text)
                split = {"val": "validation", "dev": "validation"}.get(split, split)
                if split not in ("train", "validation", "test"):
                    raise InputError(str(path), f"row {line}: split {split!r} is not train/validation/test", stage="training")
                rows.append({"split": split, "text": text, "label": label})
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc})", stage="training") from None
    except FileNotFoundError:
        raise InputError(str(path), "file not found", stage="training") from None
    if not rows:
        raise InputError(str(path), "no labelled rows", stage="training")
    return pd.DataFrame(rows)
