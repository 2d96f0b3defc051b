"""The command line: thin commands over the library. A user error is one line and exit code 1."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__
from .config import CELLS, Config
from .errors import UserError

_DEFAULT = Config()


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="imdb-sentiment")
def main():
    """Train and use recurrent sentiment classifiers on IMDB movie reviews.

    \b
    imdb-sentiment train --output runs/classic      # the classic SimpleRNN
    imdb-sentiment train --cell lstm --output runs/lstm
    """


def data_option(f):
    return click.option(
        "--data", "data_path", type=click.Path(path_type=Path), default=None,
        help="aclImdb .tar.gz or extracted folder [default: $IMDB_SENTIMENT_DATA, else the "
             "canonical archive, downloaded and verified into the cache]",
    )(f)


@main.command()
@data_option
def data(data_path):
    """Find (or download) the dataset and count its reviews.

    \b
    imdb-sentiment data --data aclImdb_v1.tar.gz
    """
    from .data import load_imdb
    from .text import tokenize

    imdb = load_imdb(data_path)
    click.echo(f"source: {imdb.source}")
    for name, split in (("train", imdb.train), ("test", imdb.test)):
        positive = int(split.labels.sum())
        lengths = sorted(len(tokenize(t)) for t in split.texts[:: max(1, len(split) // 2000)])
        click.echo(f"{name}: {len(split)} reviews ({positive} positive, {len(split) - positive} "
                   f"negative), median {lengths[len(lengths) // 2]} tokens")


def _opt(name: str, type_, help_: str):
    default = getattr(_DEFAULT, name)
    return click.option(f"--{name.replace('_', '-')}", name, type=type_, default=default,
                        show_default=True, help=help_)


_TRAIN_OPTIONS = [
    _opt("cell", click.Choice(CELLS), "recurrent layer"),
    _opt("max_features", int, "vocabulary size, ids 0-2 included"),
    _opt("maxlen", int, "tokens per review (longer ones keep their end)"),
    _opt("embedding_dim", int, "word vector size"),
    _opt("units", int, "recurrent state size"),
    _opt("dropout", float, "dropout on the recurrent layer's inputs"),
    _opt("recurrent_dropout", float, "dropout on the recurrent state"),
    _opt("batch_size", int, "reviews per training step"),
    _opt("epochs", int, "passes over the training set"),
    _opt("learning_rate", float, "Adam learning rate"),
    _opt("validation_split", float, "fraction of training reviews held out for early stopping"),
    _opt("patience", int, "epochs without validation improvement before stopping"),
    _opt("seed", int, "random seed: same seed, same run"),
]


def train_options(f):
    for option in reversed(_TRAIN_OPTIONS):
        f = option(f)
    return f


@main.command()
@data_option
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("runs/classic"),
              show_default=True, help="bundle folder to write")
@click.option("--force", is_flag=True, help="replace a bundle already at --output")
@click.option("-q", "--quiet", is_flag=True, help="no per-step progress bar")
@train_options
def train(data_path, output, force, quiet, **hyperparameters):
    """Train a model and save it as a bundle (model, vocabulary, config, history, curves).

    Every epoch reports training and test accuracy and loss; at the end the final test figures
    are printed and the curves are written to OUTPUT/curves.png.

    \b
    imdb-sentiment train --data aclImdb_v1.tar.gz --output runs/classic
    imdb-sentiment train --cell lstm --epochs 3 --validation-split 0.2 --output runs/lstm
    """
    from .bundle import CURVES, is_bundle

    config = Config(**hyperparameters)
    if output.exists() and is_bundle(output) and not force:  # fail before spending the time
        raise UserError(f"output {output} already holds a bundle; use --force to replace it")
    from .data import load_imdb
    from .training import train as train_model

    imdb = load_imdb(data_path)
    click.echo(f"Training {config.cell} on {len(imdb.train)} reviews from {imdb.source}")
    classifier = train_model(imdb, config, verbose=2 if quiet else "auto")
    classifier.save(output, force=force)
    _print_history(classifier.history)
    m = classifier.metrics
    click.echo(f"Test accuracy: {m['test_accuracy']:.4f}   Test loss: {m['test_loss']:.4f}   "
               f"(epoch {m['epoch']}, {m['test_reviews']} test reviews)")
    click.echo(f"Saved {output}/ ; curves in {output / CURVES}")


def _print_history(history: dict) -> None:
    columns = [k for k in ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss",
                           "test_accuracy") if k in history]
    click.echo("epoch  " + "  ".join(f"{c:>13}" for c in columns))
    for i in range(len(history["loss"])):
        click.echo(f"{i + 1:>5}  " + "  ".join(f"{history[c][i]:>13.4f}" for c in columns))


if __name__ == "__main__":
    main()
