import numpy as np
import pytest

from analyzer.behaviours.classifier import BehaviourClassifier, best_f1_threshold, precision_threshold


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
    assert model.threshold_source_[0].startswith("held-out calibration data") and model.threshold_source_[1].startswith("none")
    assert model.thresholds_[1] == 0.5
    pred = model.predict(X)
    assert (pred[:, 0] == (X[:, 0] > 1)).mean() > 0.9
    both = model.predict(np.array([[2.0, 2.0, 0, 0, 0, 0]], np.float32))
    assert both.tolist() == [[True, True]]  # several behaviours in one utterance
    loaded = BehaviourClassifier.from_tensors(model.to_tensors(), model.to_meta())
    assert np.allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert list(loaded.behaviour_ids_) == ["a", "b"] and np.allclose(loaded.thresholds_, model.thresholds_)


def test_needs_positive_and_negative_examples():
    X = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match="at least 3 positive"):
        BehaviourClassifier().fit(X, np.zeros((10, 1)), ["a"])


def test_precision_threshold_is_the_lowest_meeting_the_target():
    y = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0], bool)
    p = np.array([0.99, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    t, precision, recall, met = precision_threshold(y, p, target=0.8)
    # cuts: 3/3, 3/4, 4/5 = 0.8 (lowest meeting 0.8 at 0.8), 4/6, 5/7 = 0.71 ...
    assert met and 0.7 < t < 0.8 and precision == pytest.approx(0.8) and recall == pytest.approx(0.8)
    t, precision, _, met = precision_threshold(y, p, target=0.99)
    assert met and 0.85 < t < 0.9 and precision == 1.0  # the top three


def test_precision_threshold_reports_a_missed_target():
    y = np.array([0, 1, 0, 1, 0, 1], bool)
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    t, precision, _, met = precision_threshold(y, p, target=0.9)
    assert not met and precision < 0.9 and 0 < t < 1


def test_fit_with_precision_targets_records_calibration():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 4)).astype(np.float32)
    Y = (X[:, :1] + 0.5 * rng.standard_normal((400, 1)) > 1).astype(float)
    X_cal = rng.standard_normal((400, 4)).astype(np.float32)
    Y_cal = (X_cal[:, :1] + 0.5 * rng.standard_normal((400, 1)) > 1).astype(float)
    strict = BehaviourClassifier().fit(X, Y, ["a"], X_cal=X_cal, Y_cal=Y_cal, precision_targets=[0.95])
    loose = BehaviourClassifier().fit(X, Y, ["a"], X_cal=X_cal, Y_cal=Y_cal, precision_targets=[0.6])
    assert strict.thresholds_[0] > loose.thresholds_[0]
    assert strict.calibration_["a"]["precision"] >= 0.95 and strict.calibration_["a"]["target_met"]
    assert "precision >= 0.95" in strict.threshold_source_[0]


def test_contradicting_behaviours_keep_the_one_further_above_its_threshold():
    from analyzer.behaviours.classifier import resolve_contradictions

    thresholds = np.array([0.7, 0.5, 0.5])
    p = np.array([
        [0.80, 0.95, 0.9],  # dismissive just over its bar, empathy far over: empathy only
        [0.99, 0.60, 0.9],  # clear dismissal, empathy barely: dismissive only
        [0.80, 0.20, 0.9],  # no conflict: dismissive stays
        [0.70, 0.50, 0.1],  # a tie at both thresholds: the first of the pair (the accusation) goes
    ])
    present = resolve_contradictions(p, thresholds, [(0, 1)])
    assert present.tolist() == [[False, True, True], [True, False, True], [True, False, True], [False, True, False]]
    assert (resolve_contradictions(p, thresholds, []) == (p >= thresholds)).all()


def test_contradictions_are_fitted_saved_and_applied_by_predict():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 4)).astype(np.float32)
    Y = np.stack([(X[:, 0] > 0.5), (X[:, 1] > 0.5)], axis=1).astype(float)
    model = BehaviourClassifier(C=10).fit(X, Y, ["dismissive", "empathy"], contradictions=[("dismissive", "empathy")])
    both = np.array([[3.0, 1.0, 0, 0], [1.0, 3.0, 0, 0]], np.float32)
    assert model.predict(both).tolist() == [[True, False], [False, True]]
    assert (model.predict_proba(both) >= model.thresholds_).all()  # each head alone would tag both
    loaded = BehaviourClassifier.from_tensors(model.to_tensors(), model.to_meta())
    assert loaded.contradictions_ == [("dismissive", "empathy")]
    assert (loaded.predict(both) == model.predict(both)).all()
    with pytest.raises(ValueError, match="does not have"):
        BehaviourClassifier(C=10).fit(X, Y, ["dismissive", "empathy"], contradictions=[("dismissive", "apology")])
