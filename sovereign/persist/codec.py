"""Exact, pickle-free encoding of model state as JSON values.

A save must let a game continue bit for bit, so every value must come back with the same type,
the same bits and, for dicts, the same key order. Plain JSON covers str, int, bool, None, lists
and finite floats (Python writes floats with `repr`, which round-trips exactly). Everything else is
written as a one-key *tagged* object:

==================  =====================================================================
``{"$f": "nan"}``   non-finite Python float: ``"nan"``, ``"inf"`` or ``"-inf"``
``{"$nd": {...}}``  numpy array: ``dtype`` (little-endian ``dtype.str``), ``shape``, ``data``
                    (base64 of the raw bytes)
``{"$np": {...}}``  numpy scalar (``np.float64`` is not ``float`` for exactness): ``dtype``,
                    ``data``
``{"$tuple": []}``  tuple
``{"$dict": []}``   dict whose keys are not all plain strings (int keys, keys starting with
                    ``$``): a list of ``[key, value]`` pairs
``{"$obj": {...}}`` an allow-listed result object (``class`` and ``fields``)
==================  =====================================================================

Objects (the market results) are encoded through an explicit allowlist of classes, and decoded
only into those classes, so a crafted file can never make the loader run arbitrary code.
Anything else is refused with the path of the offending value, so a save never silently drops
state.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import importlib
import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np

#: Array dtypes a save may hold: bool, signed/unsigned int, float, complex, unicode strings.
ARRAY_KINDS = frozenset("biufcU")

#: Result objects that may appear in model state, by the name written in the file. Each is
#: resolved lazily (module, attribute), so importing this module needs no market kernels.
OBJECT_CLASSES: dict[str, tuple[str, str]] = {
    "PowerResult": ("sovereign.markets", "PowerResult"),
    "ComputeResult": ("sovereign.markets", "ComputeResult"),
    "ChipResult": ("sovereign.markets", "ChipResult"),
    # the typed state of the simulation (sovereign.sim.state)
    "Economy": ("sovereign.sim.state", "Economy"),
    "QuarterResults": ("sovereign.sim.state", "QuarterResults"),
    "PowerResults": ("sovereign.sim.state", "PowerResults"),
    "ChipResults": ("sovereign.sim.state", "ChipResults"),
    "ComputeResults": ("sovereign.sim.state", "ComputeResults"),
    "Segments": ("sovereign.sim.state", "Segments"),
    "EventEffects": ("sovereign.sim.state", "EventEffects"),
    # a plain attribute bag (test doubles of the market kernels return these)
    "namespace": ("types", "SimpleNamespace"),
}

#: Deepest nesting accepted when decoding (model state is about 8 deep); stops stack exhaustion.
MAX_DEPTH = 64


class CodecError(ValueError):
    """A value cannot be encoded, or encoded data is malformed; says where (a dotted path)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(f"{where or '<root>'}: {message}")


def _resolve(name: str) -> type | None:
    module, attr = OBJECT_CLASSES[name]
    try:
        return getattr(importlib.import_module(module), attr, None)
    except ImportError:
        return None


def _object_name(obj: Any) -> str | None:
    """The allowlist name of `obj`'s exact class, or None if it is not allow-listed."""
    for name in OBJECT_CLASSES:
        cls = _resolve(name)
        if cls is not None and type(obj) is cls:
            return name
    return None


def _child(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


# ----------------------------------------------------------------------------------------------
# encoding
def encode(value: Any, where: str = "") -> Any:
    """Encode `value` as JSON-able data that `decode` turns back into an exact copy.

    Args:
        value: Model state: JSON scalars, lists, tuples, dicts, numpy arrays and scalars, and
            allow-listed result objects, nested.
        where: Dotted path of `value`, used in error messages.

    Returns:
        Plain JSON data (dicts with str keys, lists, str, int, finite float, bool, None).

    Raises:
        CodecError: A value of a type a save cannot hold, or an array of an unsupported dtype.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        return {"$np": _encode_buffer(np.asarray(value), where, scalar=True)}
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return {"$f": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, np.ndarray):
        return {"$nd": _encode_buffer(value, where, scalar=False)}
    if type(value) is list:
        return [encode(v, _child(where, i)) for i, v in enumerate(value)]
    if type(value) is tuple:
        return {"$tuple": [encode(v, _child(where, i)) for i, v in enumerate(value)]}
    if type(value) is dict:  # subclasses (defaultdict...) would lose their type: refuse them
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode(v, _child(where, k)) for k, v in value.items()}
        return {"$dict": [[encode(k, where), encode(v, _child(where, k))] for k, v in value.items()]}
    name = _object_name(value)
    if name is not None:
        return {"$obj": {"class": name, "fields": encode(_fields_of(value), _child(where, name))}}
    raise CodecError(where, f"cannot save a value of type {type(value).__module__}.{type(value).__qualname__}")


def _fields_of(obj: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    return dict(vars(obj))


def _encode_buffer(arr: np.ndarray, where: str, scalar: bool) -> dict[str, Any]:
    if arr.dtype.kind not in ARRAY_KINDS or arr.dtype.fields is not None:
        raise CodecError(where, f"cannot save an array of dtype {arr.dtype}")
    little = arr.dtype.newbyteorder("<")  # the file is little-endian whatever the machine
    raw = np.ascontiguousarray(arr, dtype=little).tobytes()
    out: dict[str, Any] = {"dtype": little.str}
    if not scalar:
        out["shape"] = list(arr.shape)
    out["data"] = base64.b64encode(raw).decode("ascii")
    return out


# ----------------------------------------------------------------------------------------------
# decoding
def decode(data: Any, where: str = "", _depth: int = 0) -> Any:
    """Inverse of `encode`: rebuild arrays, scalars, tuples, dicts and result objects.

    Args:
        data: Parsed JSON.
        where: Dotted path of `data`, used in error messages.

    Returns:
        The decoded value. Arrays are fresh, writable and in native byte order.

    Raises:
        CodecError: Malformed tags, bad base64, sizes that do not match, unknown classes.
    """
    if _depth > MAX_DEPTH:
        raise CodecError(where, f"nested more than {MAX_DEPTH} levels deep")
    if data is None or isinstance(data, bool | str | int):
        return data
    if isinstance(data, float):
        if not math.isfinite(data):
            raise CodecError(where, "a non-finite number must be written as a {'$f': ...} tag")
        return data
    if isinstance(data, list):
        if all(type(v) is dict and _plain_record(v) for v in data):
            return [dict(v) for v in data]  # the logs' rows: nothing tagged, nothing to rebuild
        return [decode(v, _child(where, i), _depth + 1) for i, v in enumerate(data)]
    if not isinstance(data, dict):
        raise CodecError(where, f"unexpected JSON value of type {type(data).__name__}")
    tags = [k for k in data if k.startswith("$")]
    if not tags:
        return {k: decode(v, _child(where, k), _depth + 1) for k, v in data.items()}
    if len(data) != 1:
        raise CodecError(where, f"a tagged value must have exactly one key, found {sorted(data)}")
    tag = tags[0]
    handler = _DECODERS.get(tag)
    if handler is None:
        raise CodecError(where, f"unknown tag {tag!r}")
    return handler(data[tag], where, _depth + 1)


_PLAIN_TYPES = (str, int, bool, type(None))


def _plain_record(record: dict[str, Any]) -> bool:
    """Whether a mapping holds only untagged keys and plain scalars (decoding would copy it as is).

    Why: metrics, news and command logs are tens of thousands of such rows; decoding them value
    by value dominated reading a save. Floats must be finite (JSON's ``1e400`` parses as inf).
    """
    for key, value in record.items():
        kind = type(value)
        if kind is float:
            if value - value != 0.0:  # NaN or infinite
                return False
        elif kind not in _PLAIN_TYPES:
            return False
        if key[:1] == "$":
            return False
    return True


def _decode_float(body: Any, where: str, depth: int) -> float:
    values = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
    if not isinstance(body, str) or body not in values:
        raise CodecError(where, f"'$f' must be one of {sorted(values)}, found {body!r}")
    return values[body]


def _decode_tuple(body: Any, where: str, depth: int) -> tuple[Any, ...]:
    if not isinstance(body, list):
        raise CodecError(where, "'$tuple' must hold a list")
    return tuple(decode(v, _child(where, i), depth + 1) for i, v in enumerate(body))


def _decode_dict(body: Any, where: str, depth: int) -> dict[Any, Any]:
    if not isinstance(body, list):
        raise CodecError(where, "'$dict' must hold a list of [key, value] pairs")
    out: dict[Any, Any] = {}
    for i, pair in enumerate(body):
        if not isinstance(pair, list) or len(pair) != 2:
            raise CodecError(_child(where, i), "expected a [key, value] pair")
        key = decode(pair[0], where, depth + 1)
        try:
            hash(key)
        except TypeError:
            raise CodecError(_child(where, i), f"a {type(key).__name__} cannot be a dict key") from None
        out[key] = decode(pair[1], _child(where, key), depth + 1)
    return out


def _parse_dtype(text: Any, where: str) -> np.dtype[Any]:
    if not isinstance(text, str) or len(text) > 16:
        raise CodecError(where, f"bad dtype {text!r}")
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError, SyntaxError):
        raise CodecError(where, f"bad dtype {text!r}") from None
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.str != text or dtype.itemsize == 0:
        raise CodecError(where, f"dtype {text!r} is not allowed in a save")
    return dtype


def _decode_bytes(body: Any, where: str) -> bytes:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, str):
        raise CodecError(where, "missing base64 'data'")
    try:
        return base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CodecError(where, "'data' is not valid base64") from None


def _decode_array(body: Any, where: str, depth: int) -> np.ndarray:
    if not isinstance(body, dict) or set(body) != {"dtype", "shape", "data"}:
        raise CodecError(where, "'$nd' must hold exactly 'dtype', 'shape' and 'data'")
    dtype = _parse_dtype(body["dtype"], where)
    shape = body["shape"]
    if (
        not isinstance(shape, list)
        or len(shape) > 32
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise CodecError(where, f"bad shape {shape!r}")
    raw = _decode_bytes(body, where)
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw):
        raise CodecError(where, f"shape {shape} of {dtype} needs {count * dtype.itemsize} bytes, found {len(raw)}")
    arr = np.frombuffer(raw, dtype=dtype).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def _decode_scalar(body: Any, where: str, depth: int) -> np.generic:
    if not isinstance(body, dict) or set(body) != {"dtype", "data"}:
        raise CodecError(where, "'$np' must hold exactly 'dtype' and 'data'")
    dtype = _parse_dtype(body["dtype"], where)
    raw = _decode_bytes(body, where)
    if len(raw) != dtype.itemsize:
        raise CodecError(where, f"a {dtype} scalar needs {dtype.itemsize} bytes, found {len(raw)}")
    return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))[0]


def _decode_object(body: Any, where: str, depth: int) -> Any:
    if not isinstance(body, dict) or set(body) != {"class", "fields"}:
        raise CodecError(where, "'$obj' must hold exactly 'class' and 'fields'")
    name = body["class"]
    if not isinstance(name, str) or name not in OBJECT_CLASSES:
        raise CodecError(where, f"class {name!r} is not one a save may contain")
    cls = _resolve(name)
    if cls is None:
        raise CodecError(where, f"class {name!r} is not available in this version of Sovereign")
    fields = decode(body["fields"], _child(where, name), depth + 1)
    if not isinstance(fields, dict) or not all(isinstance(k, str) for k in fields):
        raise CodecError(where, f"fields of {name} must be a mapping of names")
    if cls is types.SimpleNamespace:
        return types.SimpleNamespace(**fields)
    if not dataclasses.is_dataclass(cls):
        raise CodecError(where, f"class {name!r} cannot be rebuilt")
    declared = {f.name: f for f in dataclasses.fields(cls)}
    if set(fields) != set(declared):
        missing, extra = sorted(set(declared) - set(fields)), sorted(set(fields) - set(declared))
        raise CodecError(where, f"fields of {name} do not match (missing {missing}, unexpected {extra})")
    obj = cls(**{k: v for k, v in fields.items() if declared[k].init})
    for k, v in fields.items():
        if not declared[k].init:  # computed fields: restore the saved value exactly
            object.__setattr__(obj, k, v)
    return obj


_DECODERS: dict[str, Callable[[Any, str, int], Any]] = {
    "$f": _decode_float,
    "$nd": _decode_array,
    "$np": _decode_scalar,
    "$tuple": _decode_tuple,
    "$dict": _decode_dict,
    "$obj": _decode_object,
}
