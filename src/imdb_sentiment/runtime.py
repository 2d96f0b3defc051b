"""Process settings for training: reuse freed memory, and keep compiled XLA programs on disk.

``prepare_for_training()`` is called by ``train`` (not at import, so that scoring processes keep
their defaults). Both settings last until the process exits.

**Memory.** XLA's CPU runtime allocates a training step's temporary buffers anew at every step and
frees them after it. glibc's malloc serves blocks over 32 MiB with a fresh ``mmap`` and returns
them to the system on ``free``; the next step then touches every page of new memory again. The
classic LSTM's step needs a 53 MB buffer: 13,000 page faults and 35 ms of system time per 65 ms
step (BENCHMARKS.md). Telling malloc to serve every block from its heap, keep what is freed and
use one arena makes the step reuse the same memory. The cost: the process keeps its peak memory.

**Compilation.** Tracing and compiling the train, test and predict steps takes 2-4 s a run, every
run the same programs for the same configuration. JAX's persistent compilation cache keeps them
in ``<cache>/xla`` (``$IMDB_SENTIMENT_CACHE`` or ``~/.cache/imdb-sentiment``, where the dataset
is cached too), unless JAX's own ``jax_compilation_cache_dir`` is already set.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from pathlib import Path

from .errors import UserError

# mallopt parameters, from glibc's malloc.h
M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8
NEVER_TRIM = 2**31 - 1


KERAS_BACKENDS = ("jax", "tensorflow", "torch", "numpy", "openvino")


def check_backend() -> str:
    """The Keras backend named by $KERAS_BACKEND, if Keras can use it here; else a UserError
    (Keras itself would fail at import with a traceback)."""
    name = os.environ.get("KERAS_BACKEND", "jax")
    if name not in KERAS_BACKENDS:
        raise UserError(f"KERAS_BACKEND={name!r} is not a Keras backend "
                        f"({', '.join(KERAS_BACKENDS)}); unset it to use jax")
    if importlib.util.find_spec(name) is None:
        raise UserError(f"KERAS_BACKEND={name} but {name} is not installed; "
                        f"unset KERAS_BACKEND to use jax")
    return name


def prepare_for_training() -> None:
    keep_freed_memory()
    use_compilation_cache()


def keep_freed_memory() -> bool:
    """Set glibc's malloc to reuse freed memory; returns False where that is not possible.

    Idempotent, and a no-op away from Linux with glibc (``mallopt`` missing or refusing).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already uses
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    settings = ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, NEVER_TRIM), (M_ARENA_MAX, 1))
    return all(mallopt(param, value) == 1 for param, value in settings)


def use_compilation_cache() -> Path | None:
    """Point JAX's persistent compilation cache at ``<cache>/xla``; returns the folder in use.

    Takes effect only before the process's first compilation, as JAX reads it once.
    """
    import jax

    from .data import cache_dir

    if jax.config.jax_compilation_cache_dir:  # the user's own choice
        return Path(jax.config.jax_compilation_cache_dir)
    folder = cache_dir() / "xla"
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # the small ones too
    return folder
