"""bench/inference_loop.py runs and prints both loops' figures (never asserted as timings)."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "bench" / "inference_loop.py"


def test_prints_both_loops_per_cell_and_batch():
    done = subprocess.run([sys.executable, str(SCRIPT), "--cells", "lstm", "--batches", "2"],
                          capture_output=True, text=True, check=True, timeout=300)
    figures = json.loads(done.stdout)["cells"]["lstm"]["2"]
    assert figures["keras_loop"] > 0 and figures["fast_loop"] > 0
