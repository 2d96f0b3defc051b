"""Tiny aclImdb-shaped datasets built on the spot, and one tiny trained model for the session."""

from __future__ import annotations

import io
import os
import random
import tarfile
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
# train() caches compiled programs under $IMDB_SENTIMENT_CACHE/xla: not in the user's cache
os.environ["IMDB_SENTIMENT_CACHE"] = tempfile.mkdtemp(prefix="imdb-sentiment-tests-")

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "aclImdb.tar.gz"


def pytest_addoption(parser):
    parser.addoption("--real-data", action="store_true",
                     help="also run the tests marked real_data (they train on the real archive)")


def pytest_collection_modifyitems(config, items):
    """Training on the real archive is opt-in (`make test-real`): not in every CI run."""
    if config.getoption("--real-data"):
        return
    skip = pytest.mark.skip(reason="trains on the real archive: opt in with --real-data "
                                   "(make test-real)")
    for item in items:
        if "real_data" in item.keywords:
            item.add_marker(skip)

POSITIVE = ["good", "great", "wonderful", "excellent", "loved"]
NEGATIVE = ["bad", "awful", "terrible", "boring", "hated"]
NEUTRAL = ["the", "movie", "film", "plot", "actor", "was", "a", "and", "it", "scene"]


def toy_review(rng: random.Random, label: int, length: int = 12) -> str:
    """A review whose sentiment words all agree with ``label``; the rest is filler."""
    words = [rng.choice(NEUTRAL) for _ in range(length)]
    for _ in range(3):
        words[rng.randrange(length)] = rng.choice(POSITIVE if label else NEGATIVE)
    return " ".join(words).capitalize() + ".<br /><br />" + rng.choice(["!", "?", ""])


def toy_reviews(n_per_label: int, seed: int):
    """{(split, label_dir): [(id, rating, text)]} for train and test."""
    rng = random.Random(seed)
    out = {}
    for split in ("train", "test"):
        for label_dir, label in (("neg", 0), ("pos", 1)):
            out[split, label_dir] = [
                (i, rng.choice([7, 8, 9, 10] if label else [1, 2, 3, 4]), toy_review(rng, label))
                for i in range(n_per_label)
            ]
    return out


def write_archive(path: Path, reviews, *, unsup: int = 3) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        def add(name: str, text: str):
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("aclImdb/README", "toy")
        add("aclImdb/imdb.vocab", "the\nmovie\n")
        for (split, label_dir), items in reviews.items():
            for review_id, rating, text in items:
                add(f"aclImdb/{split}/{label_dir}/{review_id}_{rating}.txt", text)
        for i in range(unsup):
            add(f"aclImdb/train/unsup/{i}_0.txt", "unsup unlabeled words never counted")
    return path


def write_folder(root: Path, reviews) -> Path:
    for (split, label_dir), items in reviews.items():
        folder = root / "aclImdb" / split / label_dir
        folder.mkdir(parents=True, exist_ok=True)
        for review_id, rating, text in items:
            (folder / f"{review_id}_{rating}.txt").write_text(text, encoding="utf-8")
    return root / "aclImdb"


@pytest.fixture(scope="session")
def toy_data():
    return toy_reviews(100, seed=0)


@pytest.fixture(scope="session")
def toy_archive(tmp_path_factory, toy_data) -> Path:
    return write_archive(tmp_path_factory.mktemp("data") / "aclImdb_v1.tar.gz", toy_data)


@pytest.fixture(scope="session")
def tiny_config():
    from imdb_sentiment import Config

    return Config(max_features=40, maxlen=16, embedding_dim=8, units=8, batch_size=16,
                  epochs=6, learning_rate=0.05, seed=7)


@pytest.fixture(scope="session")
def trained(toy_archive, tiny_config):
    """A tiny model that has learned the toy set ("good" positive, "bad" negative)."""
    from imdb_sentiment import load_imdb, train

    imdb = load_imdb(toy_archive)
    return train(imdb.train, imdb.test, tiny_config, verbose=0)


@pytest.fixture(scope="session")
def bundle(trained, tmp_path_factory) -> Path:
    return trained.save(tmp_path_factory.mktemp("bundles") / "toy")
