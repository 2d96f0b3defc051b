"""Which members make the ``best`` ensemble: candidates scored on the validation split only.

For one seed, every candidate member is fitted on the same fit rows (the training reviews minus
the validation split drawn with that seed, ``birnn_training.split``) and gives its raw logit on
the validation reviews. Each combination of members is then stacked exactly as the ensemble
stacks (``ensemble.fit_weights``: a logistic regression of the labels on the logits) and scored
by 2-fold cross-validation inside the validation split (weights fitted on one half, accuracy
measured on the other, and back), so that no combination is scored on the rows that fitted its
weights. The test set is not read.

Candidates: ``gru`` (the strong preset's member), ``lstm`` (the same with an LSTM cell),
``gru2`` (the strong preset with another initialisation: the same split and word vectors),
``nb2``/``nb3`` (nbsvm on uni+bigrams / up to trigrams). ``--members`` picks them.

    flock /tmp/cpu.lock .venv/bin/python -m bench.best_members \\
        --data ../shared/data/aclImdb.tar.gz --seed 1337 --save /tmp/best-members-1337.npz

``--refit`` also scores each combination with its nbsvm member refitted after the weights are
fitted: on the fit rows plus the half of the validation rows that fitted the weights, scored on
the other half (what refitting nbsvm on all the training reviews does to the product).

``--save`` keeps every member's validation logits (``.npz``), and ``--load`` scores them again
without training; ``--set key=value`` changes a setting of the strong preset, as in
``bench.strong``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
import time
from dataclasses import replace

import numpy as np

from bench.output import emit

RNN_MEMBERS = ("gru", "lstm", "gru2")
LINEAR_MEMBERS = ("nb2", "nb3")
REFIT = "_refit"  # the logits of a linear member refitted with half the validation rows


def rnn_logits(imdb, config, name: str) -> tuple[np.ndarray, float]:
    import keras

    from imdb_sentiment.models import birnn_training, kind_class

    if name == "lstm":
        config = replace(config, cell="lstm")
    start = time.perf_counter()
    if name == "gru2":
        # another initialisation of the same network: the seed picks the split and the word
        # vectors, so only the weights' draw is moved (set_random_seed after training set-up)
        original = keras.utils.set_random_seed
        birnn_training.keras.utils.set_random_seed = lambda seed: original(seed + 7919)
        try:
            model = kind_class("birnn").train(imdb.train, imdb.test, config, verbose=2,
                                              unsup_source=imdb.source)
        finally:
            birnn_training.keras.utils.set_random_seed = original
    else:
        model = kind_class("birnn").train(imdb.train, imdb.test, config, verbose=2,
                                          unsup_source=imdb.source)
    return model.kind_model.validation[1], time.perf_counter() - start


def halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The two halves of the validation rows (positions in them) that stacking is scored on."""
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2:]


def linear_logits(imdb, config, fit_rows, val_rows, ngrams: int,
                  refit: bool) -> tuple[np.ndarray, np.ndarray | None, float]:
    """nbsvm's logits on the validation rows, fitted on the fit rows; with ``refit`` also its
    logits on each half of them when fitted on the fit rows and the other half: what refitting
    the member on more reviews (those its stacking weights were fitted on) would give."""
    from imdb_sentiment.models.linear import NBSVM
    from imdb_sentiment.text import tokenize

    start = time.perf_counter()
    tokens = [tokenize(t) for t in imdb.train.texts]
    labels = np.asarray(imdb.train.labels)
    settings = replace(config, kind="nbsvm", ngrams=ngrams, calibration="none")

    def fitted(rows, scored):
        nbsvm = NBSVM.fit([tokens[i] for i in rows], labels[rows], settings)
        return nbsvm.decision(nbsvm.vocabulary.transform([tokens[i] for i in scored]))

    z = fitted(fit_rows, val_rows)
    refitted = None
    if refit:
        refitted = np.zeros_like(z)
        for held, other in (halves(len(val_rows), config.seed),
                            halves(len(val_rows), config.seed)[::-1]):
            refitted[held] = fitted(np.concatenate([fit_rows, val_rows[other]]), val_rows[held])
    return z, refitted, time.perf_counter() - start


def cross_validated(logits: np.ndarray, labels: np.ndarray, seed: int,
                    held_logits: np.ndarray | None = None) -> tuple[float, float]:
    """``(accuracy, log loss)`` of the stacked members, weights fitted on one half of the rows
    and measured on the other, both ways (with the members' ``held_logits`` there, if given).
    The loss is the less noisy of the two: it counts how sure each answer was, not only which
    side of 0.5 it fell on."""
    from scipy.special import log_expit

    from imdb_sentiment.models.ensemble import fit_weights

    held_logits = logits if held_logits is None else held_logits
    correct, loss = 0, 0.0
    for fit, held in (halves(len(labels), seed), halves(len(labels), seed)[::-1]):
        weights, bias = fit_weights(logits[fit], labels[fit])
        z = held_logits[held] @ weights + bias
        correct += int(((z >= 0) == labels[held]).sum())
        loss -= float(np.where(labels[held] == 1, log_expit(z), log_expit(-z)).sum())
    return correct / len(labels), loss / len(labels)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--members", nargs="+", default=["gru", "gru2", "lstm", "nb2", "nb3"])
    parser.add_argument("--set", dest="settings", action="append", default=[],
                        help="key=value over the strong preset's settings (bench.strong's)")
    parser.add_argument("--refit", action="store_true",
                        help="also score nbsvm refitted on the rows its weights were fitted on")
    parser.add_argument("--save")
    parser.add_argument("--load")
    args = parser.parse_args(argv)
    report = {"seed": args.seed, "seconds": {}}
    if args.load:
        saved = np.load(args.load, allow_pickle=False)
        logits = {k: saved[k] for k in saved.files if k != "labels"}
        labels = saved["labels"]
    else:
        from imdb_sentiment import Config, load_imdb
        from imdb_sentiment.data import ImdbData
        from imdb_sentiment.models.birnn_training import split

        imdb = load_imdb(args.data)
        imdb = ImdbData(train=imdb.train, test=imdb.test.take([]), source=imdb.source)
        from bench.strong import parse_settings

        config = Config.preset("strong", seed=args.seed, **parse_settings(args.settings))
        fit_rows, val_rows = split(len(imdb.train), config)
        labels = np.asarray(imdb.train.labels)[val_rows]
        logits = {}
        with contextlib.redirect_stdout(sys.stderr):
            for name in args.members:
                if name in RNN_MEMBERS:
                    logits[name], seconds = rnn_logits(imdb, config, name)
                else:
                    logits[name], refitted, seconds = linear_logits(
                        imdb, config, fit_rows, val_rows, int(name[2:]), args.refit)
                    if refitted is not None:
                        logits[name + REFIT] = refitted
                report["seconds"][name] = seconds
                print(f"{name}: validation accuracy {((logits[name] >= 0) == labels).mean():.4f}"
                      f" in {seconds:.0f} s", file=sys.stderr, flush=True)
                if args.save:
                    np.savez(args.save, labels=labels, **logits)
    names = [name for name in logits if not name.endswith(REFIT)]
    report["members"] = {n: float(((logits[n] >= 0) == labels).mean()) for n in names}
    report["correlation"] = {f"{a}~{b}": float(np.corrcoef(logits[a], logits[b])[0, 1])
                             for a, b in itertools.combinations(names, 2)}
    accuracy, loss = {}, {}
    for size in range(1, len(names) + 1):
        for combo in itertools.combinations(names, size):
            stacked = np.stack([logits[n] for n in combo], axis=1)
            name = "+".join(combo)
            accuracy[name], loss[name] = cross_validated(stacked, labels, args.seed)
            if any(n + REFIT in logits for n in combo):
                held = np.stack([logits.get(n + REFIT, logits[n]) for n in combo], axis=1)
                name += " (nbsvm refitted)"
                accuracy[name], loss[name] = cross_validated(stacked, labels, args.seed, held)
    report["stacked_cv_accuracy"] = dict(sorted(accuracy.items(), key=lambda kv: -kv[1]))
    report["stacked_cv_log_loss"] = dict(sorted(loss.items(), key=lambda kv: kv[1]))
    report["val_reviews"] = len(labels)
    return emit(report, "best_members", argv)


if __name__ == "__main__":
    main()
