"""One process of tests/test_distributed.py: fit a small model data-parallel, print the losses."""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"

process, processes, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

from imdb_sentiment import distributed  # noqa: E402

if processes > 1:
    distributed.initialize(f"127.0.0.1:{port}", processes, process)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from imdb_sentiment import Config, build_model  # noqa: E402

keras.utils.set_random_seed(1)
distributed.data_parallel()
model = build_model(Config(max_features=50, maxlen=10, embedding_dim=8, units=8))  # dropout 0.2
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
              metrics=["accuracy"])
rng = np.random.default_rng(0)
x = rng.integers(3, 50, (200, 10)).astype("int32")
y = (x[:, -1] > 25).astype("float32")  # learnable: the last word decides
batches = distributed.ProcessBatches(x, y, 32, process=process, processes=processes, seed=3)
history = model.fit(batches, epochs=3, verbose=0)
print(json.dumps({"process": process, "loss": history.history["loss"]}))
