"""Keras, imported once for the package, without two integrations it loads whenever installed.

``import keras`` imports pandas (to accept DataFrames) and scikit-learn (for
``keras.wrappers``) if they are installed: 0.7-1.0 s of every process that trains or loads a
Keras model (BENCHMARKS.md, start-up), for features this package never uses. Here both read as
not installed while Keras imports, then are importable again: the package's own uses of
scikit-learn (metrics, the linear models) import it when they need it. Keras keeps its choice
for the process, so ``keras.wrappers`` and DataFrame inputs do not work in a process whose first
Keras import came from here; a module imported before Keras keeps its integration.

Every module of the package imports Keras as ``from .keras_import import keras`` (and its parts
as attributes: ``keras.layers``), so that whichever comes first imports it this way.
"""

from __future__ import annotations

import sys
import threading

SKIPPED = ("pandas", "sklearn")


def _import_keras():
    if "keras" in sys.modules or threading.active_count() > 1:
        # another thread might import pandas or sklearn while they read as missing
        import keras

        return keras
    skipped = [name for name in SKIPPED if name not in sys.modules]
    for name in skipped:
        sys.modules[name] = None  # `import name` raises ImportError: Keras goes without it
    try:
        import keras
    finally:
        for name in skipped:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return keras


keras = _import_keras()
