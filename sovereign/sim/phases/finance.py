"""Finance: budgets, security, what labs earn, funding rounds, cash use, valuations, failures.

The rules, in the order they apply each quarter:

1. Nations receive their quarterly AI budget (GDP x ``ai_budget_share`` / 4; GDP grows at the
   region's ``gdp_growth``) and pay their cyber-security spending from it. Budget left unspent
   beyond ``finance.budget_carryover_years`` of it returns to the treasury (it lapses: holding
   money has a cost), recorded as the nation's ``lapsed_busd`` for its report.
2. Labs and startups earn from the compute they were served, along a demand curve: revenue =
   yield x reference scale x (served / reference scale) ^ ``labs.revenue_scale_exponent``, per
   hour. A named lab's yield is calibrated so its served demand at the start earns its 2026
   revenue; a startup's is drawn at birth (its product's quality). Yields grow with
   ``labs.yield_growth_per_year``.
3. Funding rounds started this quarter close with a chance that falls in a funding winter and
   rises with the raiser's revenue growth; after a failed round the raiser spends what it has.
4. A startup whose cash is below zero shuts down; its debts are written off. A named lab that
   owes more than twice its debt capacity shuts down too.
5. Firms use their cash: a firm short of cash borrows (debt at ``economics.discount_rate``), pays
   interest, repays debt from cash above its keep (``finance.payout_cash_years`` of revenue,
   at least ``finance.min_cash_busd``), and pays out part of the rest (dividends, buybacks), so
   cash does not pile up. A named lab owing more than ``finance.debt_capacity_years`` of revenue
   cuts its compute plans by ``startups.demand_cut_on_failure``.
6. Valuations move towards revenue x a multiple that rises with growth, plus net cash, plus (for
   clouds, conglomerates and foundries) the businesses the game does not model: what a group's
   starting valuation holds beyond its AI business on its first quarter's figures, held constant,
   so Microsoft's or Adani's value moves with its AI business instead of collapsing to it.

Every flow passes through the model's ledger (`SovereignModel.transfer`), so money is conserved.
Owns: seats' cash, debt, revenue and valuation; the economy's startup counters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sovereign.sim import economics as econ

if TYPE_CHECKING:
    from sovereign.scenario.schema import Scenario
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.model import SovereignModel

#: Quarters of revenue history kept per firm (growth is measured over a year).
HISTORY_QUARTERS = 4
#: A funding round of at least this much ($B) makes the news.
NEWSWORTHY_ROUND_BUSD = 0.5


def settle_finance(model: SovereignModel) -> list[str]:
    """Apply the quarter's finance rules; return the seat ids of startups that shut down."""
    judge_subsidies(model)
    _budgets_and_security(model)
    # the scenario is read once and handed down: the per-firm rules below run ~100 times a quarter
    sc = model.scenario
    winter = model.economy.funding_winter_left > 0
    for agent in list(model.seats.values()):
        st = agent.state
        if agent.kind in ("lab", "startup"):
            _lab_revenue(model, sc, agent)
        if st.pop("raising", False):
            _close_round(model, agent, float(st.pop("raise_busd", 0.0)), winter)
    failed = _failures(model)
    for agent in model.seats.values():
        if agent.kind != "nation":
            _use_cash(model, sc, agent)
            _book_quarter(model, sc, agent)
    return failed


def judge_subsidies(model: SovereignModel) -> None:
    """How far investors count on each host's subsidy next quarter, from what it paid this quarter.

    A host that paid a share of the subsidies it owed this quarter (its budget ran dry: a 50% US
    subsidy owes more than the whole US AI budget) is counted at that share; a host that owed nothing
    regains `policy.subsidy_credibility_recovery` of the gap each quarter. Before, every investor
    counted the full rate whatever the host could pay: bid chips up to twice their price and built
    for a subsidy that never came, and a US 50% subsidy left the US with 13% fewer halls by 2030.
    Called once every subsidy of the quarter is paid (builds, then chips).
    """
    w = model.world
    owed, paid = w.subsidy_owed_busd, w.subsidy_paid_busd
    recovered = w.subsidy_credibility + model.scenario.policy.subsidy_credibility_recovery * (
        1.0 - w.subsidy_credibility
    )
    share = np.divide(paid, owed, out=np.ones_like(owed), where=owed > 0)
    before = w.subsidy_credibility
    w.subsidy_credibility = np.clip(np.where(owed > 1e-12, share, recovered), 0.0, 1.0)
    # the news the first quarter a host falls short (investors read it; the host's player is told)
    for r in np.nonzero((w.subsidy_credibility < 0.995) & (before >= 0.995))[0].tolist():
        region = model.scenario.regions[r]
        model.add_news(
            "policy",
            f"{region.name} paid only {w.subsidy_credibility[r]:.0%} of the datacenter subsidies it owed",
            region.id,
            region.id,
            "Its budget ran dry: investors now count its subsidy at the share it paid.",
        )


def _budgets_and_security(model: SovereignModel) -> None:
    w, outside = model.world, model.OUTSIDE
    years = model.scenario.finance.budget_carryover_years
    # whole columns to Python floats at once (the same values as float() of each element)
    security, enforcement = w.security_busd.tolist(), w.enforcement_busd.tolist()
    for r, security_busd, enforcement_busd in zip(model.scenario.regions, security, enforcement, strict=True):
        st = model.seats[r.id].state
        budget = model.budget_busd(r.id)
        model.transfer(outside, r.id, budget, "state budget")
        spend = min(float(security_busd) / 4.0, max(st["cash_busd"], 0.0))
        model.transfer(r.id, outside, spend, "security")
        st["security_paid_busd"] = spend * 4.0
        enforce = min(float(enforcement_busd) / 4.0, max(st["cash_busd"], 0.0))
        if enforce > 0:
            model.transfer(r.id, outside, enforce, "enforcement")
        if years is not None:
            _lapse(model, r.id, budget, years)


def _lapse(model: SovereignModel, nation: str, budget_busd: float, years: float) -> None:
    """Budget beyond `years` of `budget_busd` goes back to the treasury (after this quarter's budget)."""
    st = model.seats[nation].state
    excess = float(st["cash_busd"]) - years * 4.0 * budget_busd
    st["lapsed_busd"] = max(excess, 0.0)
    if excess > 0:
        model.transfer(nation, model.OUTSIDE, excess, "budget returned to the treasury")


def lab_revenue_busd(sc: Scenario, state: dict[str, Any], served_h100e: float) -> float:
    """A lab's or startup's revenue for a quarter in which it was served `served_h100e` ($B).

    Along its demand curve: the yield per H100e-hour at the reference scale, falling as the lab
    serves more (``labs.revenue_scale_exponent`` < 1).
    """
    scale = max(float(state.get("scale_h100e", 0.0)), 1.0)
    if served_h100e <= 0.0:
        return 0.0
    per_hour: float  # float ** float is typed Any (a negative base would give a complex)
    per_hour = float(state.get("yield_usd", 0.0)) * scale * (served_h100e / scale) ** sc.labs.revenue_scale_exponent
    return per_hour * econ.HOURS_PER_QUARTER / 1e9


def _lab_revenue(model: SovereignModel, sc: Scenario, agent: SeatAgent) -> None:
    st = agent.state
    income = lab_revenue_busd(sc, st, st.get("served_h100e", 0.0))
    model.transfer(model.OUTSIDE, agent.seat_id, income, "lab revenue")
    st["revenue_q"] = st.get("revenue_q", 0.0) + income
    st["costs_q"] = st.get("costs_q", 0.0) + st.get("paid_q", 0.0)


def revenue_growth(state: dict[str, Any]) -> float:
    """Growth of a firm's quarterly revenue over the last year (0 without a year of history)."""
    hist = state.get("revenue_hist") or []
    if len(hist) < HISTORY_QUARTERS or hist[0] <= 0:
        return 0.0
    return float(hist[-1] / hist[0] - 1.0)


def _close_round(model: SovereignModel, agent: SeatAgent, amount: float, winter: bool) -> None:
    sc, st = model.scenario, agent.state
    p = econ.funding_success_probability(sc, winter, revenue_growth(st))
    if model.rngs["startups"].random() < p:
        model.transfer(model.OUTSIDE, agent.seat_id, amount, "funding rounds")
        st["valuation_busd"] = st.get("valuation_busd", 0.0) + amount / sc.finance.round_share_sold
        st["rounds_raised"] = st.get("rounds_raised", 0) + 1
        st["raised_busd"] = st.get("raised_busd", 0.0) + amount
        if amount >= NEWSWORTHY_ROUND_BUSD:
            model.add_news("funding", f"{agent.name} raises ${amount:,.1f}B", st["home"], agent.seat_id)
    else:
        # the raiser keeps spending what it has: a startup that runs dry fails, a named lab borrows
        st["failed_rounds"] = st.get("failed_rounds", 0) + 1


def _failures(model: SovereignModel) -> list[str]:
    """Startups that cannot pay, and named labs buried in debt, shut down.

    A startup fails when its cash is below zero (it cannot borrow), or by the quarterly share of
    ``startups.shutdown_rate_per_year`` whatever its cash. A named lab borrows instead,
    and fails when it owes more than twice its debt capacity (``finance.debt_capacity_years`` of
    revenue): its creditors take what cash is left and write off the rest. Either way the seat
    leaves the game; its datacenters stay but earn nothing for it.
    """
    fin = model.scenario.finance
    hazard = 1.0 - (1.0 - model.scenario.startups.shutdown_rate_per_year) ** 0.25  # a startup's, each quarter
    failed = []
    for agent in list(model.seats.values()):
        st = agent.state
        if agent.kind == "startup":
            broke = st["cash_busd"] < 0 or bool(model.rngs["startups"].random() < hazard)
        elif agent.kind == "lab":
            revenue_year = 4.0 * float(st.get("revenue_q", 0.0))
            broke = float(st.get("debt_busd", 0.0)) > 2.0 * fin.debt_capacity_years * revenue_year + 1e-9
        else:
            continue
        if not broke:
            continue
        why = "runs out of money" if st["cash_busd"] < 0 or agent.kind == "lab" else "closes its doors"
        model.add_news("failure", f"{agent.name} {why} and shuts down", st["home"], agent.seat_id)
        if st["cash_busd"] < 0:
            model.transfer(model.OUTSIDE, agent.seat_id, -st["cash_busd"], "write-offs")
        elif st["cash_busd"] > 0:
            model.transfer(agent.seat_id, model.OUTSIDE, st["cash_busd"], "debt recovered")
        if agent.kind == "startup":
            model.economy.startups_failed += 1
        model.remove_seat(agent.seat_id)
        failed.append(agent.seat_id)
    return failed


def _use_cash(model: SovereignModel, sc: Scenario, agent: SeatAgent) -> None:
    """Borrow when short, pay interest, repay debt and pay out cash above the firm's keep."""
    st, seat = agent.state, agent.seat_id
    fin = sc.finance
    debt = float(st.get("debt_busd", 0.0))
    if debt > 0:
        model.transfer(seat, model.OUTSIDE, debt * sc.economics.discount_rate / 4.0, "interest")
    cash = float(st["cash_busd"])
    if cash < 0:
        model.transfer(model.OUTSIDE, seat, -cash, "borrowing")
        debt += -cash
        cash = 0.0
    revenue_year = 4.0 * float(st.get("revenue_q", 0.0))
    keep = max(fin.min_cash_busd, fin.payout_cash_years * revenue_year)
    excess = cash - keep
    if excess > 0 and debt > 0:
        repay = min(debt, excess)
        model.transfer(seat, model.OUTSIDE, repay, "debt repaid")
        debt -= repay
        excess -= repay
    if excess > 0:
        model.transfer(seat, model.OUTSIDE, excess * fin.payout_share_per_quarter, "dividends and buybacks")
    st["debt_busd"] = debt
    if agent.kind == "lab" and debt > fin.debt_capacity_years * max(revenue_year, 1e-9):
        st["demand_h100e"] = st.get("demand_h100e", 0.0) * (1.0 - sc.startups.demand_cut_on_failure)


#: Firms whose starting valuation includes businesses the game does not model (a cloud's other
#: software, a conglomerate's ports and refineries, a foundry's other chips); labs and startups are
#: all AI.
GROUP_KINDS = ("cloud", "conglomerate", "fab")


def fundamental_value_busd(
    sc: Scenario, revenue_q: float, growth: float, net_cash: float, other: float = 0.0
) -> tuple[float, float, float]:
    """What a quarter's figures say a firm is worth: (revenue value, growth premium, fundamental), $B.

    A year of revenue times ``economics.valuation_multiple``, a premium (or discount) of
    ``finance.valuation_growth_premium`` times the year's revenue growth on it (the multiple never
    below zero), net cash, all at least zero, plus the businesses the game does not model.
    """
    value = revenue_q * 4.0 * sc.economics.valuation_multiple
    premium = value * sc.finance.valuation_growth_premium * growth
    if value + premium < 0.0:
        premium = -value
    return value, premium, max(value + premium + net_cash, 0.0) + other


def _book_quarter(model: SovereignModel, sc: Scenario, agent: SeatAgent) -> None:
    """Close the quarter's books: revenue and profit, a year of history, the valuation."""
    fin, st = sc.finance, agent.state
    rev = float(st.get("revenue_q", 0.0))
    st["revenue_busd"] = rev
    st["profit_busd"] = rev - float(st.get("costs_q", 0.0))
    st["revenue_hist"] = [*(st.get("revenue_hist") or ()), rev][-HISTORY_QUARTERS:]
    growth = min(max(revenue_growth(st), -0.5), 2.0)  # like np.clip, without numpy's cost on a scalar
    net_cash = float(st["cash_busd"]) - float(st.get("debt_busd", 0.0))
    other = st.get("other_business_busd")
    if other is None and agent.kind in GROUP_KINDS:
        # the first quarter: what the starting valuation holds beyond the AI business, held from now on
        ai_only = fundamental_value_busd(sc, rev, growth, net_cash)[2]
        other = max(float(st.get("valuation_busd", ai_only)) - ai_only, 0.0)
        st["other_business_busd"] = other
    target = fundamental_value_busd(sc, rev, growth, net_cash, float(other or 0.0))[2]
    old = float(st.get("valuation_busd", target))
    st["valuation_busd"] = old + fin.valuation_smoothing * (target - old)
    st["revenue_q"] = 0.0
    st["costs_q"] = 0.0
