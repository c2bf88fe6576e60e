"""AI policies stay within the commands' bounds, whatever a valid scenario asks of them.

A command an AI makes is a pydantic object checked when it is made: a size or a rate beyond the
command's bound stops the game with a validation error. So every number a policy derives from
the scenario is held to the bound (or the scenario field is bounded like the command), and a
scenario asking for more is refused when it is loaded, naming the field. The AI's chip bids are
made without the check, their fields being in bounds by construction: here every one of them is
checked against the validator as it is made (`revalidated_bids`).
"""

from __future__ import annotations

import pytest

from sovereign.scenario import ScenarioError, load_scenario
from sovereign.sim.commands import MAX_BID_PRICE_USD, MAX_PLANT_MW
from sovereign.sim.model import SovereignModel

BASELINE = "sovereign/scenarios/baseline.yaml"

# valid extremes: the largest rates, paybacks, threats and grid orders the schema allows
POLICY = {
    "policy.subsidy_rates": [0.5, 0.5, 0.5],
    "policy.datacenter_mw": [20.0, 10000.0],
    "policy.security_income_cap": 1.0,
    "policy.grid_expansion_share": 5.0,
    "policy.invest_cash_share": 1.0,
    "policy.fab_pipeline_share": 3.0,
    "policy.fab_expansion_share": 2.0,
    "chips.payback_years": 10.0,
    "events.threat_busd_per_gdp": 0.1,
}
# and prices: a $900k chip and buyers who pay $1,000 an hour (bids above the command's $1M stopped
# the game in 2026Q2; the compute market's grouped scaling overflowed to NaN from $100 an hour)
PRICES = {
    "accelerators.0.price_usd_per_h100e": 900000.0,
    "accelerators.0.production_cost_usd_per_h100e": 400000.0,
    "demand.wtp_usd_per_hour": {"training": 1000.0, "inference": 1000.0, "regulated": 1000.0},
}


@pytest.mark.parametrize(("extreme", "seed"), [(POLICY, 1), (POLICY, 2), (PRICES, 1)])
def test_ai_seats_play_a_whole_game_of_extreme_valid_settings_without_a_command_error(extreme, seed, revalidated_bids):
    sc = load_scenario(BASELINE, overrides=extreme)
    m = SovereignModel(sc, rng=seed)
    m.run()  # a policy's command beyond its bound, or a market's NaN, raises here
    assert m.done
    assert len(revalidated_bids) > 1000  # every AI bid was made in bounds (checked as it was made)
    kinds = {e["command"]["kind"] for e in m.command_log if e["origin"] == "ai"}
    assert {"set_subsidy", "buy_accelerators", "build_datacenter", "build_fab"} <= kinds
    assert all(r["compute_served_h100e"] == r["compute_served_h100e"] for r in m.metrics.world)  # no NaN
    if extreme is POLICY:
        subsidies = {e["command"]["rate"] for e in m.command_log if e["command"]["kind"] == "set_subsidy"}
        assert 0.5 in subsidies  # the extreme rate was used, not avoided
    else:
        bids = [e["command"]["max_price_usd"] for e in m.command_log if e["command"]["kind"] == "buy_accelerators"]
        assert max(bids) == MAX_BID_PRICE_USD  # the AI wanted more and bid the most a bid may name


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("policy.subsidy_rates", [0.0, 0.6, 0.2], "policy.subsidy_rates.1: expected a number <= 0.5, found 0.6"),
        ("policy.datacenter_mw", [20.0, 20000.0], "policy.datacenter_mw.1: expected a number <= 10000.0"),
    ],
)
def test_a_scenario_asking_the_ai_for_more_than_a_command_allows_is_refused_naming_the_field(field, value, expected):
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, overrides={field: value})
    assert expected in str(err.value)


def test_the_capital_recovery_factor_is_the_annuity_factor_and_straight_line_at_no_discount():
    from sovereign.sim.economics import capital_recovery_factor

    r, n = 0.07, 20.0
    assert capital_recovery_factor(r, n) == pytest.approx(r / (1 - (1 + r) ** -n))
    assert capital_recovery_factor(0.0, 10.0) == pytest.approx(0.1)
    # a rate too small to discount in floating point ((1 + r) ** -n == 1): straight-line, not 1/0
    assert capital_recovery_factor(1.4e-45, 10.0) == pytest.approx(0.1)


def test_a_game_a_shared_loss_ends_early_plays_to_that_end_without_an_error():
    """`run()` stops where the game ends (it stepped on and raised "the game ended" before, so an
    ensemble of a lesson whose shared risk ends some games failed on them)."""
    sc = load_scenario(
        "sovereign/scenarios/lessons/export_controls.yaml",
        overrides={"shared_risk.initial": 1.5, "shared_risk.threshold": 1.0},
    )
    m = SovereignModel(sc, rng=1)
    m.run()
    assert m.done and m.economy.shared_loss >= 0
    assert len(m.metrics.world) < m.end_q - m.start_q + 1
    m.run(4)  # nothing more to play: no error either
    with pytest.raises(RuntimeError, match="the game ended"):
        m.step()  # stepping a finished game by hand still says why it cannot


@pytest.mark.parametrize("sizes", [[0.0, 0.0], [0.0, 1.0e6]])
def test_a_conglomerate_never_orders_a_plant_of_nothing_or_beyond_the_largest(sizes):
    # a scenario's smallest plant of 0 MW met a conglomerate with no cash to spare: it ordered a
    # plant of 0.0 MW and the command's validation stopped the game (CI, session 13's property test)
    over = {"policy.firm_plant_mw": sizes, "policy.firm_reserve_margin": 2.0}
    if sizes[1] == 0.0:
        over["policy.firm_plant_cash_share"] = 0.0
    m = SovereignModel(load_scenario(BASELINE, overrides=over), rng=1)
    for _ in range(6):
        m.step()
    plants = [e["command"]["mw"] for e in m.command_log if e["command"]["kind"] == "build_plant"]
    assert all(0 < mw <= MAX_PLANT_MW for mw in plants)
    if sizes[1] > 0:
        assert any(mw > 1000 for mw in plants)  # the larger bound was used, held to the command's
