"""Lazy ("row-sparse") Adam for the embedding table: ``--embedding-update lazy``.

Keras's Adam updates every row of the 20000 x 128 embedding table at every step, although a
batch of 32 reviews of 80 tokens looks up at most 2,560 of its rows: the gradient of the others
is zero, but their moments decay and their vectors keep moving with the momentum. That dense
update reads and writes 7 arrays of 10 MB per step, more memory traffic than all the recurrent
arithmetic (BENCHMARKS.md).

:class:`LazyEmbeddingModel` trains the same model with another ``train_step``:

1. it looks the batch's vectors up and differentiates the loss with respect to those vectors
   (<[B, T, D]>) instead of the whole table, so no table-sized gradient is ever made;
2. every other weight gets Keras's own Adam, exactly as in ``fit``;
3. the table gets Adam on the looked-up rows only (the per-token gradients of a repeated word
   summed first), with the same step count, learning rate, betas and epsilon; the other rows
   and their moments are left as they are, as TensorFlow Addons' ``LazyAdam`` and PyTorch's
   ``SparseAdam`` do.

This changes the numbers (a row's moments decay only in the steps that use it), so it is an
option and not the default; BENCHMARKS.md has its speed and its test accuracy over seeds. JAX
backend only, and only for a plain Adam (no weight decay, clipping, EMA, or gradient
accumulation): :func:`check_optimizer` says so in one line otherwise.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from .errors import UserError
from .keras_import import keras

data_adapter_utils = keras.src.trainers.data_adapters.data_adapter_utils

EMBEDDING = "embedding"  # the layer whose table is updated lazily


def lazy_adam_rows(table, m, v, ids, d_vectors, *, step, learning_rate, beta_1, beta_2, epsilon):
    """Keras's Adam update of the rows of ``table`` that ``ids`` looks up; other rows untouched.

    ``table``, ``m``, ``v`` <[V, D]>: the table and its two moments; ``ids`` <int[...]> the
    looked-up ids and ``d_vectors`` <[..., D]> the loss's gradient w.r.t. each looked-up vector;
    ``step`` the 1-based step count. Returns the new ``(table, m, v)``.
    """
    table, m, v, ids, d_vectors = map(jnp.asarray, (table, m, v, ids, d_vectors))
    ids = ids.reshape(-1)
    n, position = ids.shape[0], jnp.arange(ids.shape[0], dtype=ids.dtype)
    # One token stands for each distinct id (whichever the scatter keeps); the gradients of a
    # repeated id are summed on it. No sort (XLA's CPU sort of 2,560 pairs takes ~0.7 ms) and
    # nothing table-sized but an int32 [V] of representatives.
    representative = jnp.zeros(table.shape[0], ids.dtype).at[ids].set(position)[ids]
    g_tokens = d_vectors.reshape(n, -1)
    g = jnp.zeros_like(g_tokens).at[representative].add(g_tokens)[representative]
    rows = jnp.where(representative == position, ids, table.shape[0])  # others: dropped

    def take(array):
        return array.at[ids].get(mode="promise_in_bounds")

    m_rows, v_rows = take(m), take(v)
    m_rows = m_rows + (g - m_rows) * (1 - beta_1)
    v_rows = v_rows + (jnp.square(g) - v_rows) * (1 - beta_2)
    alpha = learning_rate * jnp.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    table_rows = take(table) - m_rows * alpha / (jnp.sqrt(v_rows) + epsilon)

    def put(array, values):
        return array.at[rows].set(values, mode="drop")

    return put(table, table_rows), put(m, m_rows), put(v, v_rows)


def check_optimizer(optimizer) -> None:
    """Raise :class:`UserError` unless ``optimizer`` is an Adam this module reproduces."""
    plain = (type(optimizer) is keras.optimizers.Adam and not optimizer.amsgrad
             and not optimizer.weight_decay and not optimizer.use_ema
             and not optimizer.gradient_accumulation_steps
             and optimizer.clipnorm is None and optimizer.clipvalue is None
             and optimizer.global_clipnorm is None and optimizer.loss_scale_factor is None)
    if not plain:
        raise UserError("the lazy embedding update needs a plain Adam optimizer")
    if keras.backend.backend() != "jax":
        raise UserError("the lazy embedding update needs the JAX backend")


class LazyEmbeddingModel(keras.Model):
    """A functional model whose ``fit`` updates the ``embedding`` table lazily (see module).

    Build it as any functional model, ``LazyEmbeddingModel(inputs, outputs)``, with an
    ``Embedding`` layer named ``embedding`` applied to the model's only input.
    """

    def compile(self, *args, **kwargs):
        super().compile(*args, **kwargs)
        check_optimizer(self.optimizer)
        self._lazy_plan = None  # the optimizer's variables are new

    def train_step(self, state, data):
        # Keras's own JAX train_step (keras/src/backend/jax/trainer.py) with the table's gradient
        # and update replaced; `_update_metrics_variables` is that trainer's helper.
        trainable, non_trainable, optimizer_values, metrics_values = state
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        plan = self._plan()
        table = trainable[plan.table]
        vectors, _ = self.get_layer(EMBEDDING).stateless_call([table], [], x)

        def loss_of(body_trainable, vectors):
            y_pred, body_non_trainable = plan.body.stateless_call(
                body_trainable, plan.take(non_trainable, plan.body_non_trainable), vectors,
                training=True)
            all_trainable = plan.put(trainable, plan.body_trainable, body_trainable)
            all_non_trainable = plan.put(non_trainable, plan.body_non_trainable,
                                         body_non_trainable)
            loss, (_, all_non_trainable, new_metrics) = self.stateless_compute_loss(
                all_trainable, all_non_trainable, metrics_values, x=x, y=y, y_pred=y_pred,
                sample_weight=sample_weight, training=True)
            return loss, (y_pred, all_non_trainable, new_metrics)

        (loss, (y_pred, non_trainable, metrics_values)), (d_body, d_vectors) = (
            jax.value_and_grad(loss_of, argnums=(0, 1), has_aux=True)(
                plan.take(trainable, plan.body_trainable), vectors))

        optimizer = self.optimizer
        step = (optimizer_values[plan.iterations] + 1).astype(table.dtype)
        mapping = list(zip(optimizer.variables, optimizer_values, strict=True))
        with keras.StatelessScope(state_mapping=mapping):
            learning_rate = keras.ops.convert_to_tensor(optimizer.learning_rate)
        table, m, v = lazy_adam_rows(
            table, optimizer_values[plan.momentum], optimizer_values[plan.velocity], x, d_vectors,
            step=step, learning_rate=learning_rate, beta_1=optimizer.beta_1,
            beta_2=optimizer.beta_2, epsilon=optimizer.epsilon)

        grads = plan.put([None] * len(trainable), plan.body_trainable, d_body)
        with warnings.catch_warnings():  # the table's gradient is None on purpose
            warnings.filterwarnings("ignore", "Gradients do not exist for variables")
            trainable, optimizer_values = optimizer.stateless_apply(
                optimizer_values, grads, trainable)
        trainable = plan.put(trainable, [plan.table], [table])
        optimizer_values = plan.put(optimizer_values, [plan.momentum, plan.velocity], [m, v])

        logs, metrics_values = self._update_metrics_variables(
            metrics_values, loss, x, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, optimizer_values, metrics_values)

    def _plan(self) -> _Plan:
        if getattr(self, "_lazy_plan", None) is None:
            self._lazy_plan = _Plan(self)
        return self._lazy_plan


class _Plan:
    """Where the table, its moments and the rest of the model sit in ``train_step``'s lists."""

    def __init__(self, model: keras.Model):
        embedding = model.get_layer(EMBEDDING)
        # the model after the lookup: word vectors in, the same outputs out (shares the layers)
        self.body = keras.Model(embedding.output, model.outputs)
        index = {id(v): i for i, v in enumerate(model.trainable_variables)}
        if id(embedding.embeddings) not in index:
            raise UserError("the lazy embedding update needs a trainable embedding table")
        self.table = index[id(embedding.embeddings)]
        self.body_trainable = [index[id(v)] for v in self.body.trainable_variables]
        index = {id(v): i for i, v in enumerate(model.non_trainable_variables)}
        self.body_non_trainable = [index[id(v)] for v in self.body.non_trainable_variables]
        optimizer = model.optimizer
        index = {id(v): i for i, v in enumerate(optimizer.variables)}
        slot = optimizer._get_variable_index(embedding.embeddings)
        self.momentum = index[id(optimizer._momentums[slot])]
        self.velocity = index[id(optimizer._velocities[slot])]
        self.iterations = index[id(optimizer.iterations)]

    @staticmethod
    def take(values, positions):
        return [values[i] for i in positions]

    @staticmethod
    def put(values, positions, new):
        values = list(values)
        for i, value in zip(positions, new, strict=True):
            values[i] = value
        return values
