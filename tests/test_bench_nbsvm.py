"""bench/nbsvm_tune.py and bench/presets.py run end to end on the toy archive (figures are
printed, never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "bench"


def run(script: str, *args) -> str:
    command = [sys.executable, str(BENCH / script), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_tune_prints_a_line_per_setting_and_the_choice(toy_archive):
    lines = run("nbsvm_tune.py", "--data", toy_archive, "--seeds", "1", "2", "--ngrams", "1", "2",
                "--min-df", "1", "--c-logistic", "1", "--c-svm", "0.01", "--beta", "1",
                "0.5").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len([r for r in rows if "seed" in r]) == 2 * 2 * 2 * 2  # seeds, n, losses, betas
    chosen = rows[-1]["chosen"]
    assert chosen["seeds"] == 2 and chosen["ngrams"] in (1, 2)


def test_presets_bench_prints_one_json_document(toy_archive):
    out = run("presets.py", "--data", toy_archive, "--preset", "nbsvm", "--seeds", "1", "2",
              "--featurizer")
    report = json.loads(out[out.index("\n{\n"):])
    assert report["preset"] == "nbsvm" and [r["seed"] for r in report["runs"]] == [1, 2]
    assert report["summary"]["test_accuracy"]["min"] <= report["summary"]["test_accuracy"]["max"]
    assert report["featurizer"]["columns"] > 0 and report["runs"][0]["bundle_mb"] > 0


def test_calibration_check_prints_a_line_per_seed(toy_archive):
    rows = [json.loads(line) for line in run("nbsvm_calibration.py", "--data", toy_archive,
                                             "--seeds", "1", "2").splitlines()]
    assert [r["seed"] for r in rows] == [1, 2]
    assert {"refit_raw", "refit_transferred_platt", "no_refit_platt"} <= set(rows[0])
