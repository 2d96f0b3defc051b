"""bench/profile_layer.py profiles a small layer and names its operations (no timing asserted)."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "bench" / "profile_layer.py"


def test_lists_the_operations_of_a_forward_and_backward_pass():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--cell", "lstm", "--batch", "4", "--maxlen", "5",
         "--units", "8", "--calls", "2", "--top", "100000"],  # every operation: which ones
        # are longest depends on the CPU, and is not what this test is about
        capture_output=True, text=True, check=True, timeout=300)
    doc = json.loads(done.stdout)
    assert doc["layer"] == "imdb_sentiment.recurrent.lstm" and doc["shape"] == [4, 5, 8]
    assert doc["wall_ms_per_call"] > 0 and doc["operations_per_call"] > 0
    names = [o["from"] for o in doc["longest"]]
    # the recurrent products run once per time step, in the forward and the reverse loop
    loop_products = [o for o in doc["longest"]
                     if "while/body" in o["from"] and o["from"].endswith("dot_general")]
    per_step = [o["from"] for o in loop_products if abs(o["runs"] - 5) < 1]  # a trace may miss
    # an event, and XLA may fuse or split products in other ways on other CPUs: ask only that
    # both loops have one
    assert any("transpose(jvp())" in name for name in per_step), names
    assert any("transpose(jvp())" not in name for name in per_step), names
