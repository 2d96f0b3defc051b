"""bench/cold_predict.py runs end to end on the toy bundle (figures are printed, never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]  # where ``python -m bench.NAME`` runs


def test_prints_one_json_document(bundle, toy_archive):
    command = [sys.executable, "-m", "bench.cold_predict", "--model", str(bundle), "--data",
               str(toy_archive), "--measure", "cold", "throughput", "threads", "chunks",
               "agreement", "--repeats", "1", "--batches", "1", "3", "--cells", "simple_rnn",
               "gru", "--chunk-sizes", "2", "256"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    cold = report["cold"]
    assert cold["keras"]["runs"] == cold["numpy"]["runs"] == 1
    assert cold["last_line"]["keras"] == cold["last_line"]["numpy"]  # the same label, 4 digits
    assert set(report["throughput"]) == {"simple_rnn", "gru"}
    assert report["throughput"]["gru"]["3"]["numpy"]["reviews_per_s"] > 0
    assert set(report["threads"]) == {"1", "3"} and set(report["chunks"]) == {"2", "256"}
    assert report["agreement"]["max_abs_difference"] < 1e-5
    assert report["command"].startswith("python -m bench.cold_predict")
