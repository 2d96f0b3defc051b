"""python -m bench.best_members fits candidate members on the toy archive and scores every
combination on the validation split; --load scores saved logits again without training (figures
are printed, never asserted)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from test_bench_strong import ROOT, TINY


def run(tmp_path, *args) -> dict:
    command = [sys.executable, "-m", "bench.best_members", *map(str, args)]
    env = {**os.environ, "IMDB_SENTIMENT_CACHE": str(tmp_path)}
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env,
                         cwd=ROOT).stdout
    return json.loads(out)


def test_members_are_stacked_on_validation_only(toy_archive, tmp_path):
    saved = Path(tmp_path) / "logits.npz"
    settings = [part for pair in TINY for part in ("--set", pair)]
    doc = run(tmp_path, "--data", toy_archive, "--seed", "3", "--members", "nb2", "gru",
              "--refit", "--save", saved, *settings)
    assert set(doc["members"]) == {"nb2", "gru"}
    assert set(doc["stacked_cv_accuracy"]) == {"nb2", "gru", "nb2+gru", "nb2 (nbsvm refitted)",
                                               "nb2+gru (nbsvm refitted)"}
    assert all(0.0 <= value <= 1.0 for value in doc["stacked_cv_accuracy"].values())
    assert all(value > 0.0 for value in doc["stacked_cv_log_loss"].values())
    assert not any("test" in key for key in doc)
    again = run(tmp_path, "--load", saved, "--seed", "3")
    assert again["stacked_cv_accuracy"] == doc["stacked_cv_accuracy"]
    assert again["val_reviews"] == doc["val_reviews"]
