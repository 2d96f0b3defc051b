"""Brier score, expected calibration error and Platt scaling against hand-worked answers."""

import numpy as np
import pytest

from imdb_sentiment.calibration import (
    Platt,
    brier_score,
    expected_calibration_error,
    reliability_bins,
)


def test_ece_and_brier_by_hand():
    labels = [0, 0, 1, 1, 1, 0]
    probabilities = [0.05, 0.15, 0.85, 0.95, 0.9, 0.55]
    # bins: [0,.1): one review, rate 0, mean .05; [.1,.2): rate 0, mean .15;
    # [.5,.6): rate 0, mean .55; [.8,.9): rate 1, mean .85; [.9,1]: two, rate 1, mean .925
    expected = (0.05 + 0.15 + 0.55 + 0.15 + 2 * 0.075) / 6
    assert expected_calibration_error(labels, probabilities) == pytest.approx(expected)
    assert brier_score(labels, probabilities) == pytest.approx(
        np.mean([0.05**2, 0.15**2, 0.15**2, 0.05**2, 0.1**2, 0.55**2]))
    bins = reliability_bins(labels, probabilities)
    assert bins["count"] == [1, 1, 0, 0, 0, 1, 0, 0, 1, 2]
    assert bins["positive_rate"][2] is None and bins["positive_rate"][9] == 1.0
    assert expected_calibration_error([0, 1], [0.0, 1.0]) == 0.0


def test_platt_recovers_a_known_scale_and_round_trips():
    rng = np.random.default_rng(0)
    scores = rng.normal(0, 3, size=20000)
    labels = rng.random(20000) < 1 / (1 + np.exp(-(0.5 * scores - 0.3)))
    platt = Platt.fit(scores, labels)
    assert platt.scale == pytest.approx(0.5, abs=0.05) and platt.shift == pytest.approx(-0.3,
                                                                                       abs=0.1)
    assert Platt.from_json(platt.to_json()) == platt
    raw, fixed = 1 / (1 + np.exp(-scores)), 1 / (1 + np.exp(-platt.logit(scores)))
    assert expected_calibration_error(labels, fixed) < expected_calibration_error(labels, raw)
