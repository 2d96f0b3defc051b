"""The package imports Keras without pandas and scikit-learn (keras_import.py): 0.7-1 s of every
process that needs Keras. Both stay importable for the package's own uses."""

import subprocess
import sys

CHECK = """
import sys
from imdb_sentiment.keras_import import keras
assert "keras" in sys.modules
print("pandas" in sys.modules, "sklearn" in sys.modules)
import sklearn.metrics  # the package's metrics still import it
print(sklearn.metrics.accuracy_score([0, 1], [0, 1]))
"""


def test_keras_imports_without_pandas_and_sklearn_which_stay_importable():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "1.0"]


def test_training_modules_take_keras_from_there():
    """A module that trains imports Keras through keras_import, whichever comes first."""
    code = ("import sys; import imdb_sentiment.checkpoint, imdb_sentiment.model; "
            "print('pandas' in sys.modules, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_the_benchmark_times_both_ways():
    from bench import keras_import

    doc = keras_import.main(["--repeats", "1"])
    assert set(doc["seconds"]) == {"import keras", "imdb_sentiment.keras_import"}
    assert doc["ratio"] > 0 and doc["command"].startswith("python -m bench.keras_import")
