"""Training that survives an interruption: a checkpoint after every epoch, and resume.

``train`` given a ``checkpoint_dir`` (the command line uses ``.NAME.in-progress`` beside the
output) writes after every finished epoch a folder ``epoch-N`` holding everything the next epoch
depends on: every model variable (weights and the dropout layers' seed state), every optimizer
variable (Adam's moments and step count), numpy's and Python's global random states (Keras
shuffles with numpy), the history so far and early stopping's state (with its best weights).
Each ``epoch-N`` is written under a temporary name, fsync-ed and renamed, so a SIGKILL at any
moment leaves the last complete one. ``run.json`` (the config) and ``vocabulary.json`` are
written once. Resuming restores all of it and continues with Keras's own ``initial_epoch``: the
run then ends where an uninterrupted one would (RELIABILITY.md has the measured tolerance).

Keras's ``BackupAndRestore`` callback was read and not used: it stores weights and optimizer
state but not the seed-generator state or numpy's random state (so the resumed epochs would
draw other dropout masks and batches), nor early stopping's state, and it writes the weights
and the epoch number as two files in turn (a kill between them pairs one epoch's weights with
another's number).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
from pathlib import Path

import numpy as np

from .atomic import atomic_file, make_temp_folder, sync_tree
from .errors import UserError
from .keras_import import keras

RUN, VOCABULARY, STATE, ARRAYS = "run.json", "vocabulary.json", "state.json", "arrays.npz"
RUN_FORMAT = "imdb-sentiment-run"
_EPOCH = re.compile(r"epoch-(\d+)$")


class Interrupted(UserError):
    """Ctrl-C during training: the finished epochs are kept; exit code 130."""

    exit_code = 130

    def __init__(self, epochs_done: int, epochs: int, checkpoint_dir: Path | None):
        kept = (f"; {epochs_done} finished epoch(s) kept in {checkpoint_dir}"
                if checkpoint_dir and epochs_done else "")
        super().__init__(f"interrupted during epoch {epochs_done + 1} of {epochs}{kept}")
        self.epochs_done, self.checkpoint_dir = epochs_done, checkpoint_dir


def in_progress_dir(output: Path) -> Path:
    return output.with_name(f".{output.name}.in-progress")


def is_run(folder: Path) -> bool:
    try:
        return json.loads((folder / RUN).read_text(encoding="utf-8")).get("format") == RUN_FORMAT
    except (OSError, ValueError, AttributeError, RecursionError):
        return False


def finished_epochs(folder: Path) -> int:
    """How many epochs the checkpoints in ``folder`` hold (0 when none)."""
    numbers = [int(m.group(1)) for p in _entries(folder) if (m := _EPOCH.match(p.name))]
    return max(numbers, default=0)


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def discard(folder: Path) -> None:
    """Remove an in-progress folder, which only this module writes."""
    if folder.exists():
        if not is_run(folder):
            raise UserError(f"{folder} is not an imdb-sentiment run in progress; not removing it")
        shutil.rmtree(folder)


def start(folder: Path, config, vocabulary, source: str) -> None:
    """Record what the run is, once, before the first epoch."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {folder}: {error.strerror}") from error
    with atomic_file(folder / VOCABULARY) as file:
        file.write(json.dumps(vocabulary.to_json(), ensure_ascii=False))
    with atomic_file(folder / RUN) as file:
        file.write(json.dumps({"format": RUN_FORMAT, "config": config.to_dict(),
                               "source": source}, indent=2))


def read_run(folder: Path, config):
    """The stored vocabulary of a run to resume, after checking that ``config`` is its config
    (only ``epochs`` may differ)."""
    from .config import Config
    from .text import Vocabulary

    if not is_run(folder):
        raise UserError(f"nothing to resume: {folder} holds no interrupted run")
    try:
        run = json.loads((folder / RUN).read_text(encoding="utf-8"))
        stored = Config.from_dict(run["config"], strict=True)
        vocabulary = Vocabulary.from_json(json.loads((folder / VOCABULARY).read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError, RecursionError, UserError) as error:
        raise UserError(f"cannot resume from {folder}: it is damaged ({error})") from None
    changed = [f"--{k.replace('_', '-')} {v!r} (was {getattr(stored, k)!r})"
               for k, v in config.to_dict().items() if k != "epochs" and getattr(stored, k) != v]
    if changed:
        raise UserError(f"cannot resume with other settings: {', '.join(changed)}")
    return vocabulary


class Checkpoint(keras.callbacks.Callback):
    """Saves the training state after each finished epoch; restores it in ``restore``."""

    def __init__(self, folder: Path | None, guard: StopOnInterrupt, early_stopping=None):
        super().__init__()
        self.folder, self.guard, self.early_stopping = folder, guard, early_stopping
        self.history: dict[str, list[float]] = {}  # finished epochs only
        self.epochs_done = 0

    _random_states = None

    def on_train_begin(self, logs=None):
        """The random states go back here, not before ``fit``: ``fit`` draws from numpy when it
        sets up its data, before the first epoch, in a fresh run and a resumed one alike."""
        if self._random_states is not None:
            np.random.set_state(self._random_states[0])
            random.setstate(self._random_states[1])
            self._random_states = None

    def on_epoch_end(self, epoch, logs=None):
        if self.guard.epoch_cut or self.guard.bad_loss:
            return  # an epoch cut short by Ctrl-C, or gone non-finite: not a finished epoch
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs_done = epoch + 1
        if self.folder is not None:
            self.save(epoch + 1)

    def save(self, epochs_done: int) -> None:
        target = self.folder / f"epoch-{epochs_done}"
        tmp = make_temp_folder(target, "tmp")
        try:
            model, stop = self.model, self.early_stopping
            arrays = {f"model/{i}": np.asarray(v) for i, v in enumerate(model.variables)}
            arrays |= {f"optimizer/{i}": np.asarray(v)
                       for i, v in enumerate(model.optimizer.variables)}
            name, keys, pos, has_gauss, gauss = np.random.get_state()
            arrays["numpy/keys"] = keys
            if stop is not None and stop.best_weights is not None:
                arrays |= {f"best/{i}": w for i, w in enumerate(stop.best_weights)}
            np.savez(tmp / ARRAYS, **arrays)
            state = {
                "epochs_done": epochs_done, "history": self.history,
                "numpy": [name, int(pos), int(has_gauss), float(gauss)],
                "python": _python_state(random.getstate()),
                "early_stopping": None if stop is None else {
                    "wait": stop.wait, "best": None if stop.best is None else float(stop.best),
                    "best_epoch": stop.best_epoch, "stopped_epoch": stop.stopped_epoch},
            }
            (tmp / STATE).write_text(json.dumps(state), encoding="utf-8")
            sync_tree(tmp)
            os.rename(tmp, target)
        except OSError as error:
            raise UserError(f"cannot write the checkpoint {target}: {error.strerror}") from error
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for old in _entries(self.folder):  # keep only the newest
            match = _EPOCH.match(old.name)
            if match and int(match.group(1)) < epochs_done:
                shutil.rmtree(old, ignore_errors=True)

    def restore(self, model) -> int:
        """Put the newest checkpoint's state into ``model`` and the global random generators;
        returns the number of finished epochs (0: nothing to restore)."""
        done = finished_epochs(self.folder)
        if not done:
            return 0
        folder = self.folder / f"epoch-{done}"
        try:
            state = json.loads((folder / STATE).read_text(encoding="utf-8"))
            with np.load(folder / ARRAYS, allow_pickle=False) as stored:
                arrays = dict(stored)
            model.optimizer.build(model.trainable_variables)
            for prefix, variables in (("model", model.variables),
                                      ("optimizer", model.optimizer.variables)):
                for i, variable in enumerate(variables):
                    variable.assign(arrays[f"{prefix}/{i}"])
            name, pos, has_gauss, gauss = state["numpy"]
            version, internal, gauss_next = state["python"]
            self._random_states = ((name, arrays["numpy/keys"], pos, has_gauss, gauss),
                                   (version, tuple(internal), gauss_next))
            self.history, self.epochs_done = state["history"], done
            stop = self.early_stopping
            if stop is not None and state["early_stopping"] is not None:
                saved = state["early_stopping"]
                best = [arrays[f"best/{i}"] for i in range(len(model.weights))
                        if f"best/{i}" in arrays]
                stop.resume_state = {**saved, "best_weights": best or None}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UserError(f"cannot resume from {folder}: it is damaged ({error})") from None
        return done


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's early stopping, whose state can be carried over a resume (``on_train_begin``
    resets it, so the restored state is put back right after)."""

    resume_state: dict | None = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.resume_state:
            for key, value in self.resume_state.items():
                setattr(self, key, value)


class StopOnInterrupt(keras.callbacks.Callback):
    """The first Ctrl-C ends training after the step under way (the second one at once); a
    loss that is not a finite number ends it at the end of its epoch.

    No batch hook on purpose: a callback with one turns off Keras's asynchronous callback
    dispatch (every step would wait for the last), and marking it ``async_safe`` lets Keras read
    a step's logs after JAX has reused their buffers when training stops mid-epoch. The signal
    handler runs between steps and sets ``stop_training``, which ``fit`` checks after each step.
    """

    def __init__(self):
        super().__init__()
        self.interrupted, self.bad_loss, self.epoch_cut = False, None, False
        self._previous = None

    def on_train_begin(self, logs=None):
        try:
            self._previous = signal.signal(signal.SIGINT, self._on_signal)
        except ValueError:  # not the main thread: Ctrl-C keeps its default meaning
            self._previous = None

    def on_train_end(self, logs=None):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _on_signal(self, signum, frame):
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = self.epoch_cut = True
        self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.bad_loss = (epoch + 1, float(loss))
            self.model.stop_training = True


def _python_state(state):
    version, internal, gauss_next = state
    return [version, list(internal), gauss_next]

