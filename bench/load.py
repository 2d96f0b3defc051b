"""Load test of ``imdb-sentiment serve`` on the loopback address: prints one JSON document.

For each server setting (micro-batching on, then off: ``--max-batch 1 --max-wait-ms 0``) it
starts the server in a subprocess on 127.0.0.1, waits for /ready, and runs three bounded phases
of asyncio + aiohttp clients, each client sending its next request when the last is answered
(aiohttp, not httpx: measured here, httpx took 3 ms of CPU a request against aiohttp's 0.2,
and the load generator shares the two cores with the server):

- ``mixed``: ``--clients`` (200) clients for ``--duration`` (60 s); each request is one review
  (``--single-share`` of them) or a batch of ``--mixed-batch`` reviews.
- ``single``: 50 clients sending one review each, for the single-review latency goal.
- ``batch``: 8 clients sending ``--batch`` reviews a request, for reviews/s.

It samples the server's resident memory every second, stops it with SIGTERM (and reports the
exit code: 0 expected), then times ``imdb-sentiment predict --input reviews.txt --output
out.csv`` on the same reviews for comparison. The reviews are real IMDB test reviews. The load
generator shares the machine's cores with the server; figures are for both together.

    flock /tmp/cpu.lock .venv/bin/python -m bench.load runs/classic \\
        --data ../shared/data/aclImdb.tar.gz > load.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from bench.output import emit

HOST = "127.0.0.1"  # loopback only: this test never sends traffic anywhere else


def load_reviews(data: str | None, n: int, seed: int = 0) -> list[str]:
    from imdb_sentiment import load_imdb

    texts = list(load_imdb(data).test.texts)
    random.Random(seed).shuffle(texts)
    return [" ".join(t.split()) for t in texts[:n]]  # one line each, for the .txt input


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_ready(url: str, process, timeout: float = 180):
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}")
            try:
                async with client.get(url + "/ready") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server was not ready in time")


async def phase(url: str, reviews: list[str], *, clients: int, duration: float,
                single_share: float, batch: int, seed: int) -> dict:
    """``clients`` closed-loop clients for ``duration`` seconds; latency per request kind."""
    latencies = {"single": [], "batch": []}
    errors, reviews_done = {}, 0
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as client:
        stop = time.monotonic() + duration

        async def one_client(k: int):
            nonlocal reviews_done
            rng = random.Random(seed * 1000 + k)
            while time.monotonic() < stop:
                kind = "single" if rng.random() < single_share else "batch"
                start = rng.randrange(len(reviews))
                body = ({"text": reviews[start]} if kind == "single" else
                        {"texts": [reviews[(start + i) % len(reviews)] for i in range(batch)]})
                began = time.perf_counter()
                try:
                    async with client.post("/v1/predict", json=body) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    status = type(error).__name__
                elapsed = time.perf_counter() - began
                if status == 200:
                    latencies[kind].append(elapsed)
                    reviews_done += 1 if kind == "single" else batch
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client(k) for k in range(clients)))
        wall = time.perf_counter() - began
    requests = sum(len(v) for v in latencies.values())
    out = {"clients": clients, "seconds": round(wall, 1), "requests": requests,
           "requests_per_s": round(requests / wall, 1),
           "reviews_per_s": round(reviews_done / wall, 1), "errors": errors}
    for kind, values in latencies.items():
        if values:
            q = statistics.quantiles(values, n=100, method="inclusive")
            out[f"{kind}_ms"] = {"n": len(values), "p50": round(q[49] * 1000, 1),
                                 "p95": round(q[94] * 1000, 1), "p99": round(q[98] * 1000, 1)}
    return out


async def run_server(bundle: str, reviews: list[str], args, batching: bool) -> dict:
    port = free_port()
    url = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "imdb_sentiment.cli", "serve", bundle, "--port", str(port)]
    if not batching:
        command += ["--max-batch", "1", "--max-wait-ms", "0"]
    log = tempfile.NamedTemporaryFile("w", prefix="serve-", suffix=".log", delete=False)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    memory, result = [], {"batching": batching, "command": " ".join(command[1:])}
    try:
        started = time.perf_counter()
        await wait_ready(url, process)
        result["ready_s"] = round(time.perf_counter() - started, 1)

        async def sample():
            t0 = time.monotonic()
            while True:
                memory.append((round(time.monotonic() - t0), round(rss_mb(process.pid), 1)))
                await asyncio.sleep(1)

        sampler = asyncio.ensure_future(sample())
        shared = dict(seed=args.seed)
        result["mixed"] = await phase(url, reviews, clients=args.clients, duration=args.duration,
                                      single_share=args.single_share, batch=args.mixed_batch,
                                      **shared)
        result["single"] = await phase(url, reviews, clients=50, duration=args.short,
                                       single_share=1.0, batch=1, **shared)
        result["batch"] = await phase(url, reviews, clients=8, duration=args.short,
                                      single_share=0.0, batch=args.batch, **shared)
        sampler.cancel()
    finally:
        process.send_signal(signal.SIGTERM)
        result["exit_code"] = process.wait(60)
        log.close()
    values = [m for _, m in memory]
    result["rss_mb"] = {"ready": values[0], "peak": max(values), "end": values[-1],
                        "every_10_s": [m for t, m in memory if t % 10 == 0]}
    result["log_lines"] = sum(1 for _ in open(log.name, encoding="utf-8"))
    os.unlink(log.name)
    return result


def predict_cli(bundle: str, reviews: list[str]) -> dict:
    """``imdb-sentiment predict --input reviews.txt --output out.csv`` on the same reviews."""
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "reviews.txt", Path(folder) / "out.csv"
        source.write_text("\n".join(reviews) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "imdb_sentiment.cli", "predict", bundle,
                   "--input", str(source), "--output", str(out), "-q"]
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        wall = time.perf_counter() - began
        steady = predict_in_process(bundle, source, Path(folder) / "again.csv")
    return {"reviews": len(reviews), "seconds": round(wall, 2),
            "reviews_per_s": round(len(reviews) / wall, 1),
            "note": "whole command: start, load, compile, read, score, write",
            "in_process": steady}


def predict_in_process(bundle: str, source: Path, out: Path) -> dict:
    """The command's code path (``scoring.score_file``) in this process, after a warm-up pass:
    the steady rate, without starting Python, loading the bundle and compiling."""
    from imdb_sentiment import Classifier
    from imdb_sentiment.scoring import score_file
    from imdb_sentiment.sources import TextSource

    classifier = Classifier.load(bundle)
    score_file(classifier, TextSource(source), out)  # compiles every batch shape
    began = time.perf_counter()
    count = score_file(classifier, TextSource(source), out)
    wall = time.perf_counter() - began
    return {"seconds": round(wall, 2), "reviews_per_s": round(count / wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle")
    parser.add_argument("--data", default=None, help="aclImdb archive [default: as `data`]")
    parser.add_argument("--reviews", type=int, default=5000, help="distinct test reviews sent")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60, help="seconds of the mixed phase")
    parser.add_argument("--short", type=float, default=20, help="seconds of the other phases")
    parser.add_argument("--single-share", type=float, default=0.8)
    parser.add_argument("--mixed-batch", type=int, default=32)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["batching", "no-batching", "predict"], default=None,
                        help="one server setting, or only the predict comparison")
    args = parser.parse_args()
    reviews = load_reviews(args.data, args.reviews)
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "reviews": len(reviews), "args": vars(args), "servers": []}
    for batching in (True, False):
        if args.only and args.only != ("batching" if batching else "no-batching"):
            continue
        report["servers"].append(asyncio.run(run_server(args.bundle, reviews, args, batching)))
        print(json.dumps(report["servers"][-1]), file=sys.stderr)
    report["predict_cli"] = predict_cli(args.bundle, reviews)
    emit(report, "load")


if __name__ == "__main__":
    main()
