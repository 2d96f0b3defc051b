"""Cluster scoring on one machine: ``predict --engine ray`` over shards against ``predict --input``.

Writes ``--reviews`` short reviews (the first sentences of the IMDB test reviews, repeated, with
ids) as ``--shards`` Parquet files and as one Parquet file of the same reviews, then runs, each as
its own command: ``predict --input ONE.parquet`` (one process), ``predict --engine ray`` over the
shards (a local Ray), and the Ray run killed with SIGKILL once half the shards are written,
then rerun. For each: wall seconds, reviews per second, and the resident memory of the command's
whole process tree (Ray's own processes included) sampled every 0.25 s: peak, and the median of
each third of the run (flat when memory does not grow with the input).

    .venv/bin/python -m bench.ray_scoring --model runs/classic --data ../shared/data/aclImdb.tar.gz
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.output import emit

PAGE = os.sysconf("SC_PAGE_SIZE")


def first_sentence(text: str) -> str:
    words = " ".join(text.replace("<br />", " ").split())
    return re.split(r"(?<=[.!?])\s", words, maxsplit=1)[0][:200]


def write_inputs(data: str, folder: Path, reviews: int, shards: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from imdb_sentiment import load_imdb

    sentences = [s for s in map(first_sentence, load_imdb(data).test.texts) if s]
    texts = list(itertools.islice(itertools.cycle(sentences), reviews))
    ids = [f"r{i}" for i in range(reviews)]
    pq.write_table(pa.table({"id": ids, "text": texts}), folder / "one.parquet")
    (folder / "shards").mkdir()
    bounds = np.linspace(0, reviews, shards + 1).astype(int)
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        pq.write_table(pa.table({"id": ids[a:b], "text": texts[a:b]}),
                       folder / "shards" / f"part-{k:04d}.parquet")


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and every process below it, in MiB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * PAGE
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 2**20


def run(command: list[str], kill_when=None) -> dict:
    """Run ``command`` in its own session; sample its tree's memory; SIGKILL it (and Ray) when
    ``kill_when()`` turns true."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    samples, killed = [], False
    while process.poll() is None:
        samples.append(tree_rss_mb(process.pid))
        if kill_when is not None and kill_when():
            os.killpg(process.pid, signal.SIGKILL)
            subprocess.run([str(Path(sys.executable).parent / "ray"), "stop", "--force"],
                           capture_output=True, check=False)
            killed = True
            break
        time.sleep(0.25)
    process.wait()
    seconds = time.perf_counter() - start
    if not killed and process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")
    thirds = np.array_split(np.array(samples), 3)
    return {"seconds": round(seconds, 1), "killed": killed,
            "peak_rss_mb": round(max(samples)),
            "median_rss_mb_by_third": [round(float(np.median(t))) for t in thirds if len(t)]}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--data", default=os.environ.get("IMDB_SENTIMENT_DATA"))
    p.add_argument("--reviews", type=int, default=1_000_000)
    p.add_argument("--shards", type=int, default=20)
    p.add_argument("--workers", type=int, default=None, help="Ray actors [default: 1 per CPU]")
    options = p.parse_args(argv)
    cli = [sys.executable, "-m", "imdb_sentiment.cli", "predict", options.model, "--quiet"]
    ray_options = ["--engine", "ray"] + (["--workers", str(options.workers)]
                                         if options.workers else [])
    with tempfile.TemporaryDirectory(prefix="imdb-ray-bench-") as tmp:
        folder = Path(tmp)
        write_inputs(options.data, folder, options.reviews, options.shards)
        scored = folder / "scored"
        doc = {"reviews": options.reviews, "shards": options.shards,
               "input_mb": round((folder / "one.parquet").stat().st_size / 1e6, 1)}
        doc["one_process"] = run([*cli, "--input", str(folder / "one.parquet"),
                                  "--output", str(folder / "one-scored.parquet")])
        ray_command = [*cli, "--input", str(folder / "shards"), "--output", str(scored),
                       *ray_options]
        doc["ray"] = run(ray_command)
        shutil.rmtree(scored)
        half = options.shards // 2
        doc["ray_killed_half_way"] = run(
            ray_command, kill_when=lambda: scored.is_dir() and len(
                [p for p in scored.iterdir() if not p.name.startswith(".")]) >= half)
        written = len([p for p in scored.iterdir() if not p.name.startswith(".")])
        doc["ray_resumed"] = {**run(ray_command), "shards_already_done": written}
        for part in ("one_process", "ray"):
            doc[part]["reviews_per_s"] = round(options.reviews / doc[part]["seconds"])
        doc["ray_vs_one_process"] = round(doc["one_process"]["seconds"] / doc["ray"]["seconds"], 3)
    return emit(doc, "ray_scoring", argv)


if __name__ == "__main__":
    main()
