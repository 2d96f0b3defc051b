"""The HTTP API and web page over a trained model (``imdb-sentiment serve``).

Needs the ``serve`` extra (FastAPI, uvicorn, prometheus-client): ``pip install
'imdb-sentiment[serve]'``. ``create_app(classifier, settings)`` builds the ASGI app;
``run(classifier, settings, host, port)`` serves it until SIGTERM or Ctrl-C. Names load on first
use, so ``serve.settings`` is importable without the extra (the command line's defaults).
"""

_EXPORTS = {"create_app": "app", "run": "server", "ServeSettings": "settings",
            "MicroBatcher": "batching"}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
