"""imdb-sentiment: train and use sentiment classifiers on IMDB movie reviews.

    from imdb_sentiment import Config, load_imdb, open_labeled, train, Classifier
    imdb = load_imdb("aclImdb_v1.tar.gz")
    classifier = train(imdb.train, imdb.test, Config(cell="lstm"))
    classifier.save("runs/lstm")
    Classifier.load("runs/lstm").predict("A wonderful, moving film.")
    train(imdb.train, imdb.test, Config.preset("nbsvm"))  # presets.py
    mine = open_labeled("labeled.csv", text_column="review", label_column="sentiment")
    train(*mine.stratified_split(0.1, seed=1337), Config())  # labeled.py: your own data

Keras runs on JAX unless KERAS_BACKEND says otherwise. Heavy modules load on first use, so the
command line starts quickly.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

__version__ = "0.1.0"

_EXPORTS = {
    "Config": "config",
    "LABELS": "config",
    "UserError": "errors",
    "load_imdb": "data",
    "iter_reviews": "data",
    "LabeledTexts": "data",
    "open_labeled": "labeled",
    "LabeledFile": "labeled",
    "tokenize": "text",
    "Vocabulary": "text",
    "pad": "text",
    "build_model": "model",
    "train": "training",
    "Classifier": "classifier",
    "Prediction": "classifier",
    "Explanation": "classifier",
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
