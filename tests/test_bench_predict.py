"""bench/predict.py runs end to end on the toy model (figures are printed, never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

from imdb_sentiment import load_imdb

ROOT = Path(__file__).parents[1]  # where ``python -m bench.NAME`` runs


def test_prints_one_json_document(bundle, toy_archive):
    command = [sys.executable, "-m", "bench.predict", "--model", str(bundle), "--data",
               str(toy_archive),
               "--measure", "throughput", "latency", "explain", "--repeats", "1", "--calls", "3",
               "--explain-calls", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report["throughput"]["reviews"] == len(load_imdb(toy_archive).test)
    assert report["throughput"]["reviews_per_s"] > 0
    assert {"median_ms", "p99_ms"} <= set(report["latency"]) and "memory" not in report
    for method in ("occlusion", "integrated_gradients"):
        assert report[f"explain_{method}"]["calls"] == 2
