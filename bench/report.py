"""The short human-readable table printed after the JSON document."""

from __future__ import annotations


def _fmt(value, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def _percent(fraction) -> str:
    return _fmt(None if fraction is None else 100 * fraction, ".0f")


# achieved, then the two upper bounds (limits.py): "compute %", "bound %", "XLA bound %"
FRACTIONS = ("achieved_fraction_of_compute", "attainable_fraction_of_compute",
             "xla_attainable_fraction_of_compute")


def table(doc: dict) -> str:
    lines = [f"data: {doc['source']}"]
    data = doc.get("data", {})
    if "read_archive_s" in data:
        lines.append(f"read archive {data['read_archive_s']:.2f} s; tokenize+encode "
                     f"{data['reviews']} reviews {data['tokenize_and_encode_s']:.2f} s; "
                     f"peak RSS {data['peak_rss_mb']:.0f} MiB")
    machine = doc.get("machine")
    if machine:
        large = next(k for k in machine if k.startswith("matmul_") and "x128x128" not in k)
        lines.append(f"machine: {machine['cpus']} CPUs, {large} {machine[large]:.0f} GFLOP/s, "
                     f"batch-32 matmul {machine['matmul_32x128x128_gflops']:.0f} GFLOP/s, "
                     f"dense Adam update {machine['dense_adam_update_ms']:.2f} ms "
                     f"({machine['memory_gb_per_s']:.0f} GB/s)")
    header = ("cell", "samples/s", "s/epoch", "first s", "test s", "ideal s", "compute %",
              "bound %", "XLA bound %", "RSS MiB")
    rows = []
    for cell, t in doc.get("train", {}).items():
        lim = t.get("limits", {})
        rows.append((cell, _fmt(t["samples_per_s"], ".0f"), _fmt(t["epoch_s"]),
                     _fmt(t["first_call_s"]), _fmt(t["test_pass_s"]),
                     _fmt(lim.get("ideal_compute_epoch_s")),
                     *(_percent(lim.get(key)) for key in FRACTIONS),
                     _fmt(t["peak_rss_mb"], ".0f")))
    if rows:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            lines.append("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    scale = doc.get("scale")
    if scale:
        lines.append("scale (simple_rnn samples/s): " + ", ".join(
            f"{r['maxlen']}x{r['batch_size']}={r['samples_per_s']:.0f}" for r in scale["rows"]))
    predict = doc.get("predict")
    if predict:
        by_batch = ", ".join(f"batch {b}: {v:.0f}/s"
                             for b, v in predict["ids_reviews_per_s_by_batch"].items())
        lines.append(f"predict from ids {by_batch}; from raw text "
                     f"{predict['raw_text_reviews_per_s']:.0f}/s")
    return "\n".join(lines)
