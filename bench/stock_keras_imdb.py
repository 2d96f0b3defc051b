"""The stock Keras 3 IMDB recipe (Embedding -> SimpleRNN -> Dense, Adam, batch 32, the test set
as validation data) fed pre-encoded ids, as ``keras.datasets.imdb.load_data`` would feed it: the
end-to-end baseline for ``imdb-sentiment train``.

    python -m bench.stock_keras_imdb --ids encoded.npz --epochs 2

``--ids`` is an ``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test`` (imdb-sentiment's
cache file serves: the same reviews, ids and maxlen). Time the whole process from the shell.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

from bench.output import emit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-features", type=int, default=20000)
    options = parser.parse_args()
    with np.load(options.ids) as data:
        x_train, y_train = data["x_train"], data["y_train"]
        x_test, y_test = data["x_test"], data["y_test"]
    keras.utils.set_random_seed(1337)
    model = keras.Sequential([
        keras.Input(shape=(x_train.shape[1],), dtype="int32"),
        keras.layers.Embedding(options.max_features, 128),
        keras.layers.SimpleRNN(128, dropout=0.2, recurrent_dropout=0.2),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=options.epochs,
              validation_data=(x_test, y_test), verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=32, verbose=0)
    emit({"epochs": options.epochs, "test_accuracy": accuracy, "test_loss": loss},
         "stock_keras_imdb")


if __name__ == "__main__":
    main()
