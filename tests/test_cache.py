"""The encoded-data cache: same arrays back, a new file for any new key input, damage detected."""

import dataclasses

import numpy as np
import pytest

from imdb_sentiment import cache
from imdb_sentiment.cli import main
from imdb_sentiment.config import Config
from imdb_sentiment.data import load_imdb


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("IMDB_SENTIMENT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def counting_build(source, config, calls):
    def build():
        calls.append(config)
        return cache.encode_data(load_imdb(source), config)
    return build


def assert_same(a, b):
    assert a.vocabulary == b.vocabulary
    for name in cache.ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype


def test_second_load_reads_no_archive_and_gives_the_same_arrays(toy_archive, cache_folder):
    config, calls = Config(max_features=50, maxlen=10), []
    first = cache.load_or_build(toy_archive, config, counting_build(toy_archive, config, calls))
    second = cache.load_or_build(toy_archive, config, counting_build(toy_archive, config, calls))
    assert len(calls) == 1
    assert_same(first, second)
    assert_same(first, cache.encode_data(load_imdb(toy_archive), config))


@pytest.mark.parametrize("change", [dict(max_features=40), dict(maxlen=12),
                                    dict(validation_split=0.2), "archive", "tokenizer"])
def test_any_key_input_change_rebuilds(change, toy_archive, cache_folder, tmp_path, monkeypatch):
    config, calls = Config(max_features=50, maxlen=10), []
    cache.load_or_build(toy_archive, config, counting_build(toy_archive, config, calls))
    source = toy_archive
    if change == "archive":  # same name, other content
        data = toy_archive.read_bytes()
        source = tmp_path / "copy.tar.gz"
        source.write_bytes(data)
        cache.load_or_build(source, config, counting_build(source, config, calls))
        assert len(calls) == 1  # same content elsewhere: same key
        source.write_bytes(data + b"\0" * 512)  # a tar ends in zero blocks: still readable
    elif change == "tokenizer":
        monkeypatch.setattr(cache, "TOKENIZER_VERSION", 99)
    else:
        config = dataclasses.replace(config, **change)
    cache.load_or_build(source, config, counting_build(source, config, calls))
    assert len(calls) == 2


def test_seed_matters_only_with_a_validation_split(toy_archive):
    a, b = Config(seed=1), Config(seed=2)
    assert cache.key(toy_archive, a) == cache.key(toy_archive, b)
    split = dict(validation_split=0.25)
    assert (cache.key(toy_archive, Config(seed=1, **split))
            != cache.key(toy_archive, Config(seed=2, **split)))


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_damaged_file_is_detected_and_rebuilt(damage, toy_archive, cache_folder):
    config, calls = Config(max_features=50, maxlen=10), []
    good = cache.load_or_build(toy_archive, config, counting_build(toy_archive, config, calls))
    path = cache.path_for(cache.key(toy_archive, config))
    data = bytearray(path.read_bytes())
    if damage == "flip":  # one bit inside the stored arrays: the zip stays readable
        with np.load(path) as npz:
            x = npz["x_train"]
        offset = data.find(x.tobytes()[:64])
        assert offset > 0
        data[offset + 3] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray(b"not a zip file")
    path.write_bytes(bytes(data))
    assert cache.read(path, cache.key(toy_archive, config)) is None
    notes = []
    again = cache.load_or_build(toy_archive, config, counting_build(toy_archive, config, calls),
                                note=notes.append)
    assert len(calls) == 2 and "failed its check" in notes[0]
    assert_same(good, again)
    assert cache.read(path, cache.key(toy_archive, config)) is not None


def test_cache_commands(toy_archive, cache_folder):
    from click.testing import CliRunner

    runner = CliRunner()
    result = runner.invoke(main, ["data", "--data", str(toy_archive)])
    assert result.exit_code == 0, result.output
    config = Config(max_features=50, maxlen=10)
    cache.load_or_build(toy_archive, config, lambda: cache.encode_data(load_imdb(toy_archive),
                                                                       config))
    info = runner.invoke(main, ["cache", "info"])
    assert info.exit_code == 0 and ".npz" in info.output and "in all" in info.output
    again = runner.invoke(main, ["data", "--data", str(toy_archive)])
    assert again.output == result.output
    cleared = runner.invoke(main, ["cache", "clear"])
    assert cleared.exit_code == 0 and "Freed" in cleared.output
    assert not list((cache_folder / "encoded").glob("*.npz"))


def test_second_data_and_train_commands_read_no_archive(toy_archive, cache_folder, tmp_path,
                                                        monkeypatch):
    from click.testing import CliRunner

    import imdb_sentiment.data

    runner = CliRunner()
    args = ["--data", str(toy_archive)]
    assert runner.invoke(main, ["data", *args]).exit_code == 0
    config = Config(max_features=50, maxlen=10)
    cache.load_or_build(toy_archive, config, lambda: cache.encode_data(load_imdb(toy_archive),
                                                                       config))

    def no_reading(*args, **kwargs):
        raise AssertionError("the archive was read again")

    monkeypatch.setattr(imdb_sentiment.data, "load_imdb", no_reading)
    assert runner.invoke(main, ["data", *args]).exit_code == 0
    assert cache.load_or_build(toy_archive, config, no_reading).x_train.shape[1] == 10
