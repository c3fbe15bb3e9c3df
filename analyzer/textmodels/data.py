"""Labelled text for the text models: the project's own hand-written service lines and the
third-party corpora in ``../shared/data`` (read from there, never copied).

The project's own lines live in ``models/training_lines/`` (written for this project, Apache-2.0):

- ``customer.tsv``: ``text, sentiment, style`` - customer utterances from calls, chats and public
  support messages (negative / neutral / positive).
- ``agent_*.tsv``: ``text, tone, behaviours`` - agent utterances with the agent's tone and every
  default behaviour they show (``-`` for none), including hard negatives (empathy and apology
  lines for the negative behaviours; instructions and questions for every behaviour).
- ``uss_system_labels.tsv``: ``key, tone, behaviours`` - labels written for this project for
  1,000 service-agent ("system") turns of the User Satisfaction Simulation dialogues; the text
  stays in ``../shared/data`` and is joined by key.

Splits: the project's lines by a fixed hash of the text (70 / 15 / 15), USS turns by dialogue,
the public corpora by their official splits. ``tests/data/service_lines_holdout.tsv`` was written
independently, by a different writer, and is never trained or calibrated on.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from ..errors import InputError
from ..model_files import shipped_model
from ..records import SENTIMENT_LABELS
from ..sentiment.datasets import USS_CORPORA, hash_split

#: the behaviours the project's lines files are fully labelled for
LABELLED_BEHAVIOURS = (
    "greeting", "empathy", "apology", "ownership", "active_listening", "politeness", "effective_questioning",
    "setting_expectations", "hold_etiquette", "personalization", "checking_resolution", "closing", "blaming", "dismissive",
)
SERVICE_AGENT_SYSTEMS = ("MWOZ", "SGD")  # USS corpora whose system side is a booking/service agent


def lines_dir() -> Path:
    return shipped_model("training_lines")


def _read_tsv(path: Path, columns: Sequence[str]) -> List[Dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = set(columns) - set(reader.fieldnames or ())
            if missing:
                raise InputError(str(path), f"missing column(s) {', '.join(sorted(missing))}", stage="training")
            return [row for row in reader if (row.get(columns[0]) or "").strip()]
    except FileNotFoundError:
        raise InputError(str(path), "file not found", stage="training") from None


def _behaviours(value: str, path: Path, line: int) -> tuple:
    found = tuple(sorted({b.strip() for b in (value or "").split(",") if b.strip() and b.strip() != "-"}))
    unknown = [b for b in found if b not in LABELLED_BEHAVIOURS]
    if unknown:
        raise InputError(str(path), f"row {line}: unknown behaviour(s) {unknown}", stage="training")
    return found


def _label(value: str, path: Path, line: int) -> str:
    value = (value or "").strip().lower()
    if value not in SENTIMENT_LABELS:
        raise InputError(str(path), f"row {line}: label {value!r} is not negative/neutral/positive", stage="training")
    return value


def customer_lines(directory: Optional[Path] = None):
    """The project's customer lines: text, label, style, split, group, source."""
    import pandas as pd

    path = Path(directory or lines_dir()) / "customer.tsv"
    rows = _read_tsv(path, ("text", "sentiment"))
    return pd.DataFrame(
        [
            {"text": r["text"].strip(), "label": _label(r["sentiment"], path, i), "style": (r.get("style") or "").strip(),
             "split": hash_split(r["text"].strip()), "group": f"lines:{r['text'].strip()}", "source": "service_lines"}
            for i, r in enumerate(rows, start=2)
        ]
    ).drop_duplicates("text").reset_index(drop=True)


#: what a speech transcript from another system may start a turn with
_FILLERS = ("", "", "", "um ", "uh ", "yeah ", "so ", "right ", "okay ")


def transcript_style(text: str) -> str:
    """``text`` as transcripts from other systems often give it: lowercase, no punctuation but
    apostrophes, sometimes a filler first (chosen by the text's hash: a line always gets the
    same copy)."""
    import hashlib
    import re

    words = re.sub(r"[^\w\s']", " ", text.lower()).split()
    filler = _FILLERS[int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % len(_FILLERS)]
    return filler + " ".join(words)


def with_transcript_copies(frame):
    """``frame`` (text, split, group...) plus a :func:`transcript_style` copy of each training row,
    with the same labels, split and group (a copy never crosses splits); validation and test rows
    are not copied, so what is evaluated is the lines as written. The project's lines are written
    cased and punctuated, and a model trained on them alone scored lowercase, unpunctuated
    transcripts of the same words differently (measured: an empathetic line lost its
    punctuation and gained 0.2 of dismissive probability)."""
    import pandas as pd

    train = frame[frame.split == "train"]
    copies = train.assign(text=[transcript_style(t) for t in train.text], source=train.source + ":transcript_style")
    return pd.concat([frame, copies], ignore_index=True).drop_duplicates("text").reset_index(drop=True)


def agent_lines(directory: Optional[Path] = None):
    """The project's agent lines (every ``agent_*.tsv``): text, tone, behaviours (tuple), split,
    group, source."""
    import pandas as pd

    frames = []
    for path in sorted(Path(directory or lines_dir()).glob("agent_*.tsv")):
        rows = _read_tsv(path, ("text", "tone", "behaviours"))
        frames.append(
            pd.DataFrame(
                [
                    {"text": r["text"].strip(), "tone": _label(r["tone"], path, i), "behaviours": _behaviours(r["behaviours"], path, i),
                     "split": hash_split(r["text"].strip()), "group": f"lines:{r['text'].strip()}", "source": f"service_lines:{path.stem}"}
                    for i, r in enumerate(rows, start=2)
                ]
            )
        )
    if not frames:
        return pd.DataFrame(columns=["text", "tone", "behaviours", "split", "group", "source"])
    return pd.concat(frames, ignore_index=True).drop_duplicates("text").reset_index(drop=True)


def uss_system_turns(data_dir: Path, corpora: Iterable[str] = SERVICE_AGENT_SYSTEMS):
    """Every service-agent turn of the USS dialogues: key, text, previous (the user turn before),
    split (by dialogue, as the user turns), group."""
    import pandas as pd

    rows = []
    for corpus in corpora:
        text = (Path(data_dir) / "user_satisfaction_simulation" / f"{corpus}.txt").read_text(encoding="utf-8")
        for number, block in enumerate(text.strip("\n").split("\n\n")):
            turn, previous = 0, ""
            for line in (x for x in block.split("\n") if x.strip()):
                role, utterance = (line.split("\t") + ["", ""])[:2]
                if role == "USER" and utterance == "OVERALL":
                    continue
                if role == "SYSTEM" and utterance.strip():
                    rows.append({"key": f"{corpus}-{number}:{turn}", "text": utterance.strip(), "previous": previous.strip(),
                                 "split": hash_split(f"{corpus}:{number}"), "group": f"uss:{corpus}-{number}"})
                if role == "USER":
                    previous = utterance
                turn += 1
    return pd.DataFrame(rows)


def uss_system_labelled(data_dir: Path, directory: Optional[Path] = None, turns=None):
    """The 1,000 USS service-agent turns labelled for this project, joined to their text:
    key, text, tone, behaviours, split, group, source."""
    path = Path(directory or lines_dir()) / "uss_system_labels.tsv"
    rows = _read_tsv(path, ("key", "tone", "behaviours"))
    turns = uss_system_turns(data_dir) if turns is None else turns
    labels = {r["key"]: (_label(r["tone"], path, i), _behaviours(r["behaviours"], path, i)) for i, r in enumerate(rows, start=2)}
    out = turns[turns.key.isin(labels)].copy()
    if len(out) != len(labels):
        raise InputError(str(path), f"{len(labels) - len(out)} keys not found in the USS dialogues", stage="training")
    out["tone"] = [labels[k][0] for k in out.key]
    out["behaviours"] = [labels[k][1] for k in out.key]
    out["source"] = "uss_system_labelled"
    return out.reset_index(drop=True)


def holdout_lines(path: Optional[Path] = None):
    """The independently written held-out lines: speaker, text, label, behaviours (tuple)."""
    import pandas as pd

    path = Path(path) if path is not None else Path(__file__).resolve().parents[2] / "tests" / "data" / "service_lines_holdout.tsv"
    rows = _read_tsv(path, ("speaker", "text", "sentiment", "behaviours"))
    return pd.DataFrame(
        [
            {"speaker": r["speaker"].strip(), "text": r["text"].strip(), "label": _label(r["sentiment"], path, i),
             "behaviours": _behaviours(r["behaviours"], path, i), "source": "holdout_lines"}
            for i, r in enumerate(rows, start=2)
        ]
    )


SENTIMENT_CORPORA = ("dailydialog", "tweeteval", "goemotions", "service_lines")


def sentiment_corpus(name: str, data_dir: Path, directory: Optional[Path] = None):
    """One customer-sentiment corpus as text, label, split, group, source."""
    from ..sentiment.datasets import dailydialog, goemotions, tweeteval

    if name == "service_lines":
        frame = customer_lines(directory)
    else:
        loader = {"dailydialog": dailydialog, "tweeteval": tweeteval, "goemotions": goemotions}[name]
        frame = loader(data_dir).rename(columns={"dialogue": "group"})
        frame["source"] = name
    return frame[["text", "label", "split", "group", "source"]]


def available_sentiment_corpora(data_dir: Path) -> List[str]:
    folders = {"dailydialog": "dailydialog_emotion", "tweeteval": "tweeteval_sentiment", "goemotions": "goemotions"}
    return [name for name in SENTIMENT_CORPORA if name == "service_lines" or (Path(data_dir) / folders[name]).is_dir()]


def uss_customer_turns(data_dir: Path):
    """USS user turns (customers of task dialogues) labelled by satisfaction (<= 2 negative,
    >= 4 positive). Used for evaluation only: the labels rate satisfaction, not sentiment."""
    from ..sentiment.datasets import user_satisfaction

    turns, _ = user_satisfaction(data_dir)
    turns = turns[turns.dialogue.str.split("-").str[0].isin(USS_CORPORA)]
    return turns.assign(group=turns.dialogue, source="uss_users")[["text", "label", "split", "group", "source"]]
