"""What the commands show, drawn with rich: prediction tables, explanations, evaluation tables
and the progress bar of file scoring.

In a terminal the words that drove a decision are coloured (green towards positive, red towards
negative); elsewhere (a pipe, a file, NO_COLOR) they carry plain markers: ``[+good]``, ``[-bad]``.
Tokens cut off by maxlen are shown as ``[not seen: ...]``.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

POSITIVE_STYLE, NEGATIVE_STYLE, UNSEEN_STYLE = "bold green", "bold red", "dim"
LABEL_STYLES = {"positive": POSITIVE_STYLE, "negative": NEGATIVE_STYLE, "neutral": "bold yellow"}


def plain(console: Console) -> bool:
    """True where colour will not show, so markers must carry the meaning."""
    return console.no_color or console.color_system is None


class PredictionTable:
    """Prints predictions as one table, a batch at a time (fixed column widths keep it aligned)."""

    def __init__(self, console: Console):
        self.console, self.header = console, True

    def print(self, records: Iterable, predictions: Iterable) -> None:
        table = Table(box=None, show_header=self.header, header_style="bold", pad_edge=False)
        table.add_column("id", width=8, no_wrap=True, overflow="ellipsis")
        table.add_column("label", width=8)
        table.add_column("P(positive)", width=11, justify="right")
        table.add_column("review", no_wrap=True, overflow="ellipsis", ratio=1)
        for record, prediction in zip(records, predictions, strict=True):
            style = LABEL_STYLES.get(prediction.label, "")
            table.add_row(str(record.id), Text(prediction.label, style=style),
                          f"{prediction.probability:.4f}", " ".join(record.text.split()))
        self.console.print(table)
        self.header = False


def explanation_text(explanation, top: int, *, markers: bool) -> Text:
    """The review's tokens with the ``top`` strongest highlighted, the unseen part marked."""
    tokens = explanation.tokens
    strongest = sorted((i for i, t in enumerate(tokens) if t.contribution),
                       key=lambda i: -abs(tokens[i].contribution))[:top]
    text = Text()
    unseen = [t.token for t in tokens if not t.seen]
    if unseen:
        text.append(f"[not seen: {' '.join(unseen)}]", style=UNSEEN_STYLE)
    for i, token in enumerate(tokens):
        if not token.seen:
            continue
        if text:
            text.append(" ")
        if i in strongest:
            sign = "+" if token.contribution > 0 else "-"
            style = POSITIVE_STYLE if token.contribution > 0 else NEGATIVE_STYLE
            text.append(f"[{sign}{token.token}]" if markers else token.token, style=style)
        else:
            text.append(token.token)
    return text


def print_explanation(console: Console, record_id, explanation, top: int) -> None:
    """A heading (id, label, probability, strongest words) and the highlighted review."""
    p = explanation.prediction
    words = ", ".join(f"{t.token} {t.contribution:+.3f}" for t in explanation.top(top)
                      if t.contribution)
    heading = Text(f"{record_id}  ", style="bold")
    heading.append(p.label, style=LABEL_STYLES.get(p.label, ""))
    heading.append(f"  P(positive)={p.probability:.4f}  top: {words or '-'}")
    wrap = not console.is_terminal  # a pipe or file gets one line per review
    console.print(heading, soft_wrap=wrap)
    console.print(explanation_text(explanation, top, markers=plain(console)) or "(no words)",
                  soft_wrap=wrap)
    console.print()


def print_evaluation(console: Console, result: dict) -> None:
    """The headline figures of :func:`imdb_sentiment.evaluate.evaluate` and the confusion matrix."""
    console.print(f"{result['reviews']} reviews, {result['positives']} positive", style="bold",
                  highlight=False)
    metrics = Table(box=box.SIMPLE, header_style="bold")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for name in ("accuracy", "loss", "precision", "recall", "f1", "roc_auc", "brier", "ece"):
        value = result[name]
        metrics.add_row(name, "n/a (one class)" if value is None else f"{value:.4f}")
    console.print(metrics)
    labels = result["labels"]
    confusion = Table(box=box.SIMPLE, header_style="bold")
    confusion.add_column("true \\ predicted")
    for label in labels:
        confusion.add_column(label, justify="right")
    for label, row in zip(labels, result["confusion_matrix"], strict=True):
        confusion.add_row(label, *map(str, row))
    console.print(confusion)


class ScoringProgress:
    """A progress bar over the bytes of a source file, or nothing for arguments and standard
    input; used as ``with ScoringProgress(...) as on_batch``, ``on_batch(n)`` moves it on."""

    def __init__(self, console: Console, source, *, enabled: bool):
        self.source, self.reviews = source, 0
        total = source.size if source is not None else None
        self.enabled = enabled and total is not None
        self.bar = Progress(*Progress.get_default_columns(), "{task.fields[reviews]} reviews",
                            console=console, disable=not self.enabled)
        self.task = self.bar.add_task("Scoring", total=total, reviews=0)

    def __enter__(self):
        self.bar.start()
        return self.on_batch

    def on_batch(self, n: int) -> None:
        if self.enabled:
            self.reviews += n
            self.bar.update(self.task, completed=self.source.bytes_read, reviews=self.reviews)

    def __exit__(self, *exc):
        self.bar.stop()
