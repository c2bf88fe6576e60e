"""The value codec: exact round trips of everything model state holds; only CodecError on bad data."""

from __future__ import annotations

import json
import math
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sovereign.persist.codec import CodecError, decode, encode

DTYPES = st.sampled_from(["<f8", "<f4", "<i8", "<i4", "<u1", "|b1", "<c16", "<U7"])


def arrays():
    return DTYPES.flatmap(
        lambda d: hnp.arrays(np.dtype(d), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    )


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**130), max_value=2**130),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.floats(width=64).map(np.float64),
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.booleans().map(np.bool_),
)
values = st.recursive(
    st.one_of(scalars, arrays()),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), children, max_size=4),
        st.dictionaries(st.integers(-5, 5), children, max_size=3),
    ),
    max_leaves=12,
)


def same(a, b) -> bool:
    """Exact equality: same types, same bits (NaN equal to NaN), same key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=100, deadline=None)
@given(values)
def test_round_trip_is_exact_through_json(value):
    text = json.dumps(encode(value), allow_nan=False)
    assert same(decode(json.loads(text)), value)


def test_special_floats_and_key_escapes():
    value = {"$weird": -0.0, "x": [math.inf, -math.inf, math.nan], 3: (1, "a")}
    back = decode(json.loads(json.dumps(encode(value), allow_nan=False)))
    assert same(back, value)


def test_decoded_arrays_are_writable_and_native():
    arr = decode(encode(np.arange(6, dtype=">i4").reshape(2, 3)))
    arr[0, 0] = 42
    assert arr.dtype.isnative and arr.flags.writeable and arr.tolist() == [[42, 1, 2], [3, 4, 5]]


def test_namespaces_and_unknown_objects():
    ns = types.SimpleNamespace(price=np.array([1.5]), voll=3000.0)
    back = decode(encode(ns))
    assert isinstance(back, types.SimpleNamespace) and same(back.price, ns.price)
    with pytest.raises(CodecError, match=r"a\.b.*set"):
        encode({"a": {"b": {1, 2}}})
    with pytest.raises(CodecError, match="object"):
        encode(np.array([object()], dtype=object))


def test_market_results_round_trip():
    from sovereign.markets import clear_power

    res = clear_power(np.array([[[10.0, 50.0]]]), np.array([[[100.0, 100.0]]]), np.array([[150.0]]), voll=3000.0)
    back = decode(json.loads(json.dumps(encode(res))))
    assert type(back) is type(res)
    for name in vars(res):
        assert same(getattr(back, name), getattr(res, name)), name


@pytest.mark.parametrize(
    "bad",
    [
        {"$nd": {"dtype": "<f8", "shape": [3], "data": "AAAA"}},  # size mismatch
        {"$nd": {"dtype": "|O", "shape": [1], "data": ""}},  # object dtype
        {"$nd": {"dtype": "i4,f8", "shape": [1], "data": ""}},  # structured
        {"$nd": {"dtype": "<f8", "shape": [-1], "data": ""}},
        {"$nd": {"dtype": "<f8", "shape": [1], "data": "!!!"}},
        {"$np": {"dtype": "<f8", "data": "AAAA"}},
        {"$f": "NaN?"},
        {"$obj": {"class": "os.system", "fields": {}}},
        {"$obj": {"class": "PowerResult", "fields": {"price": 1}}},
        {"$dict": [[[1], 2]]},
        {"$tuple": 3},
        {"$what": 1},
        {"$f": "nan", "extra": 1},
        1e400,
    ],
)
def test_malformed_data_raises_codec_error(bad):
    with pytest.raises(CodecError):
        decode(bad)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=6)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["$nd", "$np", "$f", "$dict", "$tuple", "$obj", "dtype", "shape", "data"]),
            children,
            max_size=3,
        ),
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_decoding_arbitrary_json_raises_only_codec_error(data):
    try:
        decode(data)
    except CodecError:
        pass
