"""Stylized facts of the chip market: every class sells, controls bind on the right buyers, shocks bite.

The issue "Chips and sanctions that behave like 2023-26" asks for these, measured on 20 seeds of
the baseline and 10 of the Taiwan Strait lesson (each against the same lesson and seed without
the quarantine, `without_shock`).
`measure_baseline` and `measure_shock` return the figures by `Fact.key`; `BASELINE_FACTS` and
`SHOCK_FACTS` say what each is held to and the published figure; `check` (from
`sovereign.ensemble.stylized`) applies them. The same code serves `tools/validate_chips.py` (the
report in docs/validation.md) and the slow test that holds the model to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sovereign.ensemble.stylized import Fact
from sovereign.scenario.schema import Scenario, quarter_index

#: CNAS median estimate of Nvidia chips smuggled into China in 2024 (CALIBRATION 13), chips/year.
SMUGGLED_2024 = 140_000.0
#: The shock the Taiwan Strait lesson plays (its first fab disruption), and the frontier class.
SHOCK_QUARTER = "2027Q3"
#: The inject kinds that make up the quarantine (what `without_shock` removes).
SHOCK_KINDS = ("fab_disruption", "export_escalation")
FRONTIER = "frontier"

BASELINE_FACTS: tuple[Fact, ...] = (
    Fact(
        "sold_share_2026_29_min",
        "Lowest share of its supply any accelerator class sells, averaged over 2026-29",
        0.5,
        1.0,
        "issue rule: every class offered sells at least half its supply (the Hopper class sold 0 of 5,511 bids before)",
    ),
    Fact(
        "price_at_reserve_share_max",
        "Largest share of quarters any class's price sits at its reserve",
        0.0,
        0.25,
        "issue rule: no price pinned at a floor for more than a quarter of the game",
    ),
    Fact(
        "frontier_sold_2026_min",
        "Lowest quarterly sold / supply of the frontier class in 2026",
        0.9,
        1.0,
        "CoWoS and HBM sold out 2024-26 (TSMC, SK hynix, Micron; CALIBRATION 8)",
    ),
    Fact(
        "frontier_price_vs_list_2026_min",
        "Lowest quarterly frontier price over its list price in 2026",
        1.0,
        float("inf"),
        "sold out at or above list (Blackwell $30-40k, used H100 $22-25k vs $25-30k new; CALIBRATION 3, 9)",
    ),
    Fact(
        "chinese_class_held_by_tier1_firms",
        "Chinese-class H100e held by firms headquartered in tier-1 countries, any quarter",
        0.0,
        0.0,
        "rule: no US or allied firm holds Ascend-class chips (the Entity List, 2019-)",
        "{:.0f}",
    ),
    Fact(
        "chinese_class_abroad_share_max",
        "Largest share of Chinese-class chips installed outside China and tier-3 destinations",
        0.0,
        0.1,
        "Huawei's 2025-26 output (0.4-0.8M packages) is short of China's own demand (CALIBRATION 8, 13)",
        "{:.1%}",
    ),
    Fact(
        "china_share_2026_30_min",
        "China's lowest share of installed AI compute, 2026-30",
        0.08,
        0.20,
        "Epoch: ~15% in 2025 (CALIBRATION 2); issue: within 8-20% through 2030 under the controls",
        "{:.1%}",
    ),
    Fact(
        "china_share_2026_30_max",
        "China's highest share of installed AI compute, 2026-30",
        0.08,
        0.20,
        "as above",
        "{:.1%}",
    ),
    Fact(
        "grey_2026",
        "Controlled chips smuggled to barred (tier-3) destinations in 2026 (H100e)",
        SMUGGLED_2024 / 2,
        SMUGGLED_2024 * 2,
        "CNAS median ~140k chips smuggled into China in 2024, range 10k to several 100k (CALIBRATION 13); "
        "within a factor 2",
        "{:,.0f}",
    ),
)

SHOCK_FACTS: tuple[Fact, ...] = (
    Fact(
        "frontier_price_peak_ratio",
        "Peak frontier chip price over its level before the quarantine",
        2.0,
        float("inf"),
        "issue: prices spike several-fold in a disruption (H100 $40k+ on the spot market in 2023 vs "
        "$25-30k list, CALIBRATION 9); >= 2x",
    ),
    Fact(
        "frontier_price_vs_calm_peak",
        "Peak frontier chip price over the same quarter's price without the quarantine (same seed)",
        2.0,
        float("inf"),
        "the quarantine's own effect on the price (the pre-shock level above mixes in the tight 2027 market); "
        "held to the issue's >= 2x",
    ),
    Fact(
        "frontier_high_quarters",
        "Quarters from the quarantine on with the frontier price >= 1.3x its level before",
        3,
        float("inf"),
        "issue: prices stay high while backlogs clear; >= 3 quarters",
        "{:.0f}",
    ),
    Fact(
        "frontier_delivery_loss",
        "Fall in cumulative frontier deliveries 2027Q3-2030Q4 against the lesson without it (same seed)",
        0.10,
        1.0,
        "issue: >= 10% (Taiwan makes ~88% of AI accelerators in the game's 2026, CALIBRATION 5)",
        "{:.1%}",
    ),
    Fact(
        "compute_price_rise",
        "Peak rise of the world price of new compute after the quarantine, against its level before",
        0.20,
        float("inf"),
        "issue: >= 20% (H100 rental +40% on new 1-yr contracts when supply tightened, Oct 2025 - Mar 2026, "
        "CALIBRATION 9)",
        "{:.1%}",
    ),
    Fact(
        "compute_price_vs_calm_peak",
        "Peak rise of the world price of new compute over the same quarter's price without the quarantine (same seed)",
        0.20,
        float("inf"),
        "the quarantine's own effect on the price of new compute (the level before mixes in the trend: the calm "
        "game's price falls as its fleet grows); held to the issue's >= 20%",
        "{:.1%}",
    ),
    Fact(
        "taiwan_fab_revenue_change",
        "Change of Taiwan's fabs' chip revenue 2027Q3-2028Q4 against the lesson without it (same seed)",
        -1.0,
        0.0,
        "issue rule: the quarantined fabs earn less (TSMC ended richer than without the blockade before)",
        "{:+.1%}",
    ),
)


#: Facts the model does not meet yet in every seed (measured in docs/validation.md); the slow
#: test holds the others in every seed and expects these to fail, so meeting one is noticed.
UNMET: frozenset[str] = frozenset()
# (every chip fact holds in every seed of the slow test's root since session 20: buyers scale their
# whole bid by the longer payback they accept while a class's fabs are disrupted,
# `policy.view.disruption_stretch`, and the compute-price facts read the price of new compute, as a
# rental index quotes it, not the average paid on three-year contracts. On two other seed roots,
# docs/validation.md lists the misses: the price of new compute rises less than 20% in 3 of 20
# quarantine games, in a seed whose calm game has a demand bust and where the market was already at
# the labs' willingness to pay; the frontier price stays >= 1.3x for 2 quarters in one.)


def _price_rows(model: Any, world: list[dict[str, Any]], cls: str) -> tuple[np.ndarray, np.ndarray]:
    """The class's price and its list price (the model's own rule, `list_price_in`), quarter by quarter."""
    g = model.class_ix[cls]
    price = np.array([r[f"chip_price_{cls}_usd"] for r in world])
    listed = np.array([model.list_price_in(quarter_index(r["quarter"]))[g] for r in world])
    return price, listed


def measure_baseline(model: Any) -> dict[str, float]:
    """The baseline facts of a finished game (`BASELINE_FACTS`)."""
    sc = model.scenario
    world, nations, holdings = model.metrics.world, model.metrics.nations, model.metrics.holdings
    early = [r for r in world if "2026" <= r["quarter"][:4] <= "2029"]
    first_year = [r for r in world if r["quarter"].startswith("2026")]
    shares, pinned = [], []
    reserve_share = sc.economics.chip_reserve_share
    for a in sc.accelerators:
        supply = sum(r[f"chip_supply_{a.id}_h100e"] for r in early)
        if supply > 0:
            shares.append(sum(r[f"chip_sold_{a.id}_h100e"] for r in early) / supply)
        price, listed = _price_rows(model, world, a.id)
        pinned.append(float(np.mean(price <= listed * reserve_share * 1.001)))
    f_price, f_list = _price_rows(model, first_year, FRONTIER)
    # (to nine decimals: sold is the sum of the bids' allocations, which can exceed the supply it was
    # clipped to by a unit in the last place, 1 + 2e-16, outside a bound of exactly 1; an oversale
    # of any real size still shows)
    sold_2026 = [
        round(r[f"chip_sold_{FRONTIER}_h100e"] / max(r[f"chip_supply_{FRONTIER}_h100e"], 1.0), 9) for r in first_year
    ]
    # who holds the Chinese class (made mostly in tier-3 countries): by the firm's home and host region
    tiers = {r.id: r.export_tier for r in sc.regions}
    chinese = {a.id for a in sc.accelerators if a.sold_only_in and all(tiers[x] == 3 for x in a.sold_only_in)}
    held_tier1 = 0.0
    by_quarter: dict[str, list[float]] = {}
    for h in holdings:
        if h["accelerator"] not in chinese:
            continue
        if tiers[h["firm_home"]] == 1:
            held_tier1 = max(held_tier1, h["h100e"])
        tot = by_quarter.setdefault(h["quarter"], [0.0, 0.0])
        tot[0] += h["h100e"]
        if h["region"] != "CHN" and tiers[h["region"]] != 3:
            tot[1] += h["h100e"]
    abroad = max((out / total for total, out in by_quarter.values() if total > 0), default=0.0)
    china = [r["compute_share"] for r in nations if r["region"] == "CHN" and "2026" <= r["quarter"][:4] <= "2030"]
    return {
        "sold_share_2026_29_min": float(min(shares)),
        "price_at_reserve_share_max": float(max(pinned)),
        "frontier_sold_2026_min": float(min(sold_2026)),
        "frontier_price_vs_list_2026_min": float(np.min(f_price / f_list)),
        "chinese_class_held_by_tier1_firms": float(held_tier1),
        "chinese_class_abroad_share_max": float(abroad),
        "china_share_2026_30_min": float(min(china)),
        "china_share_2026_30_max": float(max(china)),
        "grey_2026": float(sum(r["chip_grey_market_h100e"] for r in first_year)),
    }


def without_shock(scenario: Scenario) -> Scenario:
    """The same lesson without its supply shock: no fab disruptions and no export escalation.

    The counterfactual the shock facts compare with. Comparing with the baseline instead would
    mix the quarantine with everything else the lesson changes (its other injects, its end, and
    so the random events the seed draws); the lesson without the shock keeps all of that and the
    seed's common random numbers, so the difference is the quarantine's alone.
    """
    calm = [i for i in scenario.injects if i.kind not in SHOCK_KINDS]
    return scenario.model_copy(update={"injects": calm})


def measure_shock(shocked: Any, baseline: Any, fab_region: str = "TWN") -> dict[str, float]:
    """The shock facts of a Taiwan Strait game against the same seed's game `without_shock`."""
    world, base_world = shocked.metrics.world, baseline.metrics.world
    quarters = [r["quarter"] for r in world]
    k = quarters.index(SHOCK_QUARTER)
    price = np.array([r[f"chip_price_{FRONTIER}_usd"] for r in world])
    calm_price = np.array([r[f"chip_price_{FRONTIER}_usd"] for r in base_world])
    before = float(np.mean(price[max(0, k - 2) : k]))
    after = price[k:]
    # the price of new compute (a rental index's quote), not the average paid: 70% of capacity is
    # on contracts whose rents follow the market over three years (`economics.contract_share`)
    compute = np.array([r["compute_spot_price_usd_hour"] for r in world])
    calm_compute = np.array([r["compute_spot_price_usd_hour"] for r in base_world])
    compute_before = float(np.mean(compute[max(0, k - 2) : k]))
    window = [q for q in quarters[k:] if q <= "2030Q4"]

    def delivered(rows: list[dict[str, Any]]) -> float:
        return float(sum(r[f"chip_sold_{FRONTIER}_h100e"] for r in rows if r["quarter"] in window))

    base_by_q = {r["quarter"]: r for r in base_world}
    to_2028 = [q for q in quarters[k:] if q <= "2028Q4"]
    return {
        "frontier_price_peak_ratio": float(after.max() / before),
        "frontier_high_quarters": float(np.sum(after >= 1.3 * before)),
        "frontier_price_vs_calm_peak": float(np.max(after / calm_price[k:])),
        "frontier_delivery_loss": 1.0 - delivered(world) / max(delivered([base_by_q[q] for q in window]), 1.0),
        "compute_price_rise": float(compute[k:].max() / compute_before - 1.0),
        "compute_price_vs_calm_peak": float(np.max(compute[k:] / calm_compute[k:]) - 1.0),
        "taiwan_fab_revenue_change": _fab_revenue(shocked, fab_region, to_2028)
        / max(_fab_revenue(baseline, fab_region, to_2028), 1e-9)
        - 1.0,
    }


def _fab_revenue(model: Any, region: str, quarters: list[str]) -> float:
    """Chip revenue of the fab firms headquartered in a region over some quarters ($B)."""
    fab_firms = {a.id for a in model.scenario.actors if a.kind == "fab" and a.home == region}
    return float(
        sum(r["revenue_busd"] for r in model.metrics.firms if r["firm"] in fab_firms and r["quarter"] in quarters)
    )
