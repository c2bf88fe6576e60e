"""Deals between seats and trust between nations (`sovereign.sim.phases.diplomacy`), on the tiny world.

Each kind of deal: offered in one quarter, accepted the next, visible in the world's deals, enforced
by the phases for its term (payments, deliveries, licences, pacts) and over when the term ends;
breaking a deal costs trust; the AI answers by its interest; refusals say why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sovereign.scenario.loader import load_scenario
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases.diplomacy import pact_matrix, trust_between
from sovereign.sim.policy.deals import accepts

TINY = Path(__file__).parent / "fixtures" / "tiny.yaml"


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def game(tiny, humans=("USA", "IND", "fabco", "cloudco", "bharat")) -> SovereignModel:
    return SovereignModel(tiny, rng=3, human_seats=set(humans))


def offer(m: SovereignModel, seat: str, **terms) -> int:
    res = m.submit(seat, {"kind": "offer_deal", **terms})
    assert res.accepted, res.reason
    m.step()
    deal = m.world.deals[-1]
    assert deal["status"] == "offered" and deal["proposer"] == seat
    return int(deal["id"])


def accept(m: SovereignModel, seat: str, deal: int) -> None:
    res = m.submit(seat, {"kind": "answer_deal", "deal": deal, "accept": True})
    assert res.accepted, res.reason


def test_money_transfer_pays_each_quarter_of_its_term_and_then_stops(tiny):
    m = game(tiny)
    d = offer(m, "IND", partner="USA", deal_kind="money_transfer", quarters=2, payment_busd_per_quarter=-0.5)
    accept(m, "USA", d)
    paid = []
    for _ in range(3):
        before = m.seats["USA"].cash_busd, m.seats["IND"].cash_busd
        flows_before = m.world.deals[d]["paid_busd"]
        m.step()
        paid.append(m.world.deals[d]["paid_busd"] - flows_before)
        assert m.seats["USA"].cash_busd != before[0]
    assert paid == [0.5, 0.5, 0.0]
    assert m.world.deals[d]["status"] == "ended"
    assert any("Deal signed" in n["headline"] for n in m.news)


def test_offer_expires_when_not_answered_by_the_next_quarter(tiny):
    m = game(tiny)
    d = offer(m, "IND", partner="USA", deal_kind="security_pact", quarters=4)
    m.step()
    assert m.world.deals[d]["status"] == "expired"
    res = m.submit("USA", {"kind": "answer_deal", "deal": d, "accept": True})
    assert not res.accepted and "expired" in res.reason


def test_chip_supply_deal_delivers_from_the_sellers_fabs_before_the_market(tiny):
    m = game(tiny)
    d = offer(
        m,
        "fabco",
        partner="cloudco",
        deal_kind="chip_supply",
        quarters=2,
        accelerator="frontier",
        h100e_per_quarter=20_000,
        price_usd=14_000,
        region="USA",
    )
    accept(m, "cloudco", d)
    m.step()
    deal = m.world.deals[d]
    assert deal["status"] == "active" and deal["last_delivered_h100e"] == pytest.approx(20_000)
    # served before the market: FabCo's 120k of Blackwell-class less the deal's 20k is for sale
    assert float(m.results.chips.supply[m.class_ix["frontier"]]) == pytest.approx(100_000)
    # a deal takes its part of what was made; nothing was lost, so buyers do not read it as a disruption
    assert float(m.results.chips.made[m.class_ix["frontier"]]) == pytest.approx(120_000)
    assert (m.results.chips.lost_share() == 0.0).all()
    # cloudco pays the deal's price for the 20k (and its running costs, which earnings may offset)
    assert m.flows["out:chip production"] > 0 and m.world.deals[d]["delivered_h100e"] == pytest.approx(20_000)
    m.step()
    assert m.world.deals[d]["status"] == "ended" and m.world.deals[d]["delivered_h100e"] == pytest.approx(40_000)


def test_export_licence_deal_opens_the_destination_for_its_term_only(tiny):
    m = game(tiny)
    ind, g = m.region_ix["IND"], m.class_ix["frontier"]
    assert np.isnan(m.world.licence_cap[ind, g])
    d = offer(
        m,
        "USA",
        partner="IND",
        deal_kind="export_licence",
        quarters=2,
        accelerator="frontier",
        h100e_per_quarter=50_000,
        payment_busd_per_quarter=0.2,
    )
    accept(m, "IND", d)
    m.step()
    assert m.world.licence_cap[ind, g] == 50_000
    assert m.world.deals[d]["paid_busd"] == pytest.approx(0.2)
    m.step()
    assert np.isnan(m.world.licence_cap[ind, g]) and m.world.deals[d]["status"] == "ended"


def test_security_pact_makes_allies_for_its_term_and_breaking_it_costs_trust(tiny):
    m = game(tiny)
    usa, ind = m.region_ix["USA"], m.region_ix["IND"]
    d = offer(m, "USA", partner="IND", deal_kind="security_pact", quarters=8)
    accept(m, "IND", d)
    m.step()
    assert pact_matrix(m)[usa, ind] and pact_matrix(m)[ind, usa]
    trust = float(m.world.trust[usa, ind])
    res = m.submit("IND", {"kind": "break_deal", "deal": d})
    assert res.accepted, res.reason
    m.step()
    assert m.world.deals[d]["status"] == "broken" and m.world.deals[d]["broken_by"] == "IND"
    assert not pact_matrix(m)[usa, ind]
    assert float(m.world.trust[usa, ind]) < trust - 0.2  # the USA trusts India much less
    assert any("breaks the security pact" in n["headline"] for n in m.news)


def test_a_payer_who_cannot_pay_breaks_the_deal(tiny):
    m = game(tiny)
    d = offer(m, "bharat", partner="cloudco", deal_kind="money_transfer", quarters=8, payment_busd_per_quarter=-3.0)
    accept(m, "cloudco", d)
    for _ in range(6):
        m.step()
    deal = m.world.deals[d]
    assert deal["status"] == "broken" and deal["broken_by"] == "bharat" and "could not pay" in deal["note"]
    assert deal["paid_busd"] in (0.0, 3.0, 6.0) and m.seats["bharat"].cash_busd < 3.0 + 3.0


@pytest.mark.parametrize(
    ("seat", "terms", "reason"),
    [
        ("IND", {"partner": "IND", "deal_kind": "security_pact"}, "itself"),
        ("IND", {"partner": "nobody", "deal_kind": "security_pact"}, "not a seat"),
        ("cloudco", {"partner": "USA", "deal_kind": "security_pact"}, "only nations"),
        ("IND", {"partner": "USA", "deal_kind": "money_transfer"}, "needs a payment"),
        (
            "cloudco",
            {
                "partner": "bharat",
                "deal_kind": "chip_supply",
                "accelerator": "frontier",
                "h100e_per_quarter": 1000,
                "price_usd": 10000,
            },
            "makes no",
        ),
        (
            "IND",
            {"partner": "USA", "deal_kind": "export_licence", "accelerator": "frontier", "h100e_per_quarter": 1000},
            "does not control chip exports",
        ),
        ("IND", {"partner": "USA", "deal_kind": "security_pact", "quarters": 60}, "at most"),
    ],
)
def test_offers_that_make_no_sense_are_refused_with_the_reason(tiny, seat, terms, reason):
    m = game(tiny)
    res = m.submit(seat, {"kind": "offer_deal", **terms})
    assert not res.accepted and reason in res.reason


def test_only_the_partner_answers_and_only_parties_break(tiny):
    m = game(tiny)
    d = offer(m, "IND", partner="USA", deal_kind="security_pact", quarters=4)
    res = m.submit("bharat", {"kind": "answer_deal", "deal": d, "accept": True})
    assert not res.accepted and "not offered to" in res.reason
    accept(m, "USA", d)
    m.step()
    res = m.submit("cloudco", {"kind": "break_deal", "deal": d})
    assert not res.accepted and "not a party" in res.reason


def test_ai_accepts_money_and_refuses_to_give_it_away(tiny):
    m = game(tiny, humans=("IND",))
    give = offer(m, "IND", partner="USA", deal_kind="money_transfer", quarters=2, payment_busd_per_quarter=-0.1)
    assert accepts(m.seats["USA"], m.world.deals[give])
    m.step()  # the AI answers when it next decides
    assert m.world.deals[give]["status"] == "active"
    ask = offer(m, "IND", partner="USA", deal_kind="money_transfer", quarters=2, payment_busd_per_quarter=0.1)
    assert not accepts(m.seats["USA"], m.world.deals[ask])
    m.step()
    assert m.world.deals[ask]["status"] == "rejected"


def test_ai_refuses_a_seat_it_distrusts_and_a_licence_to_a_rival(tiny):
    m = game(tiny, humans=("IND", "CHN"))
    d = offer(m, "IND", partner="USA", deal_kind="money_transfer", quarters=2, payment_busd_per_quarter=-0.1)
    m.world.trust[m.region_ix["USA"], m.region_ix["IND"]] = 0.1
    assert not accepts(m.seats["USA"], m.world.deals[d])
    lic = offer(
        m,
        "CHN",
        partner="USA",
        deal_kind="export_licence",
        accelerator="frontier",
        h100e_per_quarter=1000,
        payment_busd_per_quarter=-1.0,
        supplier_is_proposer=False,
    )
    assert trust_between(m, "USA", "CHN") == pytest.approx(tiny.diplomacy.trust_rivals, abs=0.05)
    assert not accepts(m.seats["USA"], m.world.deals[lic])


def test_a_stricter_export_tier_costs_the_producer_the_destinations_trust(tiny):
    m = game(tiny)
    usa, ind = m.region_ix["USA"], m.region_ix["IND"]
    before = float(m.world.trust[ind, usa])
    assert m.submit("USA", {"kind": "set_export_tier", "region": "IND", "tier": 3}).accepted
    m.step()
    assert float(m.world.trust[ind, usa]) < before - 0.1


def test_trust_drifts_back_towards_alignment(tiny):
    m = game(tiny)
    usa, ind = m.region_ix["USA"], m.region_ix["IND"]
    m.world.trust[ind, usa] = 0.0
    m.step()
    first = float(m.world.trust[ind, usa])
    m.step()
    assert 0.0 < first < float(m.world.trust[ind, usa]) < tiny.diplomacy.trust_neutral


def test_trust_is_slow_to_earn_and_quick_to_lose(tiny):
    """The same gap to alignment closes at `trust_gain_per_year` upwards, `trust_reversion_per_year` downwards."""
    d = tiny.diplomacy
    assert d.trust_gain_per_year < d.trust_reversion_per_year
    m = game(tiny)
    usa, ind = m.region_ix["USA"], m.region_ix["IND"]
    base = float(m.world.trust[ind, usa])
    m.world.trust[ind, usa] = base - 0.2
    m.world.trust[usa, ind] = base + 0.2
    m.step()
    rise = float(m.world.trust[ind, usa]) - (base - 0.2)
    fall = (base + 0.2) - float(m.world.trust[usa, ind])
    assert rise == pytest.approx(0.2 * (1 - (1 - d.trust_gain_per_year) ** 0.25), rel=1e-9)
    assert fall == pytest.approx(0.2 * (1 - (1 - d.trust_reversion_per_year) ** 0.25), rel=1e-9)


def test_a_new_member_earns_allied_trust_over_years_not_at_once(tiny):
    """Admission moves what alignment implies to allied trust; the members' trust gets there slowly."""
    m = game(tiny)
    usa, ind = m.region_ix["USA"], m.region_ix["IND"]
    m.world.bloc_member[:, ind] = m.world.bloc_member[:, usa]  # India admitted to every US bloc
    for _ in range(4):
        m.step()
    gained = float(m.world.trust[usa, ind]) - tiny.diplomacy.trust_neutral
    full = tiny.diplomacy.trust_allied - tiny.diplomacy.trust_neutral
    assert 0.0 < gained < 0.1 * full


def test_foreign_capacity_counts_by_trust(tiny):
    """The same chips count for more chip security when their maker's nation is trusted more."""
    from sovereign.sim.phases.metrics import sovereignty_pillars

    m = game(tiny)
    m.step()
    ind, usa = m.region_ix["IND"], m.region_ix["USA"]
    low = float(sovereignty_pillars(m)["chip_security"][ind])
    m.world.trust[ind, usa] = 1.0
    high = float(sovereignty_pillars(m)["chip_security"][ind])
    assert high > low > 0
    assert high / low == pytest.approx(1.0 / float(tiny.diplomacy.trust_neutral), rel=0.35)


def test_a_covert_cyber_operation_is_hidden_from_others_until_traced(tiny):
    """The attack is news at once, unattributed; only the sponsor's observation lists it, until traced."""
    m = game(tiny, humans=("USA", "CHN", "IND"))
    m.world.security_busd[m.region_ix["USA"]] = 0.0  # an undefended target: traced at the base chance
    res = m.submit("CHN", {"kind": "covert_action", "operation": "cyber_operation", "target": "USA", "busd": 2.0})
    assert res.accepted, res.reason
    m.step()
    attack = [n for n in m.quarter_news if "attackers are unknown" in n["headline"]]
    assert attack and attack[0]["actor"] is None and "China" not in attack[0]["headline"]
    assert m.flows["out:cyber losses"] >= 2.0 * tiny.diplomacy.cyber_damage_per_busd - 1e-9  # no protection
    assert [op["operation"] for op in m.observe("CHN")["private"]["covert"]] == ["cyber_operation"]
    for seat in ("USA", "IND"):
        assert m.observe(seat)["private"]["covert"] == []
    trust = float(m.world.trust[m.region_ix["USA"], m.region_ix["CHN"]])
    revealed = -1
    while not m.done and revealed < 0:
        m.step()
        revealed = m.world.covert[0]["revealed"]
    assert revealed > 0, "an undefended target traces the attack at 10% a quarter: within 7 quarters here"
    assert any("Revealed: China was behind a cyber attack on United States" in n["headline"] for n in m.news)
    assert m.observe("USA")["private"]["covert"][0]["sponsor"] == "CHN"
    assert float(m.world.trust[m.region_ix["USA"], m.region_ix["CHN"]]) < trust


def test_a_smuggling_network_brings_more_barred_chips_in(tiny):
    from sovereign.sim.phases.chips import destination_caps

    m = game(tiny, humans=("CHN",))
    chn, g = m.region_ix["CHN"], m.class_ix["frontier"]
    before = float(destination_caps(m)[0][chn, g])
    res = m.submit("CHN", {"kind": "covert_action", "operation": "smuggling_network", "busd": 1.0})
    assert res.accepted, res.reason
    m.step()
    extra = tiny.diplomacy.smuggling_h100e_per_busd / int(destination_caps(m)[1][chn].sum())
    assert float(destination_caps(m)[0][chn, g]) == pytest.approx(before + extra, rel=0.2)
    res = m.submit("USA", {"kind": "covert_action", "operation": "smuggling_network", "busd": 1.0})
    assert not res.accepted and "nothing" in res.reason


def test_espionage_needs_a_class_both_make_and_grows_the_sponsors_fabs(tiny):
    m = game(tiny, humans=("CHN", "USA"))
    res = m.submit("CHN", {"kind": "covert_action", "operation": "espionage", "target": "USA", "busd": 1.0})
    assert not res.accepted and "make no class" in res.reason
    res = m.submit("CHN", {"kind": "covert_action", "operation": "espionage", "target": "CHN", "busd": 1.0})
    assert not res.accepted and "itself" in res.reason


def _with_risk(tiny, **rule):
    from sovereign.scenario.schema import Objective, SharedRisk

    objective = Objective(seat="all", metric="shared_risk", threshold=0.5, below=True, by="2027Q4")
    return tiny.model_copy(update={"shared_risk": SharedRisk(**rule), "objectives": [*tiny.objectives, objective]})


def test_shared_risk_rises_with_hostile_moves_and_ends_the_game_at_its_threshold(tiny):
    from sovereign.ui.screens.end import evaluate_objectives

    sc = _with_risk(tiny, initial=0.3, threshold=0.5, per_race_growth=0.0, per_tension=0.1, decay_per_quarter=0.0)
    m = SovereignModel(sc, rng=3, human_seats={"USA", "CHN"})
    assert m.economy.shared_risk == pytest.approx(0.3)
    m.step()
    assert m.economy.shared_risk == pytest.approx(0.3) and m.metrics.world[-1]["shared_risk"] == pytest.approx(0.3)
    assert m.submit("USA", {"kind": "set_export_tier", "region": "IND", "tier": 3}).accepted
    m.step()
    assert m.economy.shared_risk == pytest.approx(0.4)
    assert not m.done
    assert m.submit(
        "CHN", {"kind": "covert_action", "operation": "cyber_operation", "target": "USA", "busd": 1.0}
    ).accepted
    m.step()
    assert m.economy.shared_risk == pytest.approx(0.5) and m.done and m.economy.shared_loss == m.quarter - 1
    assert any("every seat has lost" in n["headline"] for n in m.quarter_news)
    with pytest.raises(RuntimeError, match="ended"):
        m.step()
    assert all(r.met is False for r in evaluate_objectives(m))


def test_cooperation_lowers_the_shared_risk_and_meets_a_cooperative_objective(tiny):
    from sovereign.ui.screens.end import evaluate_objectives

    sc = _with_risk(tiny, initial=0.45, threshold=1.0, per_race_growth=0.0, per_pact=0.05, decay_per_quarter=0.0)
    m = SovereignModel(sc, rng=3, human_seats={"USA", "IND"})
    d = offer(m, "USA", partner="IND", deal_kind="security_pact", quarters=8)
    accept(m, "IND", d)
    m.run()
    risk = [r["shared_risk"] for r in m.metrics.world]
    assert risk[-1] < risk[1] and max(risk) <= 0.5
    shared = [r for r in evaluate_objectives(m) if r.seat == "all"]
    assert shared and shared[0].met is True


def test_an_objective_on_the_shared_risk_needs_the_section(tiny):
    from sovereign.scenario.loader import ScenarioError, scenario_from_dict

    data = tiny.model_dump(mode="json")
    data["objectives"].append({"seat": "all", "metric": "shared_risk", "threshold": 0.5, "below": True})
    with pytest.raises(ScenarioError, match="shared_risk needs"):
        scenario_from_dict(data)


def _with_bloc_rules(tiny, **rules):
    blocs = [b.model_copy(update=rules) if b.id == "allies" else b for b in tiny.blocs]
    return tiny.model_copy(update={"blocs": blocs})


def test_members_pay_their_blocs_contribution_each_quarter(tiny):
    sc = _with_bloc_rules(tiny, contribution_share_of_gdp=0.001)
    m = SovereignModel(sc, rng=3, human_seats={"USA"})
    gdp = float(m.world.gdp_busd[m.region_ix["USA"]])
    m.step()
    assert m.flows["out:bloc contributions"] == pytest.approx(0.001 * gdp / 4.0)


def test_a_member_below_the_security_floor_loses_trust_and_an_applicant_below_it_is_refused(tiny):
    from sovereign.sim.policy.decide import bloc_vote

    sc = _with_bloc_rules(tiny, security_floor=1.5, members=["USA", "CHN"])  # CHN spends 6 of 1.5 x 5.4
    m = SovereignModel(sc, rng=3, human_seats={"USA", "CHN", "IND"})
    usa, chn, ind = m.region_ix["USA"], m.region_ix["CHN"], m.region_ix["IND"]
    m.world.security_busd[usa] = 100.0
    before = float(m.world.trust[usa, chn])
    m.step()
    assert float(m.world.trust[usa, chn]) < before
    b = m.bloc_ix["allies"]
    m.world.bloc_member[m.bloc_ix["brics"], ind] = False  # not in a bloc with China, so only the floor decides
    m.world.trust[usa, ind] = 0.9
    m.world.security_busd[ind] = 0.0
    assert not bloc_vote(m, usa, ind, [b])
    m.world.security_busd[ind] = 1e3
    assert bloc_vote(m, usa, ind, [b])


def test_leaving_a_bloc_costs_the_members_trust(tiny):
    m = game(tiny)
    chn, ind = m.region_ix["CHN"], m.region_ix["IND"]
    before = float(m.world.trust[chn, ind])
    assert m.submit("IND", {"kind": "leave_bloc", "bloc": "brics"}).accepted
    m.step()
    assert float(m.world.trust[chn, ind]) < before - 0.05


def test_ai_nations_offer_their_most_trusted_partner_a_pact_and_mutual_offers_sign_at_once(tiny):
    from sovereign.sim.policy.deals import propose_pact

    m = game(tiny, humans=())
    ind, chn = m.region_ix["IND"], m.region_ix["CHN"]
    # India and China are BRICS partners (trust 0.7 >= pact_offer_trust 0.65); the US is neutral to both
    offers = propose_pact(m.seats["IND"])
    assert [(o.partner, o.deal_kind) for o in offers] == [("CHN", "security_pact")]
    assert propose_pact(m.seats["USA"]) == [], "no nation trusts the US that much (0.5), and China is its rival"
    m.step()  # the first quarter: no pillars yet, the AI nations only set their policies
    m.step()  # both offer each other the same pact in the same quarter: one deal, signed at once
    pacts = [d for d in m.world.deals if d["kind"] == "security_pact"]
    assert len(pacts) == 1 and pacts[0]["status"] == "active"
    assert pact_matrix(m)[ind, chn]
    assert propose_pact(m.seats["IND"]) == [], "one pact at a time"


def test_technology_sharing_lifts_the_receivers_fabs_of_the_classes_both_make(tiny):
    m = game(tiny, humans=("fabco", "redfab", "USA"))
    res = m.submit("fabco", {"kind": "offer_deal", "partner": "redfab", "deal_kind": "technology_sharing"})
    assert not res.accepted and "nothing to share" in res.reason
    g = m.class_ix["frontier"]
    f = m.world.add_fab(m.region_ix["CHN"], m.seat_index("redfab"), g, 10_000.0, m.quarter, "RedFab frontier line")
    before = float(m.world.fab_capacity[f])
    domestic = float(m.world.fab_capacity[m.world.fab_class == m.class_ix["domestic"]].sum())
    d = offer(m, "fabco", partner="redfab", deal_kind="technology_sharing", quarters=4, payment_busd_per_quarter=0.5)
    accept(m, "redfab", d)
    m.step()
    assert float(m.world.fab_capacity[f]) == pytest.approx(before * (1 + tiny.diplomacy.sharing_gain))
    assert float(m.world.fab_capacity[m.world.fab_class == m.class_ix["domestic"]].sum()) == pytest.approx(domestic)
    assert m.world.deals[d]["paid_busd"] == pytest.approx(0.5)
    from sovereign.sim.phases.diplomacy import describe

    assert describe(m, m.world.deals[d]).startswith("FabCo shares its chipmaking know-how with RedFab")
