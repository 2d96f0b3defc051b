"""The command line: thin commands over the library. A user error is one line and exit code 1;
a usage error (unknown option, bad value for its type) is click's, exit code 2; Ctrl-C is 130."""

from __future__ import annotations

import errno
import os
import signal
import sys
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
from .errors import UserError, printable
from .scoring import BATCH_SIZE, TOP_WORDS
from .serve.settings import ServeSettings

_DEFAULT = Config()
_SERVE = ServeSettings()


_STDOUT_ERRORS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EPIPE)


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as error:
            raise _failure(str(error), error.exit_code) from None
        except KeyboardInterrupt:
            raise _failure("interrupted", 130) from None
        except OSError as error:  # our files raise UserError: a stream failed (stdout to a full
            if error.filename is not None or error.errno not in _STDOUT_ERRORS:  # device)
                raise
            _silence_stdout()
            if error.errno == errno.EPIPE:  # `| head`: the reader has what it wanted
                ctx.exit(1)
            raise _failure(f"cannot write to standard output: {error.strerror}", 1) from None


def _failure(message: str, exit_code: int) -> click.ClickException:
    """One line, whatever the message holds (paths and review text are data)."""
    failure = click.ClickException(printable(" ".join(message.split())))
    failure.exit_code = exit_code
    return failure


def _silence_stdout() -> None:
    """Point the broken standard output at /dev/null, so that the flush at exit cannot fail
    again with a second message."""
    try:
        sys.stdout.flush()
    except OSError:
        pass
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError, TypeError):  # no file descriptor (tests)
        pass


class _PathType(click.Path):
    """A path option; ``~`` and ``~user`` are expanded, and an unknown user is a usage error."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.startswith("~"):
            try:
                value = str(Path(value).expanduser())
            except RuntimeError:
                self.fail(f"cannot expand {value!r}: no such user", param, ctx)
        return super().convert(value, param, ctx)


PATH = _PathType(path_type=Path)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="imdb-sentiment")
def main():
    """Train and use sentiment classifiers on IMDB movie reviews.

    \b
    imdb-sentiment train --output runs/classic      # the classic SimpleRNN
    imdb-sentiment train --cell lstm --output runs/lstm
    imdb-sentiment train --preset nbsvm --output runs/nbsvm   # imdb-sentiment presets
    """
    from .runtime import check_backend

    if hasattr(signal, "SIGXFSZ"):  # over `ulimit -f`, a write fails with EFBIG, not a kill
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    check_backend()


def data_option(f):
    return click.option(
        "--data", "data_path", type=PATH, default=None,
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
    click.echo(f"source: {printable(str(source))}")
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
@click.option("-o", "--output", type=PATH, default=Path("runs/classic"),
              show_default=True, help="bundle folder to write")
@click.option("--force", is_flag=True,
              help="replace a bundle already at --output (only its tool files; yours stay), "
                   "or discard an interrupted run of it")
@click.option("--resume", is_flag=True,
              help="continue the interrupted run of --output from its last finished epoch")
@click.option("-q", "--quiet", is_flag=True, help="one line per epoch, no per-step progress bar")
@click.option("--preset", default=None, metavar="NAME",
              help="a named configuration (imdb-sentiment presets); options given override it")
@click.option("-i", "--input", "input_path", type=click.Path(path_type=Path), default=None,
              help="your own labeled .csv, .jsonl or .parquet to train on instead of IMDB")
@click.option("--test-input", type=click.Path(path_type=Path), default=None,
              help="with --input: a labeled file to measure on [default: a stratified "
                   "--test-fraction of --input, held out with --seed]")
@click.option("--test-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.1, show_default=True,
              help="with --input and no --test-input: share of each class held out for testing")
@click.option("--text-column", default=None,
              help="with --input: column holding the review [default: text]")
@click.option("--label-column", default=None,
              help="with --input: column of labels, 0/1 or negative/positive (neg/pos, any "
                   "case) [default: label]")
@click.option("--format", "input_format", type=click.Choice(["csv", "jsonl", "parquet"]),
              default=None, help="with --input: file format [default: from the suffix]")
@click.option("--encoding-errors", type=click.Choice(["strict", "replace"]), default="strict",
              show_default=True,
              help="with --input: bytes that are not UTF-8 stop the run, or are replaced")
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
@click.option("--no-cache", is_flag=True,
              help="read and encode the reviews even if the cache holds them (and cache nothing)")
@train_options
@click.pass_context
def train(ctx, data_path, output, force, resume, quiet, preset, input_path, test_input,
          test_fraction, text_column, label_column, input_format, encoding_errors, distributed,
          coordinator, processes, process_id, no_cache, **hyperparameters):
    """Train a model and save it as a bundle (model, vocabulary, config, history, curves).

    Every epoch reports training and test accuracy and loss; at the end the final test figures
    are printed and the curves are written to OUTPUT/curves.png. The reviews as ids are cached
    (see `imdb-sentiment cache`), so a second run reads no archive.

    \b
    imdb-sentiment train --data aclImdb_v1.tar.gz --output runs/classic
    imdb-sentiment train --cell lstm --epochs 3 --validation-split 0.2 --output runs/lstm
    imdb-sentiment train --preset nbsvm --output runs/nbsvm
    imdb-sentiment train --input labeled.csv --text-column review --label-column sentiment
    """
    from click.core import ParameterSource

    from .bundle import CURVES, check_output
    from .data import resolve_data_path
    from .presets import configure

    given = {name for name in hyperparameters
             if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT,
                                                       ParameterSource.DEFAULT_MAP)}
    config = configure(preset, hyperparameters, given)
    output = check_output(output, force=force)  # fail before spending the time
    if not distributed and (coordinator or processes or process_id is not None):
        raise UserError("--coordinator, --processes and --process-id apply to --distributed")
    if distributed and resume:
        raise UserError("--distributed runs keep no checkpoints: they cannot be resumed")
    own = _own_data(ctx, data_path, input_path, test_input, test_fraction, config.seed,
                    text_column=text_column, label_column=label_column, format=input_format,
                    encoding_errors=encoding_errors)  # every file checked before the long work
    source = resolve_data_path(data_path) if own is None else input_path
    from . import checkpoint  # Keras: imported once the options and paths check out

    progress = None  # the recurrent kind's per-epoch checkpoints, beside the output
    if config.kind == "recurrent" and not distributed:
        from .training import check_fits_memory

        check_fits_memory(config)
        progress = checkpoint.in_progress_dir(output)
        if resume and not checkpoint.is_run(progress):
            raise UserError(f"nothing to resume: no interrupted run of {output} ({progress})")
        if not resume and progress.exists():
            if not force:
                raise UserError(
                    f"{output} has an interrupted run ({checkpoint.finished_epochs(progress)} "
                    f"epochs finished, in {progress}): add --resume to continue it, or --force "
                    f"to discard it")
            checkpoint.discard(progress)
    elif resume:
        raise UserError(f"--resume applies to the recurrent kind; {config.kind} trains in a "
                        f"minute or less")
    if distributed:
        from .distributed import initialize, process

        initialize(coordinator, processes, process_id)
        if process() != 0:  # only process 0 writes; the others train with it and stop
            output, force = None, False
    if own is not None:  # your own files: streamed, not cached
        data, name, reviews = own, config.cell if config.kind == "recurrent" else config.kind, \
            len(own[0])
    elif config.kind == "recurrent":  # its input is word ids: cached between runs
        data = _encoded(source, config, use_cache=not no_cache)
        name, reviews = config.cell, len(data.x_train) + len(data.y_val)
    else:
        from .data import load_imdb

        data = load_imdb(source)
        name, reviews = config.kind, len(data.train)
    data = data if own is not None else (data,)
    click.echo(f"Training {name} on {reviews} reviews from {printable(str(source))}")
    from .training import train as train_model

    # The per-step bar is for terminals; a log or pipe gets one line per epoch.
    verbose = 2 if quiet or not sys.stdout.isatty() else 1
    try:
        classifier = train_model(*data, config, verbose=verbose, distributed=distributed,
                                 checkpoint_dir=progress, resume=resume)
    except checkpoint.Interrupted as error:
        if error.epochs_done:
            import shlex

            again = [a for a in sys.argv[1:] if a != "--resume"]
            error.args = (f"{error}; continue with: imdb-sentiment {shlex.join(again)} --resume",)
        raise
    if output is not None:
        classifier.save(output, force=force)
    if progress is not None:
        checkpoint.discard(progress)
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
        click.echo(printable(f"Saved {output}/ ; curves in {output / CURVES}"))
    else:
        click.echo(f"Test accuracy: {m['test_accuracy']:.4f}   Test loss: {m['test_loss']:.4f}   "
                   f"ROC AUC: {_figure(m['test_roc_auc'])}   ECE: {m['test_ece']:.4f}   "
                   f"(trained in {m['train_seconds']:.1f} s, {m['test_reviews']} test reviews)")
        click.echo(printable(f"Saved {output}/"))


def _own_data(ctx, data_path, input_path, test_input, test_fraction, seed, **columns):
    """``(train_set, test_set)`` of ``train --input``, every file checked first; None for IMDB."""
    from click.core import ParameterSource

    if input_path is None:
        given = [f"--{name.replace('_', '-')}" for name in
                 ("test_input", "test_fraction", "text_column", "label_column", "input_format",
                  "encoding_errors")
                 if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT,
                                                           ParameterSource.DEFAULT_MAP)]
        if given:
            raise UserError(f"{', '.join(given).replace('input-format', 'format')} apply to "
                            f"--input (your own labeled file)")
        return None
    if data_path is not None:
        raise UserError("give --data (the IMDB archive) or --input (your own labeled file), "
                        "not both")
    from .labeled import open_labeled, require_both_classes

    labeled = open_labeled(input_path, **columns)
    require_both_classes(labeled.labels, str(input_path))
    if test_input is None:
        train_set, test_set = labeled.stratified_split(test_fraction, seed)
        click.echo(f"Holding out {test_fraction * 100:g}% of each class for testing (seed {seed}): "
                   f"{len(test_set)} of {len(labeled)} reviews")
        return train_set, test_set
    if ctx.get_parameter_source("test_fraction") not in (ParameterSource.DEFAULT,
                                                         ParameterSource.DEFAULT_MAP):
        raise UserError("--test-fraction holds out part of --input; with --test-input it "
                        "does not apply")
    return labeled, open_labeled(test_input, **columns)


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


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


def _encoded(source: Path, config: Config, *, use_cache: bool):
    """The reviews of ``source`` as ids for ``config``: from the cache, else read and encoded."""
    from . import cache
    from .data import load_imdb

    def build():
        return cache.encode_data(load_imdb(source), config)

    if not use_cache:
        return build()
    return cache.load_or_build(source, config, build,
                               note=lambda line: click.echo(printable(line), err=True))


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
@click.argument("model", type=PATH)
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@click.option("-i", "--input", "input_path", type=PATH, default=None,
              help="file of reviews: .txt (one per line), .csv or .jsonl; - for standard input")
@input_options
@click.option("--id-column", default=None,
              help="CSV/JSONL column copied to the output as id [default: id when the input "
                   "has one, else the line number]")
@click.option("-o", "--output", type=PATH, default=None,
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
    if output is not None:  # everything about the output is known now: check it before the work
        from .paths import check_file_output
        from .sources import OUTPUT_FORMATS, format_of

        check_file_output(output, input=None if source is None or source.path == STDIN
                          else source.path)
        format_of(output, None, OUTPUT_FORMATS)
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
    stderr = Console(stderr=True)
    with ScoringProgress(stderr, source, enabled=not quiet) as on_batch:
        count = score_file(classifier, records, output, batch_size=batch_size,
                           explain_top=explain_top, method=method, on_batch=on_batch)
    stderr.print(printable(f"Wrote {count} predictions to {output}"), highlight=False,
                 markup=False)


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
            click.echo(printable(f"{row['input']}: {row['reviews']} reviews in "
                                 f"{row['seconds']:.1f} s -> {row['output']}"), err=True)

    summary = score_shards(model, shards, output, options=ShardOptions(**options),
                           address=address, workers=workers, on_shard=report)
    rate = summary["reviews"] / summary["seconds"] if summary["seconds"] else 0
    click.echo(f"Scored {summary['scored']} of {summary['shards']} files ({summary['skipped']} "
               f"already done), {summary['reviews']} reviews in {summary['seconds']:.1f} s "
               f"({rate:,.0f} reviews/s) into {printable(str(output))}", err=True)


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
@click.argument("model", type=PATH)
@data_option
@click.option("--split", type=click.Choice(["test", "train"]), default=None,
              help="which IMDB split to measure [default: test]")
@click.option("-i", "--input", "input_path", type=PATH, default=None,
              help="labeled .csv or .jsonl to measure instead of the IMDB data")
@input_options
@click.option("--label-column", default="label", show_default=True,
              help="column of labels: 0/1 or negative/positive (neg/pos, any case)")
@click.option("--output-dir", type=PATH, default=None,
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
    report = output_dir or model / "evaluation" / (
        input_path.stem if input_path is not None else f"imdb-{split or 'test'}")
    from .paths import check_writable_parent

    if report.exists() and not report.is_dir():
        raise UserError(f"--output-dir {report} exists and is not a folder")
    check_writable_parent(report / "metrics.json")
    classifier = _load_classifier(model)
    if input_path is not None:
        from .sources import TextSource, read_labeled

        labeled = read_labeled(TextSource(input_path, format=input_format,
                                          text_column=text_column, label_column=label_column,
                                          encoding_errors=encoding_errors))
    else:
        from .data import load_imdb

        split = split or "test"
        labeled = getattr(load_imdb(data_path), split)
    if not len(labeled):
        raise UserError(f"{input_path} holds no reviews")
    result = measure(classifier, labeled)
    written = save_report(result, report)
    console = Console()
    print_evaluation(console, result)
    for path in written:
        console.print(printable(f"Wrote {path}"), highlight=False, markup=False, soft_wrap=True)


@main.command()
@click.argument("bundles", nargs=-1, required=True, type=PATH)
@click.option("-o", "--output", type=PATH, default=Path("comparison.png"),
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
    console.print(printable(f"Wrote {plot_curves(read, output)}"), highlight=False, markup=False,
                  soft_wrap=True)


@main.command()
@click.argument("model", type=PATH)
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
    click.echo(printable(f"cache folder: {cache_dir()}"))
    for path, size in files:
        click.echo(printable(f"{size / 1e6:10.1f} MB  {path.relative_to(cache_dir())}"))
    click.echo(f"{sum(size for _, size in files) / 1e6:10.1f} MB  in all")


@cache.command("clear")
def cache_clear():
    """Remove the encoded reviews and compiled programs (a downloaded archive stays)."""
    from .cache import clear
    from .data import cache_dir

    click.echo(printable(f"Freed {clear() / 1e6:.1f} MB in {cache_dir()}"))


if __name__ == "__main__":
    main()
