"""The ``data`` part: read the archive, tokenize and encode the 50,000 labeled reviews.

Writes the workload (``common.Workload``) for the other parts. Without the archive it writes
synthetic ids of the same shapes instead and says so.
"""

from __future__ import annotations

from pathlib import Path

from bench.common import MAXLEN, Workload, synthetic_workload
from bench.timing import seconds
from imdb_sentiment import Vocabulary, load_imdb, tokenize


def real_workload(archive: Path, max_features: int) -> tuple[Workload, dict]:
    """Time each step of turning the archive into token ids, as ``training.train`` does it."""
    imdb, read_s = seconds(load_imdb, archive)
    texts = imdb.train.texts + imdb.test.texts
    tokens, tokenize_s = seconds(lambda: [tokenize(t) for t in texts])
    vocabulary, vocabulary_s = seconds(Vocabulary.from_tokens, tokens[: len(imdb.train)],
                                       max_features)
    ids, encode_s = seconds(lambda: vocabulary.encode_token_lists(tokens, MAXLEN))
    n = len(imdb.train)
    labels = [split.labels.astype("float32") for split in (imdb.train, imdb.test)]
    workload = Workload(ids[:n], labels[0], ids[n:], labels[1], imdb.test.texts,
                        list(vocabulary.words), f"real: {imdb.source}")
    figures = {
        "reviews": len(texts),
        "read_archive_s": read_s,
        "tokenize_s": tokenize_s,
        "build_vocabulary_s": vocabulary_s,
        "encode_s": encode_s,
        "tokenize_and_encode_s": tokenize_s + vocabulary_s + encode_s,
        "reviews_per_s": len(texts) / (tokenize_s + encode_s),
    }
    return workload, figures


def run(options, workdir: Path) -> dict:
    if options.archive:
        workload, figures = real_workload(Path(options.archive), options.max_features)
    else:
        n = options.synthetic_reviews
        workload = synthetic_workload(n, n, options.max_features)
        figures = {"reviews": 2 * n}
    workload.save(workdir)
    return {"source": workload.source, **figures}
