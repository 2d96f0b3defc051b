"""`imdb-sentiment serve`: a real process on the loopback address, stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from imdb_sentiment.cli import main  # noqa: E402

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_a_missing_bundle_is_one_line_and_exit_1(tmp_path):
    result = CliRunner().invoke(main, ["serve", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: no model bundle at {tmp_path / 'nope'}"


def test_serve_answers_logs_and_exits_0_on_sigterm(bundle):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen(
        [sys.executable, "-m", "imdb_sentiment.cli", "serve", str(bundle), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "not ready in 120 s"
            try:
                with urllib.request.urlopen(url + "/ready", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        request = urllib.request.Request(url + "/v1/predict", method="POST",
                                         data=json.dumps({"texts": ["good", "bad"]}).encode(),
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert len(json.load(response)["predictions"]) == 2
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "POST /v1/predict 200" in stderr and "reviews=2" in stderr
    assert "Traceback" not in stderr
