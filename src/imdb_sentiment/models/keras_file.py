"""Read a recurrent bundle's ``model.keras`` without Keras: the weights, checked, or None.

Importing Keras and JAX takes 3.5-4 s, most of a one-review ``predict``. A ``.keras`` file is a
zip of ``config.json`` (the layers, as JSON) and ``model.weights.h5`` (the weights, HDF5): this
reads both with zipfile, json and h5py (no code from the file runs, no pickle) for the one
architecture the recurrent kind saves (:func:`imdb_sentiment.model.stock_model`):

    InputLayer -> Embedding -> SimpleRNN | LSTM | GRU -> Dense(1, sigmoid)

Keras's own layers, float32, each setting that decides what they compute at inference checked
(no mask, left to right, the last state only, tanh and sigmoid, the GRU's ``reset_after``), and
every config key known. Anything else (another layer or setting, a key this version has not
seen, another file layout, a bidirectional GRU) gives None: the caller loads the file with
Keras, which knows it; nothing is guessed. What is recognised but wrong (maxlen, embedding rows,
shapes, NaN) is a :class:`UserError` worded as the Keras path words it (``rnn.py``).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ..errors import UserError

MODEL, CONFIG = "model.keras", "config.json"
LAYERS, WEIGHTS = "config.json", "model.weights.h5"  # inside the zip
CELLS = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}  # class -> Config.cell
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}  # gate blocks side by side in each kernel
ANY = object()  # a config key whose value does not change the function at inference
ABSENT_IN_OLDER = {"optional", "quantization_config"}  # keys added by Keras 3 versions

_COMMON = {"name": ANY, "trainable": ANY, "dtype": "float32", "activity_regularizer": ANY}
_WEIGHTS = {f"{kind}_{part}": ANY for kind in ("kernel", "bias", "recurrent")
            for part in ("initializer", "regularizer", "constraint")}
# For each layer class: every config key it may have, and the value it must have (or ANY).
SETTINGS = {
    "InputLayer": {"batch_shape": ANY, "dtype": "int32", "name": ANY, "optional": False,
                   "ragged": False, "sparse": False},
    "Embedding": {**_COMMON, "input_dim": ANY, "output_dim": ANY, "mask_zero": False,
                  "embeddings_initializer": ANY, "embeddings_regularizer": ANY,
                  "embeddings_constraint": ANY, "quantization_config": None},
    "SimpleRNN": {**_COMMON, **_WEIGHTS, "units": ANY, "activation": "tanh", "use_bias": True,
                  "return_sequences": False, "return_state": False, "go_backwards": False,
                  "stateful": False, "unroll": ANY, "zero_output_for_mask": ANY,
                  "dropout": ANY, "recurrent_dropout": ANY, "seed": ANY},  # dropout: training
    "Dense": {**_COMMON, **_WEIGHTS, "units": 1, "activation": "sigmoid", "use_bias": True,
              "quantization_config": None},
}
SETTINGS["LSTM"] = {**SETTINGS["SimpleRNN"], "recurrent_activation": "sigmoid",
                    "unit_forget_bias": ANY}  # an initializer
SETTINGS["GRU"] = {**SETTINGS["SimpleRNN"], "recurrent_activation": "sigmoid",
                   "reset_after": True}


def read_weights(folder: Path, config) -> list[np.ndarray] | None:
    """The weights of ``folder/model.keras`` in ``keras.Model.get_weights()`` order (embedding,
    kernel, recurrent kernel, bias, Dense kernel, Dense bias), checked against ``config``; None
    when the file holds something this reader does not know (read it with Keras then)."""
    damaged = f"bundle {folder} is damaged: {MODEL}"
    try:
        with zipfile.ZipFile(folder / MODEL) as archive:
            names = set(archive.namelist())
            if not {LAYERS, WEIGHTS} <= names or not _keras_3(archive, names):
                return None
            layers = _architecture(json.loads(archive.read(LAYERS)))
            if layers is None:
                return None
            size = archive.getinfo(WEIGHTS).file_size
            if size > 2 * _weight_bytes(config) + (16 << 20):
                raise UserError(f"{damaged} holds {size} bytes of weights, far more than "
                                f"{CONFIG}'s model has")
            data = archive.read(WEIGHTS)
    except UserError:
        raise
    except Exception as error:  # noqa: BLE001 - a bad zip, CRC, deflate stream or JSON
        raise UserError(f"{damaged} cannot be read ({_reason(error)})") from None
    _check_layers(damaged, layers, config)
    try:
        weights = _read_h5(data, layers)
    except OSError as error:  # h5py: not an HDF5 file, or a damaged one
        raise UserError(f"{damaged} cannot be read ({_reason(error)})") from None
    if weights is not None:
        _check_weights(damaged, weights, config)
    return weights


def _keras_3(archive: zipfile.ZipFile, names: set[str]) -> bool:
    if "metadata.json" not in names:
        return False
    version = json.loads(archive.read("metadata.json")).get("keras_version")
    return isinstance(version, str) and version.startswith("3.")


def _architecture(model) -> list[dict] | None:
    """The four layer entries of a ``Functional`` chain this reader knows, else None."""
    if not isinstance(model, dict) or model.get("class_name") != "Functional":
        return None
    graph = model.get("config")
    layers = graph.get("layers") if isinstance(graph, dict) else None
    if not isinstance(layers, list) or len(layers) != 4:
        return None
    if not all(isinstance(layer, dict) for layer in layers):
        return None
    classes = [layer.get("class_name") for layer in layers]
    if classes[:2] != ["InputLayer", "Embedding"] or classes[3] != "Dense" \
            or classes[2] not in CELLS:
        return None
    names = [layer.get("name") for layer in layers]
    chained = all(_input_of(layer) == previous
                  for previous, layer in zip(names[:-1], layers[1:], strict=True))
    ends = (graph.get("input_layers") == [names[0], 0, 0]
            and graph.get("output_layers") == [names[3], 0, 0])
    known = all(layer.get("module") == "keras.layers" and layer.get("registered_name") is None
                and _settings_known(layer) for layer in layers)
    return layers if chained and ends and known else None


def _input_of(layer: dict) -> str | None:
    """The name of the one layer whose output ``layer`` is called on (no mask), else None."""
    nodes = layer.get("inbound_nodes")
    if not isinstance(nodes, list) or len(nodes) != 1 or not isinstance(nodes[0], dict):
        return None
    args, kwargs = nodes[0].get("args"), nodes[0].get("kwargs")
    if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
        return None
    if not isinstance(kwargs, dict) or kwargs.get("mask") is not None \
            or set(kwargs) - {"mask", "training"}:
        return None
    history = args[0].get("config", {}).get("keras_history")
    ok = args[0].get("class_name") == "__keras_tensor__" and isinstance(history, list)
    return history[0] if ok and history and history[1:] == [0, 0] else None


def _settings_known(layer: dict) -> bool:
    settings, expected = layer.get("config"), SETTINGS[layer["class_name"]]
    if not isinstance(settings, dict) or set(settings) - set(expected):
        return False  # a key this reader has not seen may change the function
    return all(value is ANY or (key in settings and _value(settings[key]) == value)
               or (key in ABSENT_IN_OLDER and key not in settings)
               for key, value in expected.items())


def _value(setting):
    """A dtype policy ``{"class_name": "DTypePolicy", "config": {"name": "float32"}}`` as its
    name; any other value as it is."""
    if isinstance(setting, dict) and setting.get("class_name") == "DTypePolicy":
        return (setting.get("config") or {}).get("name")
    return setting


def _check_layers(damaged: str, layers: list[dict], config) -> None:
    """The messages of the Keras path (``rnn._check_model``) for what the layers declare."""
    shape = layers[0]["config"].get("batch_shape")
    maxlen = shape[1] if isinstance(shape, list) and len(shape) == 2 else None
    check_sizes(damaged, maxlen, layers[1]["config"].get("input_dim"), config)
    declared = (CELLS[layers[2]["class_name"]], layers[1]["config"].get("output_dim"),
                layers[2]["config"].get("units"))
    if declared != (config.cell, config.embedding_dim, config.units):
        raise UserError(f"{damaged} does not match {CONFIG}: it holds a {declared[0]} of "
                        f"{declared[2]} units on {declared[1]}-wide word vectors")


def _read_h5(data: bytes, layers: list[dict]) -> list[np.ndarray] | None:
    """Keras 3 names each layer's group by its class (``layers/simple_rnn/cell/vars/0``) and
    keeps the layer's own name in the ``vars`` group's ``name`` attribute: both are checked.
    Only data inside the file is read: no external or soft links, external or virtual data."""
    import h5py  # 0.07 s; only here, where a bundle is read

    cell = CELLS[layers[2]["class_name"]]
    groups = [("layers/embedding", 1, layers[1]["name"]),
              (f"layers/{cell}/cell", 3, f"{cell}_cell"),
              ("layers/dense", 2, layers[3]["name"])]
    weights = []
    with h5py.File(io.BytesIO(data), "r") as file:
        layer = _inside(file, f"layers/{cell}/vars", h5py)
        if layer is None or layer.attrs.get("name") != layers[2]["name"]:
            return None
        for group, count, name in groups:
            found = _inside(file, f"{group}/vars", h5py)
            if not isinstance(found, h5py.Group) or found.attrs.get("name") != name \
                    or sorted(found) != [str(i) for i in range(count)]:
                return None
            for i in range(count):
                dataset = _inside(found, str(i), h5py)
                if not isinstance(dataset, h5py.Dataset) or dataset.dtype != np.float32 \
                        or dataset.external or dataset.is_virtual:
                    return None
                weights.append(np.asarray(dataset[()], dtype=np.float32))
    return weights


def _inside(group, path: str, h5py):
    """``group[path]`` if every step of ``path`` is a hard link (in this file), else None."""
    for part in path.split("/"):
        if not isinstance(group, h5py.Group) \
                or not isinstance(group.get(part, getlink=True), h5py.HardLink):
            return None
        group = group[part]
    return group


def _check_weights(damaged: str, weights: list[np.ndarray], config) -> None:
    expected = _shapes(config)
    shapes = [w.shape for w in weights]
    if shapes != expected:
        raise UserError(f"{damaged} does not match {CONFIG} (weight shapes {shapes}, "
                        f"expected {expected})")
    check_finite(damaged, weights)


def check_sizes(damaged: str, maxlen, rows, config) -> None:
    """The model's input length and embedding rows against ``config.json`` (both readers)."""
    if maxlen != config.maxlen:
        raise UserError(f"{damaged} reads {maxlen} tokens but {CONFIG} says maxlen "
                        f"{config.maxlen}")
    if rows != config.max_features:
        raise UserError(f"{damaged} has {rows} embedding rows but {CONFIG} says max_features "
                        f"{config.max_features}")


def check_finite(damaged: str, weights) -> None:
    if not all(np.isfinite(w).all() for w in weights):
        raise UserError(f"{damaged} holds weights that are not finite numbers (NaN or inf)")


def _shapes(config) -> list[tuple[int, ...]]:
    """The shapes ``model.build_model(config).get_weights()`` has."""
    width = GATES[config.cell] * config.units
    bias = (2, width) if config.cell == "gru" else (width,)  # GRU: input and recurrent biases
    return [(config.max_features, config.embedding_dim), (config.embedding_dim, width),
            (config.units, width), bias, (config.units, 1), (1,)]


def _weight_bytes(config) -> int:
    return 4 * sum(int(np.prod(shape)) for shape in _shapes(config))


def _reason(error: BaseException) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__
