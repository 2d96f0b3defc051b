"""Integrated gradients (Sundararajan et al. 2017) for the classifier, on the JAX backend.

The path runs in embedding space from a baseline to the review. The baseline is the review with
every seen token replaced by padding (occlusion of all of them at once), so a token's attribution
answers the same question as occlusion, and the attributions of a review add up to
P(review) - P(baseline), up to the integration error of ``steps`` midpoint steps.
"""

from __future__ import annotations

import keras
import numpy as np

from .errors import UserError

# midpoints on the path. The attributions add up to their target within ~1e-2 on most reviews;
# a sharply curved model can be off by more (0.06 measured on one test model, 0.001 at 256 steps)
STEPS = 64


class IntegratedGradients:
    """``windows, baselines <int32>[n, maxlen]`` -> ``attributions <float32>[n, maxlen]``."""

    def __init__(self, model: keras.Model, steps: int = STEPS):
        if keras.backend.backend() != "jax":
            raise UserError("integrated gradients need the JAX backend (KERAS_BACKEND=jax)")
        import jax
        import jax.numpy as jnp

        embedding = model.get_layer("embedding")
        head = keras.Model(embedding.output, model.output)  # the layers after the embedding
        alphas = (jnp.arange(steps, dtype=jnp.float32) + 0.5) / steps
        self._embedding, self._head = embedding, head

        def attribute(table, trainable, non_trainable, window, baseline):
            x, x0 = table[window], table[baseline]  # <float32>[maxlen, embedding_dim]

            def total(path):  # path <float32>[steps, maxlen, embedding_dim]
                probability, _ = head.stateless_call(trainable, non_trainable, path)
                return probability[:, 0].sum()

            gradients = jax.grad(total)(x0 + alphas[:, None, None] * (x - x0))
            return ((x - x0) * gradients.mean(axis=0)).sum(axis=-1)  # <float32>[maxlen]

        self._attribute = jax.jit(attribute)

    def __call__(self, windows: np.ndarray, baselines: np.ndarray) -> np.ndarray:
        # read the weights now: Keras may have replaced the arrays since the last call
        variables = (self._embedding.embeddings.value,
                     [v.value for v in self._head.trainable_variables],
                     [v.value for v in self._head.non_trainable_variables])
        rows = [self._attribute(*variables, w, b)
                for w, b in zip(windows, baselines, strict=True)]
        return np.asarray(rows, dtype=np.float32).reshape(len(windows), windows.shape[1])
