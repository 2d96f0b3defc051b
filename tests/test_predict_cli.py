"""`imdb-sentiment predict` through click: every input, every output, every user error."""

import csv
import json
import shutil

import pytest
from click.testing import CliRunner

from imdb_sentiment.cli import main

REVIEWS = ["the movie was good", "awful plot and a boring actor", "great, wonderful film",
           "the film was bad"]
LABELS = ["positive", "negative", "positive", "negative"]


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def assert_one_line_error(result, message):
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_arguments_print_a_table(bundle, trained):
    result = run("predict", bundle, *REVIEWS)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["id", "label", "P(positive)"]
    for line, review, prediction in zip(lines[1:], REVIEWS, trained.predict(REVIEWS),
                                        strict=True):
        assert line.split()[1:3] == [prediction.label, f"{prediction.probability:.4f}"]
        assert review.split()[0] in line
    assert [line.split()[1] for line in lines[1:]] == LABELS


def test_stdin_one_review_per_line(bundle, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("predict", bundle, "--output", out, input="\n".join(REVIEWS) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert [r["label"] for r in rows] == LABELS


def test_txt_csv_and_jsonl_keep_ids_and_order(bundle, trained, tmp_path):
    expected = trained.predict(REVIEWS)
    ids = ["r9", "r2", "r7", "r1"]
    txt = tmp_path / "in.txt"
    txt.write_text("\n".join(REVIEWS), encoding="utf-8")
    csv_in = tmp_path / "in.csv"
    with open(csv_in, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["review_id", "body"], *zip(ids, REVIEWS, strict=True)])
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("".join(json.dumps({"id": i, "text": t}) + "\n"
                             for i, t in zip(ids, REVIEWS, strict=True)), encoding="utf-8")
    cases = [
        (txt, [], ["1", "2", "3", "4"]),
        (csv_in, ["--text-column", "body", "--id-column", "review_id"], ids),
        (jsonl, [], ids),
    ]
    for path, options, expected_ids in cases:
        out = tmp_path / f"{path.suffix[1:]}-out.csv"
        result = run("predict", bundle, "--input", path, *options, "--output", out)
        assert result.exit_code == 0, result.output
        assert "Wrote 4 predictions" in result.output
        rows = read_csv(out)
        assert [r["id"] for r in rows] == expected_ids
        assert [r["label"] for r in rows] == [p.label for p in expected]
        assert [float(r["probability"]) for r in rows] == pytest.approx(
            [p.probability for p in expected], abs=1e-6)


def test_small_batches_give_the_same_file(bundle, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("\n".join(REVIEWS * 5), encoding="utf-8")
    outputs = []
    for batch_size in ("1", "3", "1000"):
        out = tmp_path / f"out{batch_size}.csv"
        assert run("predict", bundle, "-i", path, "-o", out, "--batch-size", batch_size,
                   "-q").exit_code == 0
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1] == outputs[2]


def test_explain_highlights_with_plain_markers(bundle, trained):
    review = "the movie was good but the plot was bad"
    explanation = trained.explain(review)
    top = explanation.top(2)
    result = run("predict", bundle, "--explain", "--top", "2", review)
    assert result.exit_code == 0, result.output
    heading, body = result.output.splitlines()[:2]
    assert heading.startswith(f"1  {explanation.prediction.label}  P(positive)=")
    assert f"top: {top[0].token} {top[0].contribution:+.3f}" in heading
    marked = [word for word in body.split() if word.startswith("[")]
    assert marked == [f"[{'+' if t.contribution > 0 else '-'}{t.token}]" for t in
                      explanation.tokens if t in top]
    assert body.replace("[+", "").replace("[-", "").replace("]", "") == review


def test_explain_marks_the_unseen_part(bundle, trained):
    maxlen = trained.config.maxlen
    words = ["bad", "awful", "the"] + ["the"] * maxlen  # the model sees the last maxlen
    result = run("predict", bundle, "--explain", " ".join(words))
    assert result.exit_code == 0, result.output
    body = result.output.splitlines()[1]
    assert body.startswith("[not seen: bad awful the] ")
    seen = body.removeprefix("[not seen: bad awful the] ").split()
    assert [w.strip("[+-]") for w in seen] == ["the"] * maxlen


def test_explain_adds_top_words_to_file_output(bundle, trained, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("predict", bundle, "--explain", "--top", "2", "-o", out, "the movie was good")
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text())
    assert list(row) == ["id", "label", "probability", "top_words"]
    top = trained.explain("the movie was good").top(2)
    assert row["top_words"] == pytest.approx({t.token: t.contribution for t in top}, abs=1e-3)
    csv_out = tmp_path / "out.csv"
    run("predict", bundle, "--explain", "--top", "2", "-o", csv_out, "the movie was good")
    assert read_csv(csv_out)[0]["top_words"] == " ".join(
        f"{word}:{value:+.3f}" for word, value in row["top_words"].items())


def test_empty_review_is_scored(bundle, trained, tmp_path):
    out = tmp_path / "out.csv"
    source = tmp_path / "in.csv"
    source.write_text('id,text\n1,""\n', encoding="utf-8")
    assert run("predict", bundle, "-i", source, "-o", out).exit_code == 0
    assert float(read_csv(out)[0]["probability"]) == pytest.approx(
        trained.predict("").probability, abs=1e-6)


# --- every user error: one line, exit 1, no traceback, no output file -------------------------

@pytest.fixture
def broken_bundles(bundle, tmp_path):
    missing_file = shutil.copytree(bundle, tmp_path / "no-vocab")
    (missing_file / "vocabulary.json").unlink()
    future = shutil.copytree(bundle, tmp_path / "future")
    meta = json.loads((future / "config.json").read_text())
    meta["format_version"] = 99
    (future / "config.json").write_text(json.dumps(meta))
    return {"missing": tmp_path / "nothing-here", "no-vocab": missing_file, "future": future}


@pytest.mark.parametrize("which, message", [
    ("missing", "no model bundle at"),
    ("no-vocab", "is missing vocabulary.json"),
    ("future", "has format version 99; this version of imdb-sentiment reads version 1"),
])
def test_bundle_errors(broken_bundles, tmp_path, which, message):
    out = tmp_path / "out.csv"
    result = run("predict", broken_bundles[which], "-o", out, "a review")
    assert_one_line_error(result, message)
    assert not out.exists()
    evaluated = run("evaluate", broken_bundles[which], "--input", tmp_path / "x.csv")
    assert_one_line_error(evaluated, message)


@pytest.mark.parametrize("name, content, options, message", [
    ("in.txt", b"good\nfine \xe9 film\n", [],
     "in.txt line 2 is not valid UTF-8 (byte 6); use --encoding-errors replace"),
    ("in.csv", b'id,text\n1,"ok"\n2,"broken"x\n', [], "in.csv line 3 is not valid CSV"),
    ("in.jsonl", b'{"text": "good"}\n{"text": "bad"\n', [], "in.jsonl line 2 is not valid JSON"),
    ("in.csv", b"id,review\n1,good\n", [], "in.csv line 2 has no column 'text' (it has: id, "
                                           "review)"),
    ("in.csv", b"id,text\n1,good\n", ["--id-column", "key"], "in.csv line 2 has no column 'key'"),
    ("in.txt", b"good\n", ["--text-column", "x"], "apply to CSV and JSONL"),
    ("in.xlsx", b"good\n", [], "cannot tell the format of"),
])
def test_input_errors_leave_no_output(bundle, tmp_path, name, content, options, message):
    source = tmp_path / name
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    result = run("predict", bundle, "--input", source, *options, "--output", out, "-q")
    assert_one_line_error(result, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_replace_option_gets_past_bad_bytes(bundle, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(b"good\nfine \xe9 film\n")
    out = tmp_path / "out.csv"
    result = run("predict", bundle, "-i", source, "-o", out, "--encoding-errors", "replace")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in read_csv(out)] == ["1", "2"]


@pytest.mark.parametrize("args, message", [
    (["a review", "--input", "x.txt"], "not both"),
    (["--input", "missing.txt"], "input file missing.txt does not exist"),
    (["--input", "."], "input . is not a file"),
    (["a review", "--text-column", "body"], "apply to --input only"),
    (["a review", "--output", "out.xlsx"], "use .csv or .jsonl"),
    (["a review", "--output", "no/such/folder/out.csv"], "folder no/such/folder does not exist"),
])
def test_option_errors(bundle, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run("predict", bundle, *args), message)
    assert list(tmp_path.iterdir()) == []


def test_output_must_not_overwrite_input(bundle, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\ngood\n", encoding="utf-8")
    assert_one_line_error(run("predict", bundle, "-i", source, "-o", source), "is the input file")
    assert source.read_text() == "text\ngood\n"


def test_help_has_examples():
    for command in ("predict", "evaluate"):
        result = run(command, "--help")
        assert result.exit_code == 0 and f"imdb-sentiment {command} runs/classic" in result.output


def test_explain_colours_in_a_terminal(trained):
    from rich.console import Console

    from imdb_sentiment.display import print_explanation

    console = Console(force_terminal=True, color_system="standard", record=True, width=200)
    explanation = trained.explain("the movie was good but the plot was bad")
    print_explanation(console, 1, explanation, top=2)
    styled = console.export_text(styles=True)
    assert "\x1b[" in styled and "[+" not in styled and "[-" not in styled
    top = explanation.top(1)[0]
    colour = "32" if top.contribution > 0 else "31"  # green towards positive, red towards negative
    assert f"{colour}m{top.token}" in styled


def test_explain_by_integrated_gradients(bundle, trained, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("predict", bundle, "--explain", "--method", "integrated_gradients", "--top", "2",
                 "-o", out, "the movie was good")
    assert result.exit_code == 0, result.output
    expected = trained.explain("the movie was good", method="integrated_gradients").top(2)
    row = json.loads(out.read_text())
    assert row["top_words"] == pytest.approx({t.token: t.contribution for t in expected},
                                             abs=1e-3)
