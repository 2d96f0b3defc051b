"""The ``predict`` part: reviews per second through ``Classifier``, from token ids and raw text.

The model is freshly built (untrained weights score at the same speed as trained ones). Each
batch size is warmed up once, so compilation is not counted.
"""

from __future__ import annotations

import numpy as np

from bench.common import Workload
from bench.timing import seconds
from imdb_sentiment import Classifier, Config, Vocabulary, build_model


def classifier_for(workload: Workload, options) -> Classifier:
    config = Config(max_features=options.max_features)
    vocabulary = Vocabulary(tuple(workload.vocabulary), config.max_features)
    return Classifier(build_model(config, fast=not options.baseline), vocabulary, config)


def ids_rate(classifier: Classifier, ids: np.ndarray, batch: int, reviews: int) -> float:
    """Reviews per second of ``predict_ids`` called with ``batch`` reviews at a time."""
    calls = max(1, reviews // batch)
    classifier.predict_ids(ids[:batch])
    _, s = seconds(lambda: [classifier.predict_ids(ids[i * batch:(i + 1) * batch])
                            for i in range(calls)])
    return calls * batch / s


def run(options, workload: Workload) -> dict:
    classifier = classifier_for(workload, options)
    ids = workload.x_test[:, -classifier.config.maxlen:]
    reviews = options.predict_reviews
    from_ids = {str(b): ids_rate(classifier, ids, b, min(reviews, 200 * b))
                for b in options.predict_batches}
    texts = workload.texts[:reviews]
    classifier.predict_proba(texts[:1024])
    _, text_s = seconds(classifier.predict_proba, texts)
    return {"reviews": reviews, "ids_reviews_per_s_by_batch": from_ids,
            "raw_text_reviews_per_s": len(texts) / text_s}
