"""The command line: thin commands over the library. A user error is one line and exit code 1."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__
from .config import (
    CALIBRATIONS,
    CELLS,
    EMBEDDING_UPDATES,
    KIND_NAMES,
    LINEAR_LOSSES,
    POOLINGS,
    Config,
)
from .errors import UserError
from .scoring import BATCH_SIZE, TOP_WORDS
from .serve.settings import ServeSettings

_DEFAULT = Config()
_SERVE = ServeSettings()


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="imdb-sentiment")
def main():
    """Train and use sentiment classifiers on IMDB movie reviews.

    \b
    imdb-sentiment train --output runs/classic      # the classic SimpleRNN
    imdb-sentiment train --cell lstm --output runs/lstm
    imdb-sentiment train --preset nbsvm --output runs/nbsvm   # imdb-sentiment presets
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
    _opt("kind", click.Choice(KIND_NAMES), "model kind: the recurrent network or NBSVM"),
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
    _opt("validation_split", float,
         "fraction of training reviews held out: early stopping, or nbsvm's calibration"),
    _opt("patience", int, "epochs without validation improvement before stopping"),
    _opt("seed", int, "random seed: same seed, same run"),
    # the nbsvm kind (models/linear.py)
    _opt("ngrams", click.IntRange(1, 3), "nbsvm: n-grams of 1..N tokens"),
    _opt("min_df", int, "nbsvm: drop n-grams in fewer training reviews"),
    _opt("c", float, "nbsvm: liblinear's C (larger: less regularization)"),
    _opt("beta", float, "nbsvm: interpolation towards the mean weight (1: none)"),
    _opt("linear_loss", click.Choice(LINEAR_LOSSES), "nbsvm: logistic regression or linear SVM"),
    _opt("calibration", click.Choice(CALIBRATIONS),
         "nbsvm: Platt scaling on the validation split (auto: when its ECE > 0.02)"),
    # the birnn kind (models/birnn.py; the strong preset)
    _opt("bidirectional", bool, "birnn: a backward recurrent layer beside the forward one"),
    _opt("pooling", click.Choice(POOLINGS), "birnn: max+mean of every state, or the last"),
    _opt("pretrain_epochs", click.IntRange(min=0),
         "birnn: word2vec epochs on train/unsup + training texts (0: no pretraining)"),
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
@click.option("--preset", default=None, metavar="NAME",
              help="a named configuration (imdb-sentiment presets); options given override it")
@click.option("--distributed", is_flag=True,
              help="data-parallel over several processes or hosts (JAX's runtime, gloo on "
                   "CPUs); each global batch of --batch-size is split over them")
@click.option("--coordinator", default=None,
              help="with --distributed: HOST:PORT of process 0 [default: "
                   "$KERAS_DISTRIBUTION_JOB_ADDRESSES]")
@click.option("--processes", type=click.IntRange(min=1), default=None,
              help="with --distributed: how many [default: $KERAS_DISTRIBUTION_NUM_PROCESSES]")
@click.option("--process-id", type=click.IntRange(min=0), default=None,
              help="with --distributed: this one's, 0 saves the bundle [default: "
                   "$KERAS_DISTRIBUTION_PROCESS_ID]")
@train_options
@click.pass_context
def train(ctx, data_path, output, force, quiet, preset, distributed, coordinator, processes,
          process_id, **hyperparameters):
    """Train a model and save it as a bundle (model, vocabulary, config, history, curves).

    Every epoch reports training and test accuracy and loss; at the end the final test figures
    are printed and the curves are written to OUTPUT/curves.png.

    \b
    imdb-sentiment train --data aclImdb_v1.tar.gz --output runs/classic
    imdb-sentiment train --cell lstm --epochs 3 --validation-split 0.2 --output runs/lstm
    imdb-sentiment train --preset nbsvm --output runs/nbsvm
    """
    from click.core import ParameterSource

    from .bundle import CURVES, is_bundle
    from .presets import configure

    given = {name for name in hyperparameters
             if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT,
                                                       ParameterSource.DEFAULT_MAP)}
    config = configure(preset, hyperparameters, given)
    if output.exists() and is_bundle(output) and not force:  # fail before spending the time
        raise UserError(f"output {output} already holds a bundle; use --force to replace it")
    from .data import load_imdb
    from .training import train as train_model

    if not distributed and (coordinator or processes or process_id is not None):
        raise UserError("--coordinator, --processes and --process-id apply to --distributed")
    if distributed:
        from .distributed import initialize, process

        initialize(coordinator, processes, process_id)
        if process() != 0:  # only process 0 writes; the others train with it and stop
            output, force = None, False
    imdb = load_imdb(data_path)
    name = config.cell if config.kind == "recurrent" else config.kind
    click.echo(f"Training {name} on {len(imdb.train)} reviews from {imdb.source}")
    # The per-step bar is for terminals; a log or pipe gets one line per epoch.
    import sys

    verbose = 2 if quiet or not sys.stdout.isatty() else 1
    classifier = train_model(imdb, config, verbose=verbose, distributed=distributed)
    if output is not None:
        classifier.save(output, force=force)
    if distributed:
        from .distributed import barrier

        barrier("bundle saved")  # the processes end together (JAX's shutdown expects it)
        if output is None:
            click.echo("Trained; process 0 saved the bundle")
            return
    m = classifier.metrics
    if classifier.history:
        _print_history(classifier.history)
        click.echo(f"Test accuracy: {m['test_accuracy']:.4f}   Test loss: {m['test_loss']:.4f}   "
                   f"(epoch {m['epoch']}, {m['test_reviews']} test reviews)")
        click.echo(f"Saved {output}/ ; curves in {output / CURVES}")
    else:
        click.echo(f"Test accuracy: {m['test_accuracy']:.4f}   Test loss: {m['test_loss']:.4f}   "
                   f"ROC AUC: {m['test_roc_auc']:.4f}   ECE: {m['test_ece']:.4f}   "
                   f"(trained in {m['train_seconds']:.1f} s, {m['test_reviews']} test reviews)")
        click.echo(f"Saved {output}/")


@main.command()
def presets():
    """List the named configurations of train --preset, with their measured figures.

    \b
    imdb-sentiment presets
    imdb-sentiment train --preset nbsvm --output runs/nbsvm
    """
    from .presets import PRESETS

    for p in PRESETS.values():
        click.echo(f"{p.name}{'' if p.available else '  (not available yet)'}")
        click.echo(f"  {p.summary}")
        if p.settings:
            click.echo("  settings: " + " ".join(f"--{k.replace('_', '-')} {v}"
                                                for k, v in p.settings.items()))
        if p.measured:
            click.echo(f"  measured: {p.measured}")
            click.echo(f"  by: {p.command}")


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
    from .classifier import Classifier

    return Classifier.load(model)


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
@click.option("--method", type=click.Choice(["occlusion", "integrated_gradients", "exact",
                                             "weighted_sum"]),
              # as in classifier.EXPLAIN_METHODS, written out so that --help need not import Keras
              default=None,
              help="how --explain measures a word. Recurrent models: hide it (occlusion, the "
                   "default; one batched pass per review), or integrate gradients from all words "
                   "hidden to the review (JAX backend). nbsvm: exact (its share of the n-gram "
                   "weights, the only method). ensemble: weighted_sum (of its members')")
@click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True,
              help="reviews read, scored and written at a time (bounds the memory)")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="label positive from this P(positive) on")
@click.option("--neutral", default=None, metavar="LOW:HIGH",
              help="label reviews with LOW <= P(positive) <= HIGH neutral, e.g. 0.4:0.6")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local",
              show_default=True,
              help="ray: score a folder or glob of files (--input 'reviews/*.parquet') on Ray, "
                   "one output file per input file in the --output folder; reruns skip "
                   "finished files")
@click.option("--address", default=None,
              help="with --engine ray: the Ray cluster (ray://HOST:10001, or auto) [default: "
                   "start Ray on this machine]")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="with --engine ray: model replicas [default: one per CPU of the cluster]")
def predict(model, texts, input_path, input_format, text_column, encoding_errors, id_column,
            output, explain, top, method, batch_size, threshold, neutral, quiet, engine, address,
            workers):
    """Label reviews with MODEL (a bundle folder): from arguments, standard input or a file.

    With no TEXT and no --input, reviews are read from standard input, one per line. Ids are the
    input's id column, else the argument or line number. A table is printed unless --output
    names a .csv or .jsonl file.

    \b
    imdb-sentiment predict runs/classic "A wonderful, moving film." "Dull and far too long."
    imdb-sentiment predict runs/classic --explain "The plot was thin but the acting was great."
    cat reviews.txt | imdb-sentiment predict runs/classic
    imdb-sentiment predict runs/classic --input reviews.csv --text-column review --output out.csv
    imdb-sentiment predict runs/nbsvm --neutral 0.4:0.6 "It was fine, I suppose."
    imdb-sentiment predict runs/classic --input 'dump/*.parquet' --output scored/ --engine ray
    """
    import sys

    from .sources import STDIN, Record, TextSource, batched

    band = _neutral_band(neutral)
    if engine == "ray":
        return _predict_on_ray(model, texts, input_path, output, address, workers, quiet,
                               format=input_format, text_column=text_column,
                               id_column=id_column, encoding_errors=encoding_errors,
                               batch_size=batch_size, explain_top=top if explain else 0,
                               method=method, threshold=threshold, neutral=band)
    if address is not None or workers is not None:
        raise UserError("--address and --workers apply to --engine ray only")

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
    classifier = _load_classifier(model).with_cut(threshold, band)
    explain_top = top if explain else 0
    if output is not None:
        _predict_to_file(classifier, records, source, output, batch_size, explain_top, method,
                         quiet)
    else:
        _predict_to_terminal(classifier, batched(records, batch_size), explain_top, method)


def _neutral_band(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        low, high = (float(part) for part in text.split(":"))
    except ValueError:
        raise UserError(f"--neutral takes LOW:HIGH, like 0.4:0.6, not {text!r}") from None
    if not 0.0 <= low <= high <= 1.0:
        raise UserError(f"--neutral {text}: needs 0 <= LOW <= HIGH <= 1")
    return low, high


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


def _predict_on_ray(model, texts, input_path, output, address, workers, quiet, **options):
    """``predict --engine ray``: every shard of ``input_path`` into the ``output`` folder."""
    from .engines.ray import ShardOptions, find_shards, score_shards

    if texts or input_path is None or str(input_path) == "-":
        raise UserError("--engine ray scores files: give --input FOLDER or --input 'GLOB'")
    if output is None:
        raise UserError("--engine ray writes one file per input file: give --output FOLDER")
    shards = find_shards(input_path)

    def report(row):
        if not quiet:
            click.echo(f"{row['input']}: {row['reviews']} reviews in {row['seconds']:.1f} s "
                       f"-> {row['output']}", err=True)

    summary = score_shards(model, shards, output, options=ShardOptions(**options),
                           address=address, workers=workers, on_shard=report)
    rate = summary["reviews"] / summary["seconds"] if summary["seconds"] else 0
    click.echo(f"Scored {summary['scored']} of {summary['shards']} files ({summary['skipped']} "
               f"already done), {summary['reviews']} reviews in {summary['seconds']:.1f} s "
               f"({rate:,.0f} reviews/s) into {output}", err=True)


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
              help="folder for metrics.json, confusion_matrix.png, roc.png and reliability.png "
                   "[default: MODEL/evaluation/imdb-SPLIT, or MODEL/evaluation/INPUT-NAME]")
def evaluate(model, data_path, split, input_path, input_format, text_column, encoding_errors,
             label_column, output_dir):
    """Measure MODEL on the IMDB test split (default) or on a labeled CSV/JSONL file.

    Prints accuracy, loss, precision, recall, F1, ROC AUC, the Brier score, the expected
    calibration error (10 bins) and the confusion matrix, and writes them as JSON with PNG plots
    of the confusion matrix, the ROC curve and the reliability diagram.

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


@main.command()
@click.argument("bundles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("comparison.png"),
              show_default=True, help="PNG of every bundle's test accuracy and loss per epoch")
def compare(bundles, output):
    """Compare bundles: the settings that differ, the test figures, the curves in one PNG.

    \b
    imdb-sentiment compare runs/classic runs/lstm runs/nbsvm -o comparison.png
    """
    from rich.console import Console

    from .compare import plot_curves, print_table, read_bundle

    read = [read_bundle(path) for path in bundles]
    console = Console()
    print_table(console, read)
    console.print(f"Wrote {plot_curves(read, output)}", highlight=False, soft_wrap=True)


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on; 0.0.0.0 opens the server to the network")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--max-batch", type=click.IntRange(min=1), default=_SERVE.max_batch,
              show_default=True, help="reviews per model call when requests are batched")
@click.option("--max-wait-ms", type=click.FloatRange(min=0), default=_SERVE.max_wait_ms,
              show_default=True, help="how long a request waits for others to share its call; "
                                      "--max-batch 1 --max-wait-ms 0 turns batching off")
@click.option("--max-queue", type=click.IntRange(min=1), default=_SERVE.max_queue,
              show_default=True, help="reviews waiting at most; beyond, 503 + Retry-After")
def serve(model, host, port, max_batch, max_wait_ms, max_queue):
    """Serve MODEL (a bundle folder) over HTTP until Ctrl-C or SIGTERM.

    A web page at /, the JSON API at /v1/predict (docs at /docs), /v1/model, /health, /ready
    and Prometheus metrics at /metrics. Needs the serve extra: pip install 'imdb-sentiment[serve]'.

    \b
    imdb-sentiment serve runs/classic
    curl -s localhost:8000/v1/predict -H 'content-type: application/json' \\
         -d '{"text": "A wonderful, moving film."}'
    """
    import dataclasses

    try:
        from .serve import run
    except ImportError as error:
        raise UserError(f"serve needs the serve extra ({error.name} is missing): "
                        f"pip install 'imdb-sentiment[serve]'") from None
    classifier = _load_classifier(model)
    settings = dataclasses.replace(_SERVE, max_batch=max_batch, max_wait_ms=max_wait_ms,
                                   max_queue=max_queue, model_name=model.resolve().name)
    run(classifier, settings, host, port)


if __name__ == "__main__":
    main()
