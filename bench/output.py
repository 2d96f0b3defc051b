"""The head every benchmark document starts with, and printing the document.

A figure is only worth its command, its date and the machine it ran on, so every script prints
them with its figures: ``{"command", "date", "environment", ...figures}``. Versions are read from
the installed packages' metadata, so a script that never imports JAX does not import it here.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata

PACKAGES = ("imdb-sentiment", "keras", "jax", "numpy", "scikit-learn")


def environment() -> dict:
    """CPUs, processor, Python and the versions of the packages the figures depend on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "versions": versions,
            "xla_flags": os.environ.get("XLA_FLAGS", "")}


def head(script: str, argv: list[str] | None = None) -> dict:
    """``{"command", "date", "environment"}`` for the script ``bench.<script>`` run with ``argv``
    (``sys.argv[1:]`` when None)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return {"command": " ".join(["python -m", f"bench.{script}", *argv]),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "environment": environment()}


def emit(doc: dict, script: str, argv: list[str] | None = None, indent: int | None = 2) -> dict:
    """Print ``doc`` after the head as one JSON document on stdout, and return it."""
    full = {**head(script, argv), **doc}
    print(json.dumps(full, indent=indent), flush=True)
    return full
