"""``MODEL_CARD.md``: what a bundle holds, how well it did, and what it is not for.

Written into every bundle when it is saved, from what the classifier knows: its kind and
settings (and the preset they match, with that preset's figures over several seeds), its test
figures from training, its calibration, the machine. The limits are those of the data: English
movie reviews, polarised (IMDB's 1-4 and 7-10 star ratings; no neutral reviews).
"""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone

# the Config fields that matter for each kind (seed and validation_split matter for both)
FIELDS = {
    "recurrent": ("cell", "max_features", "maxlen", "embedding_dim", "units", "dropout",
                  "recurrent_dropout", "batch_size", "epochs", "learning_rate",
                  "embedding_update", "validation_split", "patience", "seed"),
    "nbsvm": ("ngrams", "min_df", "c", "beta", "linear_loss", "calibration",
              "validation_split", "seed"),
}
FIELDS["birnn"] = ("cell", "bidirectional", "pooling", "pretrain_epochs", "max_features",
                   "maxlen", "embedding_dim", "units", "dropout", "recurrent_dropout",
                   "batch_size", "epochs", "learning_rate", "validation_split", "patience",
                   "calibration", "seed")
FIELDS["ensemble"] = FIELDS["birnn"] + FIELDS["nbsvm"][:5]  # both members' settings
LIMITS = """\
- Domain: English movie reviews from IMDB. Other domains (products, tweets), other languages and
  other registers will score worse, by an amount not measured here.
- Polarity only: the training reviews are clearly negative (1-4 stars) or positive (7-10);
  mixed or neutral text gets a probability near 0.5 at best (`predict --neutral` can label
  such a band), not a calibrated "neutral".
- Negation, sarcasm and contrast ("not bad at all", "great, if you like boredom") are often
  missed: a linear n-gram model sees at most two or three words together, and the classic
  recurrent models are weak readers.
- The recurrent presets read only the last `maxlen` tokens of a review (80 by default, 400 for
  `strong` and `best`); the start of a long review is not seen.
- Tokenization drops punctuation and case; emoticons and emphasis are lost.
"""


def preset_of(config) -> str | None:
    """The name of the preset whose settings ``config`` has (seed aside), if any."""
    from .config import Config
    from .presets import PRESETS

    mine = {k: v for k, v in config.to_dict().items() if k != "seed"}
    for preset in PRESETS.values():
        if preset.available:
            theirs = Config(**preset.settings).to_dict()
            if {k: v for k, v in theirs.items() if k != "seed"} == mine:
                return preset.name
    return None


def _own_data(data: dict | None, *, pretrained: bool) -> list[str]:
    """The data paragraph: IMDB's, or the user's files as ``data.json`` records them."""
    train = (data or {}).get("train", {})
    if "file" not in train:
        return ["Trained on the IMDB Large Movie Review Dataset (Maas et al. 2011): the labeled "
                "training split (25,000 reviews, half positive); `train/unsup` "
                + ("used only to pretrain word vectors (no labels). " if pretrained
                   else "not used. ")
                + "Settings were chosen on validation splits of the training reviews (nbsvm; "
                "the birnn model's epoch by early stopping; the ensemble's weights) or taken "
                "from the classic Keras example; the test split was only measured.", ""]
    test, split = data["test"], train.get("split")
    held = (f"a stratified {split['test_fraction']:g} of each class held out with seed "
            f"{split['seed']} (rows in `split.npz`)" if split else f"`{test['file']}`")
    return [f"Trained on your own labeled file `{train['file']}` ({train['reviews']} reviews: "
            f"{train['negative']} negative, {train['positive']} positive; SHA-256 "
            f"`{train['sha256'][:16]}...`); measured on {held} ({test['reviews']} reviews). "
            "See `data.json`. The limits below were written for IMDB: judge them for your "
            "data.", ""]


def model_card(classifier) -> str:
    """The card's Markdown text."""
    from .presets import PRESETS

    config, metrics = classifier.config, classifier.metrics or {}
    preset = preset_of(config)
    lines = [f"# imdb-sentiment model: {classifier.kind}"
             + (f" (preset `{preset}`)" if preset else ""), "",
             f"Written {datetime.now(timezone.utc).isoformat(timespec='seconds')} on "
             f"{platform.machine()} with {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()}.", "",
             "## Data", "", *_own_data(classifier.data, pretrained=bool(
                 getattr(config, "pretrain_epochs", 0) and classifier.kind in ("birnn",
                                                                               "ensemble"))),
             "## Settings", ""]
    lines += [f"- `{name}`: {getattr(config, name)}" for name in FIELDS[classifier.kind]]
    lines += ["", "## Test figures", ""]
    figures = [(name, metrics[key]) for name, key in (
        ("accuracy", "test_accuracy"), ("loss", "test_loss"), ("ROC AUC", "test_roc_auc"),
        ("ECE (10 bins)", "test_ece"), ("Brier score", "test_brier"))
        if metrics.get(key) is not None]
    lines += [f"- {name}: {value:.4f}" for name, value in figures] or ["- not measured"]
    if "test_reviews" in metrics:
        lines.append(f"- on {metrics['test_reviews']} test reviews")
    if "train_seconds" in metrics:
        lines.append(f"- training took {metrics['train_seconds']:.1f} s")
    if preset and PRESETS[preset].measured:
        lines.append(f"- the preset over several seeds: {PRESETS[preset].measured} "
                     f"(`{PRESETS[preset].command}`)")
    lines += ["", "## Calibration", ""]
    calibration = metrics.get("calibration")
    if metrics.get("weights"):
        lines.append("The members' logits are combined by a logistic regression fitted on the "
                     f"validation split: weights {metrics['weights']}, bias "
                     f"{metrics.get('bias', 0.0):.4f}.")
    elif calibration:
        lines.append(f"Platt scaling fitted on the validation split: P = sigmoid("
                     f"{calibration['scale']:.4f} * score + {calibration['shift']:.4f}).")
    else:
        lines.append("None fitted: the model's own probabilities.")
    if metrics.get("val_ece") is not None:
        lines.append(f"Validation ECE before calibration: {metrics['val_ece']:.4f}.")
    lines += ["", "## Intended use", "",
              "Scoring the polarity of English movie reviews, in bulk or one at a time, with "
              "`imdb-sentiment predict` or `Classifier.predict`; a teaching and benchmarking "
              "baseline. Not for decisions about people.", "",
              "## Known limits", "", LIMITS]
    return "\n".join(lines)
