"""Score a folder or glob of review files on Ray: one output file per input file, resumable.

The unit of work is a shard (one input file). Ray Data runs the shards through an actor pool:
each actor loads the bundle once, then streams its shard through the same path as
``imdb-sentiment predict --input`` (:func:`~imdb_sentiment.scoring.score_file`): read a batch,
tokenize, score, write, never more than a batch in memory. Each output file is written under a
temporary name and renamed when complete, so an output file that exists is a finished shard: a
rerun after a crash scores only the shards that have none.

The bundle travels to the workers through Ray's object store (it is a few MB), so on a cluster
only the input and output folders must be on storage that every node sees.
"""

from __future__ import annotations

import glob
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import UserError

SHARD_SUFFIXES = (".parquet", ".csv", ".jsonl", ".ndjson", ".txt")
INSTALL_HINT = "--engine ray needs Ray: pip install 'imdb-sentiment[ray]'"


@dataclass(frozen=True)
class ShardOptions:
    """How each shard is read and scored (the options of ``predict --input``)."""

    format: str | None = None
    text_column: str | None = None
    id_column: str | None = None
    encoding_errors: str = "strict"
    batch_size: int = 1000
    explain_top: int = 0
    method: str | None = None  # the kind's default
    threshold: float = 0.5
    neutral: tuple[float, float] | None = None


def find_shards(pattern: str | os.PathLike) -> list[Path]:
    """A folder's review files (by suffix), or the files a glob matches, sorted by path."""
    path = Path(pattern).expanduser()
    if path.is_dir():
        shards = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SHARD_SUFFIXES]
    else:
        shards = [Path(p) for p in glob.glob(str(path)) if Path(p).is_file()]
    if not shards:
        raise UserError(f"no review files match {pattern}"
                        + (f" (looked for {', '.join(SHARD_SUFFIXES)})" if path.is_dir() else ""))
    names = {}
    for shard in shards:
        if names.setdefault(shard.name, shard) != shard:
            raise UserError(f"two input files are named {shard.name} ({names[shard.name]} and "
                            f"{shard}): each output file takes its input's name")
    return sorted(shards)


def output_path(shard: Path, output_dir: Path) -> Path:
    """The output of a shard: its name in ``output_dir`` (Parquet in, Parquet out; .txt -> .csv)."""
    return output_dir / (shard.stem + ".csv" if shard.suffix.lower() == ".txt" else shard.name)


def bundle_files(bundle: Path) -> dict[str, bytes]:
    """The bundle's files, to send to the workers (sub-folders such as evaluation/ stay)."""
    if not bundle.is_dir():
        raise UserError(f"no model bundle at {bundle}")
    return {p.name: p.read_bytes() for p in bundle.iterdir() if p.is_file()}


class ShardScorer:
    """A Ray Data actor: the classifier, loaded once, scores whole shards given as rows
    ``{"input": path, "output": path}`` of a batch."""

    def __init__(self, files_ref: list, options: dict):
        from ..classifier import Classifier

        folder = Path(tempfile.mkdtemp(prefix="imdb-sentiment-bundle-"))
        files = _get(files_ref[0])
        for name, data in files.items():
            (folder / name).write_bytes(data)
        self.options = o = ShardOptions(**options)
        self.classifier = Classifier.load(folder).with_cut(o.threshold, o.neutral)

    def __call__(self, batch: dict) -> dict:
        from ..scoring import score_file
        from ..sources import TextSource

        o, reviews, seconds, errors = self.options, [], [], []
        for source_path, target in zip(batch["input"], batch["output"], strict=True):
            start, count, error = time.perf_counter(), 0, ""
            try:  # a bad file fails its shard only; the run goes on with the others
                source = TextSource(source_path, format=o.format, text_column=o.text_column,
                                    id_column=o.id_column, encoding_errors=o.encoding_errors)
                count = score_file(self.classifier, source, target, batch_size=o.batch_size,
                                   explain_top=o.explain_top, method=o.method)
            except UserError as failure:
                error = str(failure)
            reviews.append(count)
            errors.append(error)
            seconds.append(time.perf_counter() - start)
        return {"input": list(batch["input"]), "output": list(batch["output"]),
                "reviews": reviews, "seconds": seconds, "error": errors}


def _get(ref):
    import ray

    return ray.get(ref)


def score_shards(bundle: str | os.PathLike, shards: list[Path], output_dir: str | os.PathLike, *,
                 options: ShardOptions = ShardOptions(), address: str | None = None,
                 workers: int | None = None, cpus_per_worker: float = 1.0,
                 on_shard: Callable[[dict], None] | None = None) -> dict:
    """Score ``shards`` into ``output_dir`` on Ray; shards whose output exists are skipped.

    Args:
        bundle: the model bundle folder.
        shards: input files (see :func:`find_shards`).
        output_dir: created if missing; one output file per shard (:func:`output_path`).
        options: how to read and score each shard.
        address: a Ray cluster (``ray://host:10001`` or ``auto``); None starts a Ray on this
            machine with all its cores.
        workers: actors, each with the model loaded once; default: one per
            ``cpus_per_worker`` CPUs of the cluster, at most one per pending shard.
        on_shard: called with ``{"input", "output", "reviews", "seconds"}`` as shards finish.

    Returns:
        ``{"shards", "skipped", "scored", "reviews", "seconds"}``.
    """
    try:
        import ray
    except ImportError:
        raise UserError(INSTALL_HINT) from None

    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise UserError(f"--output {output_dir} is a file; with --engine ray it names a folder")
    files = bundle_files(Path(bundle))
    output_dir.mkdir(parents=True, exist_ok=True)
    targets = [output_path(s, output_dir) for s in shards]
    pending = [(s, t) for s, t in zip(shards, targets, strict=True) if not t.exists()]
    _remove_stale_temporaries(output_dir, [t for _, t in pending])
    summary = {"shards": len(shards), "skipped": len(shards) - len(pending), "scored": 0,
               "reviews": 0, "seconds": 0.0}
    if not pending:
        return summary
    start = time.perf_counter()
    started_here = not ray.is_initialized()
    if started_here:
        os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")  # no notes on the terminal
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = context.print_on_execution_start = False
        cpus = ray.cluster_resources().get("CPU", 1)
        size = max(1, min(workers or int(cpus // cpus_per_worker) or 1, len(pending)))
        rows = [{"input": str(s), "output": str(t)} for s, t in pending]
        with warnings.catch_warnings():  # Ray 2.60 calls **ray_remote_args deprecated, and
            warnings.simplefilter("ignore", DeprecationWarning)  # names no other way yet
            done = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
                ShardScorer, batch_size=1, compute=ray.data.ActorPoolStrategy(size=size),
                num_cpus=cpus_per_worker,
                # a failed actor fails the run: a rerun redoes only the unfinished shards
                max_restarts=0,
                # the bundle goes to the object store once; each actor gets a reference to it
                fn_constructor_kwargs={"files_ref": [ray.put(files)],
                                       "options": asdict(options)})
        failed = []
        for row in done.iter_rows():
            if row["error"]:
                failed.append(row["error"])
                continue
            summary["scored"] += 1
            summary["reviews"] += int(row["reviews"])
            if on_shard:
                on_shard(row)
    finally:
        if started_here:
            ray.shutdown()
    summary["seconds"] = time.perf_counter() - start
    if failed:
        raise UserError(f"{len(failed)} of {len(pending)} files failed ({summary['scored']} "
                        f"scored; a rerun does only the rest): {failed[0]}")
    return summary


def _remove_stale_temporaries(output_dir: Path, targets: list[Path]) -> None:
    """Temporary files a killed run left for the shards still to do (RecordWriter's names)."""
    for target in targets:
        for stale in output_dir.glob(f".{glob.escape(target.name)}.*.tmp"):
            stale.unlink(missing_ok=True)
