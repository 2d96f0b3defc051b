import json

import pytest
from click.testing import CliRunner

from imdb_sentiment.cli import main

TINY = ["--max-features", "40", "--maxlen", "16", "--embedding-dim", "8", "--units", "8",
        "--batch-size", "16", "--epochs", "2", "--learning-rate", "0.05", "-q"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_train_end_to_end(toy_archive, tmp_path):
    out = tmp_path / "run"
    result = run("train", "--data", toy_archive, "--output", out, "--cell", "gru", *TINY)
    assert result.exit_code == 0, result.output
    assert "Test accuracy:" in result.output and "Test loss:" in result.output
    assert (out / "curves.png").stat().st_size > 1000
    metrics = json.loads((out / "metrics.json").read_text())
    history = json.loads((out / "history.json").read_text())
    assert metrics["test_accuracy"] == history["test_accuracy"][-1]
    assert json.loads((out / "config.json").read_text())["config"]["cell"] == "gru"

    again = run("train", "--data", toy_archive, "--output", out, *TINY)
    assert again.exit_code == 1 and "already holds a bundle; use --force" in again.output
    forced = run("train", "--data", toy_archive, "--output", out, "--force", *TINY)
    assert forced.exit_code == 0, forced.output


def test_data_command(toy_archive):
    result = run("data", "--data", toy_archive)
    assert result.exit_code == 0
    assert "train: 200 reviews (100 positive, 100 negative)" in result.output


@pytest.mark.parametrize("args, message", [
    (["--maxlen", "0"], "maxlen must be at least 1"),
    (["--dropout", "-0.5"], "dropout must be in [0, 1)"),
    (["--cell", "transformer"], "'transformer' is not one of"),
    (["--data", "/nonexistent/aclImdb.tar.gz"], "does not exist"),
])
def test_train_user_errors_are_one_line(args, message, tmp_path, toy_archive):
    data = [] if "--data" in args else ["--data", toy_archive]
    result = run("train", *data, "--output", tmp_path / "x", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_corrupt_archive_through_cli(tmp_path):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    result = run("train", "--data", bad, "--output", tmp_path / "x")
    assert result.exit_code == 1 and "not a readable .tar.gz" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_every_command_has_help_and_is_in_readme():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for name in main.commands:
        result = run(name, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
        assert f"imdb-sentiment {name}" in readme, f"README does not show `{name}`"
