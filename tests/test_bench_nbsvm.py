"""bench/nbsvm_tune.py and bench/presets.py run end to end on the toy archive (figures are
printed, never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]  # where ``python -m bench.NAME`` runs


def run(script: str, *args) -> dict:
    """The one JSON document ``python -m bench.<script>`` prints (progress goes to stderr)."""
    command = [sys.executable, "-m", f"bench.{script}", *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_tune_reports_every_setting_and_the_choice(toy_archive):
    report = run("nbsvm_tune", "--data", toy_archive, "--seeds", "1", "2", "--ngrams", "1", "2",
                 "--min-df", "1", "--c-logistic", "1", "--c-svm", "0.01", "--beta", "1", "0.5")
    assert len(report["rows"]) == 2 * 2 * 2 * 2  # seeds, n, losses, betas
    assert len(report["summary"]) == 2 * 2 * 2  # n, losses, betas: one line over the seeds
    chosen = report["chosen"]
    assert chosen["seeds"] == 2 and chosen["ngrams"] in (1, 2)


def test_presets_bench_prints_one_json_document(toy_archive):
    report = run("presets", "--data", toy_archive, "--preset", "nbsvm", "--seeds", "1", "2",
                 "--featurizer")
    assert report["preset"] == "nbsvm" and [r["seed"] for r in report["runs"]] == [1, 2]
    assert report["summary"]["test_accuracy"]["min"] <= report["summary"]["test_accuracy"]["max"]
    assert report["featurizer"]["columns"] > 0 and report["runs"][0]["bundle_mb"] > 0


def test_calibration_check_reports_each_seed(toy_archive):
    rows = run("nbsvm_calibration", "--data", toy_archive, "--seeds", "1", "2")["seeds"]
    assert [r["seed"] for r in rows] == [1, 2]
    assert {"refit_raw", "refit_transferred_platt", "no_refit_platt"} <= set(rows[0])
