"""A trained classifier on disk: one folder of fixed file names, JSON, ``.keras`` and ``.npz``.

Loading executes no code from the bundle: no pickle, and Keras ``safe_mode`` stays on.
``config.json`` names the model ``kind`` (none: the recurrent kind) and the kind's module reads
its own files (``models/``): ``model.keras`` + ``vocabulary.json`` for the recurrent kind (Keras's
own layers, so plain ``keras.saving.load_model`` reads it too), ``nbsvm.npz`` + ``ngrams.json``
+ ``calibration.json`` for ``nbsvm``. Every file is checked before use (the JSON has the keys and
types it should; the kind checks its files against each other), so a damaged or hand-edited
bundle is refused with what is wrong instead of predicting garbage.

Saving never loses a file: only a folder whose ``config.json`` carries this tool's format
marker is ever replaced, only the tool's own files in it are dropped (the user's notes and
folders are carried into the new bundle as hard links), and the new bundle takes the old one's
place in one atomic exchange (``atomic.py``, RELIABILITY.md).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from . import __version__
from .atomic import describe, make_temp_folder, replace_folder, sync_tree
from .errors import UserError
from .paths import check_folder_output

FORMAT = "imdb-sentiment-bundle"
FORMAT_VERSION = 1
MODEL, VOCABULARY, CONFIG = "model.keras", "vocabulary.json", "config.json"
HISTORY, METRICS, CURVES = "history.json", "metrics.json", "curves.png"
MODEL_CARD = "MODEL_CARD.md"
MAX_JSON_BYTES = 64 << 20  # a vocabulary of 20,000 words is 200 kB


def tool_files() -> set[str]:
    """Every name ``save`` writes in a bundle, whatever the kind: what replacing a bundle drops
    (the folders among them: :func:`tool_folders`). Imports no kind's module."""
    from .labeled import DATA_JSON, SPLIT_NPZ
    from .models import KINDS

    kinds = {name for kind in KINDS.values() for name in (*kind.files, *kind.folders)}
    return {CONFIG, HISTORY, METRICS, CURVES, MODEL_CARD, DATA_JSON, SPLIT_NPZ, *kinds}


def tool_folders() -> set[str]:
    """The names in :func:`tool_files` that are folders (an ensemble's members)."""
    from .models import KINDS

    return {name for kind in KINDS.values() for name in kind.folders}


def is_bundle(path: Path) -> bool:
    """True only for a folder whose config.json has this tool's format marker and a version."""
    try:
        meta = json.loads((path / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return (isinstance(meta, dict) and meta.get("format") == FORMAT
            and isinstance(meta.get("format_version"), int))


def check_output(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Everything about a bundle output path that can be known before training: returns it.

    Refused: a file, a link, the current folder or one above it, a folder with other files, a
    folder with a ``config.json`` that is not this tool's, a bundle without ``force``, a place
    that cannot be written. Cheap (no Keras), so the command line calls it before any work.
    """
    path = check_folder_output(path, "output")
    if not path.exists():
        return path
    if (path / CONFIG).exists() and not is_bundle(path):
        raise UserError(f"output {path} holds a {CONFIG} that is not an imdb-sentiment bundle; "
                        f"choose a new path (nothing there is replaced)")
    if is_bundle(path):
        if not force:
            raise UserError(f"output {path} already holds a bundle; use --force to replace it")
        ours, folders = tool_files(), tool_folders()
        for entry in path.iterdir():
            if entry.name in ours and (entry.is_symlink() or not (
                    entry.is_dir() if entry.name in folders else entry.is_file())):
                raise UserError(f"{entry} is not a file this tool wrote; move it away first")
            if entry.name not in ours:
                _check_carriable(entry)
    elif any(path.iterdir()):
        raise UserError(f"output {path} is a folder with other files in it; choose a new path")
    return path


def _check_carriable(entry: Path) -> None:
    """A user's entry in a bundle must be a file, folder or link to be carried across."""
    if entry.is_symlink() or entry.is_file():
        return
    if not entry.is_dir():
        raise UserError(f"{entry} is not a file or folder (a FIFO or device?); move it away "
                        f"before replacing the bundle")
    for child in entry.iterdir():
        _check_carriable(child)


def save(classifier, path: str | os.PathLike, *, force: bool = False) -> Path:
    """Write the bundle complete into a folder beside ``path``, then swap it into place."""
    path = check_output(path, force=force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {path.parent}: {describe(error)}") from error
    new = make_temp_folder(path, "new")
    try:
        _write(classifier, new)
        if path.exists():
            _link_user_files(path, new)
            sync_tree(new)
            replace_folder(new, path)  # ``new`` now holds the old bundle
            _rescue_late_files(new, path)
        else:
            sync_tree(new)
            os.rename(new, path)
    except OSError as error:
        raise UserError(f"cannot write bundle {path}: {describe(error)}") from error
    finally:
        shutil.rmtree(new, ignore_errors=True)
    return path


def _link_user_files(old: Path, new: Path) -> None:
    """Every entry of ``old`` that the tool did not write, into ``new``: files as hard links
    (the same data, nothing copied), folders recreated, symbolic links as they are."""
    ours = tool_files()
    for entry in old.iterdir():
        if entry.name not in ours:
            _link_tree(entry, new / entry.name)


def _link_tree(source: Path, target: Path) -> None:
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():
        target.mkdir()
        for child in source.iterdir():
            _link_tree(child, target / child.name)
        shutil.copystat(source, target)
    elif source.is_file():
        try:
            os.link(source, target)
        except OSError:  # a file system without hard links
            shutil.copy2(source, target)
    else:
        raise UserError(f"{source} is not a file or folder; move it away first")


def _rescue_late_files(old: Path, path: Path) -> None:
    """Entries the user added to the old bundle while the new one was being linked."""
    ours = tool_files()
    for entry in old.iterdir():
        if entry.name not in ours and not os.path.lexists(path / entry.name):
            os.rename(entry, path / entry.name)


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
    if getattr(classifier, "data", None):  # data.json (+ split.npz): files, sizes, split
        from .labeled import save_record

        save_record(folder, classifier.data)
    from .model_card import model_card

    (folder / MODEL_CARD).write_text(model_card(classifier), encoding="utf-8")


def load(path: str | os.PathLike):
    """Read a bundle back into a :class:`~imdb_sentiment.classifier.Classifier`.

    The bundle's files are checked before its model kind imports Keras and JAX, so that a wrong
    path fails at once."""
    from .classifier import Classifier
    from .models import kind_class

    path = Path(path)
    if not path.is_dir():
        raise UserError(f"no model bundle at {path}")
    if not (path / CONFIG).is_file():
        raise UserError(f"bundle {path} is missing {CONFIG}")
    config = read_config(path)
    kind_model = kind_class(config.kind)
    for name in kind_model.files:
        if not (path / name).is_file():
            raise UserError(f"bundle {path} is missing {name}")
    history = _read_json(path / HISTORY) if (path / HISTORY).is_file() else None
    metrics = _read_json(path / METRICS) if (path / METRICS).is_file() else None
    if history is not None and not _history_ok(history):
        raise UserError(f"bundle {path} is damaged: {HISTORY} is not lists of numbers by name")
    if metrics is not None and not isinstance(metrics, dict):
        raise UserError(f"bundle {path} is damaged: {METRICS} is not a JSON object")
    try:
        model = kind_model.load(path, config)
    except (KeyError, TypeError, ValueError, OSError) as error:
        raise UserError(f"bundle {path} is damaged: {error}") from error
    classifier = Classifier(model, history=history, metrics=metrics)
    from .labeled import load_record

    classifier.data = load_record(path)  # data.json: what it was trained and measured on
    return classifier


def read_config(path: Path):
    """The :class:`Config` of the bundle at ``path``, after checking config.json's keys."""
    from .config import LABELS, Config
    from .models import DEFAULT_KIND, KINDS

    meta = _read_json(path / CONFIG)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"{path / CONFIG} is not an imdb-sentiment bundle")
    if meta.get("format_version") != FORMAT_VERSION:
        raise UserError(
            f"bundle {path} has format version {meta.get('format_version')!r}; "
            f"this version of imdb-sentiment reads version {FORMAT_VERSION}"
        )
    if meta.get("labels") != list(LABELS):
        raise UserError(f"bundle {path} has labels {meta.get('labels')!r}, "
                        f"expected {list(LABELS)}")
    if not isinstance(meta.get("config"), dict):
        raise UserError(f"bundle {path} is damaged: {CONFIG} has no 'config' object")
    kind = meta.get("kind", DEFAULT_KIND)  # bundles from before kinds are recurrent
    if kind not in KINDS:
        raise UserError(f"bundle {path} holds a model of kind {kind!r}, which this version of "
                        f"imdb-sentiment does not know (it knows {', '.join(sorted(KINDS))})")
    try:
        return Config.from_dict({**meta["config"], "kind": kind}, strict=True)
    except UserError as error:
        raise UserError(f"bundle {path} is damaged: {CONFIG}: {error}") from None


def _history_ok(history) -> bool:
    return isinstance(history, dict) and all(
        isinstance(v, list) and all(isinstance(x, int | float) and not isinstance(x, bool)
                                    for x in v) for v in history.values())


def _backend() -> str:
    from .keras_import import keras

    return keras.backend.backend()


def _write_json(path: Path, data) -> None:
    try:
        text = json.dumps(data, indent=2, allow_nan=False)
    except ValueError as error:
        raise UserError(f"refusing to write {path.name}: it holds a non-finite number") from error
    path.write_text(text + "\n", encoding="utf-8")


def _read_json(path: Path):
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise UserError(f"{path} is over {MAX_JSON_BYTES >> 20} MiB; not a bundle file")
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise UserError(f"cannot read {path}: JSON nested too deeply") from None
    except (ValueError, OSError) as error:
        raise UserError(f"cannot read {path}: {error}") from error


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")

