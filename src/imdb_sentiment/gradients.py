"""Integrated gradients (Sundararajan et al. 2017) for the classifier, on the JAX backend.

The path runs in embedding space from a baseline to the review. The baseline is the review with
every seen token replaced by padding (occlusion of all of them at once), so a token's attribution
answers the same question as occlusion, and the attributions of a review add up to
P(review) - P(baseline) ("completeness"), up to the error of the quadrature.

A recurrent classifier's probability can turn sharply somewhere on the path (a saturating gate
flips), and a uniform grid of points then misses or over-counts the turn: with 64 midpoints, 5%
of the classic model's test reviews missed completeness by more than 0.02, some by 0.17; 256
midpoints still left 1.7% of them (``python -m bench.integrated_gradients``, BENCHMARKS.md). So the
integral is adaptive. Completeness holds on every piece of the path as well as on the whole: the
attributions of the segment [a, b] add up to P(x(b)) - P(x(a)), and both ends cost one forward
pass each. The path starts as ``SEGMENTS`` segments of ``POINTS`` midpoints (64 points in all);
each segment whose own error exceeds ``tolerance`` times its width is split in two and integrated
again, down to a width of 2^-``MAX_DEPTH`` of the first ones. The errors of the kept segments
then add up to at most ``tolerance`` (unless a segment hit the depth limit), at the cost of more
points only where the probability turns.
"""

from __future__ import annotations

import numpy as np

from .errors import UserError
from .keras_import import keras

SEGMENTS = 8  # segments evaluated per call (the first grid, and each batch of refined ones)
POINTS = 8  # midpoints per segment: 64 points on the first grid, as a uniform 64-step rule
TOLERANCE = 0.005  # the completeness error allowed per review, in probability
MAX_DEPTH = 8  # halvings of a first segment at most: a finest segment is 1/2048 of the path


class IntegratedGradients:
    """``windows, baselines <int32>[n, maxlen]`` -> ``attributions <float32>[n, maxlen]``.

    Args:
        model: the classifier, with its layer ``"embedding"`` first after the input.
        tolerance: the completeness error allowed per review; 0 refines every segment down
            to ``max_depth``.
        max_depth: how many times a segment may be halved. ``max_depth=0`` is the plain
            midpoint rule with ``SEGMENTS * points`` steps.
        points: midpoints per segment.
    """

    def __init__(self, model: keras.Model, *, tolerance: float = TOLERANCE,
                 max_depth: int = MAX_DEPTH, points: int = POINTS):
        if keras.backend.backend() != "jax":
            raise UserError("integrated gradients need the JAX backend (KERAS_BACKEND=jax)")
        import jax
        import jax.numpy as jnp

        embedding = model.get_layer("embedding")
        head = keras.Model(embedding.output, model.output)  # the layers after the embedding
        self._embedding, self._head = embedding, head
        self.tolerance, self.max_depth = tolerance, max_depth
        midpoints = (jnp.arange(points, dtype=jnp.float32) + 0.5) / points

        def segments(table, trainable, non_trainable, window, baseline, lo, hi):
            """``lo, hi <float32>[SEGMENTS]`` -> each segment's ``attributions
            <float32>[SEGMENTS, maxlen]`` and ``P(x(hi)) - P(x(lo)) <float32>[SEGMENTS]``."""
            x0 = table[baseline]
            step = table[window] - x0  # <float32>[maxlen, embedding_dim]

            def probabilities(alphas):  # <float32>[k] -> P(x0 + alpha * step) <float32>[k]
                p, _ = head.stateless_call(trainable, non_trainable,
                                           x0 + alphas[:, None, None] * step)
                return p[:, 0]

            width = hi - lo
            alphas = (lo[:, None] + width[:, None] * midpoints).reshape(-1)

            def total(path):  # the points do not interact: grad of the sum is each one's own
                p, _ = head.stateless_call(trainable, non_trainable, path)
                return p[:, 0].sum()

            points_gradient = jax.grad(total)(x0 + alphas[:, None, None] * step)
            mean = points_gradient.reshape(len(lo), points, *step.shape).mean(axis=1)
            attributions = (step * mean).sum(axis=-1) * width[:, None]
            ends = probabilities(jnp.concatenate([lo, hi]))
            return attributions, ends[len(lo):] - ends[:len(lo)]

        self._segments = jax.jit(segments)

    def __call__(self, windows: np.ndarray, baselines: np.ndarray) -> np.ndarray:
        # read the weights now: Keras may have replaced the arrays since the last call
        variables = (self._embedding.embeddings.value,
                     [v.value for v in self._head.trainable_variables],
                     [v.value for v in self._head.non_trainable_variables])
        rows = [self._review(variables, w, b) for w, b in zip(windows, baselines, strict=True)]
        return np.asarray(rows, dtype=np.float32).reshape(len(windows), windows.shape[1])

    def _review(self, variables, window: np.ndarray, baseline: np.ndarray) -> np.ndarray:
        """One review's attributions <float32>[maxlen], refined segment by segment."""
        attributions = np.zeros(window.shape, dtype=np.float64)
        todo = [(k / SEGMENTS, (k + 1) / SEGMENTS, 0) for k in range(SEGMENTS)]
        while todo:
            batch, todo = todo[:SEGMENTS], todo[SEGMENTS:]
            padded = batch + [(0.0, 0.0, 0)] * (SEGMENTS - len(batch))  # empty segments: 0
            lo = np.array([s[0] for s in padded], dtype=np.float32)
            hi = np.array([s[1] for s in padded], dtype=np.float32)
            parts, targets = self._segments(*variables, window, baseline, lo, hi)
            parts, targets = np.asarray(parts, np.float64), np.asarray(targets, np.float64)
            for i, (a, b, depth) in enumerate(batch):
                error = abs(parts[i].sum() - targets[i])
                if error <= self.tolerance * (b - a) or depth >= self.max_depth:
                    attributions += parts[i]
                else:
                    middle = (a + b) / 2
                    todo += [(a, middle, depth + 1), (middle, b, depth + 1)]
        return attributions
