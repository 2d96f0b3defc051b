"""The benchmarks: scripts run as ``python -m bench.NAME [options]``, each printing one JSON
document.

Run them from the repository root (``python -m`` finds the ``bench`` package there) with the
package importable (``make install``, or ``PYTHONPATH=src``). Shared helpers:

- ``bench.timing``: wall time of a call, median and range over repeats, per-call time of jitted
  functions, latency percentiles, peak resident memory;
- ``bench.output``: the document's common head (command, UTC date, machine and versions) and
  printing it;
- ``bench.common``: the suite's shared workload (token ids and raw texts, real or synthetic).

The backend is set here, before any script imports Keras, so that no script has to.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
