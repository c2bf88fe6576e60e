"""Benchmark the market kernels side by side with scipy's HiGHS on identical instances.

Run: ``.venv/bin/python benchmarks/markets.py`` (add ``--quick`` to skip the slowest HiGHS runs).
Prints a Markdown table; figures go to docs/benchmarks.md (section "Markets").
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.optimize import linprog

from sovereign.markets import allocate_chips, clear_compute, clear_power

VOLL = 3000.0
SLICES = 4
BLOCKS = 12


def timed(fn: Callable[[], object], min_time: float = 0.3, max_repeat: int = 200) -> tuple[float, object]:
    """Median wall time of ``fn`` over enough repeats to fill ``min_time`` (at least one)."""
    times = []
    out = None
    start = time.perf_counter()
    while len(times) < max_repeat:
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > min_time:
            break
    return float(np.median(times)), out


def power_instance(n_r: int, rng: np.random.Generator, coupled: bool):
    """Regions with 12 blocks each over 4 slices; ~2R links (a ring plus random chords)."""
    cost = rng.uniform(0, 200, (SLICES, n_r, BLOCKS))
    cap = rng.uniform(0, 100, (SLICES, n_r, BLOCKS))
    demand = cap.sum(-1) * rng.uniform(0.3, 1.1, (SLICES, n_r))
    if not coupled:
        return cost, cap, demand, None
    ring = np.arange(n_r)
    chords = rng.integers(0, n_r, n_r)
    src = np.concatenate([ring, chords])
    dst = np.concatenate([(ring + 1) % n_r, (chords + rng.integers(1, max(n_r, 2), n_r)) % n_r])
    # Interconnectors of 5-50% of a typical region's demand: a meshed grid with real congestion.
    lcap = rng.uniform(0.05, 0.5, len(src)) * float(demand.mean())
    return cost, cap, demand, (src, dst, lcap)


def power_highs(cost, cap, demand, links):
    """One HiGHS LP per slice; returns total costs (S,)."""
    n_r, n_u = cost.shape[-2:]
    src, dst, lcap = links if links is not None else (np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    n_l = len(src)
    rows = np.concatenate([np.repeat(np.arange(n_r), n_u), np.arange(n_r), dst, src])
    nv = n_r * n_u + n_r + n_l
    cols = np.concatenate(
        [np.arange(n_r * n_u + n_r), n_r * n_u + n_r + np.arange(n_l), n_r * n_u + n_r + np.arange(n_l)]
    )
    vals = np.concatenate([np.ones(n_r * n_u + n_r + n_l), -np.ones(n_l)])
    a_eq = sp.csr_array((vals, (rows, cols)), shape=(n_r, nv))
    out = []
    for s in range(cost.shape[0]):
        c = np.concatenate([cost[s].ravel(), np.full(n_r, VOLL), np.zeros(n_l)])
        lb = np.concatenate([np.zeros(n_r * n_u + n_r), -lcap])
        ub = np.concatenate([cap[s].ravel(), np.full(n_r, np.inf), lcap])
        res = linprog(c, A_eq=a_eq, b_eq=demand[s], bounds=np.column_stack([lb, ub]), method="highs")
        out.append(res.fun)
    return np.array(out)


def compute_instance(n: int, rng: np.random.Generator):
    return (
        rng.uniform(10, 100, n),
        rng.uniform(1, 3, n),
        rng.uniform(10, 100, n),
        rng.uniform(2, 6, n),
        rng.random((n, n)) < 0.7,
        rng.uniform(0, 1, (n, n)),
    )


def compute_highs(capacity, cost, demand, wtp, allowed, penalty):
    s = wtp[:, None] - cost[None, :] - penalty
    m = allowed & (s > 0)
    jj, kk = np.nonzero(m)
    nv = len(jj)
    n_j, n_k = allowed.shape
    a = sp.vstack(
        [
            sp.csr_array((np.ones(nv), (jj, np.arange(nv))), shape=(n_j, nv)),
            sp.csr_array((np.ones(nv), (kk, np.arange(nv))), shape=(n_k, nv)),
        ]
    ).tocsr()
    res = linprog(-s[m], A_ub=a, b_ub=np.concatenate([demand, capacity]), bounds=(0, None), method="highs")
    return -res.fun


def quarter_instance(rng: np.random.Generator):
    """A 25-region quarter: 4 slices x 12 blocks, 50 links; 50 clusters x 75 segments; 4 chip classes."""
    cost, cap, demand, links = power_instance(25, rng, coupled=True)
    comp = compute_instance(60, rng)
    n_bids = 200
    chips = (
        rng.uniform(1000, 5000, 4),
        rng.integers(0, 4, n_bids),
        rng.uniform(0, 100, n_bids),
        rng.uniform(10, 40, n_bids),
        rng.integers(0, 3, n_bids),
        np.array([[np.inf] * 4, [2000.0] * 4, [0.0, 0.0, 1e9, 1e9]]),
    )
    return cost, cap, demand, links, comp, chips


def row(*cells: object) -> None:
    """Print one Markdown table row."""
    print("| " + " | ".join(str(c) for c in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip HiGHS where it takes minutes")
    args = parser.parse_args()
    rng = np.random.default_rng(20260101)
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = f"python {platform.python_version()} | numpy {np.__version__} | scipy {scipy.__version__}"
    print(f"# {time.strftime('%Y-%m-%d')} | {cpu} | {versions}")
    print()
    # Load the compiled kernels (numba's on-disk cache, or a first compile) before timing.
    warm_inst = quarter_instance(np.random.default_rng(0))
    clear_power(*warm_inst[:3], voll=VOLL, links=warm_inst[3])
    clear_compute(*warm_inst[4])
    clear_compute(*warm_inst[4], temperature=0.1, warm_start=np.zeros(len(warm_inst[4][0])))
    print("| case | size | ours | HiGHS | speed-up | check |")
    print("|---|---|---|---|---|---|")

    for coupled in (False, True):
        for n_r in (25, 100, 1000, 10000):
            cost, cap, demand, links = power_instance(n_r, rng, coupled)
            ours_t, res = timed(lambda c=cost, q=cap, d=demand, lk=links: clear_power(c, q, d, voll=VOLL, links=lk))
            if args.quick and coupled and n_r >= 10000:
                row("power coupled", f"R={n_r} U=12 x4", f"{ours_t * 1e3:.2f} ms", "skipped", "", "")
                continue
            hi_t, hi_cost = timed(
                lambda c=cost, q=cap, d=demand, lk=links: power_highs(c, q, d, lk), min_time=0.0 if n_r >= 1000 else 0.3
            )
            rel = float(np.max(np.abs(res.total_cost - hi_cost) / np.abs(hi_cost)))
            extra = f", {res.congested.mean():.0%} links congested" if coupled else ""
            name = "coupled" if coupled else "uncoupled"
            size = f"R={n_r} U=12 x4" + (f" L={len(links[0])}" if coupled else "")
            speed = f"{hi_t / ours_t:.1f}x"
            row(
                f"power {name}",
                size,
                f"{ours_t * 1e3:.2f} ms",
                f"{hi_t * 1e3:.1f} ms",
                speed,
                f"cost rel diff {rel:.1e}{extra}",
            )

    for n in (100, 500, 1000):
        inst = compute_instance(n, rng)
        ours_t, res = timed(lambda i=inst: clear_compute(*i))
        if args.quick and n >= 1000:
            cert = (res.welfare_bound - res.welfare) / res.welfare
            row("compute (default)", f"{n}x{n}", f"{ours_t * 1e3:.1f} ms", "skipped", "", f"certified gap {cert:.2%}")
            continue
        hi_t, opt = timed(lambda i=inst: compute_highs(*i), min_time=0.0)
        gap = (opt - res.welfare) / opt
        speed = f"{hi_t / ours_t:.0f}x"
        row(
            "compute (default)",
            f"{n}x{n}",
            f"{ours_t * 1e3:.1f} ms",
            f"{hi_t * 1e3:.0f} ms",
            speed,
            f"welfare gap to LP {gap:.3%}",
        )

    cost, cap, demand, links, comp, chips = quarter_instance(rng)
    t_pl, _ = timed(lambda: clear_power(cost, cap, demand, voll=VOLL, links=links), min_time=1.0)
    t_pu, _ = timed(lambda: clear_power(cost, cap, demand, voll=VOLL), min_time=1.0)
    t_c, _ = timed(lambda: clear_compute(*comp), min_time=1.0)
    t_ch, _ = timed(lambda: allocate_chips(*chips), min_time=1.0)
    print(f"| quarter, 25 regions: power with links | 4x25x12, 50 links | {t_pl * 1e3:.2f} ms | | | |")
    print(f"| quarter, 25 regions: power, no links | 4x25x12 | {t_pu * 1e3:.3f} ms | | | |")
    print(f"| quarter, 25 regions: compute | 60x60 | {t_c * 1e3:.2f} ms | | | |")
    print(f"| quarter, 25 regions: chips | 200 bids, 4 classes | {t_ch * 1e3:.3f} ms | | | |")
    print(f"| quarter, 25 regions: all three | | {(t_pl + t_c + t_ch) * 1e3:.2f} ms | | | |")
    # The same quarter as the game clears it: the compute market at a scenario's logit
    # temperature ($0.10/GPU-hour), warm-started from the previous quarter's prices (the
    # previous quarter: the same market with demand 5% different).
    prev = list(comp)
    prev[2] = comp[2] * np.random.default_rng(1).uniform(0.95, 1.05, len(comp[2]))
    last_price = clear_compute(*prev, temperature=0.1).price
    t_cw, res_w = timed(lambda: clear_compute(*comp, temperature=0.1, warm_start=last_price), min_time=1.0)
    print(
        f"| quarter as the game clears it: compute at $0.10 logit, warm start | 60x60 | {t_cw * 1e3:.2f} ms "
        f"| | | {res_w.iterations} iterations |"
    )
    print(f"| quarter as the game clears it: all three | | {(t_pl + t_cw + t_ch) * 1e3:.2f} ms | | | |")


if __name__ == "__main__":
    main()
