"""Start-up: help and every error found before a model is needed import neither JAX nor Keras."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PROBE = """
import json, sys
from imdb_sentiment.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except Exception as error:
    print(type(error).__name__, error, file=sys.stderr)
print(json.dumps(sorted(m for m in ("jax", "keras", "matplotlib") if m in sys.modules)))
"""


@pytest.mark.parametrize("args", [
    ["--help"], ["predict", "--help"], ["train", "--help"],
    ["predict", "no/such/bundle", "A fine film."],
    ["evaluate", "no/such/bundle"],
    ["train", "--data", "no/such/archive.tar.gz"],
    ["train", "--maxlen", "0"],
    ["cache", "info"],
])
def test_no_heavy_import_before_the_model_is_needed(args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC), "IMDB_SENTIMENT_CACHE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=60)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [], result.stderr


def test_one_review_predict_on_a_recurrent_bundle_imports_no_keras(bundle, tmp_path):
    """The bundle is read and the review scored in NumPy (models/keras_file.py, numpy_rnn.py):
    a one-review predict does not pay the 3.5-4 s of importing Keras and JAX."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "IMDB_SENTIMENT_CACHE": str(tmp_path)}
    env.pop("IMDB_SENTIMENT_INFERENCE", None)
    result = subprocess.run([sys.executable, "-c", PROBE, "predict", str(bundle), "good film"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert "good film" in result.stdout and "positive" in result.stdout, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [], result.stderr
