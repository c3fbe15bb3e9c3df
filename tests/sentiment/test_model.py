"""The sentiment classifier: the real shipped model ranks clear cases, plumbing with tiny models,
persistence without pickle, retraining from a CSV, Hugging Face classifiers."""

import json
import subprocess
import sys

import numpy as np
import pytest

from analyzer.config import SentimentOptions
from analyzer.errors import ModelNotFoundError
from analyzer.sentiment.head import LinearHead
from analyzer.sentiment.model import load_sentiment_model, sentiment_model_id, to_scores
from tests.conftest import ROOT

POSITIVE = [
    "Thank you so much, that's wonderful, you've been really helpful!",
    "Great, that fixes it, I'm really happy with the service.",
    "Perfect, I appreciate it, have a lovely evening.",
    "That's brilliant news, thanks for sorting it out so quickly.",
]
NEGATIVE = [
    "This is ridiculous, I'm furious, nobody ever helps me.",
    "I'm really upset, you charged me twice and I'm sick of it.",
    "This is the worst service I've ever had, I hate this.",
    "I'm so angry and frustrated, I've been waiting for weeks.",
]


def test_real_model_ranks_clear_positive_above_clear_negative(real_sentiment):
    scores = to_scores(real_sentiment.predict_proba(POSITIVE + NEGATIVE))
    pos, neg = [s.score for s in scores[:4]], [s.score for s in scores[4:]]
    assert min(pos) > max(neg)
    assert np.mean(pos) > 0.3 and np.mean(neg) < -0.3
    assert [s.label for s in scores[:4]].count("positive") >= 3
    assert [s.label for s in scores[4:]].count("negative") >= 3


def test_probabilities_are_a_distribution(tiny_sentiment):
    probs = tiny_sentiment.predict_proba(["hello", "", "I want to cancel my subscription right now"])
    assert probs.shape == (3, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_head_roundtrip_is_safetensors_and_json(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8)).astype(np.float32)
    y = np.array(["negative", "neutral", "positive"])[X[:, :3].argmax(axis=1)]
    head = LinearHead(C=1.0).fit(X, y, classes=["negative", "neutral", "positive"]).calibrate(X, y, reference="neutral")
    head.save(tmp_path / "h", {"note": "test"})
    assert sorted(p.name for p in (tmp_path / "h").iterdir()) == ["config.json", "head.safetensors"]
    loaded = LinearHead.load(tmp_path / "h")
    assert np.allclose(loaded.predict_proba(X), head.predict_proba(X))
    assert list(loaded.classes_) == ["negative", "neutral", "positive"]
    assert json.loads((tmp_path / "h" / "config.json").read_text())["note"] == "test"
    assert (head.predict(X) == y).mean() > 0.8


def test_calibration_never_lowers_macro_f1():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 5)).astype(np.float32)
    y = np.where(X[:, 0] > 1.2, "positive", np.where(X[:, 1] > 1.5, "negative", "neutral"))
    head = LinearHead(C=1.0, class_weight=None).fit(X, y, classes=["negative", "neutral", "positive"])
    before = f1_score(y, head.predict(X), average="macro")
    head.calibrate(X, y, reference="neutral")
    assert f1_score(y, head.predict(X), average="macro") >= before
    assert head.bias_[1] == 0


def test_retraining_on_a_small_csv_gives_a_loadable_model(tmp_path, tiny_text_encoder_dir):
    csv = tmp_path / "ours.csv"
    rows = ["text,label"] + [f'"I am happy with order {i}, thanks",positive' for i in range(8)] \
        + [f'"Order {i} is late again, I am angry",negative' for i in range(8)] + [f'"My order number is {i}",neutral' for i in range(8)]
    csv.write_text("\n".join(rows) + "\n")
    out = tmp_path / "model"
    env = {"ANALYZER_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "train_sentiment.py"), "--csv", str(csv), "--csv-only",
                    "--encoder", str(tiny_text_encoder_dir), "--out", str(out), "--no-eval"], check=True, env=env, capture_output=True)
    model = load_sentiment_model(SentimentOptions(model=str(out)))
    assert model.predict_proba(["I am happy, thanks"]).shape == (1, 3)
    assert json.loads((out / "config.json").read_text())["n_train"] > 0


def test_bad_training_csv_names_row(tmp_path):
    from analyzer.errors import InputError
    from analyzer.sentiment.datasets import labelled_csv

    path = tmp_path / "bad.csv"
    path.write_text("text,label\nfine,positive\nhmm,meh\n")
    with pytest.raises(InputError, match="row 3: label 'meh'"):
        labelled_csv(path)


def test_hugging_face_classifier_with_label_mapping(tmp_path, tiny_text_encoder_dir):
    import shutil

    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                        num_labels=3, position_embedding_type="absolute", id2label={0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, label2id={"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2})
    BertForSequenceClassification(config).save_pretrained(tmp_path / "clf")
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(tiny_text_encoder_dir / name, tmp_path / "clf" / name)
    with pytest.raises(ModelNotFoundError, match="label_map"):
        load_sentiment_model(SentimentOptions(model=str(tmp_path / "clf")))
    mapping = {"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}
    model = load_sentiment_model(SentimentOptions(model=str(tmp_path / "clf"), label_map=mapping))
    probs = model.predict_proba(["great", "awful service"])
    assert probs.shape == (2, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert sentiment_model_id(SentimentOptions(model=str(tmp_path / "clf"))).startswith("clf:")


def test_missing_model_directory_is_clear(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_sentiment_model(SentimentOptions(model=str(tmp_path / "nope")))
