"""train --distributed: 2 processes on 127.0.0.1 follow the loss curve of 1 process."""

import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from imdb_sentiment.distributed import PaddedBatches, ProcessBatches
from imdb_sentiment.errors import UserError

TINY = ["--max-features", "40", "--maxlen", "16", "--embedding-dim", "8", "--units", "8",
        "--batch-size", "16", "--epochs", "3", "--learning-rate", "0.05", "--seed", "7", "-q"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train(archive, output, processes: int) -> dict:
    """``imdb-sentiment train --distributed`` in ``processes`` processes; process 0's history."""
    base = [sys.executable, "-m", "imdb_sentiment.cli", "train", "--data", str(archive), *TINY,
            "--distributed"]
    port = free_port()
    commands = [[*base, "--output", str(output)]] if processes == 1 else [
        [*base, "--output", str(output), "--coordinator", f"127.0.0.1:{port}",
         "--processes", str(processes), "--process-id", str(i)] for i in range(processes)]
    running = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for c in commands]
    for process in running:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
    return json.loads((output / "history.json").read_text())


def test_two_processes_follow_the_loss_curve_of_one(toy_archive, tmp_path):
    one = train(toy_archive, tmp_path / "one", 1)
    two = train(toy_archive, tmp_path / "two", 2)
    # the same global batches, dropout masks and initial weights: only the order in which the
    # all-reduce adds the halves' gradients differs (float32 rounding, ~1e-7 a step, grown over
    # 3 epochs of Adam); 1e-4 leaves room for other CPUs' sums
    for key in ("loss", "accuracy", "test_loss", "test_accuracy"):
        assert two[key] == pytest.approx(one[key], rel=1e-4, abs=1e-5), key
    assert one["loss"][-1] < one["loss"][0]


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


def test_evaluation_counts_every_review_once_whatever_the_processes():
    x, y = np.arange(7)[:, None], np.arange(7.0)
    for processes in (1, 2, 3):
        shares = [PaddedBatches(x, y, 4, process=i, processes=processes)
                  for i in range(processes)]
        rows = [r for s in shares for step in range(len(s))
                for r, w in zip(s[step][0][:, 0], s[step][2], strict=True) if w]
        assert sorted(rows) == list(range(7))


def test_distributed_options_need_distributed(toy_archive, tmp_path):
    done = subprocess.run([sys.executable, "-m", "imdb_sentiment.cli", "train", "--data",
                           str(toy_archive), "--processes", "2", "--output", str(tmp_path / "b")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "apply to --distributed" in done.stderr and "Traceback" not in done.stderr
