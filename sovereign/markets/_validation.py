"""Input checks shared by the market kernels.

Every kernel validates its arguments up front so that bad scenario data fails loudly with a
``ValueError`` naming the argument and the problem, instead of producing NaN prices three
quarters later.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_float(
    name: str,
    value: ArrayLike,
    *,
    ndim: int | None = None,
    min_ndim: int | None = None,
    allow_inf: bool = False,
    nonnegative: bool = False,
) -> NDArray[np.float64]:
    """Convert ``value`` to a float64 array and check it.

    Args:
        name: Argument name used in error messages.
        value: The array-like to convert.
        ndim: Required number of dimensions, if any.
        min_ndim: Required minimum number of dimensions, if any.
        allow_inf: Whether +inf is acceptable (NaN never is, -inf never is).
        nonnegative: Whether negative values are rejected.

    Returns:
        The checked array (a copy only when a conversion was needed).

    Raises:
        ValueError: If the value is not numeric, has the wrong dimensionality, contains NaN or a
            forbidden infinity, or a forbidden negative value.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a numeric array ({exc})") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimension(s), got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{name}: expected at least {min_ndim} dimension(s), got shape {arr.shape}")
    if arr.size:
        # Fast path, two reductions: min and max are finite (no NaN, no inf) and in range.
        lo, hi = float(arr.min()), float(arr.max())
        if math.isfinite(lo) and (math.isfinite(hi) or (allow_inf and hi == math.inf)):
            if not (nonnegative and lo < 0):
                return arr
    if np.isnan(arr).any():
        raise ValueError(f"{name}: contains NaN")
    if allow_inf:
        if np.isneginf(arr).any():
            raise ValueError(f"{name}: contains -inf")
    elif not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains inf (must be finite)")
    if nonnegative and (arr < 0).any():
        raise ValueError(f"{name}: contains negative values (must be >= 0)")
    return arr


def as_index(name: str, value: ArrayLike, *, upper: int, ndim: int = 1) -> NDArray[np.intp]:
    """Convert ``value`` to an integer index array with every entry in ``[0, upper)``.

    Float input is accepted when every entry is integral, because scenario files often carry
    indices as floats.

    Raises:
        ValueError: If an entry is not an integer or lies outside ``[0, upper)``.
    """
    arr = np.asarray(value)
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimension(s), got shape {arr.shape}")
    if arr.dtype.kind in "iu":  # fast path: already integers, only the range to check
        out = arr.astype(np.intp, copy=False)
        if out.size and (out.min() < 0 or out.max() >= upper):
            raise ValueError(f"{name}: index out of range [0, {upper})")
        return out
    if arr.dtype == np.bool_:
        raise ValueError(f"{name}: expected integer indices, got booleans")
    if not np.issubdtype(arr.dtype, np.integer):
        try:
            farr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected integer indices") from None
        if not np.isfinite(farr).all() or (farr != np.round(farr)).any():
            raise ValueError(f"{name}: expected integer indices, got non-integral values")
        arr = farr
    out = arr.astype(np.intp)
    if out.size and (out.min() < 0 or out.max() >= upper):
        raise ValueError(f"{name}: index out of range [0, {upper})")
    return out


def as_positive_scalar(name: str, value: float) -> float:
    """Return ``value`` as a float after checking it is finite and strictly positive.

    Raises:
        ValueError: If it is not a finite positive scalar.
    """
    arr = np.asarray(value, dtype=np.float64) if _is_numeric(value) else None
    if arr is None or arr.ndim != 0:
        raise ValueError(f"{name}: expected a scalar, got {value!r}")
    v = float(arr)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name}: must be finite and > 0, got {v}")
    return v


def _is_numeric(value: object) -> bool:
    try:
        np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True
