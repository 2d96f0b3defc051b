"""What the commands show, drawn with rich: prediction tables, explanations, evaluation tables
and the progress bar of file scoring.

In a terminal the words that drove a decision are coloured (green towards positive, red towards
negative); elsewhere (a pipe, a file, NO_COLOR) they carry plain markers: ``[+good]``, ``[-bad]``.
Tokens cut off by maxlen are shown as ``[not seen: ...]``.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from .errors import printable

POSITIVE_STYLE, NEGATIVE_STYLE, UNSEEN_STYLE = "bold green", "bold red", "dim"
LABEL_STYLES = {"positive": POSITIVE_STYLE, "negative": NEGATIVE_STYLE, "neutral": "bold yellow"}


def plain(console: Console) -> bool:
    """True where colour will not show, so markers must carry the meaning."""
    return console.no_color or console.color_system is None


class PredictionTable:
    """Prints predictions a batch at a time. In a terminal: aligned columns where the id, the
    label and the probability are never cut and the review is cut to the width left, with an
    ellipsis. Elsewhere (a pipe, a file): plain tab-separated lines for ``cut`` and ``awk``.
    Review text and ids are data: escaped (:func:`printable`), never read as markup."""

    HEADER = ("id", "label", "P(positive)", "review")

    def __init__(self, console: Console):
        self.console, self.header = console, True
        self.id_width = len(self.HEADER[0])

    def print(self, records: Iterable, predictions: Iterable) -> None:
        rows = [(printable(" ".join(str(record.id).split())), prediction.label,
                 f"{prediction.probability:.4f}", printable(" ".join(record.text.split())))
                for record, prediction in zip(records, predictions, strict=True)]
        if not self.console.is_terminal:
            lines = ["\t".join(self.HEADER)] if self.header else []
            lines += ["\t".join(row) for row in rows]
            if lines:
                self.console.file.write("\n".join(lines) + "\n")
                self.console.file.flush()
            self.header = False
            return
        self.id_width = max(self.id_width, *(cell_len(row[0]) for row in rows))
        if self.header:
            self.console.print(self._line(*self.HEADER, style="bold"), soft_wrap=True)
            self.header = False
        for row in rows:
            self.console.print(self._line(*row), soft_wrap=True)

    def _line(self, record_id: str, label: str, probability: str, review: str,
              style: str = "") -> Text:
        line = Text(style=style)
        line.append(record_id + " " * (self.id_width - cell_len(record_id)))
        line.append("  ")
        label_style = LABEL_STYLES.get(label, "")
        line.append(f"{label:<8}", style=label_style)
        line.append(f"  {probability:>11}  ")
        room = self.console.width - line.cell_len
        if room >= 2:  # the review takes what is left; the rest of the line is never cut
            text = Text(review)
            text.truncate(room, overflow="ellipsis")
            line.append_text(text)
        return line


def explanation_text(explanation, top: int, *, markers: bool) -> Text:
    """The review's tokens with the ``top`` strongest highlighted, the unseen part marked."""
    tokens = explanation.tokens
    strongest = sorted((i for i, t in enumerate(tokens) if t.contribution),
                       key=lambda i: -abs(tokens[i].contribution))[:top]
    text = Text()
    unseen = [t.token for t in tokens if not t.seen]
    if unseen:
        text.append(f"[not seen: {printable(' '.join(unseen))}]", style=UNSEEN_STYLE)
    for i, token in enumerate(tokens):
        if not token.seen:
            continue
        if text:
            text.append(" ")
        if i in strongest:
            sign = "+" if token.contribution > 0 else "-"
            style = POSITIVE_STYLE if token.contribution > 0 else NEGATIVE_STYLE
            word = printable(token.token)
            text.append(f"[{sign}{word}]" if markers else word, style=style)
        else:
            text.append(printable(token.token))
    return text


def print_explanation(console: Console, record_id, explanation, top: int) -> None:
    """A heading (id, label, probability, strongest words) and the highlighted review."""
    p = explanation.prediction
    words = ", ".join(f"{printable(t.token)} {t.contribution:+.3f}" for t in explanation.top(top)
                      if t.contribution)
    heading = Text(f"{printable(str(record_id))}  ", style="bold")
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
