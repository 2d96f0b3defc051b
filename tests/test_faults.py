"""The fault catalogue (RELIABILITY.md): what a careless or hostile user can feed the tool, and
what it must do. Every case: a clean one-line error or a correct result, no traceback, no file
lost. Property tests (hypothesis) cover the tokenizer, pad, the file writers and bundle damage."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import toy_reviews, write_archive, write_folder
from imdb_sentiment import Classifier, load_imdb
from imdb_sentiment.bundle import is_bundle, tool_files
from imdb_sentiment.cli import main
from imdb_sentiment.errors import UserError
from imdb_sentiment.text import pad, tokenize

HOSTILE = ["[/Spoilers] the end", "[b]bold[/b] good", "[link=http://x.example]bad[/link]",
           "title \x1b]0;owned\x07 good", "clear \x1b[2J bad", "evil \u202egnirts\u202c good",
           "bell\x07 and \r return", "[red]not red[/red] \x9b31m"]
TINY = ["--max-features", "40", "--maxlen", "16", "--embedding-dim", "8", "--units", "8",
        "--batch-size", "16", "--epochs", "1", "--learning-rate", "0.05", "-q"]
CLI = [sys.executable, "-m", "imdb_sentiment.cli"]


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env)


def one_line_error(result, message, code=1):
    """Exit ``code``, no traceback, and one error line, the last, holding ``message``
    (``train`` prints its progress before it)."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert message in result.output, result.output
    if code == 1:
        lines = result.output.strip().splitlines()
        assert [ln for ln in lines if ln.startswith("Error:")] == lines[-1:], result.output
        assert message in lines[-1]


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


# --- 1. --force never loses a file ------------------------------------------------------------

def test_force_refuses_a_folder_that_is_not_a_bundle(toy_archive, tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "config.json").write_text('{"name": "my project"}')
    (project / "README.md").write_text("mine")
    (project / "src" / "main.py").write_text("print()")
    before = tree(project)
    result = run("train", "--data", toy_archive, "--output", project, "--force", *TINY)
    one_line_error(result, "holds a config.json that is not an imdb-sentiment bundle")
    assert tree(project) == before


def test_force_keeps_the_users_files_and_replaces_only_the_tools(trained, bundle, tmp_path):
    target = shutil.copytree(bundle, tmp_path / "bundle")
    (target / "notes.txt").write_text("my notes")
    (target / "predictions").mkdir()
    (target / "predictions" / "scored.csv").write_text("id,label\n1,positive\n")
    os.symlink("notes.txt", target / "link-to-notes")
    ours = {name: (target / name).read_bytes() for name in tool_files() if (target / name).exists()}
    user = {k: v for k, v in tree(target).items() if k not in tool_files()}
    trained.history = {k: v[:1] for k, v in trained.history.items()}  # a different bundle
    try:
        trained.save(target, force=True)
    finally:
        trained.history = Classifier.load(bundle).history
    assert {k: v for k, v in tree(target).items() if k not in tool_files()} == user
    assert os.readlink(target / "link-to-notes") == "notes.txt"
    assert (target / "history.json").read_bytes() != ours["history.json"]
    assert Classifier.load(target).history["loss"] == trained.history["loss"][:1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]  # nothing left beside it


@pytest.mark.parametrize("stage", ["_write", "_link_user_files", "sync_tree", "replace_folder",
                                   "_rescue_late_files"])
def test_interrupt_at_any_stage_of_save_leaves_old_or_new(trained, bundle, tmp_path, stage,
                                                          monkeypatch):
    import imdb_sentiment.bundle as bundle_module

    target = shutil.copytree(bundle, tmp_path / "bundle")
    (target / "notes.txt").write_text("my notes")
    real = getattr(bundle_module, stage)

    def interrupted(*args, **kwargs):
        if stage in ("replace_folder", "_rescue_late_files"):
            real(*args, **kwargs)  # the swap has happened: Ctrl-C right after it
        raise KeyboardInterrupt

    monkeypatch.setattr(bundle_module, stage, interrupted)
    with pytest.raises(KeyboardInterrupt):
        trained.save(target, force=True)
    assert is_bundle(target) and Classifier.load(target).config == trained.config
    assert (target / "notes.txt").read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_sigkill_during_save_leaves_a_whole_bundle(bundle, tmp_path):
    """A process replacing the bundle over and over is killed at random moments: the path holds
    a complete bundle (old or new) and the user's file every time."""
    target = shutil.copytree(bundle, tmp_path / "bundle")
    (target / "notes.txt").write_text("my notes")
    script = (f"from imdb_sentiment import Classifier\nc = Classifier.load({str(bundle)!r})\n"
              f"print('ready', flush=True)\nwhile True:\n    c.save({str(target)!r}, force=True)\n")
    rng = np.random.default_rng(0)
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                   env={**os.environ, "PYTHONPATH": _src()})
        assert process.stdout.readline().strip() == b"ready"
        try:
            process.wait(timeout=float(rng.uniform(0.2, 1.5)))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert is_bundle(target) and Classifier.load(target) is not None
        assert (target / "notes.txt").read_text() == "my notes"


def _src() -> str:
    return str(Path(__file__).resolve().parents[1] / "src")


# --- 2. review text is data -------------------------------------------------------------------

def test_hostile_text_in_the_pipe_table(bundle):
    result = run("predict", bundle, *HOSTILE)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out and "\x9b" not in out
    assert "[/Spoilers]" in out and "[b]bold[/b]" in out and "[link=http://x.example]" in out
    assert "\\x1b]0;owned\\x07" in out and "\\u202e" in out
    lines = out.splitlines()
    assert len(lines) == len(HOSTILE) + 1 and all(len(ln.split("\t")) == 4 for ln in lines)


@pytest.mark.parametrize("width", [40, 80, 120, 200])
def test_hostile_text_in_the_terminal_table_and_explain(trained, width):
    from rich.console import Console

    from imdb_sentiment.display import PredictionTable, print_explanation
    from imdb_sentiment.sources import Record

    console = Console(force_terminal=True, color_system="standard", width=width,
                      file=io.StringIO())
    records = [Record(f"\x1b[2Jid-{i}", text * 5, i) for i, text in enumerate(HOSTILE)]
    PredictionTable(console).print(records, trained.predict([r.text for r in records]))
    for record, explanation in zip(records, trained.explain([r.text for r in records]),
                                   strict=True):
        print_explanation(console, record.id, explanation, 3)
    out = console.file.getvalue()
    import re

    leftover = re.sub(r"\x1b\[[0-9;]*m", "", out)  # only colour codes are ours
    assert "\x1b" not in leftover and "\u202e" not in out and "\x07" not in out
    assert "[/Spoilers]" in out or "…" in out


def test_hostile_names_in_error_messages(bundle, tmp_path):
    name = tmp_path / "in\x1b[2J[b].csv"
    name.write_bytes(b"id,text\n1,\"broken\"x\n")
    result = run("predict", bundle, "--input", name, "-o", tmp_path / "o.csv", "-q")
    one_line_error(result, "\\x1b[2J[b].csv line 2 is not valid CSV")
    assert "\x1b" not in result.output


# --- 3. the table shows the answer ------------------------------------------------------------

@pytest.mark.parametrize("width", [50, 80, 120, 200])
def test_terminal_table_never_cuts_id_label_probability(trained, width):
    from rich.console import Console

    from imdb_sentiment.display import PredictionTable
    from imdb_sentiment.sources import Record

    console = Console(force_terminal=True, no_color=True, width=width, file=io.StringIO())
    texts = ["the movie was good " * 30, "bad", "awful plot " * 50]
    records = [Record(f"review-{i:012d}", t, i) for i, t in enumerate(texts)]
    predictions = trained.predict(texts)
    PredictionTable(console).print(records, predictions)
    import re

    lines = re.sub(r"\x1b\[[0-9;]*m", "", console.file.getvalue()).splitlines()
    assert lines[0].split()[:3] == ["id", "label", "P(positive)"]
    for line, record, prediction in zip(lines[1:], records, predictions, strict=True):
        assert line.split()[:3] == [record.id, prediction.label, f"{prediction.probability:.4f}"]
        assert len(line) <= width
    assert "…" in lines[1]  # the long review is cut, with an ellipsis


# --- 4. checked before the work ---------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("x"), "exists and is not a folder"),
    (lambda p: (p.mkdir(), (p / "a.txt").write_text("x")), "a folder with other files in it"),
])
def test_train_output_checked_before_reading_data(tmp_path, make, message):
    out = tmp_path / "out"
    make(out)
    # the data path does not exist: the output is checked first
    one_line_error(run("train", "--data", tmp_path / "missing.tar.gz", "--output", out), message)


def test_train_refuses_the_current_folder_and_unwritable_places(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one_line_error(run("train", "--data", "missing", "--output", "."), "current folder")
    one_line_error(run("train", "--data", "missing", "--output", "/proc/x/bundle"),
                   "cannot write /proc/x/bundle")


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "seed must be in [0, 2**32)"),
    (["--seed", str(2**32)], "seed must be in [0, 2**32)"),
    (["--learning-rate", "inf"], "learning_rate must be a positive finite number"),
    (["--learning-rate", "nan"], "learning_rate must be a positive finite number"),
    (["--max-features", "100000000000", "--embedding-dim", "100000"], "more than this machine"),
])
def test_option_ranges(tmp_path, toy_archive, args, message):
    one_line_error(run("train", "--data", toy_archive, "--output", tmp_path / "x", *args),
                   message)
    assert not (tmp_path / "x").exists()


def test_validation_split_leaving_nothing(tmp_path):
    archive = write_archive(tmp_path / "d.tar.gz", toy_reviews(1, seed=0))
    one_line_error(run("train", "--data", archive, "--output", tmp_path / "x",
                       "--validation-split", "0.9", *TINY), "leaves none to train on")


@pytest.mark.parametrize("output, message", [
    ("scores.xlsx", "use .csv or .jsonl"),
    ("in.csv", "is the input file"),
    ("folder", "is a folder"),
    ("fifo.csv", "exists and is not a regular file"),
])
def test_predict_output_checked_before_the_model(tmp_path, output, message):
    (tmp_path / "in.csv").write_text("text\ngood\n")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo.csv")
    # the model does not exist: the output is checked first
    one_line_error(run("predict", tmp_path / "no-model", "-i", tmp_path / "in.csv",
                       "-o", tmp_path / output), message)


# --- 5. no garbage ----------------------------------------------------------------------------

def test_diverging_training_saves_nothing(toy_archive, tmp_path):
    tiny = [a if a != "0.05" else "1e30" for a in TINY]
    result = run("train", "--data", toy_archive, "--output", tmp_path / "x", *tiny)
    one_line_error(result, "training diverged")
    assert not (tmp_path / "x").exists()


def test_one_class_training_data_is_refused(tmp_path):
    reviews = {k: v for k, v in toy_reviews(5, seed=0).items() if k[1] == "pos"}
    archive = write_archive(tmp_path / "pos.tar.gz", reviews)
    one_line_error(run("train", "--data", archive, "--output", tmp_path / "x", *TINY),
                   "has only positive reviews")


def _edit(folder: Path, name: str, change):
    data = json.loads((folder / name).read_text())
    change(data)
    (folder / name).write_text(json.dumps(data))


@pytest.mark.parametrize("name, change, message", [
    ("vocabulary.json", lambda d: d["words"].extend(f"w{i}" for i in range(50)),
     "do not fit the model's"),
    ("vocabulary.json", lambda d: d["words"].__setitem__(1, d["words"][0]), "repeats a word"),
    ("vocabulary.json", lambda d: d["words"].__setitem__(0, 7), "not a list of words"),
    ("vocabulary.json", lambda d: d.update(max_features=41), "differs from config.json"),
    ("config.json", lambda d: d["config"].update(maxlen=20), "reads 16 tokens but config.json"),
    ("config.json", lambda d: d["config"].update(maxlen="16"), "maxlen must be int"),
    ("config.json", lambda d: d["config"].pop("units"), "config has no units"),
    ("config.json", lambda d: d.pop("config"), "has no 'config' object"),
    ("config.json", lambda d: d.update(labels="yes"), "has labels 'yes'"),
    ("history.json", lambda d: d.update(loss="x"), "history.json is not lists of numbers"),
])
def test_inconsistent_bundles_are_refused(bundle, tmp_path, name, change, message):
    broken = shutil.copytree(bundle, tmp_path / "b")
    _edit(broken, name, change)
    one_line_error(run("predict", broken, "a review"), message)


def test_damaged_model_file_says_damaged(bundle, tmp_path):
    truncated = shutil.copytree(bundle, tmp_path / "t")
    data = (truncated / "model.keras").read_bytes()
    (truncated / "model.keras").write_bytes(data[: len(data) // 2])
    one_line_error(run("predict", truncated, "x"), "is damaged: model.keras cannot be read")
    flipped = shutil.copytree(bundle, tmp_path / "f")
    with zipfile.ZipFile(bundle / "model.keras") as z:
        info = max(z.infolist(), key=lambda i: i.compress_size)
    raw = bytearray(data)
    raw[info.header_offset + 30 + len(info.filename) + 10] ^= 0xFF  # inside the data: bad CRC
    (flipped / "model.keras").write_bytes(bytes(raw))
    one_line_error(run("predict", flipped, "x"), "is damaged")


def test_nan_weights_are_refused_and_json_never_holds_nan(bundle, tmp_path):
    from imdb_sentiment.sources import RecordWriter

    with pytest.raises(UserError, match="refusing to write"):
        with RecordWriter(tmp_path / "o.jsonl", ["id", "probability"]) as writer:
            writer.write([{"id": 1, "probability": float("nan")}])
    assert list(tmp_path.iterdir()) == []


# --- 6. no traceback --------------------------------------------------------------------------

def test_deep_json(bundle, tmp_path):
    deep = shutil.copytree(bundle, tmp_path / "deep")
    (deep / "config.json").write_text("[" * 100000 + "]" * 100000)
    one_line_error(run("predict", deep, "x"), "nested too deeply")
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": ' + "[" * 100000 + "]" * 100000 + "}\n")
    one_line_error(run("predict", bundle, "-i", source, "-o", tmp_path / "o.csv"),
                   "nested too deeply")


def test_unknown_user_is_a_usage_error(tmp_path):
    result = run("train", "--data", "~no_such_user_xyz/data.tar.gz", "--output", tmp_path / "x")
    one_line_error(result, "no such user", code=2)
    assert "Usage:" in result.output


def test_data_folder_skips_fifos_and_links_out(tmp_path):
    root = write_folder(tmp_path / "data", toy_reviews(3, seed=0))
    outside = tmp_path / "secret.txt"
    outside.write_text("secret words")
    os.symlink(outside, root / "train" / "pos" / "100_9.txt")
    os.mkfifo(root / "train" / "neg" / "101_1.txt")
    (root / "train" / "pos" / "102_128.txt").write_text("a rating beyond int8")
    os.symlink(root / "test" / "pos", root / "test" / "neg_link")
    imdb = load_imdb(root)
    assert len(imdb.train) == 3 * 2 + 1 and "secret words" not in imdb.train.texts
    assert 0 in imdb.train.ratings  # 128 is no star rating: stored as 0, unknown


def test_decompression_bomb_is_capped(tmp_path):
    archive = write_archive(tmp_path / "d.tar.gz", toy_reviews(2, seed=0))
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bomb, "w:gz") as dst:
        for member in src:
            dst.addfile(member, src.extractfile(member))
        info = tarfile.TarInfo("aclImdb/train/pos/999_9.txt")
        info.size = 4 << 20
        dst.addfile(info, io.BytesIO(b" " * info.size))
    one_line_error(run("data", "--data", bomb), "over the 1,048,576 a review may have")


def test_file_size_limit_while_writing(bundle, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("the movie was good\n" * 5000)
    out = tmp_path / "out.csv"
    result = subprocess.run(
        ["bash", "-c", 'ulimit -f 8; exec "$@"', "-", *CLI, "predict", str(bundle), "-i",
         str(source), "-o", str(out), "-q"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": _src()})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot write" in result.stderr and "File too large" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_full_disk_while_saving(trained, tmp_path, monkeypatch):
    import errno

    import imdb_sentiment.bundle as bundle_module

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bundle_module, "sync_tree", full)
    with pytest.raises(UserError, match="No space left on device"):
        trained.save(tmp_path / "b")
    assert list(tmp_path.iterdir()) == []


def test_stdout_to_a_full_device(bundle):
    with open("/dev/full", "w") as full:
        result = subprocess.run([*CLI, "predict", str(bundle), "good", "bad"], stdout=full,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": _src()})
    assert result.returncode == 1
    assert result.stderr.strip() == ("Error: cannot write to standard output: "
                                     "No space left on device")


@pytest.mark.parametrize("backend, message", [("nope", "is not a Keras backend"),
                                              ("openvino", "is not installed")])
def test_unusable_keras_backend(backend, message, bundle):
    one_line_error(run("predict", bundle, "x", env={"KERAS_BACKEND": backend}), message)


def test_csv_field_over_the_default_limit(bundle, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,\"" + "good " * 60000 + "\"\n")
    result = run("predict", bundle, "-i", source, "-o", tmp_path / "o.jsonl")
    assert result.exit_code == 0, result.output


def test_usage_errors_keep_exit_2(bundle):
    result = run("predict", bundle, "--top", "0", "x")
    assert result.exit_code == 2 and "Usage:" in result.output


# --- 7. permissions ---------------------------------------------------------------------------

@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_modes_follow_the_umask(trained, tmp_path, mask):
    old = os.umask(mask)
    try:
        saved = trained.save(tmp_path / "b")
        run("predict", saved, "good", "-o", tmp_path / "p.csv")
    finally:
        os.umask(old)
    assert saved.stat().st_mode & 0o777 == 0o777 & ~mask
    assert (saved / "config.json").stat().st_mode & 0o777 == 0o666 & ~mask
    assert (tmp_path / "p.csv").stat().st_mode & 0o777 == 0o666 & ~mask


# --- 9. properties ----------------------------------------------------------------------------

@given(st.text())
def test_tokenizer_never_fails(text):
    tokens = tokenize(text)
    assert all(isinstance(t, str) and t for t in tokens)


@given(st.lists(st.lists(st.integers(0, 2**31 - 1), max_size=30), max_size=20),
       st.integers(1, 40))
def test_pad_keeps_the_last_ids_right_aligned(sequences, maxlen):
    out = pad(sequences, maxlen)
    assert out.shape == (len(sequences), maxlen) and out.dtype == np.int32
    for row, seq in zip(out, sequences, strict=True):
        kept = seq[-maxlen:] if seq else []
        assert list(row[maxlen - len(kept):]) == kept and not row[: maxlen - len(kept)].any()


_TEXT = st.text(st.characters(exclude_categories=("Cs",)))  # surrogates are not UTF-8


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(rows=st.lists(st.tuples(_TEXT, _TEXT), max_size=8), suffix=st.sampled_from([".csv",
                                                                                   ".jsonl"]))
def test_writer_output_reads_back_identically(tmp_path, rows, suffix):
    from imdb_sentiment.sources import RecordWriter, TextSource

    path = tmp_path / f"rows{suffix}"
    with RecordWriter(path, ["id", "text"]) as writer:
        writer.write({"id": i, "text": t} for i, t in rows)
    back = [(r.id, r.text) for r in TextSource(path, id_column="id")]
    assert back == rows


@pytest.fixture(scope="module")
def damage_bundle(bundle, tmp_path_factory):
    return bundle


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25,
          deadline=None)
@given(name=st.sampled_from(["config.json", "vocabulary.json", "model.keras", "history.json",
                             "metrics.json"]),
       position=st.floats(0, 1), byte=st.integers(0, 255), truncate=st.booleans())
def test_random_damage_gives_a_clean_refusal(damage_bundle, tmp_path, name, position, byte,
                                             truncate):
    target = tmp_path / "damaged"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(damage_bundle, target)
    data = bytearray((target / name).read_bytes())
    at = min(int(position * len(data)), len(data) - 1)
    if truncate:
        del data[at:]
    else:
        data[at] = byte
    (target / name).write_bytes(bytes(data))
    try:
        Classifier.load(target).predict("good")
    except UserError:
        pass


def test_the_registry_names_every_file_a_kind_needs():
    """bundle.tool_files reads the names from the registry without importing the kinds: each
    kind's own list of required files must be among them."""
    from imdb_sentiment.models import KINDS, kind_class

    for name, kind in KINDS.items():
        assert set(kind_class(name).files) <= set(kind.files), name
