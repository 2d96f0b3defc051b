"""Every knob of the server in one frozen dataclass, each with its default and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServeSettings:
    # Limits: each refused with 413 and a JSON body naming the limit and its value.
    max_body_bytes: int = 4 * 1024 * 1024  # 1,000 IMDB reviews average 1.3 MB of JSON
    max_reviews: int = 1000  # per request, as `predict`'s batch; bounds one request's work
    max_chars: int = 20_000  # per review; the longest IMDB review has 13,704 characters
    max_explain_reviews: int = 32  # explain costs one forward row per seen word (81 per review)
    max_upload_bytes: int = 16 * 1024 * 1024  # a scored file; the IMDB test set is 32 MB
    # Micro-batching (batching.py): concurrent requests share forward passes.
    max_batch: int = 256  # reviews per model call: the classifier's forward-pass size
    max_wait_ms: float = 2.0  # how long the first request of a batch waits for company
    max_queue: int = 8192  # reviews waiting at most; beyond it, 503 + Retry-After
    retry_after_s: int = 1  # what a 503 tells the client to wait
    # What /v1/model and the page call the model (the bundle's folder name, from the CLI).
    model_name: str = "model"

    @property
    def batching(self) -> bool:
        return self.max_batch > 1 or self.max_wait_ms > 0
