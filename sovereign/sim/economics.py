"""The economic rules that more than one reader needs: one home for each.

The phases apply these rules, the AI policies reckon with them and the UI previews them before a
player confirms an action, so each is written once, here: what a build costs, how long it takes,
what a new datacenter's PUE will be, what a datacenter earns per H100e-hour, and how a funding
round's chance depends on the climate. Each constant they use is a scenario field (see
`sovereign.scenario.schema`), with its unit, range and source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from sovereign.scenario.schema import Scenario, Technology

#: kW per MW (a unit conversion).
KW_PER_MW = 1000.0
#: Hours in a year and a quarter (8,760 h / 4).
HOURS_PER_YEAR = 8760.0
HOURS_PER_QUARTER = HOURS_PER_YEAR / 4.0


def new_datacenter_pue(sc: Scenario, region_pue: float | np.ndarray) -> Any:
    """PUE of a newly built datacenter: the region's fleet average, capped at the new-build best."""
    return np.minimum(region_pue, sc.economics.new_build_pue_cap)


def datacenter_build_quarters(sc: Scenario, permitting_quarters: int) -> int:
    """Quarters from order to operation of a datacenter: construction plus permits (the grid's queue comes after)."""
    return sc.economics.datacenter_build_quarters + int(permitting_quarters)


def plant_build_quarters(
    sc: Scenario, technology: Technology, permitting_quarters: int, turbine_backlog_gw: float = 0.0
) -> int:
    """Quarters from order to operation of a power plant: gas plants first wait for their turbines.

    The turbine makers deliver `grid.turbine_supply_gw_per_year` in order of booking, so a new
    order waits until the world's backlog ahead of it has been delivered (CALIBRATION 6: ~80 GW
    backlog into 2029, 5-7 years quoted).
    """
    wait = turbine_wait_quarters(sc, turbine_backlog_gw) if technology in sc.grid.turbine_technologies else 0
    return sc.technologies[technology].build_quarters + int(permitting_quarters) + wait


def turbine_wait_quarters(sc: Scenario, backlog_gw: float) -> int:
    """Quarters until the turbine makers have delivered a backlog of `backlog_gw`."""
    return int(turbine_wait(float(backlog_gw), sc.grid.turbine_supply_gw_per_year / 4.0))


@njit(cache=True)
def turbine_wait(backlog_gw: float, supply_gw_per_quarter: float) -> int:
    """`turbine_wait_quarters` given the makers' deliveries a quarter: the rule's one home.

    Compiled because the utilities' yearly plan (`grid._plan_adequacy`) books its orders in a
    compiled pass and reads it there once per order.
    """
    return int(np.ceil(np.maximum(backlog_gw, 0.0) / supply_gw_per_quarter - 1e-9))


def datacenter_grid_mw(sc: Scenario, region_pue: float, it_mw: float) -> float:
    """Facility load of a new datacenter at full use (IT load x its new-build PUE): what it asks the grid for."""
    return float(it_mw * new_datacenter_pue(sc, float(region_pue)))


def onsite_capex_busd(sc: Scenario, mw: float) -> float:
    """Build cost of on-site (behind-the-meter) gas generation of `mw` ($B)."""
    return mw * sc.grid.onsite_capex_musd_per_mw / 1000.0


def capacity_price_usd_mw_day(sc: Scenario, planning_margin: Any) -> Any:
    """Capacity price from the planning reserve margin: the cap when thin, nothing when ample.

    A straight line between `grid.capacity_margin_at_cap` (the cap, $329/MW-day as in PJM's
    2026/27 and 2027/28 auctions, which cleared at a 14.8% margin against a ~20% target:
    CALIBRATION 11) and `grid.capacity_margin_at_zero`, like PJM's sloped demand curve.
    """
    g = sc.grid
    share = (g.capacity_margin_at_zero - np.asarray(planning_margin)) / (
        g.capacity_margin_at_zero - g.capacity_margin_at_cap
    )
    return g.capacity_price_cap_usd_mw_day * np.clip(share, 0.0, 1.0)


def fab_build_quarters(sc: Scenario, permitting_quarters: int) -> int:
    """Quarters from order to operation of a fab (industrial zones halve the permitting delay)."""
    return sc.economics.fab_build_quarters + int(permitting_quarters) // 2


def datacenter_capex_busd(sc: Scenario, region: int, it_mw: float) -> float:
    """Capex of a datacenter of `it_mw` IT load in a region, before any subsidy ($B)."""
    return it_mw * sc.regions[region].dc_capex_musd_per_mw / 1000.0


def plant_capex_busd(sc: Scenario, technology: Technology, mw: float) -> float:
    """Capex of a power plant ($B)."""
    return mw * sc.technologies[technology].capex_musd_per_mw / 1000.0


def fab_capex_busd(sc: Scenario, h100e_per_quarter: float) -> float:
    """Capex of a fab making `h100e_per_quarter` ($B)."""
    return h100e_per_quarter / 1000.0 * sc.economics.fab_capex_busd_per_kh100e_quarter


def capital_recovery_factor(rate_per_year: float, life_years: float) -> float:
    """Share of an investment that must be earned back each year to repay it with interest.

    The annuity factor r / (1 - (1 + r)^-n); straight-line 1/n when the rate is zero.
    """
    if rate_per_year <= 0.0:
        return 1.0 / life_years
    discount: float = (1.0 + rate_per_year) ** -life_years  # float ** float is typed Any
    if discount >= 1.0:  # a rate too small to discount at all in floating point: straight-line
        return 1.0 / life_years
    return rate_per_year / (1.0 - discount)


def datacenter_capex_usd_per_h100e_hour(sc: Scenario, capex_per_kw: Any, kw_per_h100e: Any) -> Any:
    """The building's capital cost per H100e-hour it hosts, at the firms' discount rate.

    The shell, power and cooling are paid back over the datacenter's life (scenario
    ``economics.datacenter_life_years``) with interest at ``economics.discount_rate``.
    """
    crf = capital_recovery_factor(sc.economics.discount_rate, sc.economics.datacenter_life_years)
    return capex_per_kw * kw_per_h100e * crf / HOURS_PER_YEAR


def power_cost_usd_per_h100e_hour(kw_per_h100e: Any, pue: Any, power_price_usd_mwh: Any) -> Any:
    """Electricity cost of running one H100e for an hour (a physical identity)."""
    return kw_per_h100e * pue * power_price_usd_mwh / KW_PER_MW


def running_cost_usd_per_h100e_hour(
    sc: Scenario, kw_per_h100e: Any, pue: Any, power_price: Any, capex_per_kw: Any
) -> Any:
    """What hosting one H100e costs per hour besides the chip: power, opex and its share of the hall."""
    return (
        power_cost_usd_per_h100e_hour(kw_per_h100e, pue, power_price)
        + sc.demand.opex_usd_per_hour
        + datacenter_capex_usd_per_h100e_hour(sc, capex_per_kw, kw_per_h100e)
    )


def chip_tco_usd_per_h100e_hour(sc: Scenario, chip_price: Any, running: Any) -> Any:
    """Total cost of ownership per useful H100e-hour: the chip paid back over its life, plus running it.

    Buyers compare accelerator classes by this (price, power at the local price and PUE, space,
    life): an older, power-hungrier class wins once its price has fallen far enough.
    """
    life_crf = capital_recovery_factor(sc.economics.discount_rate, sc.chips.chip_life_years)
    return chip_price * life_crf / HOURS_PER_YEAR + running


def chip_value_usd_per_h100e(sc: Scenario, compute_price: Any, running: Any) -> Any:
    """The most a buyer pays for one H100e of a class: its net earnings over the payback period.

    Earnings are the compute price at the expected utilisation minus the running cost; the
    payback period is ``chips.payback_years``. Scarcity pricing comes from here: when compute is
    short its price rises, and so does what a chip is worth to everyone who sells compute.
    """
    c = sc.chips
    net = compute_price * c.expected_utilisation - running
    return np.maximum(net, 0.0) * c.payback_years * HOURS_PER_YEAR


def funding_success_probability(sc: Scenario, winter: bool, growth: float) -> float:
    """Chance a funding round closes: the base rate, cut in a funding winter, better with growth.

    `growth` is the raiser's revenue growth over the last year (0.5 = +50%); fast growers close
    more often (Carta: the bar for a Series A is traction, CALIBRATION 10).
    """
    fs = sc.startups
    p = fs.round_success * (fs.winter_factor if winter else 1.0)
    p *= 1.0 + fs.growth_bonus * min(max(growth, -1.0), 1.0)  # np.clip on a scalar, without numpy's cost
    return min(max(p, 0.0), 0.98)
