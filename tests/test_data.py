import gzip
import hashlib

import pytest

from conftest import write_archive, write_folder
from imdb_sentiment import LABELS, UserError, iter_reviews, load_imdb
from imdb_sentiment.data import download_file, resolve_data_path


def test_archive_reads_labels_ratings_ids_and_ignores_unsup(toy_archive, toy_data):
    imdb = load_imdb(toy_archive)
    assert len(imdb.train) == len(imdb.test) == 200
    # label 0 is neg/, label 1 is pos/, and LABELS names them in that order
    assert LABELS == ("negative", "positive")
    for split, labeled in (("train", imdb.train), ("test", imdb.test)):
        for text, label, review_id, rating in zip(labeled.texts, labeled.labels, labeled.ids,
                                                  labeled.ratings, strict=True):
            label_dir = {0: "neg", 1: "pos"}[int(label)]
            assert review_id.startswith(f"{split}/{label_dir}/")
            number = int(review_id.rsplit("/", 1)[1])
            assert (number, int(rating), text) in toy_data[split, label_dir]
            assert (rating >= 7) == bool(label)
    assert not any("unsup" in t for t in imdb.train.texts)


def test_folder_and_archive_agree(tmp_path, toy_archive, toy_data):
    folder = write_folder(tmp_path, toy_data)
    a, b = load_imdb(toy_archive), load_imdb(folder)
    assert a.train.texts == b.train.texts and a.test.ids == b.test.ids
    assert (a.train.labels == b.train.labels).all()
    # the parent of aclImdb/ works too
    assert load_imdb(tmp_path).test.texts == a.test.texts


def test_environment_variable_points_at_data(monkeypatch, toy_archive):
    monkeypatch.setenv("IMDB_SENTIMENT_DATA", str(toy_archive))
    assert resolve_data_path() == toy_archive
    assert len(load_imdb().train) == 200


def test_review_records(toy_archive):
    review = next(iter_reviews(toy_archive))
    assert review.split in ("train", "test") and review.label in (0, 1)
    assert isinstance(review.id, int) and 1 <= review.rating <= 10


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.tar.gz", "does not exist"),
    (lambda p: _write(p / "a.tar.gz", b"not gzip at all"), "not a readable .tar.gz"),
    (lambda p: _write(p / "b.tar.gz", gzip.compress(b"gzip but not tar" * 40)),
     "not a readable .tar.gz"),
    (lambda p: p, "has no train reviews"),  # an empty folder: no aclImdb layout
])
def test_bad_data_paths(tmp_path, make, message):
    with pytest.raises(UserError, match=message):
        load_imdb(make(tmp_path))


def test_truncated_archive(tmp_path, toy_data):
    whole = write_archive(tmp_path / "whole.tar.gz", toy_data).read_bytes()
    cut = _write(tmp_path / "cut.tar.gz", whole[: len(whole) // 2])
    with pytest.raises(UserError, match="not a readable .tar.gz"):
        load_imdb(cut)


def test_archive_without_test_split(tmp_path, toy_data):
    only_train = {k: v for k, v in toy_data.items() if k[0] == "train"}
    with pytest.raises(UserError, match="no test reviews"):
        load_imdb(write_archive(tmp_path / "t.tar.gz", only_train))


def test_download_verifies_checksum_before_moving_into_place(tmp_path, toy_archive):
    url = toy_archive.as_uri()
    good = hashlib.sha256(toy_archive.read_bytes()).hexdigest()
    dest = tmp_path / "cache" / "aclImdb_v1.tar.gz"
    with pytest.raises(UserError, match="checksum mismatch"):
        download_file(url, dest, "0" * 64, progress=False)
    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []  # nothing half-written
    download_file(url, dest, good, progress=False)
    assert dest.read_bytes() == toy_archive.read_bytes()


def test_missing_data_downloads_into_cache(tmp_path, monkeypatch, toy_archive):
    import imdb_sentiment.data as data

    monkeypatch.delenv("IMDB_SENTIMENT_DATA", raising=False)
    monkeypatch.setenv("IMDB_SENTIMENT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "URL", toy_archive.as_uri())
    monkeypatch.setattr(data, "SHA256", hashlib.sha256(toy_archive.read_bytes()).hexdigest())
    path = resolve_data_path()
    assert path == tmp_path / "cache" / "aclImdb_v1.tar.gz" and path.is_file()
    assert resolve_data_path() == path  # cached: no second download


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
