"""MODEL_CARD.md for a trained behaviour classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from .evaluate import results_table
from .taxonomy import TIMELINE_BEHAVIOURS, Taxonomy


def write_model_card(directory: Path, config: Dict[str, Any], classifier, taxonomy: Taxonomy) -> Path:
    rows = config["training_data"]["rows"]
    behaviour_lines = "\n".join(
        f"| {b.id} | {b.name} | {b.party} | {b.polarity} | {len(b.examples)} / {len(b.near_misses)} | "
        f"{', '.join(b.data) or '-'} | {rows.get(b.id, {}).get('positive', 0)} / {rows.get(b.id, {}).get('total', 0)} | "
        f"{float(t):.2f} ({src}) |"
        for b, t, src in zip(taxonomy.behaviours, classifier.thresholds_, classifier.threshold_source_)
    )
    evaluation = config.get("evaluation") or {}
    text = f"""# Behaviour classifier: all-MiniLM-L6-v2 embeddings + one calibrated head per behaviour

Multi-label tagging of agent soft-skill behaviours in call utterances. Defined by
`taxonomy.yaml` (edit it, then `analyzer train-behaviours`); taxonomy hash {config['taxonomy_sha256']}.

- Encoder: `{config['encoder']}` (frozen, mean-pooled, L2-normalised; the same embeddings as the
  sentiment classifier, so each utterance is encoded once for both), {config['encoder_backend']} {config['encoder_compute_type']}.
- Heads: one logistic regression per behaviour (C = {classifier.C}); classes balanced for
  behaviours learned from the taxonomy's few examples, unweighted where real data gives hundreds
  of positives (measured on held-out data: unweighted heads with calibrated thresholds scored
  higher); an utterance can carry several behaviours. Files: `heads.safetensors`
  (coef, intercept, thresholds), `config.json` (behaviour ids, thresholds, training data, evaluation).
- Thresholds: per behaviour, the F1-optimal probability on the validation split of its real data
  at natural prevalence; 0.5 (the balanced-class decision point) for behaviours with only
  taxonomy examples, since ten examples cannot calibrate a threshold.
- Training rows per behaviour: the taxonomy's examples (positive) and near misses (negative),
  weighted {config['training_arguments']['curated_weight']}x; real labelled data where mapped (train split only); background
  utterances from DailyDialog and Switchboard as negatives, leaving out those that match the
  behaviour's keywords (likely unlabelled positives). Trained in {config['train_seconds']} s.
- Timeline behaviours (not from this classifier): {', '.join(f'`{k}` ({v})' for k, v in TIMELINE_BEHAVIOURS.items())},
  from the call's dynamics.

| id | name | party | polarity | examples / near misses | real data | training positives / rows | threshold |
|---|---|---|---|---|---|---|---|
{behaviour_lines}

## Held-out evaluation against keyword rules

Test splits never used for training or thresholds, split by conversation / post / request (20%
by a fixed hash); the keyword rules are each behaviour's `keywords` in the taxonomy, measured in
the same run. Switchboard test sets contain every utterance of the test conversations (natural,
very low prevalence).

{results_table(evaluation) if evaluation else '(not evaluated: no real held-out labels were available)'}

Behaviours without real labelled data (ownership, effective questioning, setting expectations,
hold etiquette, personalisation, checking resolution, blaming, dismissive) are learned from the
taxonomy's examples only; they have no held-out measurement here. Add a team's labelled
utterances with `--csv` (columns `text,behaviour,label`) to train and measure them.

## Data and licenses (read from ../shared/data, never copied here)

| data | mapped onto | license |
|---|---|---|
| Switchboard Dialog Act Corpus (SwDA) | greeting (fp), closing (fc), apology (fa), active listening (bf); background | CC BY-NC-SA 3.0 |
| EPITOME empathy (Reddit) | empathy (emotional reactions, interpretations >= weak) | academic, non-commercial |
| Stanford Politeness Corpus | politeness (top vs bottom quartile) | research use (repository Apache-2.0) |
| DailyDialog | background negatives | CC BY-NC-SA 4.0 |

Non-commercial licenses carry over to weights trained on these data; retrain with
`--no-shared-data --csv ...` for a model trained only on your taxonomy and labels.

## Limitations

Domain shift: none of the real data is contact-center speech (Switchboard is telephone chat
between strangers, EPITOME is Reddit peer support, politeness is Wikipedia/StackExchange
requests). Context-free: each utterance is tagged on its own text. Transcription errors feed in.
"""
    path = Path(directory) / "MODEL_CARD.md"
    path.write_text(text)
    return path
