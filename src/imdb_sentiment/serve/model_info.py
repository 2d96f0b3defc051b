"""What ``GET /v1/model`` tells: the model's name, format, content hash, config and metrics."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from .. import __version__
from ..bundle import FORMAT, FORMAT_VERSION
from .settings import ServeSettings


def content_hash(classifier) -> str:
    """SHA-256 of the config and the kind's content: its vocabulary and every weight (arrays
    by dtype, shape and bytes; the rest as JSON).

    It identifies the model itself: saving the same model twice gives the same hash, though
    ``model.keras`` (a zip) records the time it was written.
    """
    digest = hashlib.sha256()
    for part in (classifier.config.to_dict(), *classifier.kind_model.content()):
        if isinstance(part, np.ndarray | np.generic):
            part = np.ascontiguousarray(part)
            digest.update(f"{part.dtype}{part.shape}".encode())
            digest.update(part.tobytes())
        else:
            digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def model_info(classifier, settings: ServeSettings) -> dict:
    return {
        "name": settings.model_name,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sha256": content_hash(classifier),
        "labels": list(classifier.labels),
        "config": classifier.config.to_dict(),
        "metrics": classifier.metrics,
        "batching": {"max_batch": settings.max_batch, "max_wait_ms": settings.max_wait_ms,
                     "max_queue": settings.max_queue},
        "limits": {"max_body_bytes": settings.max_body_bytes,
                   "max_reviews": settings.max_reviews, "max_chars": settings.max_chars,
                   "max_explain_reviews": settings.max_explain_reviews,
                   "max_upload_bytes": settings.max_upload_bytes},
        "server_version": __version__,
    }
