import numpy as np
import pytest

from analyzer.behaviours.classifier import BehaviourClassifier, best_f1_threshold


def test_best_threshold_is_exact():
    y = np.array([1, 1, 0, 1, 0, 0, 0], bool)
    p = np.array([0.99, 0.98, 0.97, 0.9, 0.5, 0.2, 0.1])
    threshold, f1 = best_f1_threshold(y, p)
    assert 0.5 < threshold < 0.9 and f1 == pytest.approx(6 / 7)


def test_multilabel_fit_with_unlabelled_cells_and_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6)).astype(np.float32)
    Y = np.stack([(X[:, 0] > 1).astype(float), (X[:, 1] > 0.5).astype(float)], axis=1)
    Y[:100, 1] = np.nan  # behaviour b unlabelled for the first 100 rows
    cal_X = rng.standard_normal((200, 6)).astype(np.float32)
    cal_Y = np.stack([(cal_X[:, 0] > 1).astype(float), np.full(200, np.nan)], axis=1)
    model = BehaviourClassifier(C=10).fit(X, Y, ["a", "b"], X_cal=cal_X, Y_cal=cal_Y, groups=[str(i) for i in range(300)])
    assert model.threshold_source_[0] == "held-out calibration data" and model.threshold_source_[1].startswith("none")
    assert model.thresholds_[1] == 0.5
    pred = model.predict(X)
    assert (pred[:, 0] == (X[:, 0] > 1)).mean() > 0.9
    both = model.predict(np.array([[2.0, 2.0, 0, 0, 0, 0]], np.float32))
    assert both.tolist() == [[True, True]]  # several behaviours in one utterance
    model.save(tmp_path / "m", {"taxonomy_sha256": "x"})
    loaded = BehaviourClassifier.load(tmp_path / "m")
    assert np.allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert list(loaded.behaviour_ids_) == ["a", "b"] and np.allclose(loaded.thresholds_, model.thresholds_)


def test_needs_positive_and_negative_examples():
    X = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match="at least 3 positive"):
        BehaviourClassifier().fit(X, np.zeros((10, 1)), ["a"])
