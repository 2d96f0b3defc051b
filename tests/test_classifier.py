"""The Python API on the tiny toy model: predict, explain, save/load round trip."""

import random

import numpy as np
import pytest

from conftest import NEGATIVE, NEUTRAL, POSITIVE
from imdb_sentiment import Classifier, Config, Explanation, Prediction, train
from imdb_sentiment.data import LabeledTexts

REVIEWS = ["the movie was good", "the movie was bad", "great plot, wonderful actor",
           "awful and boring", "", "the film"]


def test_single_and_batch_predictions_agree(trained):
    batch = trained.predict(REVIEWS)
    single = [trained.predict(text) for text in REVIEWS]
    # one row or six in a forward pass: the same labels, probabilities equal to float precision
    assert [p.label for p in single] == [p.label for p in batch]
    assert np.allclose([p.probability for p in single], [p.probability for p in batch], atol=1e-6)
    assert all(isinstance(p, Prediction) for p in batch)
    assert np.allclose(trained.predict_proba(REVIEWS), [p.probability for p in batch])
    assert [p.label for p in batch[:4]] == ["positive", "negative", "positive", "negative"]
    for p in batch:
        assert (p.label == "positive") == (p.probability >= 0.5)


def test_predictions_survive_save_and_load(trained, bundle):
    from imdb_sentiment.serve.model_info import content_hash

    loaded = Classifier.load(bundle)
    assert content_hash(loaded) == content_hash(trained)  # every weight back, bit for bit
    # the loaded model scores in NumPy (models/numpy_rnn.py): sums in another order than XLA's
    ours, theirs = loaded.predict(REVIEWS), trained.predict(REVIEWS)
    assert [p.label for p in ours] == [p.label for p in theirs]
    assert np.allclose([p.probability for p in ours], [p.probability for p in theirs],
                       atol=1e-5, rtol=0)
    assert loaded.vocabulary == trained.vocabulary and loaded.config == trained.config


def contrast_reviews(n: int, seed: int) -> LabeledTexts:
    """Reviews of three kinds in turn: negative words, positive words, or filler only with a
    coin-flip label, so that filler alone means 0.5 and each sentiment word moves it.

    (The session's toy set has sentiment words in every review, so a model may learn "negative
    when a negative word is there, else positive"; then hiding "good" changes nothing.)
    """
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        kind = i % 3  # 0 negative, 1 positive, 2 neutral
        words = [rng.choice(NEUTRAL) for _ in range(rng.randrange(3, 10))]
        for _ in range(rng.randrange(1, 3) if kind < 2 else 0):
            words.insert(rng.randrange(len(words) + 1), rng.choice([NEGATIVE, POSITIVE][kind]))
        texts.append(" ".join(words))
        labels.append(kind if kind < 2 else rng.randrange(2))
    return LabeledTexts(texts, np.array(labels, np.int8), [str(i) for i in range(n)],
                        np.zeros(n, np.int8))


@pytest.fixture(scope="module")
def contrast_model():
    config = Config(max_features=40, maxlen=16, embedding_dim=8, units=8, dropout=0.0,
                    recurrent_dropout=0.0, batch_size=16, epochs=6, learning_rate=0.02, seed=7)
    return train(contrast_reviews(600, 1), contrast_reviews(60, 2), config, verbose=0)


def test_explain_ranks_the_sentiment_word_first(contrast_model):
    explanation = contrast_model.explain("the movie was good")
    assert isinstance(explanation, Explanation)
    assert [t.token for t in explanation.tokens] == ["the", "movie", "was", "good"]
    assert explanation.prediction == contrast_model.predict("the movie was good")
    assert explanation.prediction.label == "positive"
    top = explanation.top(1)[0]
    assert top.token == "good" and top.contribution > 0.1
    bad = contrast_model.explain("the movie was bad").top(1)[0]
    assert bad.token == "bad" and bad.contribution < -0.1


def test_batched_explain_equals_one_at_a_time(trained):
    texts = ["the movie was good", "", "awful awful plot", "the film " * 20 + "great"]
    batched = trained.explain(texts)
    for text, together in zip(texts, batched, strict=True):
        alone = trained.explain(text)
        assert [t.token for t in alone.tokens] == [t.token for t in together.tokens]
        assert np.allclose([t.contribution for t in alone.tokens],
                           [t.contribution for t in together.tokens], atol=1e-6)


def test_long_text_marks_the_unseen_part_and_empty_text_gives_the_prior(trained):
    maxlen = trained.config.maxlen
    words = ["good"] * 5 + ["the"] * (maxlen + 5)
    explanation = trained.explain(" ".join(words))
    seen = [t.seen for t in explanation.tokens]
    # the window holds the last maxlen ids of [start, tokens...]: the last maxlen tokens
    assert seen == [False] * (len(words) - maxlen) + [True] * maxlen
    window = trained.encode([" ".join(words)])[0]
    assert trained.vocabulary.words[window[0] - 3] == words[-maxlen]  # start marker cut off
    fits = trained.explain(" ".join(words[-(maxlen - 1):]))  # maxlen - 1 tokens + start fit
    assert all(t.seen for t in fits.tokens)
    assert all(t.contribution == 0.0 for t in explanation.tokens if not t.seen)

    empty = trained.explain("")
    assert empty.tokens == [] and empty.top() == []
    # no words at all: the model sees only the start marker
    assert empty.prediction == trained.predict("") == trained.predict("!!! ...")


def test_integrated_gradients_rank_the_sentiment_word(contrast_model):
    explanation = contrast_model.explain("the movie was good", method="integrated_gradients")
    assert explanation.top(1)[0].token == "good" and explanation.top(1)[0].contribution > 0.1
    batched = contrast_model.explain(["good", "bad"], method="integrated_gradients")
    assert [e.top(1)[0].token for e in batched] == ["good", "bad"]


def completeness_error(model, window, baseline, gradients) -> float:
    """|sum of the attributions - (P(window) - P(baseline))| for one review."""
    target = model.predict(np.concatenate([window, baseline]), verbose=0)[:, 0]
    return abs(float(gradients(window, baseline).sum()) - float(target[0] - target[1]))


def fixed_model(scale: float):
    """A small SimpleRNN classifier whose weights the test sets (no training, no CPU-dependent
    optimisation path): N(0, scale) everywhere. scale 0.5 gives a smooth path; scale 1 a
    path whose probability turns sharply, where a uniform grid of points fails."""
    from imdb_sentiment import build_model

    model = build_model(Config(max_features=40, maxlen=16, embedding_dim=8, units=8,
                               dropout=0.0, recurrent_dropout=0.0))
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, scale, w.shape).astype("float32")
                       for w in model.get_weights()])
    window = np.array([[0] * 4 + list(range(3, 15))], dtype=np.int32)
    return model, window, np.zeros_like(window)


def test_uniform_integration_error_shrinks_with_steps():
    from imdb_sentiment.gradients import SEGMENTS, IntegratedGradients

    model, window, baseline = fixed_model(0.5)
    errors = [completeness_error(model, window, baseline,
                                 IntegratedGradients(model, max_depth=0, points=points))
              for points in (1, 4, 16)]  # 8, 32 and 128 midpoints in all
    assert SEGMENTS == 8
    # the midpoint rule's error falls as 1/steps^2 on a smooth path (16x for 4x the steps): ask
    # for 8x, far above float32 rounding (~1e-6 here)
    assert errors[0] > 1e-3, "the fixed model is too flat to show anything"
    assert errors[1] < errors[0] / 8 and errors[2] < errors[1] / 8, errors


@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_adaptive_integration_meets_its_tolerance_where_a_uniform_grid_fails(scale):
    from imdb_sentiment.gradients import TOLERANCE, IntegratedGradients

    model, window, baseline = fixed_model(scale)
    if scale == 1.0:  # the sharp turn: even 256 uniform points miss by far more than TOLERANCE
        uniform = IntegratedGradients(model, max_depth=0, points=32)
        assert completeness_error(model, window, baseline, uniform) > 10 * TOLERANCE
    # each kept segment meets tolerance x its width, so the review meets TOLERANCE; 1e-4 more
    # for float32 rounding of the ~100 segment sums
    adaptive = IntegratedGradients(model)
    assert completeness_error(model, window, baseline, adaptive) <= TOLERANCE + 1e-4


def test_integrated_gradients_add_up_on_a_trained_model(contrast_model):
    """The classifier's explanations meet completeness within the tolerance, also on a long review
    whose probability turns sharply on the path (64 uniform points missed it by 0.12)."""
    from imdb_sentiment.gradients import TOLERANCE

    maxlen = contrast_model.config.maxlen
    for text in ("the movie was good", "awful boring film",
                 "the plot was bad but " + "the actor was great " * 5):
        explained = contrast_model.explain(text, method="integrated_gradients")
        n_seen = sum(t.seen for t in explained.tokens)
        baseline = contrast_model.encode([text])
        baseline[0, maxlen - n_seen:] = 0  # every seen token hidden
        target = explained.prediction.probability - contrast_model.predict_ids(baseline)[0]
        total = sum(t.contribution for t in explained.tokens)
        assert total == pytest.approx(target, abs=TOLERANCE + 1e-4)


def test_explain_methods_match_the_command_line():
    from imdb_sentiment.classifier import EXPLAIN_METHODS
    from imdb_sentiment.cli import predict

    method = next(p for p in predict.params if p.name == "method")
    assert tuple(method.type.choices) == EXPLAIN_METHODS
