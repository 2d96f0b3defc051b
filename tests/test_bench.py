"""The benchmark suite runs end to end on tiny synthetic data and prints valid JSON.

No timing is asserted: only that every figure is there and the document parses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # where ``python -m bench.run`` runs
sys.path.insert(0, str(ROOT))

from bench.limits import epoch_flops, limits  # noqa: E402


def test_tiny_synthetic_run_prints_one_json_document_and_a_table():
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", "--only", "machine",
         "train_simple_rnn", "predict"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    doc = json.loads(done.stdout)
    assert doc["source"] == "synthetic"
    assert set(doc) >= {"data", "machine", "train", "predict", "command"}
    train = doc["train"]["simple_rnn"]
    assert train["samples_per_s"] > 0 and train["peak_rss_mb"] > 0
    assert 0 < train["limits"]["achieved_fraction_of_compute"]
    assert set(doc["machine"]["step_products_ms"]) == {"simple_rnn", "lstm", "gru"}
    assert 0 < train["limits"]["xla_attainable_fraction_of_compute"]
    assert set(doc["predict"]["ids_reviews_per_s_by_batch"]) == {"1", "4"}
    assert "samples/s" in done.stderr and "simple_rnn" in done.stderr
    assert doc["recurrent_layers"] == "imdb_sentiment.recurrent"
    assert train["recurrent_layer"] == "imdb_sentiment.recurrent.SimpleRNN"


def test_baseline_run_uses_keras_layers():
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", "--baseline", "--only",
         "train_simple_rnn"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    doc = json.loads(done.stdout)
    assert doc["recurrent_layers"] == "keras"
    assert doc["train"]["simple_rnn"]["recurrent_layer"].startswith("keras.")


def test_lazy_embedding_run_has_no_dense_adam_floor():
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", "--embedding-update", "lazy",
         "--only", "machine", "train_simple_rnn"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    doc = json.loads(done.stdout)
    train = doc["train"]["simple_rnn"]
    assert doc["embedding_update"] == train["embedding_update"] == "lazy"
    assert train["limits"]["dense_adam_memory_floor_epoch_s"] == 0.0


def test_epoch_flops_count_gate_blocks_and_the_backward_pass():
    simple = epoch_flops("simple_rnn", 25_000, 80, 128, 128)
    assert simple == 3 * 25_000 * 80 * 2 * 128 * 256  # about 393 GFLOP
    assert epoch_flops("lstm", 25_000, 80, 128, 128) == 4 * simple
    assert epoch_flops("gru", 25_000, 80, 128, 128) == 3 * simple


def test_limits_relate_the_epoch_to_compute_and_memory_floors():
    machine = {"matmul_big_gflops": 100.0, "matmul_32x128x128_gflops": 50.0,
               "dense_adam_update_ms": 1.0, "step_products_ms": {"simple_rnn": 4.0}}
    train = {"cell": "simple_rnn", "maxlen": 80, "batch_size": 32, "epoch_s": 10.0}
    result = limits(machine, train, reviews=25_000, embedding_dim=128, units=128,
                    large_key="matmul_big_gflops")
    assert abs(result["ideal_compute_epoch_s"] - 3.93216) < 1e-6
    assert abs(result["dense_adam_memory_floor_epoch_s"] - 0.782) < 1e-9
    assert abs(result["achieved_fraction_of_compute"] - 0.393216) < 1e-6
    # a third of the FLOPs wait for the previous step: at the batch-32 rate, plus Adam's floor
    sequential = 2 * 25_000 * 80 * 2 * 128 * 128 / 1e9
    assert abs(result["sequential_gflop"] - sequential) < 1e-6
    attainable = sequential / 50 + (393.216 - sequential) / 100 + 0.782
    assert abs(result["attainable_epoch_s"] - attainable) < 1e-6
    assert abs(result["attainable_fraction_of_compute"] - 3.93216 / attainable) < 1e-6
    # the products of a step as XLA ran them, 782 steps, plus the same memory floor
    assert abs(result["xla_attainable_epoch_s"] - (782 * 4.0 + 782 * 1.0) / 1e3) < 1e-9


def test_spread_is_the_median_and_range_of_repeats():
    from bench.timing import spread

    assert spread([3.0, 1.0, 2.0, 10.0]) == {"median": 2.5, "min": 1.0, "max": 10.0, "runs": 4}


def test_every_document_starts_with_its_command_date_and_machine():
    from bench.output import head

    doc = head("text_pipeline", ["--repeats", "3"])
    assert doc["command"] == "python -m bench.text_pipeline --repeats 3"
    assert doc["date"].endswith("+00:00") and doc["environment"]["cpus"] >= 1
    assert "keras" in doc["environment"]["versions"]
