"""What the server tells about itself: Prometheus metrics and one log line per request.

The metrics live in a registry of their own per app (not prometheus-client's global one), so
several apps in one process (tests) do not collide. Paths are labelled by route, and every
unknown path by "other", so a scan of random URLs cannot grow the label set without bound.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

log = logging.getLogger("imdb_sentiment.serve")

_LATENCY_BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
_BATCH_BUCKETS = tuple(2**i for i in range(11))  # 1 ... 1024 reviews


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("imdb_sentiment_requests", "HTTP requests answered",
                                ["method", "path", "status"], registry=r)
        self.latency = Histogram("imdb_sentiment_request_seconds", "time to answer a request",
                                 ["path"], buckets=_LATENCY_BUCKETS, registry=r)
        self.reviews = Counter("imdb_sentiment_reviews_scored", "reviews scored", registry=r)
        self.batch_size = Histogram("imdb_sentiment_batch_size", "reviews per model call",
                                    buckets=_BATCH_BUCKETS, registry=r)
        self.in_flight = Gauge("imdb_sentiment_in_flight_requests", "requests being answered",
                               registry=r)
        self.queued = Gauge("imdb_sentiment_queued_reviews", "reviews waiting for the model",
                            registry=r)
        ProcessCollector(registry=r)  # resident memory, CPU seconds, open files

    def on_batch(self, n_reviews: int) -> None:
        self.batch_size.observe(n_reviews)
        self.reviews.inc(n_reviews)


class ObserveMiddleware:
    """ASGI middleware: in-flight gauge, request counter, latency histogram, and one log line
    ``METHOD PATH STATUS LATENCYms reviews=N`` per request. Endpoints put the number of reviews
    in ``request.state.reviews``."""

    def __init__(self, app, metrics: Metrics, paths: set[str]):
        self.app, self.metrics, self.paths = app, metrics, paths

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500  # if the app fails before it answers
        state = scope.setdefault("state", {})

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - start
            path = scope["path"] if scope["path"] in self.paths else "other"
            self.metrics.requests.labels(scope["method"], path, str(status)).inc()
            self.metrics.latency.labels(path).observe(elapsed)
            log.info("%s %s %d %.1fms reviews=%d", scope["method"], _printable(scope["path"]),
                     status, elapsed * 1000, state.get("reviews", 0))


def _printable(path: str, limit: int = 200) -> str:
    """A path as it can go into one log line: control characters escaped, long ones cut."""
    path = path if path.isprintable() else ascii(path)[1:-1]
    return path if len(path) <= limit else path[:limit] + "..."
