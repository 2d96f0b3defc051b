"""``imdb-sentiment compare``: several bundles side by side, from their files alone.

Reads each bundle's ``config.json``, ``metrics.json``, ``history.json`` and, when ``evaluate`` has
written one, ``evaluation/imdb-test/metrics.json`` (for ROC AUC and ECE); no model is loaded.
Prints one table, a column per bundle: the settings that differ between the bundles (the kind
among them), and the test figures; and draws every bundle's test accuracy and loss per epoch in
one PNG, the classic ``show_results`` for several models. A bundle without epochs (nbsvm) is
drawn as a level line at its final figure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import UserError, printable

FIGURES = (("accuracy", "test_accuracy"), ("loss", "test_loss"), ("roc_auc", "test_roc_auc"),
           ("ece", "test_ece"))


def read_bundle(path: str | os.PathLike) -> dict:
    """``{"name", "kind", "config", "metrics", "history"}`` of the bundle at ``path``."""
    from .bundle import CONFIG, FORMAT, HISTORY, METRICS

    path = Path(path)
    if not (path / CONFIG).is_file():
        raise UserError(f"no model bundle at {path}")
    meta = _read(path / CONFIG)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"{path / CONFIG} is not an imdb-sentiment bundle")
    metrics = dict(_read(path / METRICS)) if (path / METRICS).is_file() else {}
    evaluated = path / "evaluation" / "imdb-test" / "metrics.json"
    if evaluated.is_file():  # evaluate's figures fill what training did not measure
        for name, key in FIGURES:
            value = _read(evaluated).get(name)
            metrics.setdefault(key, value)
    return {"name": str(path), "kind": meta.get("kind", "recurrent"),
            "config": {"kind": meta.get("kind", "recurrent"), **meta.get("config", {})},
            "metrics": metrics,
            "history": _read(path / HISTORY) if (path / HISTORY).is_file() else None}


def differing(bundles: list[dict]) -> list[str]:
    """The settings whose values are not the same in every bundle, in Config's order."""
    keys = list(dict.fromkeys(k for b in bundles for k in b["config"]))
    return [k for k in keys if len({json.dumps(b["config"].get(k)) for b in bundles}) > 1]


def print_table(console, bundles: list[dict]) -> None:
    """One column per bundle; a row per differing setting, then a row per test figure."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    def cell(value) -> Text:  # a folder's name is the user's text: never markup
        return Text(printable(str(value)))

    settings = differing(bundles)
    table = Table(box=box.SIMPLE, header_style="bold")
    table.add_column("")
    for b in bundles:
        table.add_column(cell(b["name"]), justify="right", overflow="fold")
    for key in settings:
        table.add_row(key, *(cell(b["config"].get(key)) for b in bundles))
    table.add_section()
    for name, key in FIGURES:
        values = [b["metrics"].get(key) for b in bundles]
        table.add_row(f"test {name}", *("-" if v is None else f"{v:.4f}" for v in values))
    console.print(table)
    if not settings:
        console.print("(the bundles have the same settings)")


def plot_curves(bundles: list[dict], path: str | os.PathLike) -> Path:
    """Test accuracy and loss per epoch of every bundle, one line each."""
    from .plots import _save, plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
        for i, b in enumerate(bundles):
            values = (b["history"] or {}).get(f"test_{metric}")
            final = b["metrics"].get(f"test_{metric}")
            if values:
                ax.plot(range(1, len(values) + 1), values, marker="o", color=f"C{i}",
                        label=b["name"])
            elif final is not None:
                ax.axhline(final, linestyle="--", color=f"C{i}", label=f"{b['name']} (no epochs)")
        ax.set_title(f"test {metric}")
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()
    return _save(fig, path)


def _read(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise UserError(f"cannot read {path}: {error}") from error
