"""bench/inference_loop.py runs and prints both loops' figures (never asserted as timings)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]  # where ``python -m bench.NAME`` runs


def test_prints_both_loops_per_cell_and_batch():
    done = subprocess.run([sys.executable, "-m", "bench.inference_loop", "--cells", "lstm",
                           "--batches", "2"], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=300)
    figures = json.loads(done.stdout)["cells"]["lstm"]["2"]
    assert figures["keras_loop"] > 0 and figures["fast_loop"] > 0
