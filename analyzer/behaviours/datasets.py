"""Real labelled data mapped onto behaviours (read from ../shared/data, never copied).

Each source yields rows ``text, label (bool), split, group`` where ``split`` is ``train``,
``validation`` (threshold calibration) or ``test`` (evaluation only), assigned by a fixed hash of
the conversation / post / request (never by utterance), so evaluation data is never trained on.

| source | data | positive | negative |
|---|---|---|---|
| swda_conventional_opening | Switchboard dialog acts (CC BY-NC-SA 3.0) | tag fp | every other utterance |
| swda_conventional_closing | " | tag fc | " |
| swda_apology | " | tag fa | " |
| swda_summarize_reformulate | " | tag bf | " |
| swda_thanking | " | tag ft | " |
| epitome_emotional_reactions | EPITOME Reddit (academic license) | level >= 1 | level 0 |
| epitome_interpretations | " | level >= 1 | level 0 |
| epitome_explorations | " | level >= 1 | level 0 |
| stanford_politeness | Stanford Politeness Corpus (research) | top quartile of the normalised score | bottom quartile |
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, List, Sequence

from ..errors import InputError
from ..sentiment.datasets import hash_split

SWDA_TAGS = {
    "swda_conventional_opening": "fp",
    "swda_conventional_closing": "fc",
    "swda_apology": "fa",
    "swda_summarize_reformulate": "bf",
    "swda_thanking": "ft",
}
EPITOME_FILES = {
    "epitome_emotional_reactions": "emotional-reactions-reddit.csv",
    "epitome_interpretations": "interpretations-reddit.csv",
    "epitome_explorations": "explorations-reddit.csv",
}
SOURCES = tuple(SWDA_TAGS) + tuple(EPITOME_FILES) + ("stanford_politeness",)
TEST_PERCENT = 20
VALIDATION_PERCENT = 15


def _split(key: str) -> str:
    return hash_split(key, test=TEST_PERCENT, validation=VALIDATION_PERCENT)


def swda(data_dir: Path):
    """All Switchboard utterances: text, dialog_act, conversation, split (by conversation)."""
    import pandas as pd

    df = pd.read_csv(Path(data_dir) / "swda_dialog_acts" / "swda_utterances.tsv.gz", sep="\t", quoting=3, keep_default_na=False, dtype=str)
    df = df[df.text.str.strip() != ""]
    return pd.DataFrame(
        {"text": df.text.str.strip(), "dialog_act": df.dialog_act.str.strip('"'), "group": "swda:" + df.conversation,
         "split": [_split(f"swda:{c}") for c in df.conversation]}
    )


def load_source(name: str, data_dir: Path, cache: Dict[str, object] | None = None):
    """Rows for one named source (see the module table)."""
    import pandas as pd

    cache = {} if cache is None else cache
    data_dir = Path(data_dir)
    if name in SWDA_TAGS:
        if "swda" not in cache:
            cache["swda"] = swda(data_dir)
        df = cache["swda"]
        return pd.DataFrame({"text": df.text, "label": df.dialog_act == SWDA_TAGS[name], "split": df.split, "group": df.group})
    if name in EPITOME_FILES:
        with open(data_dir / "epitome_empathy" / EPITOME_FILES[name], newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return pd.DataFrame(
            {"text": [r["response_post"].strip() for r in rows], "label": [int(r["level"]) >= 1 for r in rows],
             "split": [_split(f"epitome:{r['sp_id']}") for r in rows], "group": [f"epitome:{r['sp_id']}" for r in rows]}
        )
    if name == "stanford_politeness":
        frames = []
        for file in ("wikipedia.annotated.csv", "stack-exchange.annotated.csv"):
            frames.append(pd.read_csv(data_dir / "stanford_politeness" / file))
        df = pd.concat(frames, ignore_index=True)
        score = df["Normalized Score"]
        low, high = score.quantile(0.25), score.quantile(0.75)
        df = df[(score <= low) | (score >= high)]
        return pd.DataFrame(
            {"text": df.Request.str.strip(), "label": df["Normalized Score"] >= high,
             "split": [_split(f"politeness:{i}") for i in df.Id], "group": [f"politeness:{i}" for i in df.Id]}
        )
    raise KeyError(f"unknown behaviour data source {name!r} (known: {', '.join(SOURCES)})")


def behaviour_data(sources: Sequence[str], data_dir: Path, cache: Dict[str, object] | None = None):
    """Rows for a behaviour mapped onto several sources of the same items: positive where any
    source is positive (EPITOME's mechanisms annotate the same responses)."""
    import pandas as pd

    frames = [load_source(name, data_dir, cache) for name in sources]
    if not frames:
        return pd.DataFrame(columns=["text", "label", "split", "group"])
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    combined = pd.concat(frames, ignore_index=True)
    return combined.groupby(["text", "split", "group"], as_index=False, sort=False)["label"].max()


def labelled_csv(path: Path, behaviour_ids: Sequence[str]):
    """A team's own labels: columns text,behaviour,label (1/0, true/false, yes/no)."""
    import pandas as pd

    path = Path(path)
    truthy, falsy = {"1", "true", "yes", "y"}, {"0", "false", "no", "n"}
    rows: List[dict] = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"text", "behaviour", "label"} <= set(reader.fieldnames):
                raise InputError(str(path), "needs a header with columns text,behaviour,label", stage="training")
            for line, row in enumerate(reader, start=2):
                behaviour = (row.get("behaviour") or "").strip()
                if behaviour not in behaviour_ids:
                    raise InputError(str(path), f"row {line}: unknown behaviour {behaviour!r}", stage="training")
                value = (row.get("label") or "").strip().lower()
                if value not in truthy | falsy:
                    raise InputError(str(path), f"row {line}: label {row.get('label')!r} is not 1/0", stage="training")
                text = (row.get("text") or "").strip()
                if not text:
                    raise InputError(str(path), f"row {line}: empty text", stage="training")
                rows.append({"text": text, "behaviour": behaviour, "label": value in truthy, "split": _split(f"csv:{text}"), "group": f"csv:{line}"})
    except FileNotFoundError:
        raise InputError(str(path), "file not found", stage="training") from None
    return pd.DataFrame(rows, columns=["text", "behaviour", "label", "split", "group"])
