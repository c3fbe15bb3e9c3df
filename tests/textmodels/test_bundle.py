"""The text-model bundle: one encoder, heads routed by speaker, one identity, safe formats, clear
errors; a Hugging Face classifier can replace the sentiment heads."""

import json
import shutil

import numpy as np
import pytest

from analyzer.config import TextOptions
from analyzer.errors import ModelNotFoundError
from analyzer.sentiment.head import LinearHead
from analyzer.textmodels.bundle import load_text_models, text_model_id


def test_bundle_files_are_safe_formats(tiny_bundle_dir):
    names = sorted(p.name for p in tiny_bundle_dir.iterdir())
    assert names == ["config.json", "encoder", "heads.safetensors", "taxonomy.yaml"]
    assert (tiny_bundle_dir / "encoder" / "model.bin").exists() and (tiny_bundle_dir / "encoder" / "tokenizer.json").exists()
    assert not list(tiny_bundle_dir.rglob("*.pkl")) and not list(tiny_bundle_dir.rglob("*.pt"))
    config = json.loads((tiny_bundle_dir / "config.json").read_text())
    assert config["format"] == "analyzer-text-models/1" and set(config["heads"]) == {"customer", "agent"}


def test_speaker_picks_the_head(tiny_bundle):
    text = ["I'm so sorry to hear that, I understand how frustrating that is."]
    X = tiny_bundle.encode(text)
    assert np.allclose(tiny_bundle.sentiment_proba(text, ["agent"]), tiny_bundle.agent.predict_proba(X), atol=1e-6)
    assert np.allclose(tiny_bundle.sentiment_proba(text, ["customer"]), tiny_bundle.customer.predict_proba(X), atol=1e-6)
    assert np.allclose(tiny_bundle.sentiment_proba(text), tiny_bundle.customer.predict_proba(X), atol=1e-6)  # no speaker: customer


def test_score_encodes_once_and_restricts_behaviours_to_the_party(tiny_bundle, monkeypatch):
    calls = []
    original = tiny_bundle.encoder.encode
    monkeypatch.setattr(tiny_bundle.encoder, "encode", lambda texts: calls.append(len(texts)) or original(texts))
    texts = ["Thank you for calling, this is Sam.", "My bill is wrong.", "Is there anything else?"]
    scores = tiny_bundle.score(texts, ["agent", "customer", None])
    assert calls == [3]
    assert scores.sentiment.shape == (3, 3) and np.allclose(scores.sentiment.sum(axis=1), 1, atol=1e-5)
    assert scores.behaviour_proba.shape == (3, len(tiny_bundle.behaviour_ids))
    assert not scores.behaviours_present[1].any()  # every default behaviour is an agent behaviour
    none = tiny_bundle.score(texts, ["agent"] * 3, sentiment=False, behaviours=False)
    assert none.sentiment is None and none.behaviour_proba is None


def test_identity_follows_the_files(tiny_bundle_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_bundle_dir, copy)
    assert text_model_id(TextOptions(model=str(copy))) == text_model_id(TextOptions(model=str(tiny_bundle_dir))).replace(tiny_bundle_dir.name, "copy")
    config = json.loads((copy / "config.json").read_text())
    config["heads"]["customer"]["bias"] = [1.0, 0.0, 0.0]
    (copy / "config.json").write_text(json.dumps(config))
    assert text_model_id(TextOptions(model=str(copy))) != text_model_id(TextOptions(model=str(tiny_bundle_dir))).replace(tiny_bundle_dir.name, "copy")
    assert text_model_id(TextOptions(model=str(copy), sentiment_model="some/hub-model")).endswith("+sentiment:some/hub-model")


def test_identity_ignores_documentation_and_sees_same_size_weights(tiny_bundle_dir, tmp_path):
    """Re-evaluating or re-documenting a bundle keeps its identity (stored calls are not
    re-scored); retrained heads of the same size change it."""
    copy = tmp_path / "copy"
    shutil.copytree(tiny_bundle_dir, copy)
    before = text_model_id(TextOptions(model=str(copy)))
    (copy / "MODEL_CARD.md").write_text("# re-documented\n")
    (copy / "lodo.json").write_text("{}\n")
    config = json.loads((copy / "config.json").read_text())
    config["evaluation"] = {"sentiment": {"re-measured": True}}
    (copy / "config.json").write_text(json.dumps(config))
    assert text_model_id(TextOptions(model=str(copy))) == before
    heads = bytearray((copy / "heads.safetensors").read_bytes())
    heads[-1] ^= 1
    (copy / "heads.safetensors").write_bytes(bytes(heads))
    assert text_model_id(TextOptions(model=str(copy))) != before


def test_a_taxonomy_edited_after_training_is_caught(tiny_bundle_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_bundle_dir, copy)
    with open(copy / "taxonomy.yaml", "a") as handle:
        handle.write("\n# edited\n")
    with pytest.raises(ModelNotFoundError, match="train-behaviours"):
        load_text_models(TextOptions(model=str(copy)))


def test_missing_bundle_is_one_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no text-model bundle"):
        load_text_models(TextOptions(model=str(tmp_path / "nope")))


def test_heads_round_trip_through_tensors():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8)).astype(np.float32)
    y = np.array(["negative", "neutral", "positive"])[X[:, :3].argmax(axis=1)]
    head = LinearHead(C=1.0).fit(X, y, classes=["negative", "neutral", "positive"]).calibrate(X, y, reference="neutral")
    loaded = LinearHead.from_tensors(head.to_tensors(), json.loads(json.dumps(head.to_meta())))
    assert np.allclose(loaded.predict_proba(X), head.predict_proba(X))
    assert (head.predict(X) == y).mean() > 0.8


def test_calibration_never_lowers_the_objective_and_can_balance_domains():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 5)).astype(np.float32)
    y = np.where(X[:, 0] > 1.2, "positive", np.where(X[:, 1] > 1.5, "negative", "neutral"))
    head = LinearHead(C=1.0, class_weight=None).fit(X, y, classes=["negative", "neutral", "positive"])
    before = f1_score(y, head.predict(X), average="macro")
    head.calibrate(X, y, reference="neutral")
    assert f1_score(y, head.predict(X), average="macro") >= before and head.bias_[1] == 0
    groups = np.where(np.arange(400) < 200, "a", "b")
    head.calibrate(X, y, reference="neutral", groups=groups)
    per_group = np.mean([f1_score(y[groups == g], head.predict(X)[groups == g], average="macro") for g in "ab"])
    assert per_group == pytest.approx(head.calibration_score_)
    from sklearn.metrics import recall_score

    head.calibrate(X, y, reference="neutral", objective="macro_recall")
    assert recall_score(y, head.predict(X), average="macro") == pytest.approx(head.calibration_score_)
    assert recall_score(y, head.predict(X), average="macro") >= recall_score(y, LinearHead(C=1.0, class_weight=None).fit(X, y, classes=["negative", "neutral", "positive"]).predict(X), average="macro")


def test_hugging_face_classifier_replaces_the_sentiment_heads(tmp_path, tiny_bundle_dir, tiny_text_encoder_dir):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, num_labels=3,
                        position_embedding_type="absolute", id2label={0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, label2id={"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2})
    BertForSequenceClassification(config).save_pretrained(tmp_path / "clf")
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(tiny_text_encoder_dir / name, tmp_path / "clf" / name)
    with pytest.raises(ModelNotFoundError, match="label_map"):
        load_text_models(TextOptions(model=str(tiny_bundle_dir), sentiment_model=str(tmp_path / "clf")))
    mapping = {"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}
    models = load_text_models(TextOptions(model=str(tiny_bundle_dir), sentiment_model=str(tmp_path / "clf"), label_map=mapping))
    probs = models.sentiment_proba(["great", "awful service"], ["agent", "customer"])
    assert probs.shape == (2, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(probs, models.sentiment_override.predict_proba(["great", "awful service"]))
    assert "+sentiment:clf:" in models.model_id
    assert models.behaviours is not None  # behaviours still come from the bundle
