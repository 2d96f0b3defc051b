"""The command line: thin commands over the library. A user error is one line and exit code 1."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__
from .config import CELLS, EMBEDDING_UPDATES, Config
from .errors import UserError
from .scoring import BATCH_SIZE, TOP_WORDS

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
@click.option("--no-cache", is_flag=True, help="count again even if the cache holds the counts")
def data(data_path, no_cache):
    """Find (or download) the dataset and count its reviews.

    \b
    imdb-sentiment data --data aclImdb_v1.tar.gz
    """
    from .data import resolve_data_path

    source = resolve_data_path(data_path)
    if no_cache:
        splits = _count_reviews(source)
    else:
        from .cache import summary

        splits = summary(source, lambda: _count_reviews(source))
    click.echo(f"source: {source}")
    for name, n, positive, median in splits:
        click.echo(f"{name}: {n} reviews ({positive} positive, {n - positive} negative), "
                   f"median {median} tokens")


def _count_reviews(source: Path) -> list:
    from .data import load_imdb
    from .text import tokenize

    imdb = load_imdb(source)
    splits = []
    for name, split in (("train", imdb.train), ("test", imdb.test)):
        lengths = sorted(len(tokenize(t)) for t in split.texts[:: max(1, len(split) // 2000)])
        splits.append([name, len(split), int(split.labels.sum()), lengths[len(lengths) // 2]])
    return splits


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
    _opt("embedding_update", click.Choice(EMBEDDING_UPDATES),
         "Adam on the whole embedding table every step, or only on the rows the batch uses "
         "(faster; other numbers, see BENCHMARKS.md)"),
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
@click.option("-q", "--quiet", is_flag=True, help="one line per epoch, no per-step progress bar")
@click.option("--no-cache", is_flag=True,
              help="read and encode the reviews even if the cache holds them (and cache nothing)")
@train_options
def train(data_path, output, force, quiet, no_cache, **hyperparameters):
    """Train a model and save it as a bundle (model, vocabulary, config, history, curves).

    Every epoch reports training and test accuracy and loss; at the end the final test figures
    are printed and the curves are written to OUTPUT/curves.png. The reviews as ids are cached
    (see `imdb-sentiment cache`), so a second run reads no archive.

    \b
    imdb-sentiment train --data aclImdb_v1.tar.gz --output runs/classic
    imdb-sentiment train --cell lstm --epochs 3 --validation-split 0.2 --output runs/lstm
    """
    import sys

    from .bundle import CURVES, is_bundle
    from .data import resolve_data_path

    config = Config(**hyperparameters)
    if output.exists() and is_bundle(output) and not force:  # fail before spending the time
        raise UserError(f"output {output} already holds a bundle; use --force to replace it")
    source = resolve_data_path(data_path)
    encoded = _encoded(source, config, use_cache=not no_cache)
    from .training import train as train_model

    click.echo(f"Training {config.cell} on {len(encoded.x_train)} reviews from {source}")
    # The per-step bar is for terminals; a log or pipe gets one line per epoch.
    verbose = 2 if quiet or not sys.stdout.isatty() else 1
    classifier = train_model(encoded, config, verbose=verbose)
    classifier.save(output, force=force)
    _print_history(classifier.history)
    m = classifier.metrics
    click.echo(f"Test accuracy: {m['test_accuracy']:.4f}   Test loss: {m['test_loss']:.4f}   "
               f"(epoch {m['epoch']}, {m['test_reviews']} test reviews)")
    click.echo(f"Saved {output}/ ; curves in {output / CURVES}")


def _encoded(source: Path, config: Config, *, use_cache: bool):
    """The reviews of ``source`` as ids for ``config``: from the cache, else read and encoded."""
    from . import cache
    from .data import load_imdb

    def build():
        return cache.encode_data(load_imdb(source), config)

    if not use_cache:
        return build()
    return cache.load_or_build(source, config, build, note=lambda line: click.echo(line, err=True))


def _print_history(history: dict) -> None:
    columns = [k for k in ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss",
                           "test_accuracy") if k in history]
    click.echo("epoch  " + "  ".join(f"{c:>13}" for c in columns))
    for i in range(len(history["loss"])):
        click.echo(f"{i + 1:>5}  " + "  ".join(f"{history[c][i]:>13.4f}" for c in columns))


def input_options(f):
    """The options that say how to read --input (shared by predict and evaluate)."""
    from .sources import ENCODING_ERRORS, INPUT_FORMATS

    options = [
        click.option("--format", "input_format", type=click.Choice(INPUT_FORMATS), default=None,
                     help="input format [default: from the suffix: .txt, .csv, .jsonl]"),
        click.option("--text-column", default=None,
                     help="CSV/JSONL column holding the review [default: text]"),
        click.option("--encoding-errors", type=click.Choice(ENCODING_ERRORS), default="strict",
                     show_default=True,
                     help="what to do with bytes that are not UTF-8: stop, or replace them"),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _load_classifier(model: Path):
    from .bundle import load  # checks the bundle's files before importing Keras

    return load(model)


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@click.option("-i", "--input", "input_path", type=click.Path(path_type=Path), default=None,
              help="file of reviews: .txt (one per line), .csv or .jsonl; - for standard input")
@input_options
@click.option("--id-column", default=None,
              help="CSV/JSONL column copied to the output as id [default: id when the input "
                   "has one, else the line number]")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="write id, label, probability to this .csv or .jsonl (replaced if it exists) "
                   "instead of printing a table")
@click.option("--explain", is_flag=True,
              help="show the words that drove each decision (adds top_words to --output)")
@click.option("--top", type=click.IntRange(min=1), default=TOP_WORDS, show_default=True,
              help="words highlighted or listed per review with --explain")
@click.option("--method", type=click.Choice(["occlusion", "integrated_gradients"]),  # as in
              # classifier.EXPLAIN_METHODS, written out so that --help need not import Keras
              default="occlusion", show_default=True,
              help="how --explain measures a word: hide it (one batched pass per review), or "
                   "integrate gradients from all words hidden to the review (JAX backend)")
@click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True,
              help="reviews read, scored and written at a time (bounds the memory)")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar")
def predict(model, texts, input_path, input_format, text_column, encoding_errors, id_column,
            output, explain, top, method, batch_size, quiet):
    """Label reviews with MODEL (a bundle folder): from arguments, standard input or a file.

    With no TEXT and no --input, reviews are read from standard input, one per line. Ids are the
    input's id column, else the argument or line number. A table is printed unless --output
    names a .csv or .jsonl file.

    \b
    imdb-sentiment predict runs/classic "A wonderful, moving film." "Dull and far too long."
    imdb-sentiment predict runs/classic --explain "The plot was thin but the acting was great."
    cat reviews.txt | imdb-sentiment predict runs/classic
    imdb-sentiment predict runs/classic --input reviews.csv --text-column review --output out.csv
    """
    import sys

    from .sources import STDIN, Record, TextSource, batched

    if texts and input_path is not None:
        raise UserError("give reviews as arguments or with --input, not both")
    if texts:
        if input_format or text_column or id_column:
            raise UserError("--format, --text-column and --id-column apply to --input only")
        source, records = None, (Record(i, text, i) for i, text in enumerate(texts, 1))
    else:
        if input_path is None:
            if sys.stdin.isatty():
                raise UserError("no reviews: give them as arguments, with --input FILE, "
                                "or one per line on standard input")
            input_path = STDIN
        source = TextSource(input_path, format=input_format, text_column=text_column,
                            id_column=id_column, encoding_errors=encoding_errors)
        records = source
    classifier = _load_classifier(model)
    explain_top = top if explain else 0
    if output is not None:
        _predict_to_file(classifier, records, source, output, batch_size, explain_top, method,
                         quiet)
    else:
        _predict_to_terminal(classifier, batched(records, batch_size), explain_top, method)


def _predict_to_file(classifier, records, source, output, batch_size, explain_top, method,
                     quiet):
    """Score ``records`` into ``output``, with a progress bar on standard error when ``source``
    is a file."""
    from rich.console import Console

    from .display import ScoringProgress
    from .scoring import score_file
    from .sources import STDIN

    if source is not None and source.path != STDIN and output.resolve() == source.path.resolve():
        raise UserError(f"--output {output} is the input file; choose another path")
    stderr = Console(stderr=True)
    with ScoringProgress(stderr, source, enabled=not quiet) as on_batch:
        count = score_file(classifier, records, output, batch_size=batch_size,
                           explain_top=explain_top, method=method, on_batch=on_batch)
    stderr.print(f"Wrote {count} predictions to {output}", highlight=False)


def _predict_to_terminal(classifier, batches, explain_top, method):
    from rich.console import Console

    from .display import PredictionTable, print_explanation
    from .scoring import score_batches

    console = Console()
    table = PredictionTable(console)
    for batch, results in score_batches(classifier, batches, explain_top=explain_top,
                                        method=method):
        if explain_top:
            for record, explanation in zip(batch, results, strict=True):
                print_explanation(console, record.id, explanation, explain_top)
        else:
            table.print(batch, results)


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@data_option
@click.option("--split", type=click.Choice(["test", "train"]), default=None,
              help="which IMDB split to measure [default: test]")
@click.option("-i", "--input", "input_path", type=click.Path(path_type=Path), default=None,
              help="labeled .csv or .jsonl to measure instead of the IMDB data")
@input_options
@click.option("--label-column", default="label", show_default=True,
              help="column of labels: 0/1 or negative/positive (neg/pos, any case)")
@click.option("--output-dir", type=click.Path(path_type=Path), default=None,
              help="folder for metrics.json, confusion_matrix.png and roc.png "
                   "[default: MODEL/evaluation/imdb-SPLIT, or MODEL/evaluation/INPUT-NAME]")
def evaluate(model, data_path, split, input_path, input_format, text_column, encoding_errors,
             label_column, output_dir):
    """Measure MODEL on the IMDB test split (default) or on a labeled CSV/JSONL file.

    Prints accuracy, loss, precision, recall, F1, ROC AUC and the confusion matrix, and writes
    them as JSON with PNG plots of the confusion matrix and the ROC curve.

    \b
    imdb-sentiment evaluate runs/classic --data aclImdb_v1.tar.gz
    imdb-sentiment evaluate runs/classic --input labeled.csv --label-column sentiment
    """
    from rich.console import Console

    from .display import print_evaluation
    from .evaluate import evaluate as measure
    from .evaluate import save_report

    if input_path is not None and data_path is not None:
        raise UserError("give --data (IMDB layout) or --input (CSV/JSONL), not both")
    if input_path is None and (input_format or text_column):
        raise UserError("--format and --text-column apply to --input only")
    if input_path is not None and split is not None:
        raise UserError("--split chooses an IMDB split; it does not apply to --input")
    classifier = _load_classifier(model)
    if input_path is not None:
        from .sources import TextSource, read_labeled

        labeled = read_labeled(TextSource(input_path, format=input_format,
                                          text_column=text_column, label_column=label_column,
                                          encoding_errors=encoding_errors))
        name = input_path.stem
    else:
        from .data import load_imdb

        split = split or "test"
        labeled = getattr(load_imdb(data_path), split)
        name = f"imdb-{split}"
    if not len(labeled):
        raise UserError(f"{input_path} holds no reviews")
    result = measure(classifier, labeled)
    written = save_report(result, output_dir or model / "evaluation" / name)
    console = Console()
    print_evaluation(console, result)
    for path in written:
        console.print(f"Wrote {path}", highlight=False, soft_wrap=True)


@main.group()
def cache():
    """Show or clear what is cached: encoded reviews and compiled programs.

    \b
    imdb-sentiment cache info
    imdb-sentiment cache clear
    """


@cache.command("info")
def cache_info():
    """List the cached files with their sizes."""
    from .cache import entries
    from .data import cache_dir

    files = entries()
    click.echo(f"cache folder: {cache_dir()}")
    for path, size in files:
        click.echo(f"{size / 1e6:10.1f} MB  {path.relative_to(cache_dir())}")
    click.echo(f"{sum(size for _, size in files) / 1e6:10.1f} MB  in all")


@cache.command("clear")
def cache_clear():
    """Remove the encoded reviews and compiled programs (a downloaded archive stays)."""
    from .cache import clear
    from .data import cache_dir

    click.echo(f"Freed {clear() / 1e6:.1f} MB in {cache_dir()}")


if __name__ == "__main__":
    main()
