"""Data-parallel training over 2 processes on 127.0.0.1 gives the loss curve of 1 process."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imdb_sentiment.distributed import ProcessBatches
from imdb_sentiment.errors import UserError

WORKER = Path(__file__).with_name("distributed_worker.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_processes(n: int) -> list[dict]:
    port = str(free_port())
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(i), str(n), port],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(n)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_processes_follow_the_loss_curve_of_one():
    one = run_processes(1)[0]["loss"]
    two = run_processes(2)
    assert len(one) == 3 and one[-1] < one[0]
    for result in two:
        # the same global batches, dropout masks and initial weights: only the order in which
        # the all-reduce adds the two halves' gradients differs (float32 rounding, ~1e-7 a
        # step, grown by 3 epochs of Adam); 1e-4 leaves room for other CPUs' sums
        assert result["loss"] == pytest.approx(one, rel=1e-4, abs=1e-5)


def test_each_process_takes_its_share_of_the_same_global_batches():
    x = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    single = ProcessBatches(x, y, 10, seed=5)
    halves = [ProcessBatches(x, y, 10, process=i, processes=2, seed=5) for i in range(2)]
    assert len(single) == len(halves[0]) == 5
    for _epoch in range(2):
        for step in range(5):
            together = np.concatenate([h[step][1] for h in halves])
            np.testing.assert_array_equal(together, single[step][1])
        seen = np.concatenate([single[step][1] for step in range(5)])
        assert sorted(seen) == list(range(50))  # every review once an epoch
        for batches in (single, *halves):
            batches.on_epoch_end()
    with pytest.raises(UserError, match="does not split evenly over 3 processes"):
        ProcessBatches(x, y, 10, processes=3)
