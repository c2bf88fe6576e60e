"""Fixtures for the market tests: the LP oracle (scipy HiGHS, tests only) and validity checks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

# HiGHS defaults allow 1e-7 absolute infeasibility, too loose for tiny degenerate instances.
TIGHT = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


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
    res = linprog(c, A_eq=a_eq, b_eq=demand, bounds=np.column_stack([lb, ub]), method="highs", options=TIGHT)
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
    res = linprog(
        -s[m], A_ub=a, b_ub=np.concatenate([demand, capacity]), bounds=(0, None), method="highs", options=TIGHT
    )
    assert res.status == 0, res.message
    return -res.fun


# C901: one check per feasibility and optimality condition, listed in one place to read against the LP.
def power_violations(res, cost, capacity, demand, voll, src=(), dst=(), cap=(), rtol=1e-9):  # noqa: C901
    """Return a list of human-readable violations of feasibility or complementary slackness.

    Works on one instance (R, U); scale-aware tolerances.
    """
    cost = np.asarray(cost, float)
    capacity = np.asarray(capacity, float)
    demand = np.asarray(demand, float)
    src = np.asarray(src, int)
    dst = np.asarray(dst, int)
    cap = np.asarray(cap, float)
    n_r = len(demand)
    # Link capacities stay out of the scale: an "unlimited" 1e12 link must not loosen the checks.
    qscale = max(1e-9, float(capacity.sum()), float(demand.sum()))
    ptol = rtol * max(1.0, float(np.abs(cost).max(initial=0.0)), voll)
    qtol = rtol * qscale
    out = []
    p = res.price
    x = res.dispatch
    f = res.flow
    if (x < -qtol).any() or (x > capacity + qtol).any():
        out.append("dispatch outside [0, capacity]")
    if (res.unserved < -qtol).any():
        out.append("negative unserved")
    if len(f) and (np.abs(f) > cap + qtol).any():
        out.append("flow above link capacity")
    net_in = np.bincount(dst, f, n_r) - np.bincount(src, f, n_r) if len(f) else np.zeros(n_r)
    bal = x.sum(-1) + res.unserved + net_in - demand
    if np.abs(bal).max(initial=0.0) > qtol:
        out.append(f"balance violated by {np.abs(bal).max()}")
    pr = p[:, None]
    if ((cost < pr - ptol) & (x < capacity - qtol)).any():
        out.append("block cheaper than price not at capacity")
    if ((cost > pr + ptol) & (x > qtol)).any():
        out.append("block dearer than price dispatched")
    if ((x > qtol) & (x < capacity - qtol) & (np.abs(cost - pr) > ptol)).any():
        out.append("partially dispatched block not at price")
    if ((res.unserved > qtol) & (np.abs(p - voll) > ptol)).any():
        out.append("unserved load but price != voll")
    if (p > voll + ptol).any():
        out.append("price above voll")
    if len(f):
        ps, pd = p[src], p[dst]
        if ((np.abs(f) < cap - qtol) & (np.abs(ps - pd) > ptol) & (src != dst)).any():
            out.append("uncongested link with a price difference")
        if ((f > qtol) & (ps > pd + ptol)).any() or ((f < -qtol) & (pd > ps + ptol)).any():
            out.append("flow from high to low price")
    # Certificate of optimality: the prices' dual objective equals the cost (weak duality).
    lam = np.minimum(p, voll)
    dual = float((demand * lam).sum() - (capacity * np.maximum(lam[:, None] - cost, 0.0)).sum())
    if len(f):
        dual -= float((cap * np.abs(lam[src] - lam[dst])).sum())
    if abs(dual - float(res.total_cost)) > 1e-9 * max(abs(dual), qscale * voll * 1e-3):
        out.append(f"duality gap {float(res.total_cost) - dual}")
    tc = float((cost * x).sum() + voll * res.unserved.sum())
    if abs(tc - float(res.total_cost)) > 1e-9 * max(1.0, abs(tc)):
        out.append("total_cost inconsistent with dispatch")
    return out


@pytest.fixture(scope="session")
def oracle_power():
    """The power LP oracle: ``(cost, capacity, demand, voll, src, dst, cap) -> (total, prices)``."""
    return power_lp


@pytest.fixture(scope="session")
def oracle_compute():
    """The compute LP oracle: ``(capacity, cost, demand, wtp, allowed, penalty) -> welfare``."""
    return compute_lp


@pytest.fixture(scope="session")
def check_power():
    """Feasibility and complementary-slackness checker for one power instance."""
    return power_violations
