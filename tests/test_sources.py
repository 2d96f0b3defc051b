"""Reading reviews from txt/CSV/JSONL and writing results atomically (no model needed)."""

import json

import pytest

from imdb_sentiment import UserError
from imdb_sentiment.sources import RecordWriter, TextSource, batched, read_labeled


def records(path, **options):
    return [(r.id, r.text) for r in TextSource(path, **options)]


def test_txt_one_review_per_line_ids_are_line_numbers(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(b"\xef\xbb\xbfgood film\r\n\n  \nbad, film\n\"quoted\", text")
    assert records(path) == [(1, "good film"), (4, "bad, film"), (5, '"quoted", text')]


def test_csv_keeps_id_column_and_multiline_fields(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('review,id\n"line one\nline two",a7\n"say ""hi""",b2\n', encoding="utf-8")
    assert records(path, text_column="review") == [("a7", "line one\nline two"),
                                                   ("b2", 'say "hi"')]
    # no id column: the line where the record starts
    assert records(path, text_column="review", id_column="review")[0][0] == "line one\nline two"
    other = tmp_path / "o.csv"
    other.write_text("text\nx\n\ny\n", encoding="utf-8")
    assert records(other) == [(2, "x"), (4, "y")]


def test_jsonl_ids_keep_their_type_and_format_override(tmp_path):
    path = tmp_path / "reviews.data"
    path.write_text('{"id": 3, "text": "good"}\n\n{"id": "x", "text": "bad"}\n', encoding="utf-8")
    assert records(path, format="jsonl") == [(3, "good"), ("x", "bad")]
    with pytest.raises(UserError, match="--format"):
        TextSource(path)


def test_batches_are_bounded_and_in_order(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("".join(f"review {i}\n" for i in range(10)), encoding="utf-8")
    sizes = [len(b) for b in TextSource(path).batches(4)]
    assert sizes == [4, 4, 2]
    assert [r.text for b in TextSource(path).batches(3) for r in b] == [
        f"review {i}" for i in range(10)]
    assert list(batched([], 5)) == []


def test_labels_accept_0_1_and_names(tmp_path):
    path = tmp_path / "l.jsonl"
    rows = [("a", 0), ("b", 1), ("c", "1"), ("d", "Negative"), ("e", " POS "), ("f", "neg")]
    path.write_text("".join(json.dumps({"text": t, "label": v}) + "\n" for t, v in rows),
                    encoding="utf-8")
    labeled = read_labeled(TextSource(path, label_column="label"))
    assert labeled.labels.tolist() == [0, 1, 1, 0, 1, 0]
    assert labeled.texts == list("abcdef") and labeled.ids == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.parametrize("name, content, message", [
    ("r.txt", b"fine\nbad \xff byte\n", "r.txt line 2 is not valid UTF-8 (byte 5); use "
                                         "--encoding-errors replace"),
    ("r.csv", b'text\n"ok"\n"broken"x\n', "r.csv line 3 is not valid CSV"),
    ("r.csv", b"text,id\na,1\nb\n", "r.csv line 3 has 1 fields, but the header has 2"),
    ("r.csv", b"review\nx\n", "r.csv line 2 has no column 'text' (it has: review)"),
    ("r.jsonl", b'{"text": "a"}\n{"text": \n', "r.jsonl line 2 is not valid JSON"),
    ("r.jsonl", b'{"text": "a"}\n[1]\n', "r.jsonl line 2 is not a JSON object"),
    ("r.jsonl", b'{"text": null}\n', "r.jsonl line 1: 'text' is null, not a string"),
    ("r.jsonl", b'{"id": 1, "text": "a"}\n{"text": "b"}\n', "line 2 has no column 'id'"),
])
def test_malformed_input_names_the_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UserError) as error:
        list(TextSource(path))
    assert message in str(error.value)


def test_replace_bad_bytes_on_request(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(b"bad \xff byte\n")
    assert records(path, encoding_errors="replace") == [(1, "bad \ufffd byte")]


@pytest.mark.parametrize("value", ["2", "maybe", "", 1.5, None, True])
def test_bad_label_names_line_and_value(tmp_path, value):
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps({"text": "a", "label": 1}) + "\n"
                    + json.dumps({"text": "b", "label": value}) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"l.jsonl line 2: label .* is neither 0/1 nor "
                                        r"negative/positive"):
        read_labeled(TextSource(path, label_column="label"))


def test_missing_file_and_columns_on_txt(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        TextSource(tmp_path / "nope.csv")
    (tmp_path / "r.txt").write_text("x\n")
    with pytest.raises(UserError, match="apply to CSV and JSONL"):
        TextSource(tmp_path / "r.txt", text_column="review")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_writer_renames_only_on_success(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    rows = [{"id": 1, "label": "positive", "words": {"good": 0.5, "bad": -0.25}}]
    with RecordWriter(path, ["id", "label", "words"]) as writer:
        writer.write(rows)
        assert not path.exists()
    text = path.read_text(encoding="utf-8")
    if suffix == ".csv":
        assert text.splitlines() == ["id,label,words", "1,positive,good:+0.500 bad:-0.250"]
    else:
        assert json.loads(text) == rows[0]

    failed = tmp_path / f"failed{suffix}"
    with pytest.raises(RuntimeError), RecordWriter(failed, ["id"]) as writer:
        writer.write([{"id": 1}])
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == [path]


def test_writer_refuses_unknown_suffix_and_missing_folder(tmp_path):
    with pytest.raises(UserError, match="use .csv or .jsonl"):
        RecordWriter(tmp_path / "out.xlsx", ["id"])
    with pytest.raises(UserError, match="does not exist"), \
            RecordWriter(tmp_path / "no" / "out.csv", ["id"]):
        pass
