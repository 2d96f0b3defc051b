"""Evaluation: the numbers against a hand-counted confusion matrix, the report, the command."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from imdb_sentiment import Classifier, load_imdb
from imdb_sentiment.cli import main
from imdb_sentiment.evaluate import compute_metrics, evaluate


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def by_hand(labels, probabilities):
    """Counts and ratios from first principles (no scikit-learn)."""
    predicted = [int(p >= 0.5) for p in probabilities]
    pairs = list(zip(labels, predicted, strict=True))
    tn, fp = pairs.count((0, 0)), pairs.count((0, 1))
    fn, tp = pairs.count((1, 0)), pairs.count((1, 1))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    loss = -np.mean([np.log(p) if y else np.log(1 - p) for y, p in zip(labels, probabilities,
                                                                        strict=True)])
    return {"confusion_matrix": [[tn, fp], [fn, tp]], "accuracy": (tp + tn) / len(labels),
            "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall), "loss": loss}


def test_metrics_equal_a_hand_computed_confusion_matrix(trained, toy_archive):
    test = load_imdb(toy_archive).test
    result = evaluate(trained, test)
    probabilities = trained.predict_proba(test.texts).astype(np.float64)
    expected = by_hand([int(y) for y in test.labels], probabilities)
    assert result["confusion_matrix"] == expected["confusion_matrix"]
    for name in ("accuracy", "precision", "recall", "f1", "loss"):
        assert result[name] == pytest.approx(expected[name], rel=1e-5), name
    assert result["reviews"] == len(test) and result["positives"] == int(test.labels.sum())
    assert 0.5 < result["roc_auc"] <= 1.0
    json.dumps(result)  # JSON-ready


def test_a_mixed_case_with_known_answers():
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    probabilities = np.array([0.1, 0.6, 0.4, 0.9, 0.3, 0.7, 0.8])
    result = compute_metrics(labels, probabilities)
    assert result["confusion_matrix"] == [[2, 1], [1, 3]]
    assert result["precision"] == pytest.approx(3 / 4) and result["recall"] == pytest.approx(3 / 4)
    # ROC AUC: the share of (positive, negative) pairs ranked the right way round
    pairs = [(p, n) for p in probabilities[labels == 1] for n in probabilities[labels == 0]]
    assert result["roc_auc"] == pytest.approx(np.mean([p > n for p, n in pairs]))
    one_class = compute_metrics(np.array([1, 1]), np.array([0.2, 0.9]))
    assert one_class["roc_auc"] is None and one_class["roc_curve"] is None


def test_evaluate_command_on_the_imdb_test_split(bundle, toy_archive, tmp_path):
    out = tmp_path / "report"
    result = run("evaluate", bundle, "--data", toy_archive, "--output-dir", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["reviews"] == len(load_imdb(toy_archive).test)
    lines = [line.split() for line in result.output.splitlines()]
    for name in ("accuracy", "loss", "precision", "recall", "f1", "roc_auc"):
        assert [name, f"{metrics[name]:.4f}"] in lines
    (tn, fp), (fn, tp) = metrics["confusion_matrix"]
    assert ["negative", str(tn), str(fp)] in lines and ["positive", str(fn), str(tp)] in lines
    assert (out / "confusion_matrix.png").stat().st_size > 1000
    assert (out / "roc.png").stat().st_size > 1000


def test_evaluate_command_on_a_labeled_file_defaults_into_the_bundle(bundle, tmp_path,
                                                                      toy_archive):
    test = load_imdb(toy_archive).test
    path = tmp_path / "mine.csv"
    names = {0: "Negative", 1: "pos"}
    path.write_text("review,sentiment\n" + "".join(
        f'"{text}",{names[int(label)]}\n' for text, label in zip(test.texts, test.labels,
                                                                strict=True)), encoding="utf-8")
    result = run("evaluate", bundle, "--input", path, "--text-column", "review",
                 "--label-column", "sentiment")
    assert result.exit_code == 0, result.output
    written = json.loads((bundle / "evaluation" / "mine" / "metrics.json").read_text())
    # the loaded bundle's own figures (it scores in NumPy: equal to the trained Keras model's
    # only up to float32 rounding)
    assert written == json.loads(json.dumps(evaluate(Classifier.load(bundle), test)))


@pytest.mark.parametrize("content, options, message", [
    ("text,label\ngood,1\nbad,maybe\n", [], 'line 3: label "maybe" is neither 0/1 nor '
                                            "negative/positive"),
    ("text,label\ngood,1\n", ["--label-column", "y"], "line 2 has no column 'y'"),
    ("text,label\n", [], "holds no reviews"),
])
def test_evaluate_errors_are_one_line(bundle, tmp_path, content, options, message):
    path = tmp_path / "l.csv"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "report"
    result = run("evaluate", bundle, "--input", path, *options, "--output-dir", out)
    assert result.exit_code == 1 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--data", "DATA", "--input", "x.csv"], "not both"),
    (["--split", "train", "--input", "x.csv"], "does not apply to --input"),
    (["--data", "DATA", "--text-column", "review"], "apply to --input only"),
    (["--input", "x.txt"], "labeled input must be CSV or JSONL"),
])
def test_evaluate_option_errors(bundle, toy_archive, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("good\n")
    args = [toy_archive if a == "DATA" else a for a in args]
    result = run("evaluate", bundle, *args, "--output-dir", tmp_path / "report")
    assert result.exit_code == 1 and message in result.output, result.output
    assert not (tmp_path / "report").exists()
