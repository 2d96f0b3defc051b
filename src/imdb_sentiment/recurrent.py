"""SimpleRNN, LSTM and GRU with a faster loop on the JAX backend: same weights, same numbers.

Keras runs a recurrent layer by calling its cell once per time step inside ``lax.scan`` and lets
JAX differentiate that loop. On a CPU most of a training step then goes to small per-step work:
the input's product with the kernel, redone at every step, and in the reverse loop the weight
gradients, accumulated one 32-row product at a time (see BENCHMARKS.md).

These subclasses compute the same function from the same weights and the same dropout masks
(Keras draws them once per batch and holds them fixed over time), rearranged:

1. the input projection ``(x * input_mask) @ kernel + bias`` of every time step is one product
   before the loop;
2. the loop does only the recurrent product and the cell's element-wise gate update;
3. the reverse loop (a custom VJP) recomputes each step's gate update from the carry and the
   recurrent products kept by the forward loop, and propagates only through the recurrent
   product; the gradient of the recurrent kernel is one product after it, over all time steps at
   once, instead of one small product per step.

Anything else (a padding mask, ``go_backwards``, a non-JAX backend, a GRU with
``reset_after=False``, and inference on batches over 256 (LSTM, GRU: 128), measured slower) falls
back to Keras's own loop. The saved model holds Keras's stock layers
(:func:`imdb_sentiment.model.stock_model`), so a bundle loads without this module.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from .keras_import import keras

layers = keras.layers

# Shapes: T time steps, B batch, G gate blocks (1 SimpleRNN, 3 GRU, 4 LSTM), D units.
#
# Gate blocks are kept apart, as tuples of G arrays, from the input projection to the gate
# update: ``projected`` is G <[T, B, D]>, a step's input and recurrent product are G <[B, D]>,
# and ``kernel`` is the tuple of G <[D, D]> blocks of the recurrent kernel (Keras's kernels hold
# them side by side on the last axis). Slicing the blocks out of one <[B, G*D]> array inside the
# loop makes XLA's CPU fusions scalar: the LSTM's gate arithmetic then took 5.8 ms per forward
# loop instead of 1.2 ms (BENCHMARKS.md). ``masks`` is None or G <[B, D]> recurrent dropout
# masks, one per block as in Keras.


def _recurrent_product(h, kernel, masks):
    """``rec[g] = (h * masks[g]) @ kernel[g]``: <[B, D]> -> G <[B, D]>."""
    if masks is None:
        return tuple(h @ k for k in kernel)
    return tuple((h * m) @ k for m, k in zip(masks, kernel, strict=True))


def _recurrent_product_transpose(d_rec, kernel, masks):
    """The cotangent of ``h`` given those of ``_recurrent_product``'s G blocks."""
    if masks is None:
        return sum(d @ k.T for d, k in zip(d_rec, kernel, strict=True))
    return sum((d @ k.T) * m for d, k, m in zip(d_rec, kernel, masks, strict=True))


def _kernel_gradient(h_prev, d_rec, masks):
    """The recurrent kernel blocks' gradients summed over all steps: one product per block.

    ``h_prev`` <[T, B, D]> is h before each step, ``d_rec`` G <[T, B, D]> the cotangents of rec.
    """
    if masks is None:
        return tuple(_flat(h_prev).T @ _flat(d) for d in d_rec)
    return tuple(_flat(h_prev * m).T @ _flat(d) for m, d in zip(masks, d_rec, strict=True))


def _flat(a):
    """<[T, B, X]> -> <[T*B, X]>."""
    return a.reshape(-1, a.shape[-1])


@partial(jax.custom_vjp, nondiff_argnums=(0, 1))
def recurrence(update, additive, projected, kernel, masks, params, carry):
    """Run ``carry = update(projected[t], rec[t], carry, params)`` over t; return every h.

    ``projected`` G <[T, B, D]> is the input projection, ``rec[t]`` the recurrent product of
    the previous h (``carry[0]``), ``kernel`` G <[D, D]>. ``masks`` are constants: they get no
    gradient. ``additive``: ``update`` uses only ``x[g] + rec[g]``, so both get the same
    cotangent and the reverse loop keeps one of them.
    Returns ``(h <[T, B, D]>, last carry)``.
    """
    return _forward(update, projected, kernel, masks, params, carry)


def _forward(update, projected, kernel, masks, params, carry):
    def step(carry, x):
        new = update(x, _recurrent_product(carry[0], kernel, masks), carry, params)
        return new, new[0]

    last, hs = jax.lax.scan(step, carry, projected)
    return hs, last


def _recurrence_fwd(update, additive, projected, kernel, masks, params, carry):
    def step(carry, x):
        rec = _recurrent_product(carry[0], kernel, masks)
        new = update(x, rec, carry, params)
        return new, (new, rec)

    # Kept per step: the carry and the recurrent products, not the gate update's own residuals
    # (11 arrays for the LSTM): each stacked array is one more small op per step, and the
    # reverse loop recomputes the element-wise update more cheaply.
    last, (news, recs) = jax.lax.scan(step, carry, projected)
    carries = jax.tree.map(lambda first, later: jnp.concatenate([first[None], later[:-1]]),
                           carry, news)  # the carry before each step
    return (news[0], last), (projected, recs, carries, params, kernel, masks)


def _recurrence_bwd(update, additive, residuals, cotangents):
    projected, recs, carries, params, kernel, masks = residuals
    d_hs, d_last = cotangents

    def step(d_carry, inputs):
        x, rec, carry, d_h = inputs
        _, update_vjp = jax.vjp(update, x, rec, carry, params)
        d_x, d_rec, d_prev, d_params = update_vjp((d_carry[0] + d_h, *d_carry[1:]))
        d_h_prev = d_prev[0] + _recurrent_product_transpose(d_rec, kernel, masks)
        return (d_h_prev, *d_prev[1:]), (None if additive else d_x, d_rec, d_params)

    d_first, (d_projected, d_recs, d_params) = jax.lax.scan(
        step, d_last, (projected, recs, carries, d_hs), reverse=True)
    if additive:
        d_projected = d_recs
    d_kernel = _kernel_gradient(carries[0], d_recs, masks)
    d_masks = jax.tree.map(jnp.zeros_like, masks)
    d_params = jax.tree.map(lambda d: jnp.sum(d, axis=0), d_params)
    return d_projected, d_kernel, d_masks, d_params, d_first


recurrence.defvjp(_recurrence_fwd, _recurrence_bwd)


class _FastLoop:
    """Replaces ``RNN.inner_loop`` with :func:`recurrence` where it computes the same thing."""

    gates = 1
    additive = True  # _update sees x and rec only as x[g] + rec[g] (not so for the GRU)
    # Inference (no dropout, no gradient) takes the fast loop up to this batch size and Keras's
    # loop above it (bench/inference_loop.py, BENCHMARKS.md): the fast loop is faster at small
    # batches (LSTM at batch 1: 0.68 vs 1.87 ms), slower at the test pass's 1024 (LSTM 340 vs
    # 273 ms, SimpleRNN 99-115 vs 81-95 ms). None: no limit.
    fast_inference_max_batch: int | None = 256

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not self._fast_loop_applies(sequences, mask, training):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        cell = self.cell
        input_masks = _masks(cell.get_dropout_mask(sequences[:, 0, :]),
                             training and 0.0 < cell.dropout < 1.0, self.gates)
        recurrent_masks = _masks(cell.get_recurrent_dropout_mask(initial_state[0]),
                                 training and 0.0 < cell.recurrent_dropout < 1.0, self.gates)
        projected = self._project(sequences, input_masks)
        kernel = tuple(jnp.split(cell.recurrent_kernel.value, self.gates, axis=-1))
        hs, last = recurrence(self._update, self.additive, projected, kernel, recurrent_masks,
                              self._params(), tuple(initial_state))
        return hs[-1], jnp.swapaxes(hs, 0, 1), list(last)

    def _fast_loop_applies(self, sequences, mask, training) -> bool:
        return (keras.backend.backend() == "jax" and mask is None and not self.go_backwards
                and not self.unroll and (training or self._fast_inference(sequences.shape[0])))

    def _fast_inference(self, batch) -> bool:
        limit = self.fast_inference_max_batch
        return limit is None or (batch is not None and batch <= limit)

    def _project(self, x, masks):
        """The input projection of every step at once: <[B, T, Din]> -> G <[T, B, D]>."""
        x = jnp.swapaxes(x, 0, 1)
        blocks = jnp.split(self.cell.kernel.value, self.gates, axis=-1)
        if masks is None:
            projected = [x @ k for k in blocks]
        else:
            projected = [(x * m) @ k for m, k in zip(masks, blocks, strict=True)]
        bias = self._input_bias()
        if bias is not None:
            projected = [p + b for p, b in zip(projected, jnp.split(bias, self.gates), strict=True)]
        return tuple(projected)

    def _input_bias(self):
        return self.cell.bias.value if self.cell.use_bias else None

    def _params(self):
        """The small arrays ``_update`` needs besides its arguments (GRU: recurrent bias)."""
        return ()

    def _update(self, x, rec, carry, params):
        """One step's gate arithmetic, element-wise only: the new carry, h first.

        ``x`` G <[B, D]> is the step's input projection, ``rec`` G <[B, D]> the recurrent
        product of the previous h, ``carry`` the previous (h,) or (h, c).
        """
        raise NotImplementedError


def _masks(mask, active: bool, gates: int):
    """Keras's dropout mask(s) of a cell as a tuple of G <[B, D]>, or None when not applied."""
    if not active or mask is None:
        return None
    masks = tuple(mask) if isinstance(mask, (list, tuple)) else (mask,) * gates
    return tuple(jax.lax.stop_gradient(m) for m in masks)


@keras.saving.register_keras_serializable(package="imdb_sentiment")
class SimpleRNN(_FastLoop, layers.SimpleRNN):
    """``keras.layers.SimpleRNN`` with the fast loop: ``h = act(x W + b + h U)``."""

    def _update(self, x, rec, carry, params):
        return (self.cell.activation(x[0] + rec[0]),)


@keras.saving.register_keras_serializable(package="imdb_sentiment")
class LSTM(_FastLoop, layers.LSTM):
    """``keras.layers.LSTM`` with the fast loop; gates in Keras's order i, f, c, o."""

    gates = 4
    fast_inference_max_batch = 128

    def _update(self, x, rec, carry, params):
        act, gate = self.cell.activation, self.cell.recurrent_activation
        i, f, c, o = (a + b for a, b in zip(x, rec, strict=True))
        c = gate(f) * carry[1] + gate(i) * act(c)
        return gate(o) * act(c), c


@keras.saving.register_keras_serializable(package="imdb_sentiment")
class GRU(_FastLoop, layers.GRU):
    """``keras.layers.GRU`` (``reset_after=True``) with the fast loop; gates z, r, h."""

    gates = 3
    additive = False  # r * rec_h
    fast_inference_max_batch = 128

    def _fast_loop_applies(self, sequences, mask, training) -> bool:
        return self.cell.reset_after and super()._fast_loop_applies(sequences, mask, training)

    def _input_bias(self):
        return self.cell.bias.value[0] if self.cell.use_bias else None

    def _params(self):
        return tuple(jnp.split(self.cell.bias.value[1], 3)) if self.cell.use_bias else ()

    def _update(self, x, rec, carry, params):
        if params:
            rec = tuple(r + b for r, b in zip(rec, params, strict=True))
        act, gate = self.cell.activation, self.cell.recurrent_activation
        (x_z, x_r, x_h), (r_z, r_r, r_h) = x, rec
        z, r = gate(x_z + r_z), gate(x_r + r_r)
        return (z * carry[0] + (1 - z) * act(x_h + r * r_h),)
