"""Interrupted training: a run killed with SIGKILL during epoch 2 of 3 and resumed ends exactly
where an uninterrupted run ends; Ctrl-C stops after the step under way, keeps the finished
epochs, says how to resume, exits 130."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")
TESTS = str(Path(__file__).resolve().parent)

# Trains the tiny config; mode "kill" sends itself SIGKILL (or SIGINT) at step 4 of epoch 2.
SCRIPT = """
import json, os, signal, sys
from pathlib import Path
import keras, numpy as np
from imdb_sentiment import Config, load_imdb
from imdb_sentiment.training import train
mode, data, folder, split = sys.argv[1], sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
config = Config(max_features=40, maxlen=16, embedding_dim=8, units=8, batch_size=16, epochs=3,
                learning_rate=0.05, seed=7, validation_split=split, patience=5)

class Kill(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 3:
            os.kill(os.getpid(), signal.SIGKILL)

callbacks = [Kill()] if mode == "kill" else []
classifier = train(load_imdb(data), config, verbose=0, callbacks=callbacks,
                   checkpoint_dir=folder, resume=mode == "resume")
np.savez(folder.parent / f"{mode}.npz", *classifier.model.get_weights())
(folder.parent / f"{mode}.json").write_text(json.dumps(classifier.history))
"""


def _python(*args, env=None):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": f"{SRC}:{TESTS}", **(env or {})})


@pytest.mark.parametrize("split", [0.0, 0.25])
def test_killed_and_resumed_equals_uninterrupted(toy_archive, tmp_path, split):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    whole = _python(script, "full", toy_archive, tmp_path / "a" / "run", str(split))
    assert whole.returncode == 0, whole.stderr
    (tmp_path / "b").mkdir()
    killed = _python(script, "kill", toy_archive, tmp_path / "b" / "run", str(split))
    assert killed.returncode == -9  # SIGKILL, during epoch 2
    assert sorted(p.name for p in (tmp_path / "b" / "run").iterdir()) == [
        "epoch-1", "run.json", "vocabulary.json"]
    resumed = _python(script, "resume", toy_archive, tmp_path / "b" / "run", str(split))
    assert resumed.returncode == 0, resumed.stderr
    full = json.loads((tmp_path / "a" / "full.json").read_text())
    again = json.loads((tmp_path / "b" / "resume.json").read_text())
    assert again.keys() == full.keys() and len(again["loss"]) == 3
    # Measured bit-identical on one machine; 1e-6 leaves room for nothing but float printing.
    for key in full:
        np.testing.assert_allclose(again[key], full[key], rtol=0, atol=1e-6)
    a, b = np.load(tmp_path / "a" / "full.npz"), np.load(tmp_path / "b" / "resume.npz")
    for name in a.files:
        np.testing.assert_allclose(b[name], a[name], rtol=0, atol=1e-6)


CTRL_C = """
import os, signal, sys
import keras
import imdb_sentiment.training as training
from imdb_sentiment.cli import main

class CtrlC(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 3:
            os.kill(os.getpid(), signal.SIGINT)

real = training.train
training.train = lambda *a, **k: real(*a, **{**k, "callbacks": [CtrlC()]})
main(sys.argv[1:])
"""

TINY = ["--max-features", "40", "--maxlen", "16", "--embedding-dim", "8", "--units", "8",
        "--batch-size", "16", "--epochs", "3", "--learning-rate", "0.05", "-q"]


def test_ctrl_c_keeps_finished_epochs_and_resume_finishes(toy_archive, tmp_path):
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C)
    out = tmp_path / "run"
    args = ["train", "--data", str(toy_archive), "--output", str(out), *TINY]
    stopped = _python(script, *args)
    assert stopped.returncode == 130, stopped.stderr
    last = stopped.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: interrupted during epoch 2 of 3; 1 finished epoch(s) kept")
    assert last.endswith("--resume") and "Traceback" not in stopped.stderr
    assert not out.exists()
    progress = tmp_path / ".run.in-progress"
    assert (progress / "epoch-1").is_dir()

    refused = _python("-m", "imdb_sentiment.cli", *args)
    assert refused.returncode == 1 and "add --resume to continue it" in refused.stderr
    resumed = _python("-m", "imdb_sentiment.cli", *args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 3
    assert not progress.exists()
    nothing = _python("-m", "imdb_sentiment.cli", *args, "--resume", "--force")
    assert nothing.returncode == 1 and "nothing to resume" in nothing.stderr
