"""The training parts: samples per second of ``model.fit``, exactly as ``training.train`` calls it.

Each measurement builds a fresh model with ``build_model(Config(...))`` and calls ``fit`` twice on
the same number of samples: the first call includes tracing and XLA compilation, the second is
the steady rate. With ``--steps 0`` each call is a full epoch of the training split; otherwise
``--steps`` batches, and seconds per epoch are extrapolated to 25,000 reviews. The test pass that
``train`` runs after every epoch is timed apart, at its own batch size.

As in ``train``, malloc keeps freed memory (``runtime.py``); unlike ``train``, no compilation
cache, so that the first call's compilation is measured cold. ``--baseline`` measures Keras's own
recurrent layers with malloc as it comes: the state before ``recurrent.py`` and ``runtime.py``;
``--embedding-update lazy`` trains with ``lazy_embedding.py``'s row-sparse Adam.
"""

from __future__ import annotations

from dataclasses import replace

import keras

from bench.common import TEST_REVIEWS, TRAIN_REVIEWS, Workload
from bench.timing import seconds
from imdb_sentiment import Config, build_model
from imdb_sentiment.model import compile_model
from imdb_sentiment.runtime import keep_freed_memory
from imdb_sentiment.training import EVAL_BATCH


def fit_rate(workload: Workload, config: Config, steps: int,
             baseline: bool = False) -> tuple[keras.Model, dict]:
    """Time ``fit`` for ``steps`` batches (0: the whole training split), first call and steady."""
    if not baseline:
        keep_freed_memory()
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, fast=not baseline)
    model = compile_model(model, config if not baseline else replace(config,
                                                                     embedding_update="dense"))
    x = workload.x_train[:, -config.maxlen:]
    n = min(len(x), config.batch_size * steps) if steps else len(x)
    x, y = x[:n], workload.y_train[:n]
    fit = dict(batch_size=config.batch_size, epochs=1, verbose=0)
    _, first_s = seconds(model.fit, x, y, **fit)
    _, steady_s = seconds(model.fit, x, y, **fit)
    layer = type(model.get_layer(config.cell))
    figures = {
        "recurrent_layer": f"{layer.__module__}.{layer.__name__}",
        "samples": n,
        "first_call_s": first_s,
        "compile_s": max(0.0, first_s - steady_s),
        "samples_per_s": n / steady_s,
        "ms_per_step": steady_s / -(-n // config.batch_size) * 1e3,
        "epoch_s": TRAIN_REVIEWS * steady_s / n,
    }
    return model, figures


def test_pass_s(model: keras.Model, workload: Workload, reviews: int) -> float:
    """Seconds of the per-epoch test evaluation, extrapolated to 25,000 reviews if fewer."""
    x = workload.x_test[:reviews, -model.input_shape[1]:]
    y = workload.y_test[:reviews]
    last = len(x) % EVAL_BATCH or EVAL_BATCH  # compile both batch shapes before timing
    model.evaluate(x[: EVAL_BATCH + last], y[: EVAL_BATCH + last], batch_size=EVAL_BATCH,
                   verbose=0)
    _, s = seconds(model.evaluate, x, y, batch_size=EVAL_BATCH, verbose=0)
    return s * TEST_REVIEWS / len(x)


def run_cell(options, workload: Workload, cell: str) -> dict:
    """The classic configuration of ``cell`` (maxlen 80, batch 32, dropout 0.2 and 0.2)."""
    config = Config(cell=cell, max_features=options.max_features,
                    embedding_update=options.embedding_update)
    model, figures = fit_rate(workload, config, options.steps, options.baseline)
    figures["test_pass_s"] = test_pass_s(model, workload, options.eval_reviews)
    figures["epoch_with_test_pass_s"] = figures["epoch_s"] + figures["test_pass_s"]
    return {"cell": cell, "maxlen": config.maxlen, "batch_size": config.batch_size,
            "embedding_update": config.embedding_update, "steps": options.steps or "epoch",
            **figures}


def run_scale(options, workload: Workload) -> dict:
    """SimpleRNN samples per second over maxlen x batch size, a fixed number of samples each."""
    rows = []
    for maxlen in options.scale_maxlens:
        for batch in options.scale_batches:
            config = Config(maxlen=maxlen, batch_size=batch, max_features=options.max_features,
                            embedding_update=options.embedding_update)
            steps = max(2, options.scale_samples // batch)
            _, figures = fit_rate(workload, config, steps, options.baseline)
            rows.append({"maxlen": maxlen, "batch_size": batch, "samples": figures["samples"],
                         "samples_per_s": figures["samples_per_s"],
                         "compile_s": figures["compile_s"]})
    return {"cell": "simple_rnn", "rows": rows}
