"""Run the app under uvicorn until SIGTERM or Ctrl-C, then exit cleanly (status 0).

On either signal uvicorn stops accepting connections, lets the requests in flight finish (at
most ``GRACE_S`` seconds), runs the app's shutdown (the micro-batcher drains its queue) and
returns. Uvicorn then raises the captured signal again so that the default action runs; with the
handlers set here that is a no-op, so ``serve`` returns and the command exits 0.
"""

from __future__ import annotations

import logging
import signal
import sys

from .settings import ServeSettings

GRACE_S = 30  # the longest wait for requests in flight at shutdown


def run(classifier, settings: ServeSettings, host: str = "127.0.0.1", port: int = 8000, *,
        log_level: str = "info") -> None:
    import uvicorn

    from .app import create_app

    _log_to_stderr(log_level)
    app = create_app(classifier, settings)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                            timeout_graceful_shutdown=GRACE_S, lifespan="on")
    server = uvicorn.Server(config)
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _stopped) for sig in handled}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not server.started:
        raise SystemExit(1)  # uvicorn said why (port in use, say)


def _stopped(signum, frame) -> None:
    """What uvicorn's re-raised SIGINT/SIGTERM does once the server has stopped: nothing."""


def _log_to_stderr(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger("imdb_sentiment.serve")
    log.addHandler(handler)
    log.setLevel(level.upper())
    log.propagate = False
