"""LP oracle for the market tests: scipy's HiGHS on the same transport models (tests only)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog


def power_lp(cost, capacity, demand, voll, src=(), dst=(), cap=()):
    """Solve one power instance (R, U) as an LP; return (total_cost, prices)."""
    cost = np.asarray(cost, float)
    capacity = np.asarray(capacity, float)
    demand = np.asarray(demand, float)
    src = np.asarray(src, int)
    dst = np.asarray(dst, int)
    cap = np.asarray(cap, float)
    n_r, n_u = cost.shape
    n_l = len(src)
    c = np.concatenate([cost.ravel(), np.full(n_r, voll), np.zeros(n_l)])
    rows = np.concatenate([np.repeat(np.arange(n_r), n_u), np.arange(n_r), dst, src])
    cols = np.concatenate(
        [
            np.arange(n_r * n_u),
            n_r * n_u + np.arange(n_r),
            n_r * n_u + n_r + np.arange(n_l),
            n_r * n_u + n_r + np.arange(n_l),
        ]
    )
    vals = np.concatenate([np.ones(n_r * n_u + n_r + n_l), -np.ones(n_l)])
    a_eq = sp.csr_array((vals, (rows, cols)), shape=(n_r, n_r * n_u + n_r + n_l))
    lb = np.concatenate([np.zeros(n_r * n_u + n_r), -cap])
    ub = np.concatenate([capacity.ravel(), np.full(n_r, np.inf), cap])
    res = linprog(c, A_eq=a_eq, b_eq=demand, bounds=np.column_stack([lb, ub]), method="highs")
    assert res.status == 0, res.message
    return res.fun, res.eqlin.marginals


def compute_lp(capacity, cost, demand, wtp, allowed, penalty=None):
    """Solve the compute transport LP; return the optimal welfare."""
    capacity = np.asarray(capacity, float)
    cost = np.asarray(cost, float)
    demand = np.asarray(demand, float)
    wtp = np.asarray(wtp, float)
    allowed = np.asarray(allowed, bool)
    n_j, n_k = allowed.shape
    pen = np.zeros((n_j, n_k)) if penalty is None else np.asarray(penalty, float)
    s = wtp[:, None] - cost[None, :] - pen
    m = allowed & (s > 0)
    jj, kk = np.nonzero(m)
    nv = len(jj)
    if nv == 0:
        return 0.0
    a = sp.vstack(
        [
            sp.csr_array((np.ones(nv), (jj, np.arange(nv))), shape=(n_j, nv)),
            sp.csr_array((np.ones(nv), (kk, np.arange(nv))), shape=(n_k, nv)),
        ]
    ).tocsr()
    res = linprog(-s[m], A_ub=a, b_ub=np.concatenate([demand, capacity]), bounds=(0, None), method="highs")
    assert res.status == 0, res.message
    return -res.fun
