"""Presets: named configurations, explicit options on top, plans refused rather than faked."""

import dataclasses
import json

import pytest
from click.testing import CliRunner

from imdb_sentiment import Config, UserError
from imdb_sentiment.cli import main
from imdb_sentiment.presets import PRESETS, configure


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_classic_is_the_default_and_overrides_apply():
    assert Config.preset("classic") == Config()
    lstm = Config.preset("classic-lstm")
    assert (lstm.cell, lstm.epochs, lstm.maxlen) == ("lstm", 2, 80)
    nbsvm = Config.preset("nbsvm", c=0.5)
    assert nbsvm.kind == "nbsvm" and nbsvm.c == 0.5
    assert nbsvm.ngrams == PRESETS["nbsvm"].settings["ngrams"]


def test_only_options_given_override_a_preset():
    defaults = Config().to_dict()
    config = configure("nbsvm", {**defaults, "seed": 5, "c": 0.123}, given={"seed"})
    # c has a value, but the user did not give it: the preset's c stays
    assert config.seed == 5 and config.c == PRESETS["nbsvm"].settings["c"]
    assert configure(None, {**defaults, "cell": "gru"}, given=set()).cell == "gru"


@pytest.mark.parametrize("name, message", [
    ("fancy", "unknown preset 'fancy'; the presets are classic, classic-lstm, nbsvm, strong, "
              "best"),
])
def test_unknown_presets_are_refused(name, message, toy_archive, tmp_path):
    with pytest.raises(UserError, match=message):
        Config.preset(name)
    result = run("train", "--preset", name, "--data", toy_archive, "--output", tmp_path / "x")
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


def test_train_command_with_a_preset_and_an_override(toy_archive, tmp_path):
    out = tmp_path / "nbsvm"
    result = run("train", "--preset", "nbsvm", "--ngrams", "1", "--seed", "4",
                 "--data", toy_archive, "--output", out)
    assert result.exit_code == 0, result.output
    assert "Test accuracy:" in result.output and "ECE:" in result.output
    saved = json.loads((out / "config.json").read_text())["config"]
    expected = dataclasses.replace(Config.preset("nbsvm"), ngrams=1, seed=4)
    assert saved == expected.to_dict()


def test_presets_command_lists_every_preset_with_its_figures():
    result = run("presets")
    assert result.exit_code == 0
    for preset in PRESETS.values():
        assert preset.name in result.output
        if preset.measured:
            assert preset.measured in result.output and preset.command in result.output
    assert "(not available yet)" not in result.output


def test_compare_two_kinds(bundle, toy_archive, tmp_path):
    nbsvm = tmp_path / "nbsvm"
    assert run("train", "--preset", "nbsvm", "--data", toy_archive, "--output", nbsvm,
               "-q").exit_code == 0
    out = tmp_path / "curves.png"
    result = CliRunner().invoke(main, ["compare", str(bundle), str(nbsvm), "-o", str(out)],
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = {" ".join(line.split()[:-2]): line.split()[-2:] for line in result.output.splitlines()
            if len(line.split()) >= 3}
    assert rows["kind"] == ["recurrent", "nbsvm"] and "maxlen" in rows  # toy config differs
    assert "ngrams" not in rows  # the same (default) value in both configs
    metrics = json.loads((nbsvm / "metrics.json").read_text())
    assert rows["test accuracy"][1] == f"{metrics['test_accuracy']:.4f}"
    assert out.stat().st_size > 1000
    missing = run("compare", bundle, tmp_path / "nothing")
    assert missing.exit_code == 1 and f"no model bundle at {tmp_path / 'nothing'}" in missing.output


def test_compare_shows_folder_names_as_text(bundle, tmp_path):
    """A bundle folder's name is the user's text: markup in it is shown, never parsed."""
    import shutil

    odd = shutil.copytree(bundle, tmp_path / "[/Spoilers] [b]x")
    result = CliRunner().invoke(main, ["compare", str(bundle), str(odd), "-o",
                                       str(tmp_path / "c.png")], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "[/Spoilers] [b]x" in result.output
