"""A trained classifier on disk: one folder of fixed file names, JSON, ``.keras`` and ``.npz``.

Loading executes no code from the bundle: no pickle, and Keras ``safe_mode`` stays on.
``config.json`` names the model ``kind`` (none: the recurrent kind) and the kind's module reads
its own files (``models/``): ``model.keras`` + ``vocabulary.json`` for the recurrent kind (Keras's
own layers, so plain ``keras.saving.load_model`` reads it too), ``nbsvm.npz`` + ``ngrams.json``
+ ``calibration.json`` for ``nbsvm``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from . import __version__
from .errors import UserError

FORMAT = "imdb-sentiment-bundle"
FORMAT_VERSION = 1
MODEL, VOCABULARY, CONFIG = "model.keras", "vocabulary.json", "config.json"
HISTORY, METRICS, CURVES = "history.json", "metrics.json", "curves.png"
MODEL_CARD = "MODEL_CARD.md"


def is_bundle(path: Path) -> bool:
    return (path / CONFIG).is_file()


def save(classifier, path: str | os.PathLike, *, force: bool = False) -> Path:
    """Write the bundle into a temporary folder beside ``path``, then rename it into place."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise UserError(f"output {path} exists and is not a folder")
        if is_bundle(path) and not force:
            raise UserError(f"output {path} already holds a bundle; use --force to replace it")
        if not is_bundle(path) and any(path.iterdir()):
            raise UserError(f"output {path} is a folder with other files in it; choose a new path")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-"))
    try:
        _write(classifier, tmp)
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.old-"))
            os.replace(path, old / "bundle")
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def _write(classifier, folder: Path) -> None:
    from .config import LABELS
    from .plots import plot_history

    classifier.kind_model.save(folder)  # the kind's own files (models/)
    _write_json(folder / CONFIG, {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": classifier.kind,
        "config": classifier.config.to_dict(),
        "labels": list(LABELS),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {
            "imdb_sentiment": __version__,
            "keras": version("keras"),
            "keras_backend": _backend(),
            "jax": version("jax"),
            "numpy": version("numpy"),
            "scikit_learn": version("scikit-learn"),
            "python": platform.python_version(),
        },
    })
    if classifier.history:
        _write_json(folder / HISTORY, classifier.history)
        plot_history(classifier.history, folder / CURVES)
    if classifier.metrics:
        _write_json(folder / METRICS, classifier.metrics)
    from .model_card import model_card

    (folder / MODEL_CARD).write_text(model_card(classifier), encoding="utf-8")


def load(path: str | os.PathLike):
    """Read a bundle back into a :class:`~imdb_sentiment.classifier.Classifier`.

    The bundle's files are checked before its model kind imports Keras and JAX, so that a wrong
    path fails at once."""
    from .classifier import Classifier
    from .config import LABELS, Config
    from .models import DEFAULT_KIND, KINDS, kind_class

    path = Path(path)
    if not path.is_dir():
        raise UserError(f"no model bundle at {path}")
    if not (path / CONFIG).is_file():
        raise UserError(f"bundle {path} is missing {CONFIG}")
    meta = _read_json(path / CONFIG)
    if meta.get("format") != FORMAT:
        raise UserError(f"{path / CONFIG} is not an imdb-sentiment bundle")
    if meta.get("format_version") != FORMAT_VERSION:
        raise UserError(
            f"bundle {path} has format version {meta.get('format_version')!r}; "
            f"this version of imdb-sentiment reads version {FORMAT_VERSION}"
        )
    if tuple(meta.get("labels", ())) != LABELS:
        raise UserError(f"bundle {path} has labels {meta.get('labels')}, expected {list(LABELS)}")
    kind = meta.get("kind", DEFAULT_KIND)  # bundles from before kinds are recurrent
    if kind not in KINDS:
        raise UserError(f"bundle {path} holds a model of kind {kind!r}, which this version of "
                        f"imdb-sentiment does not know (it knows {', '.join(sorted(KINDS))})")
    kind_model = kind_class(kind)
    for name in kind_model.files:
        if not (path / name).is_file():
            raise UserError(f"bundle {path} is missing {name}")
    config = Config.from_dict({**meta["config"], "kind": kind})
    try:
        model = kind_model.load(path, config)
    except (KeyError, TypeError, ValueError, OSError) as error:
        raise UserError(f"bundle {path} is damaged: {error}") from error
    history = _read_json(path / HISTORY) if (path / HISTORY).is_file() else None
    metrics = _read_json(path / METRICS) if (path / METRICS).is_file() else None
    return Classifier(model, history=history, metrics=metrics)


def _backend() -> str:
    import keras

    return keras.backend.backend()


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise UserError(f"cannot read {path}: {error}") from error
