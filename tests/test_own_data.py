"""Training on your own labeled files (labeled.py, encoding.py, train --input)."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import toy_review
from imdb_sentiment import Classifier, Config, UserError, load_imdb, train
from imdb_sentiment.cli import main
from imdb_sentiment.encoding import encode_sets
from imdb_sentiment.labeled import open_labeled
from imdb_sentiment.text import Vocabulary, tokenize

TINY = ["--max-features", "40", "--maxlen", "16", "--embedding-dim", "8", "--units", "8",
        "--batch-size", "16", "--epochs", "2", "--learning-rate", "0.05", "-q"]
LABEL_SPELLINGS = {0: ["negative", "neg", "0", "Negative "], 1: ["positive", "POS", "1"]}


def rows(n: int, seed: int = 0, positive_share: float = 0.5) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = int(rng.random() < positive_share)
        out.append({"id": f"r{i}", "review": toy_review(rng, label),
                    "sentiment": rng.choice(LABEL_SPELLINGS[label])})
    return out


def write(path, records: list[dict]):
    if path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=list(records[0]) if records else ["x"])
            writer.writeheader()
            writer.writerows(records)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    else:
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), path)
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_train_from_each_format_then_every_command(suffix, tmp_path):
    data = write(tmp_path / f"labeled{suffix}", rows(300))
    out = tmp_path / "run"
    result = run("train", "--input", data, "--text-column", "review", "--label-column",
                 "sentiment", "--output", out, *TINY)
    assert result.exit_code == 0, result.output
    assert "Holding out 10% of each class for testing (seed 1337)" in result.output
    record = json.loads((out / "data.json").read_text())
    assert record["train"]["format"] == suffix[1:] and record["train"]["records"] == 300
    assert record["train"]["reviews"] + record["test"]["reviews"] == 300
    assert json.loads((out / "metrics.json").read_text())["test_reviews"] == 30

    classifier = Classifier.load(out)
    assert classifier.data["test"]["split"]["test_fraction"] == 0.1
    assert run("predict", out, "good wonderful film").exit_code == 0
    evaluated = run("evaluate", out, "--input", data, "--text-column", "review",
                    "--label-column", "sentiment", "--output-dir", tmp_path / "ev")
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["reviews"] == 300
    assert "Trained on your own labeled file" in (out / "MODEL_CARD.md").read_text()
    if suffix == ".csv":  # serve loads it like any bundle
        pytest.importorskip("fastapi", reason="the serve extra is not installed")
        from fastapi.testclient import TestClient

        from imdb_sentiment.serve import create_app

        review = "good wonderful film"
        with TestClient(create_app(classifier)) as client:
            answer = client.post("/v1/predict", json={"text": review})
        assert answer.status_code == 200
        assert answer.json()["predictions"][0]["label"] == classifier.predict(review).label


def test_stratified_split_keeps_each_class_share(tmp_path):
    data = open_labeled(write(tmp_path / "l.csv", rows(500, seed=1, positive_share=0.2)),
                        text_column="review", label_column="sentiment")
    negative, positive = int((data.labels == 0).sum()), int(data.labels.sum())
    train_part, test_part = data.stratified_split(0.2, seed=5)
    assert int(test_part.labels.sum()) == round(positive * 0.2)
    assert int((test_part.labels == 0).sum()) == round(negative * 0.2)
    assert int(train_part.labels.sum()) == positive - round(positive * 0.2)
    assert not set(train_part.rows) & set(test_part.rows)
    assert sorted([*train_part.rows, *test_part.rows]) == list(range(500))
    again, _ = data.stratified_split(0.2, seed=5)
    other, _ = data.stratified_split(0.2, seed=6)
    assert np.array_equal(again.rows, train_part.rows)
    assert not np.array_equal(other.rows, train_part.rows)
    # the texts streamed are those of the rows chosen, in file order
    texts = [t for batch in test_part.texts(size=7) for t in batch]
    with open(tmp_path / "l.csv", encoding="utf-8") as file:
        everything = [r["review"] for r in csv.DictReader(file)]
    assert texts == [everything[i] for i in test_part.rows]


def test_split_recorded_in_bundle(tmp_path):
    data = write(tmp_path / "l.jsonl", rows(200, seed=2))
    out = tmp_path / "run"
    result = run("train", "--input", data, "--text-column", "review", "--label-column",
                 "sentiment", "--test-fraction", "0.25", "--seed", "11", "--output", out, *TINY)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "data.json").read_text())
    labeled = open_labeled(data, text_column="review", label_column="sentiment")
    _, expected = labeled.stratified_split(0.25, seed=11)
    with np.load(out / "split.npz", allow_pickle=False) as split:
        assert np.array_equal(split["test_rows"], expected.rows)
    test = record["test"]
    assert test["split"] == {"part": "test", "method": "stratified", "test_fraction": 0.25,
                             "seed": 11}
    assert test["sha256"] == labeled.sha256 and test["bytes"] == data.stat().st_size
    assert test["file"] == str(data) and test["rows_file"] == "split.npz"
    assert test["negative"] + test["positive"] == test["reviews"] == len(expected)


def test_test_input_measures_on_the_other_file(tmp_path):
    data = write(tmp_path / "train.csv", rows(200, seed=3))
    held = write(tmp_path / "held.csv", rows(50, seed=4))
    out = tmp_path / "run"
    result = run("train", "--input", data, "--test-input", held, "--text-column", "review",
                 "--label-column", "sentiment", "--output", out, *TINY)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "data.json").read_text())
    assert record["train"]["reviews"] == 200 and "split" not in record["train"]
    assert record["test"]["file"] == str(held) and record["test"]["reviews"] == 50
    assert not (out / "split.npz").exists()
    assert json.loads((out / "metrics.json").read_text())["test_reviews"] == 50


def test_nbsvm_preset_trains_from_input(tmp_path):
    data = write(tmp_path / "l.csv", rows(300, seed=5))
    out = tmp_path / "nb"
    result = run("train", "--preset", "nbsvm", "--min-df", "1", "--input", data,
                 "--text-column", "review", "--label-column", "sentiment", "--output", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "data.json").read_text())["test"]["reviews"] == 30
    classifier = Classifier.load(out)
    assert classifier.kind == "nbsvm"
    assert classifier.predict("wonderful excellent loved it").label == "positive"


def put(path, data: bytes):
    path.write_bytes(data)
    return path


def bad_label_rows(n):
    out = rows(n, seed=6)
    out[3]["sentiment"], out[7]["sentiment"], out[9]["sentiment"] = "4 stars", "meh", "4 stars"
    return out


@pytest.mark.parametrize("make, args, message", [
    (lambda p: write(p / "l.csv", rows(20)), ["--text-column", "body"],
     "has no column 'body' (it has: id, review, sentiment)"),
    (lambda p: write(p / "l.csv", rows(20)), ["--text-column", "review"],
     "has no column 'label' (it has: id, review, sentiment)"),
    (lambda p: write(p / "l.csv", bad_label_rows(20)), [],
     "labels that are neither 0/1 nor negative/positive: \"4 stars\" (line 5), \"meh\" (line 9)"),
    (lambda p: put(p / "l.csv", b""), [], "l.csv is empty"),
    (lambda p: put(p / "l.csv", b"review,sentiment\n"), [], "holds no reviews"),
    (lambda p: write(p / "l.csv", [r for r in rows(40) if r["sentiment"] in
                                   LABEL_SPELLINGS[1]]), [],
     "has only positive reviews"),
    (lambda p: put(p / "l.csv", b"review,sentiment\n\xff\xfe,1\n"), [],
     "line 2 is not valid UTF-8"),
    (lambda p: put(p / "l.csv", b"review,sentiment\n\xff\xfe,1\n"),
     ["--text-column", "review", "--label-column", "sentiment", "--encoding-errors", "replace"],
     "only positive reviews"),
    (lambda p: p, [], "is not a file"),
    (lambda p: p / "missing.csv", [], "does not exist"),
    (lambda p: write(p / "l.txt", rows(3)), [], "labeled input must be CSV or JSONL"),
    (lambda p: write(p / "l.csv", [{**r, "sentiment": s} for r, s in zip(
        rows(3), ["pos", "pos", "neg"], strict=True)]), [], "1 negative review(s): too few"),
])
def test_user_errors_are_one_line_before_training(make, args, message, tmp_path):
    data = make(tmp_path)
    columns = ["--text-column", "review", "--label-column", "sentiment"]
    if args:
        columns = args + (["--label-column", "sentiment"] if "body" in args[1] else [])
    result = run("train", "--input", data, *columns, "--output", tmp_path / "x", *TINY)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("args, message", [
    (["--test-fraction", "0.2"], "--test-fraction apply to --input"),
    (["--text-column", "review"], "--text-column apply to --input"),
])
def test_own_data_options_need_input(args, message, toy_archive, tmp_path):
    result = run("train", "--data", toy_archive, *args, "--output", tmp_path / "x", *TINY)
    assert result.exit_code == 1 and message in result.output


def test_input_and_data_exclude_each_other(toy_archive, tmp_path):
    data = write(tmp_path / "l.csv", rows(20))
    result = run("train", "--data", toy_archive, "--input", data, "--output", tmp_path / "x")
    assert result.exit_code == 1 and "not both" in result.output


@pytest.mark.parametrize("validation_split", [0.0, 0.25])
def test_streamed_encoding_equals_tokenizing_everything(validation_split, toy_archive):
    """encode_sets, in batches of 7, gives the arrays of tokenizing every review at once."""
    imdb = load_imdb(toy_archive)
    config = Config(max_features=30, maxlen=9, validation_split=validation_split, seed=3)
    encoded = encode_sets(imdb.train, imdb.test, config, batch_size=7)
    train_set = imdb.train
    if validation_split:  # drawn as training.py always has
        order = np.random.default_rng(3).permutation(len(train_set))
        n_val = round(len(train_set) * validation_split)
        val_set, train_set = train_set.take(order[:n_val]), train_set.take(order[n_val:])
        assert np.array_equal(encoded.x_val, Vocabulary.from_tokens(
            map(tokenize, train_set.texts), 30).encode_batch(val_set.texts, 9))
    tokens = [tokenize(t) for t in train_set.texts]
    vocabulary = Vocabulary.from_tokens(tokens, 30)
    assert encoded.vocabulary == vocabulary
    assert Counter(w for t in tokens for w in t).most_common(1)[0][0] == vocabulary.words[0]
    assert np.array_equal(encoded.x_train, vocabulary.encode_token_lists(tokens, 9))
    assert np.array_equal(encoded.y_train, train_set.labels.astype(np.float32))
    assert np.array_equal(encoded.x_test, vocabulary.encode_batch(imdb.test.texts, 9))
    assert encoded.x_train.dtype == np.int32


def test_library_train_takes_two_sets(tmp_path):
    data = open_labeled(write(tmp_path / "l.csv", rows(120, seed=8)), text_column="review",
                        label_column="sentiment")
    train_set, test_set = data.stratified_split(0.25, seed=1)
    config = Config(max_features=40, maxlen=16, embedding_dim=8, units=8, batch_size=16,
                    epochs=1, seed=1)
    classifier = train(train_set, test_set, config, verbose=0)
    assert classifier.metrics["test_reviews"] == len(test_set) == 30
    assert classifier.data["train"]["reviews"] == 90
    with pytest.raises(TypeError, match="needs a test set"):
        train(train_set, config=config)


def test_open_labeled_rejects_non_string_text(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_text('{"text": 5, "label": 1}\n', encoding="utf-8")
    with pytest.raises(UserError, match="'text' is 5, not a string"):
        open_labeled(path)


def test_ctrl_c_then_resume_from_input(tmp_path):
    """--resume works on --input runs: the file is checked and encoded again, the run goes on."""
    from test_resume import CTRL_C, _python

    data = write(tmp_path / "l.csv", rows(200, seed=9))
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C)
    out = tmp_path / "run"
    args = ["train", "--input", str(data), "--text-column", "review", "--label-column",
            "sentiment", "--output", str(out), *TINY, "--epochs", "3"]  # the last --epochs counts
    stopped = _python(script, *args)
    assert stopped.returncode == 130, stopped.stderr
    assert not out.exists() and (tmp_path / ".run.in-progress" / "epoch-1").is_dir()
    resumed = _python("-m", "imdb_sentiment.cli", *args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 3
    assert json.loads((out / "data.json").read_text())["test"]["reviews"] == 20
