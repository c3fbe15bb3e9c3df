"""The training recipe's parts: the multi-task fine-tuning loop (on a tiny random encoder), the
data mixture and leave-one-dataset-out, and the project's own training lines (valid labels, no
copies of the independent test material)."""

import json
import re

import numpy as np
import pytest

from analyzer.adapters.hf_training import FineTuneArguments, MultiTaskData, _batches, convert_to_ct2, fine_tune
from analyzer.textmodels.data import LABELLED_BEHAVIOURS, agent_lines, customer_lines, holdout_lines
from tests.conftest import ROOT


def _tiny_rows(n=24, k=2):
    texts = [f"line number {i} {'great thanks' if i % 3 == 0 else 'this is awful' if i % 3 == 1 else 'my account'}" for i in range(n)]
    customer = np.array([[2, 0, 1][i % 3] if i < n // 2 else -1 for i in range(n)])
    agent = np.array([-1 if i < n // 2 else [2, 0, 1][i % 3] for i in range(n)])
    behaviours = np.full((n, k), np.nan, np.float32)
    behaviours[n // 2:, 0] = [float(i % 2) for i in range(n - n // 2)]
    return MultiTaskData(texts, customer, agent, behaviours, np.ones(n), behaviour_ids=[f"b{j}" for j in range(k)])


def test_fine_tune_runs_saves_and_is_reproducible(tiny_text_encoder_dir, tmp_path):
    from analyzer.adapters.hf_text import SentenceEncoder

    args = FineTuneArguments(steps=3, batch_size=4, seed=1, threads=1, log_every=1, freeze_layers=0)
    first = fine_tune(str(tiny_text_encoder_dir), _tiny_rows(), tmp_path / "a", args, log=lambda *_: None)
    second = fine_tune(str(tiny_text_encoder_dir), _tiny_rows(), tmp_path / "b", args, log=lambda *_: None)
    assert first.rows_seen == 12 and len(first.losses) == 3 and all(np.isfinite(first.losses))
    assert first.heads["customer"]["coef"].shape == (3, 32) and first.heads["behaviours"]["coef"].shape == (2, 32)
    for task in ("customer", "agent", "behaviours"):
        assert np.allclose(first.heads[task]["coef"], second.heads[task]["coef"], atol=1e-5)  # same seed, same model
    encoder_dir = convert_to_ct2(first.path, tmp_path / "ct2")
    encoder = SentenceEncoder.load_converted(encoder_dir)
    X = encoder.encode(["hello there", ""])
    assert X.shape == (2, 32) and np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-3)


def test_batches_follow_the_weights_and_sort_by_length():
    lengths = np.array([5, 50, 6, 49, 7, 48, 8, 47])
    weights = np.array([1, 1, 1, 1, 0, 0, 0, 0], float)
    batches = _batches(lengths, weights, FineTuneArguments(steps=20, batch_size=4, bucket=5))
    drawn = np.concatenate(batches)
    assert len(batches) == 20 and set(drawn) <= {0, 1, 2, 3}  # zero weight is never drawn
    spreads = [lengths[b].max() - lengths[b].min() for b in batches]
    assert np.mean(spreads) < 30  # length-sorted within buckets: little padding


def test_mismatched_rows_are_rejected():
    with pytest.raises(ValueError, match="customer"):
        MultiTaskData(["a", "b"], np.array([0]), np.array([0, 1]), np.zeros((2, 1)), np.ones(2))


def test_mixture_shares_and_leave_one_out(tmp_path):
    from analyzer.behaviours.taxonomy import load_taxonomy
    from analyzer.textmodels.train import TextTrainingArguments, build_training_data, multitask_rows

    taxonomy = load_taxonomy(ROOT / "models" / "text" / "taxonomy.yaml")
    args = TextTrainingArguments()
    data = build_training_data(None, taxonomy, args)  # no shared data: the project's own lines only
    assert data.corpora == ("service_lines",)
    rows = multitask_rows(data, taxonomy, args)
    customer = rows.customer >= 0
    agent = rows.agent >= 0
    assert customer.any() and agent.any() and not (customer & agent).any()
    assert rows.weights.sum() == pytest.approx(1.0)
    mixture = dict(args.mixture)
    present = mixture["service_lines"] + mixture["agent"] + mixture["behaviour_data"]
    assert rows.weights[customer].sum() == pytest.approx(mixture["service_lines"] / present, rel=1e-6)
    # class balance: the rarest customer class gets more weight per row than the commonest
    labels = rows.customer[customer]
    per_row = {c: rows.weights[customer][labels == c].mean() for c in range(3)}
    counts = {c: (labels == c).sum() for c in range(3)}
    assert per_row[min(counts, key=counts.get)] > per_row[max(counts, key=counts.get)]
    left_out = build_training_data(None, taxonomy, TextTrainingArguments(exclude=("service_lines",)))
    assert left_out.corpora == () and left_out.sentiment.empty


def _tokens(text):
    return set(re.findall(r"[a-z0-9']+", text.lower().replace("{agent}", "").replace("{customer}", "")))


def test_the_project_lines_are_labelled_and_never_copy_test_material():
    from analyzer.variability import simulate
    from tests.behaviours.test_model import CASES
    from tests.textmodels.test_shipped import AGENT_LINES, CUSTOMER_LINES

    customers, agents = customer_lines(), agent_lines()
    assert len(customers) > 1000 and len(agents) > 2000
    assert set(customers.label) == {"negative", "neutral", "positive"}
    for behaviour in LABELLED_BEHAVIOURS:
        assert sum(behaviour in found for found in agents.behaviours) >= 60, behaviour
    # hard negatives: empathy and apology lines are never blaming or dismissive, never negative tone
    caring = agents[[bool({"empathy", "apology"} & set(f)) for f in agents.behaviours]]
    assert len(caring) > 200 and not any({"blaming", "dismissive"} & set(f) for f in caring.behaviours)
    assert (caring.tone != "negative").all()
    # nothing in the training lines is (nearly) a line of the tests, the hold-out set or the simulator
    protected = [line[0] for line in AGENT_LINES] + [text for text, _ in CUSTOMER_LINES]
    protected += [x for case in CASES for x in case[1:]] + list(holdout_lines().text)
    protected += [x for lines in simulate.AGENT_LINES.values() for x in lines] + list(simulate.NEUTRAL_AGENT)
    protected += [x for lines in simulate.CUSTOMER_LINES.values() for x in lines]
    protected_tokens = [_tokens(t) for t in protected]
    leaks = []
    for text in list(customers.text) + list(agents.text):
        tokens = _tokens(text)
        if len(tokens) >= 3 and any(len(tokens & p) / len(tokens | p) >= 0.6 for p in protected_tokens):
            leaks.append(text)
    assert not leaks, leaks[:10]


def test_uss_labels_are_keys_and_labels_only():
    path = ROOT / "models" / "training_lines" / "uss_system_labels.tsv"
    header, *rows = path.read_text().splitlines()
    assert header.split("\t") == ["key", "tone", "behaviours"] and len(rows) == 1000
    assert all(re.fullmatch(r"(MWOZ|SGD)-\d+:\d+", row.split("\t")[0]) for row in rows)  # no third-party text
    json.dumps(rows)


def test_transcript_copies_are_training_rows_only_and_keep_their_labels():
    from analyzer.textmodels.data import transcript_style, with_transcript_copies

    assert transcript_style("Sorry, Mrs Lee -- I'll fix that today!").endswith("sorry mrs lee i'll fix that today")
    assert transcript_style("Thanks, Amira.") == transcript_style("Thanks, Amira.")  # the same copy every time
    lines = agent_lines()
    both = with_transcript_copies(lines)
    copies = both[both.source.str.endswith(":transcript_style")]
    assert len(copies) > 0.6 * (lines.split == "train").sum() and set(copies.split) == {"train"}
    original = lines.set_index("group")
    for row in copies.sample(50, random_state=0).itertuples():  # same labels and group as the line it copies
        source = original.loc[row.group]
        assert (row.tone, row.behaviours) == (source.tone, source.behaviours) and row.text == transcript_style(source.text)
        assert not re.search(r"[^\w\s']", row.text) and row.text == row.text.lower()
    assert both[~both.source.str.endswith(":transcript_style")].equals(lines)  # validation and test rows as written
