"""Every hyperparameter in one place, with the classic Keras IMDB example as the default."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .errors import UserError

CELLS = ("simple_rnn", "lstm", "gru")
EMBEDDING_UPDATES = ("dense", "lazy")  # Adam on the whole embedding table, or on its used rows
# models/__init__.py KINDS, written out to import nothing
KIND_NAMES = ("recurrent", "nbsvm", "birnn", "ensemble")
LINEAR_LOSSES = ("logistic", "svm")  # models/linear.py LOSSES
CALIBRATIONS = ("none", "platt", "auto")  # auto: Platt when validation ECE > ECE_LIMIT
POOLINGS = ("max_mean", "last")  # models/birnn_net.py

# The label mapping, defined once: id 0 is negative, id 1 is positive (aclImdb's neg/ and pos/).
LABELS = ("negative", "positive")


@dataclass(frozen=True)
class Config:
    kind: str = "recurrent"  # the model kind (models/): the recurrent network, or "nbsvm"
    # --- text ---
    max_features: int = 20000  # keep only the 20k most frequent training words (ids 3..19999)
    maxlen: int = 80  # reviews are cut to their last 80 tokens ('pre' truncation and padding)
    # --- model ---
    cell: str = "simple_rnn"  # the classic body; "lstm" and "gru" are the alternatives
    embedding_dim: int = 128  # size of each word vector
    units: int = 128  # size of the recurrent state
    dropout: float = 0.2  # dropout on the recurrent layer's inputs
    recurrent_dropout: float = 0.2  # dropout on the recurrent state between steps
    # --- training ---
    batch_size: int = 32  # the classic batch size
    epochs: int = 3  # SimpleRNN test loss is lowest at epoch 3 and rises after (README)
    learning_rate: float = 1e-3  # Adam's default
    embedding_update: str = "dense"  # "lazy": Adam on the batch's rows only (lazy_embedding.py)
    validation_split: float = 0.0  # >0: hold out training reviews for early stopping, not test
    patience: int = 1  # epochs without validation improvement before early stopping
    seed: int = 1337  # same seed, same vocabulary order, same batches, same metrics
    # --- the nbsvm kind (models/linear.py); the fields above it uses: validation_split, seed ---
    # (defaults: the nbsvm preset's, chosen on validation splits by bench/nbsvm_tune.py)
    ngrams: int = 2  # features are the n-grams of 1..ngrams tokens (at most 3)
    min_df: int = 2  # n-grams in fewer training reviews are dropped
    c: float = 1.0  # liblinear's C: larger, less regularization
    beta: float = 0.75  # interpolation towards the mean weight magnitude (1: none)
    linear_loss: str = "logistic"  # "logistic" (LogisticRegression) or "svm" (LinearSVC)
    calibration: str = "auto"  # Platt scaling fitted on the validation split: never, always, or
    # when the validation ECE is above 0.02
    # --- the birnn kind (models/birnn.py; also uses the recurrent fields and calibration) ---
    bidirectional: bool = True  # a backward GRU/LSTM beside the forward one
    pooling: str = "max_mean"  # max and mean of every word's state, or "last": the final state
    pretrain_epochs: int = 5  # word2vec epochs on train/unsup + training texts; 0: random init

    def __post_init__(self):
        _check_types(self)
        checks = [
            (self.max_features >= 4, "max_features must be at least 4 (ids 0-2 are reserved)"),
            (self.maxlen >= 1, "maxlen must be at least 1"),
            (self.cell in CELLS, f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}"),
            (self.embedding_dim >= 1, "embedding_dim must be at least 1"),
            (self.units >= 1, "units must be at least 1"),
            (0.0 <= self.dropout < 1.0, "dropout must be in [0, 1)"),
            (0.0 <= self.recurrent_dropout < 1.0, "recurrent_dropout must be in [0, 1)"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (0 < self.learning_rate < math.inf, "learning_rate must be a positive finite number"),
            (self.embedding_update in EMBEDDING_UPDATES,
             f"embedding_update must be one of {', '.join(EMBEDDING_UPDATES)}, "
             f"not {self.embedding_update!r}"),
            (0.0 <= self.validation_split < 1.0, "validation_split must be in [0, 1)"),
            (self.patience >= 0, "patience must be at least 0"),
            (self.kind in KIND_NAMES,
             f"kind must be one of {', '.join(KIND_NAMES)}, not {self.kind!r}"),
            (1 <= self.ngrams <= 3, "ngrams must be 1, 2 or 3"),
            (self.min_df >= 1, "min_df must be at least 1"),
            (self.c > 0, "c must be positive"),
            (0.0 < self.beta <= 1.0, "beta must be in (0, 1]"),
            (self.linear_loss in LINEAR_LOSSES,
             f"linear_loss must be one of {', '.join(LINEAR_LOSSES)}, not {self.linear_loss!r}"),
            (self.pooling in POOLINGS,
             f"pooling must be one of {', '.join(POOLINGS)}, not {self.pooling!r}"),
            (self.pretrain_epochs >= 0, "pretrain_epochs must be at least 0"),
            (self.calibration in CALIBRATIONS,
             f"calibration must be one of {', '.join(CALIBRATIONS)}, not {self.calibration!r}"),
            (0 <= self.seed < 2**32, "seed must be in [0, 2**32)"),  # numpy's seed range
        ]
        for ok, message in checks:
            if not ok:
                raise UserError(message)

    @classmethod
    def preset(cls, name: str, **overrides) -> Config:
        """The named configuration of ``presets.py``, with ``overrides`` on top:
        ``Config.preset("nbsvm", c=0.3)``."""
        from .presets import preset_settings

        return cls(**{**preset_settings(name), **overrides})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict, *, strict: bool = False) -> Config:
        """``strict`` (a saved bundle): the keys that shape the model must be there."""
        known = {f.name for f in dataclasses.fields(cls)}
        missing = [k for k in SHAPE_KEYS if k not in values]
        if strict and missing:
            raise UserError(f"config has no {', '.join(missing)}")
        return cls(**{k: v for k, v in values.items() if k in known})


# What a saved model cannot be rebuilt without; the other keys default (older bundles).
SHAPE_KEYS = ("max_features", "maxlen", "cell", "embedding_dim", "units")


def _check_types(config: Config) -> None:
    """Each value of the default's type (an int is a float too; a bool is only a bool), so a
    hand-edited file fails here with its field's name, not later with a TypeError."""
    for field in dataclasses.fields(config):
        value, default = getattr(config, field.name), field.default
        kind = (int, float) if isinstance(default, float) else type(default)
        if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, kind):
            raise UserError(f"{field.name} must be {type(default).__name__}, not {value!r}")
