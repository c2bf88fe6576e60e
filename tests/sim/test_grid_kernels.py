"""The utilities' compiled yearly plan against the rule written out in numpy, bit for bit.

The reference below is the plan's pass loop as it was written before it was compiled
(`grid._fill_shortfalls`): each pass a handful of numpy calls over all regions at once.
"""

from __future__ import annotations

import numpy as np
import pytest

from sovereign.sim import economics as econ
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases import grid
from sovereign.sim.warmup import warm_up


def _waits(backlog: np.ndarray | float, supply_q: float) -> np.ndarray:
    return np.ceil(np.maximum(backlog, 0.0) / supply_q - 1e-9).astype(np.int64)


def _reference(need, added, no_turbines, lead, k, h, backlog, supply_q, mask, build, permitting, allowed, avail, capex):
    """The numpy pass loop: the orders as (region, slice, technology, MW, lead), the lead times and the backlog."""
    rows, orders = np.arange(len(need)), []

    def arrival(b, r, t, mw):
        turbines = mask[t]
        queued = b + np.cumsum(np.where(turbines, mw, 0.0)) / 1000.0
        return build[t] + permitting[r] + np.where(turbines, _waits(queued, supply_q), 0)

    def cheapest(s, ok_tech, horizon):
        a = avail[s]
        ok = ok_tech & (a >= grid.MIN_AVAILABILITY) & (lead <= horizon)
        t = np.argmin(np.where(ok, capex[None, :] / np.maximum(a, 1e-9), np.inf), axis=1)
        return np.where(ok.any(axis=1), t, -1)

    def soonest(s, ok_tech):
        ok = ok_tech & (avail[s] >= grid.MIN_AVAILABILITY)
        return np.where(ok.any(axis=1), np.argmin(np.where(ok, lead, grid.NEVER), axis=1), -1)

    for _ in range(need.shape[1] + 2):
        short = need.max(axis=1) > 1.0
        if not short.any():
            break
        s = np.argmax(need, axis=1)
        t = cheapest(s, allowed, k)
        if k == h:
            t = np.where(t >= 0, t, soonest(s, allowed & ~(no_turbines[:, None] & mask[None, :])))
        tt = np.maximum(t, 0)
        go = short & (t >= 0) & (lead[rows, tt] > k - 4)
        wait = short & ~go
        need[rows[wait], s[wait]] = 0.0
        if not go.any():
            continue
        r_go, s_go, t_go = rows[go], s[go], t[go]
        mw = need[r_go, s_go] / avail[s_go, t_go]
        turbines = mask[t_go]
        if turbines.any():
            arrive = arrival(backlog, r_go, t_go, mw)
            fits = (arrive <= k) | ((k == h) & ((arrive <= lead[r_go, t_go] + 4) | ~turbines))
            no_turbines[r_go[~fits]] = True
            r_go, s_go, t_go, mw = r_go[fits], s_go[fits], t_go[fits], mw[fits]
        booked = arrival(backlog, r_go, t_go, mw)
        backlog += float(mw[mask[t_go]].sum()) / 1000.0
        orders += list(zip(r_go, s_go, t_go, mw, booked, strict=True))
        if turbines.any():
            lead = build[None, :] + permitting[:, None] + int(_waits(backlog, supply_q)) * mask[None, :]
        np.add.at(added, (r_go, t_go), mw)
        need[r_go] -= mw[:, None] * avail[:, t_go].T
    return orders, lead, backlog


@pytest.mark.parametrize("seed", range(60))
def test_the_compiled_plan_orders_what_the_numpy_rule_orders(seed):
    rng = np.random.default_rng(seed)
    n_r, n_s, n_t = int(rng.integers(1, 25)), int(rng.integers(1, 5)), int(rng.integers(2, 6))
    h = int(rng.choice([8, 24]))
    k = int(rng.choice(np.arange(4, h + 1, 4)))
    supply_q, backlog = float(rng.uniform(0.5, 10.0)), float(rng.choice([0.0, rng.uniform(0.0, 60.0)]))
    mask = rng.random(n_t) < 0.5
    build = rng.integers(1, 16, n_t).astype(np.int64)
    permitting = rng.integers(0, 5, n_r).astype(np.int64)
    allowed = rng.random((n_r, n_t)) < 0.8
    low = rng.random((n_s, n_t)) < 0.2  # some below `MIN_AVAILABILITY`
    avail = np.asfortranarray(np.where(low, rng.random((n_s, n_t)) * 0.2, rng.random((n_s, n_t))))
    capex = rng.uniform(0.5, 3.0, n_t) * rng.choice([1.0, 1.0, 2.0], n_t)
    need = rng.uniform(-500.0, 20_000.0, (n_r, n_s)) * (rng.random((n_r, n_s)) < 0.7)
    lead = build[None, :] + permitting[:, None] + econ.turbine_wait(backlog, supply_q) * mask[None, :]
    added, no_turbines = rng.random((n_r, n_t)), rng.random(n_r) < 0.2
    state = (need, added, no_turbines)
    ref_state = tuple(a.copy() for a in state)
    args = (k, h, backlog, supply_q, mask, build, permitting, allowed, avail, capex)
    want, want_lead, want_backlog = _reference(*ref_state, lead.copy(), *args)
    orders, got_lead, got_backlog = grid._fill_shortfalls(*state, lead.copy(), *args)
    got = list(zip(*(orders[i].astype(np.int64) for i in range(3)), orders[3], orders[4].astype(np.int64), strict=True))
    assert [tuple(map(float, o)) for o in got] == [tuple(map(float, o)) for o in want]
    assert np.array_equal(got_lead, want_lead) and got_backlog == want_backlog
    for mine, theirs in zip(state, ref_state, strict=True):
        assert np.array_equal(mine, theirs)


def test_the_warm_up_compiles_every_grid_kernel_a_game_calls(baseline):
    kernels = (
        grid._leads,
        grid._cheapest_rows,
        grid._soonest_rows,
        grid._book,
        grid._fill_shortfalls,
        econ.turbine_wait,
    )
    warm_up()
    compiled = [len(k.signatures) for k in kernels]
    SovereignModel(baseline, rng=1).run(quarters=5)  # two yearly plans, the AI's choices of plant
    assert [len(k.signatures) for k in kernels] == compiled
