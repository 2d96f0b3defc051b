"""runtime.py: the process settings that train() makes."""

import os
import platform
import subprocess
import sys

from imdb_sentiment.runtime import keep_freed_memory


def test_training_caches_compiled_programs_in_the_cache_folder(toy_archive, tmp_path):
    # a fresh process: JAX reads the cache setting once, before its first compilation
    script = ("from imdb_sentiment import Config, load_imdb, train; "
              f"train(load_imdb({str(toy_archive)!r}), Config(max_features=50, maxlen=8, "
              "embedding_dim=4, units=4, epochs=1), verbose=0)")
    env = {**os.environ, "IMDB_SENTIMENT_CACHE": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=300)
    assert any((tmp_path / "xla").iterdir())


def test_keep_freed_memory_applies_on_linux_glibc():
    applied = keep_freed_memory()
    assert isinstance(applied, bool)
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert applied and keep_freed_memory()  # and again: idempotent
