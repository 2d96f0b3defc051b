"""predict --engine ray: shards in, one output file per shard, resumable; on a local Ray."""

import csv
import json
import os
import sys

import pytest
from click.testing import CliRunner

from imdb_sentiment import Classifier
from imdb_sentiment.cli import main
from imdb_sentiment.engines.ray import ShardOptions, find_shards, output_path, score_shards
from imdb_sentiment.errors import UserError

pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (the parquet extra) is not installed")
ray = pytest.importorskip("ray", reason="Ray (the ray extra) is not installed")

TEXTS = ["the movie was good", "awful and boring", "great plot, wonderful actor", "", "bad"]


def write_shards(folder):
    """Three shards, one per format, each with its own ids."""
    import pyarrow as pa

    folder.mkdir()
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(5)], "text": TEXTS}),
                   folder / "a.parquet", row_group_size=2)
    with open(folder / "b.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows([f"c{i}", t] for i, t in enumerate(reversed(TEXTS)))
    (folder / "c.jsonl").write_text("".join(json.dumps({"id": i, "text": t}) + "\n"
                                            for i, t in enumerate(TEXTS)), encoding="utf-8")
    (folder / "notes.md").write_text("not a shard")
    return folder


def read_rows(path):
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_every_shard_is_scored_into_its_own_file_with_its_ids(local_ray, bundle, tmp_path):
    shards = find_shards(write_shards(tmp_path / "in"))
    assert [s.name for s in shards] == ["a.parquet", "b.csv", "c.jsonl"]  # notes.md is no shard
    done = []
    summary = score_shards(bundle, shards, tmp_path / "out", workers=1, on_shard=done.append)
    assert summary == {**summary, "shards": 3, "skipped": 0, "scored": 3, "reviews": 15}
    assert sorted(row["input"] for row in done) == [str(s) for s in shards]
    classifier = Classifier.load(bundle)
    expected = classifier.predict(TEXTS)
    for shard, ids, texts in (("a.parquet", [f"p{i}" for i in range(5)], TEXTS),
                              ("b.csv", [f"c{i}" for i in range(5)], TEXTS[::-1]),
                              ("c.jsonl", list(range(5)), TEXTS)):
        rows = read_rows(tmp_path / "out" / shard)
        assert [r["id"] for r in rows] == ids  # the input's order and ids
        want = expected if texts is TEXTS else expected[::-1]
        assert [r["label"] for r in rows] == [p.label for p in want]
        assert [float(r["probability"]) for r in rows] == pytest.approx(
            [p.probability for p in want], abs=1e-6)


def test_a_rerun_scores_only_the_shards_without_output(local_ray, bundle, tmp_path):
    shards = find_shards(write_shards(tmp_path / "in"))
    out = tmp_path / "out"
    score_shards(bundle, shards, out, workers=1)
    finished = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    # a run killed while writing b.csv: its output is missing, a temporary file is left
    (out / "b.csv").unlink()
    (out / ".b.csv.x1y2.tmp").write_text("id,label\np0,posi")
    summary = score_shards(bundle, shards, out, workers=1)
    assert (summary["skipped"], summary["scored"], summary["reviews"]) == (2, 1, 5)
    assert sorted(p.name for p in out.iterdir()) == ["a.parquet", "b.csv", "c.jsonl"]
    for name in ("a.parquet", "c.jsonl"):  # not rewritten
        assert (out / name).stat().st_mtime_ns == finished[name]
    assert score_shards(bundle, shards, out)["scored"] == 0  # all done: Ray is not even started


def test_a_bad_shard_fails_alone_and_clearly(local_ray, bundle, tmp_path):
    folder = write_shards(tmp_path / "in")
    (folder / "d.csv").write_text("id,review\n1,good\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"1 of 4 files failed \(3 scored.*d.csv line 2 has no "
                                        r"column 'text'"):
        score_shards(bundle, find_shards(folder), tmp_path / "out", workers=1)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a.parquet", "b.csv", "c.jsonl"]


def test_the_command_line(bundle, tmp_path):
    folder = write_shards(tmp_path / "in")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["predict", str(bundle), "--input", f"{folder}/*.csv",
                                       "--output", str(out), "--engine", "ray", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "Scored 1 of 1 files (0 already done), 5 reviews" in result.output
    assert [r["id"] for r in read_rows(out / "b.csv")] == [f"c{i}" for i in range(5)]


@pytest.mark.parametrize("args, message", [
    (["--engine", "ray", "--output", "out"], "give --input FOLDER or --input 'GLOB'"),
    (["good film", "--engine", "ray", "--output", "out"], "--engine ray scores files"),
    (["--engine", "ray", "--input", "{in}"], "give --output FOLDER"),
    (["--engine", "ray", "--input", "{in}/*.nothing", "--output", "out"], "no review files"),
    (["good film", "--address", "auto"], "--address and --workers apply to --engine ray only"),
])
def test_option_errors_are_one_line_before_ray_starts(bundle, tmp_path, args, message):
    folder = write_shards(tmp_path / "in")
    args = [a.replace("{in}", str(folder)) for a in args]
    result = CliRunner().invoke(main, ["predict", str(bundle), *args])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_without_ray_the_command_says_how_to_install_it(bundle, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    folder = write_shards(tmp_path / "in")
    result = CliRunner().invoke(main, ["predict", str(bundle), "--input", str(folder),
                                       "--output", str(tmp_path / "out"), "--engine", "ray"])
    assert result.exit_code == 1
    assert "pip install 'imdb-sentiment[ray]'" in result.output


def test_output_names_follow_the_inputs(tmp_path):
    assert output_path(tmp_path / "x" / "a.txt", tmp_path) == tmp_path / "a.csv"
    assert output_path(tmp_path / "x" / "a.parquet", tmp_path) == tmp_path / "a.parquet"
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    for folder in ("p", "q"):
        (tmp_path / folder / "same.csv").write_text("id,text\n")
    with pytest.raises(UserError, match="two input files are named same.csv"):
        find_shards(os.path.join(tmp_path, "*", "same.csv"))
    assert ShardOptions().batch_size > 0
