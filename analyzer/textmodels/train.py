"""The text-model recipe: fine-tune one encoder for customer sentiment, agent tone and behaviours
at once, convert it to CTranslate2 int8, then fit and calibrate the heads on the converted
encoder's embeddings (what runs in production) and write a bundle.

Model / trainer / arguments are split the SetFit way: :class:`TextTrainingArguments` holds every
choice (with the data mixture), :func:`build_training_data` the rows, :func:`train_text_models`
the run. ``scripts/train_text_models.py`` is the command line; it records the exact data, seed
and arguments in the bundle's config.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Mapping, Optional, Tuple

import numpy as np

from ..adapters.hf_training import FineTuneArguments, MultiTaskData
from ..behaviours.taxonomy import Taxonomy
from ..behaviours.training import BehaviourTrainingArguments, fit_behaviour_classifier, training_rows
from ..records import SENTIMENT_LABELS
from ..sentiment.head import LinearHead
from .data import LABELLED_BEHAVIOURS, agent_lines, available_sentiment_corpora, sentiment_corpus, uss_system_labelled, with_transcript_copies

#: share of training draws per source (renormalised over the sources present)
DEFAULT_MIXTURE = (
    ("dailydialog", 0.16),
    ("tweeteval", 0.20),
    ("goemotions", 0.18),
    ("service_lines", 0.08),
    ("agent", 0.16),
    ("behaviour_data", 0.12),
    ("team_csv", 0.10),
)


@dataclass(frozen=True)
class TextTrainingArguments:
    """Everything a training run depends on besides the data files.

    fine_tune: the encoder fine-tuning run (steps, batch, rates, seed).
    mixture: share of training draws per source: the customer-sentiment corpora
        (dailydialog, tweeteval, goemotions, service_lines = the project's customer lines),
        ``agent`` (the project's agent lines and labelled USS agent turns: tone + behaviours) and
        ``behaviour_data`` (the rest of the behaviour table: taxonomy examples, EPITOME,
        Switchboard, background negatives) and ``team_csv`` (a team's own labelled customer
        utterances, when given).
    class_balance: within a sentiment corpus, rows are drawn with weight count(class)^-x, so a
        class's share grows as count^(1-x) (0 = natural frequencies, 1 = equal shares).
    exclude: sentiment corpora left out entirely (training and calibration): the
        leave-one-dataset-out evaluation.
    max_length: tokens per utterance at inference.
    calibration_objective: what the sentiment heads' class biases maximise on the pooled
        validation data (mean over corpora): ``"macro_recall"`` (balanced accuracy; default:
        finding the angry customer matters as much as not crying wolf, whatever the corpus's
        share of neutral chit-chat) or ``"macro_f1"``.
    behaviours: the behaviour heads' data and calibration (precision targets).
    """

    fine_tune: FineTuneArguments = field(default_factory=FineTuneArguments)
    mixture: Tuple[Tuple[str, float], ...] = DEFAULT_MIXTURE
    class_balance: float = 0.5
    exclude: Tuple[str, ...] = ()
    max_length: int = 128
    calibration_objective: str = "macro_recall"
    behaviours: BehaviourTrainingArguments = field(default_factory=BehaviourTrainingArguments)


@dataclass(frozen=True)
class TrainingData:
    """The labelled rows of one run: customer sentiment (text, label, split, group, source),
    agent tone (text, tone, behaviours, split, group, source) and the behaviour table (long:
    text, behaviour, label, weight, group, split)."""

    sentiment: object
    agent: object
    behaviours: object
    corpora: Tuple[str, ...]


def build_training_data(
    data_dir: Optional[Path], taxonomy: Taxonomy, args: TextTrainingArguments, csv: Optional[Path] = None, sentiment_csv: Optional[Path] = None
) -> TrainingData:
    """``csv``: a team's labelled behaviour utterances (text,behaviour,label); ``sentiment_csv``:
    a team's labelled customer utterances (text,label[,split])."""
    import pandas as pd

    from ..sentiment.datasets import labelled_csv

    corpora = tuple(c for c in (available_sentiment_corpora(data_dir) if data_dir else ["service_lines"]) if c not in args.exclude)
    copies = args.behaviours.transcript_copies
    frames = [with_transcript_copies(sentiment_corpus(c, data_dir)) if copies and c == "service_lines" else sentiment_corpus(c, data_dir) for c in corpora]
    if sentiment_csv is not None:
        own = labelled_csv(sentiment_csv)
        frames.append(own.assign(group="team:" + own.text, source="team_csv")[["text", "label", "split", "group", "source"]])
        corpora += ("team_csv",)
    sentiment = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["text", "label", "split", "group", "source"])
    agent = [with_transcript_copies(agent_lines()) if copies else agent_lines()]
    if data_dir is not None and (Path(data_dir) / "user_satisfaction_simulation").is_dir():
        agent.append(uss_system_labelled(Path(data_dir)))
    agent = pd.concat(agent, ignore_index=True)[["text", "tone", "behaviours", "split", "group", "source"]]
    behaviours = training_rows(taxonomy, data_dir, csv, args.behaviours)
    return TrainingData(sentiment, agent, behaviours, corpora)


def multitask_rows(data: TrainingData, taxonomy: Taxonomy, args: TextTrainingArguments) -> MultiTaskData:
    """The fine-tuning rows (train splits only) with their sampling weights."""
    labels = {name: i for i, name in enumerate(SENTIMENT_LABELS)}
    ids = list(taxonomy.ids)
    column = {b: j for j, b in enumerate(ids)}
    mixture = dict(args.mixture)
    texts, customer, agent, weights, blocks = [], [], [], [], []

    def add(rows_texts, cust, ag, beh, w):
        texts.extend(rows_texts)
        customer.extend(cust)
        agent.extend(ag)
        blocks.append(beh)
        weights.extend(w)

    shares = {}
    sentiment = data.sentiment[data.sentiment.split == "train"]
    for corpus, frame in sentiment.groupby("source", sort=False):
        counts = frame.label.value_counts()
        w = frame.label.map(lambda c: float(counts[c]) ** -args.class_balance).to_numpy()
        shares[corpus] = mixture.get(corpus, 0.0)
        add(list(frame.text), [labels[x] for x in frame.label], [-1] * len(frame), np.full((len(frame), len(ids)), np.nan, np.float32),
            list(w / w.sum() * shares[corpus]))
    agent_rows = data.agent[data.agent.split == "train"]
    known = [b for b in ids if b in LABELLED_BEHAVIOURS]
    beh = np.full((len(agent_rows), len(ids)), np.nan, np.float32)
    for i, found in enumerate(agent_rows.behaviours):
        for b in known:
            beh[i, column[b]] = float(b in found)
    shares["agent"] = mixture.get("agent", 0.0)
    add(list(agent_rows.text), [-1] * len(agent_rows), [labels[x] for x in agent_rows.tone], beh, [shares["agent"] / max(len(agent_rows), 1)] * len(agent_rows))
    # the rest of the behaviour table (rows not already in the agent lines), one row per text
    table = data.behaviours[(data.behaviours.split == "train") & ~data.behaviours.text.isin(set(agent_rows.text))]
    wide = table.pivot_table(index="text", columns="behaviour", values="label", aggfunc="first").reindex(columns=ids)
    shares["behaviour_data"] = mixture.get("behaviour_data", 0.0)
    add(list(wide.index), [-1] * len(wide), [-1] * len(wide), wide.to_numpy(np.float32), [shares["behaviour_data"] / max(len(wide), 1)] * len(wide))
    weights = np.asarray(weights, dtype=np.float64)
    return MultiTaskData(
        texts=texts, customer=np.asarray(customer), agent=np.asarray(agent), behaviours=np.vstack(blocks), weights=weights / weights.sum(),
        behaviour_ids=ids,
    )


def calibrated_head(encoder, weights: Mapping[str, np.ndarray], validation, label_column: str, objective: str, log) -> LinearHead:
    """A sentiment head from fine-tuned weights, its class biases calibrated on ``validation``
    (``objective`` averaged over the validation sources, neutral fixed)."""
    head = LinearHead.from_weights(SENTIMENT_LABELS, weights["coef"], weights["intercept"])
    if len(validation) and validation[label_column].nunique() == 3:
        X = encoder.encode(list(validation.text))
        head.calibrate(X, validation[label_column].to_numpy(), reference="neutral", groups=validation.source.to_numpy(), objective=objective)
        log(f"calibrated {label_column} biases {np.round(head.bias_, 2).tolist()} (mean validation {objective} {head.calibration_score_:.3f})")
    return head


def train_text_models(
    out: Path,
    taxonomy: Taxonomy,
    data_dir: Optional[Path],
    base_encoder: str,
    args: TextTrainingArguments = TextTrainingArguments(),
    csv: Optional[Path] = None,
    work_dir: Optional[Path] = None,
    fit_behaviours: bool = True,
    sentiment_csv: Optional[Path] = None,
    log: Callable[[str], None] = print,
):
    """Run the whole recipe and write the bundle to ``out``; returns ``(TextModels, TrainingData)``.
    ``fit_behaviours=False`` skips the behaviour heads (the encoder is still fine-tuned on the
    behaviour task): for sentiment-only experiments such as leave-one-dataset-out."""
    from ..adapters.hf_text import SentenceEncoder
    from ..adapters.hf_training import convert_to_ct2, fine_tune
    from .bundle import TextModels

    started = time.perf_counter()
    data = build_training_data(data_dir, taxonomy, args, csv, sentiment_csv)
    rows = multitask_rows(data, taxonomy, args)
    log(f"{len(rows.texts)} fine-tuning rows; sentiment corpora {list(data.corpora)}; drawing {args.fine_tune.steps * args.fine_tune.batch_size}")
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        tuned = fine_tune(base_encoder, rows, Path(tmp) / "hf", args.fine_tune, log)
        log(f"fine-tuned in {tuned.seconds:.0f} s ({tuned.rows_seen / tuned.seconds:.0f} rows/s)")
        converted = convert_to_ct2(tuned.path, Path(tmp) / "ct2", quantization="int8")
        encoder = SentenceEncoder.load_converted(converted, "int8", args.max_length)
        sentiment_val = data.sentiment[data.sentiment.split == "validation"]
        customer = calibrated_head(encoder, tuned.heads["customer"], sentiment_val, "label", args.calibration_objective, log)
        agent_val = data.agent[data.agent.split == "validation"]
        agent = calibrated_head(encoder, tuned.heads["agent"], agent_val, "tone", args.calibration_objective, log)
        classifier = fit_behaviour_classifier(encoder, taxonomy, data.behaviours, args.behaviours, log) if fit_behaviours else None
        config = {
            "encoder": {
                "base": "sentence-transformers/all-MiniLM-L6-v2",
                "fine_tuned": True,
                "runtime": "CTranslate2 int8",
                "pooling": "mean over tokens, L2-normalised",
                "max_length": args.max_length,
            },
            "training": {
                "arguments": _jsonable(asdict(args)),
                "sentiment_corpora": list(data.corpora),
                "rows": {
                    "sentiment_train": {k: int(v) for k, v in data.sentiment[data.sentiment.split == "train"].groupby("source").size().items()},
                    "agent_train": int((data.agent.split == "train").sum()),
                    "behaviour_table_train": int((data.behaviours.split == "train").sum()),
                },
                "fine_tune_seconds": round(tuned.seconds, 1),
                "fine_tune_rows_seen": tuned.rows_seen,
                "loss_curve": [round(x, 4) for x in tuned.losses],
                "total_seconds": round(time.perf_counter() - started, 1),
            },
        }
        models = TextModels(encoder, customer, agent, classifier, taxonomy if classifier is not None else None, model_id="trained", config=config)
        models.save(out, converted)
    final = TextModels.from_directory(out)
    return final, data


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def recalibrate_sentiment(models, texts, labels, party: str = "customer"):
    """A copy of ``models`` whose ``party`` head ("customer" or "agent") has its three class
    biases re-chosen on a team's own labelled utterances (maximising balanced accuracy; the weights and
    the encoder stay). Fits a team's label conventions with a few dozen labels and cannot overfit
    much (three numbers); with thousands of labels retrain instead
    (``scripts/train_text_models.py --sentiment-csv``). Save the result with
    ``models.save(out, encoder_dir)``."""
    import copy

    from .bundle import TextModels

    if party not in ("customer", "agent"):
        raise ValueError(f"party must be 'customer' or 'agent', got {party!r}")
    head = copy.deepcopy(getattr(models, party))
    head.calibrate(models.encode(list(texts)), np.asarray(labels), reference="neutral", objective="macro_recall")
    heads = {"customer": models.customer, "agent": models.agent, party: head}
    return TextModels(models.encoder, heads["customer"], heads["agent"], models.behaviours, models.taxonomy, models.model_id + f"+recalibrated-{party}",
                      models.config, models.sentiment_override)
