"""The player's actions: which commands a role can give, their parameters, and their preview.

Before a player confirms an action the side panel shows what it will cost, how long it takes to
build and what it is expected to do, computed from the model's current state with the same rules
the model applies (``command_cost_busd``, ``subsidy_for``, build times plus permitting delays) and
the validator's verdict. Nothing here changes the model: building a command and previewing it are
pure reads; only ``GameSession.submit`` queues it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sovereign.game import fmt
from sovereign.scenario.schema import quarter_index, quarter_label
from sovereign.sim import commands as c
from sovereign.sim import economics
from sovereign.sim.economics import HOURS_PER_QUARTER, HOURS_PER_YEAR, KW_PER_MW
from sovereign.sim.model import SovereignModel
from sovereign.sim.phases import compute, diplomacy, orders
from sovereign.sim.phases.finance import revenue_growth
from sovereign.sim.phases.grid import expected_dc_mw, expected_wait_quarters, firm_capacity, planning_margin
from sovereign.sim.phases.power import ai_load_mw
from sovereign.sim.policy.deals import venture_outlook
from sovereign.sim.world import TECHNOLOGIES


@dataclass
class Field:
    """One parameter of an action form.

    Attributes:
        name: Command field name.
        label: What the form shows.
        kind: ``choice`` (drop-down), ``number`` (slider) or ``bool`` (on/off drop-down).
        choices: (value, label) pairs for ``choice`` fields.
        lo: Lowest slider value.
        hi: Highest slider value.
        step: Slider step.
        default: Initial value.
        unit: Formatter for the value shown beside a slider.
        none_at_max: The slider's top value means "unlimited" (None).
        tooltip: Explains the parameter.
    """

    name: str
    label: str
    kind: str
    choices: list[tuple[Any, str]] = field(default_factory=list)
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    default: Any = None
    unit: Callable[[Any], str] = str
    none_at_max: bool = False
    tooltip: str = ""


@dataclass
class Preview:
    """What the panel shows before the player confirms."""

    cost_busd: float
    subsidy_busd: float
    quarters: int | None
    ready: str | None
    effects: list[str]
    verdict: str | None

    @property
    def net_cost_busd(self) -> float:
        """What the seat pays."""
        return self.cost_busd - self.subsidy_busd


@dataclass(frozen=True)
class ActionSpec:
    """An action a role can take."""

    key: str
    label: str
    tooltip: str
    kinds: frozenset[str]
    chip_producer_only: bool = False


ALL_FIRMS = frozenset({"conglomerate", "cloud", "fab", "lab", "startup"})
NATION = frozenset({"nation"})

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "build_datacenter",
        "Build datacenter",
        "Start a datacenter campus (IT load in MW). It takes the base build time plus the host region's "
        "permitting delay, and opens when the grid connects it (regions queue large loads) unless it brings "
        "its own on-site gas; fill it with accelerators once it is online.",
        NATION | ALL_FIRMS,
    ),
    ActionSpec(
        "buy_accelerators",
        "Buy accelerators",
        "Bid for chips this quarter, delivered into your free datacenter space in a region. Fabs sell to "
        "the highest bids within export-control caps; a host nation's subsidy pays back its share "
        "(of the list price at most).",
        NATION | ALL_FIRMS,
    ),
    ActionSpec(
        "build_plant",
        "Build power plant",
        "Add generation to a region's grid: lowers prices and shortages, raises the reserve margin.",
        NATION | ALL_FIRMS,
    ),
    ActionSpec(
        "upgrade_datacenter",
        "Upgrade a datacenter",
        "Install a power-delivery or cooling upgrade in one of your datacenters: it then needs less "
        "energy for the same compute (its power bill and its grid load fall).",
        NATION | ALL_FIRMS,
    ),
    ActionSpec(
        "build_fab",
        "Build fab",
        "Build a fab making one accelerator class: domestic chips raise chip security and escape other "
        "nations' export controls.",
        NATION | frozenset({"conglomerate", "fab"}),
    ),
    ActionSpec(
        "set_subsidy",
        "Set subsidy",
        "Share of firms' datacenter and plant capex in your country paid from your budget, the accelerators "
        "they install in their halls included (paid back after each delivery). Attracts builders.",
        NATION,
    ),
    ActionSpec(
        "set_localisation",
        "Data localisation",
        "Require regulated data to be processed at home: raises data governance, but only home capacity may serve it.",
        NATION,
    ),
    ActionSpec(
        "set_security_spending",
        "Cyber security",
        "Yearly cyber-security spending: raises cyber resilience against your threat exposure.",
        NATION,
    ),
    ActionSpec(
        "set_curtailment_priority",
        "Curtailment priority",
        "In a power shortage, cut datacenters last (protect AI) or first (protect households and industry).",
        NATION,
    ),
    ActionSpec(
        "set_large_load_rules",
        "Datacenter grid rules",
        "How your grid takes datacenters: a moratorium on new connections, an on-site generation rule, a "
        "surcharge on their electricity, a minimum share of their connected load they pay for.",
        NATION,
    ),
    ActionSpec(
        "expand_grid",
        "Expand the grid",
        "Pay for lines and substations that connect more datacenters a year, once built (five years or more).",
        NATION,
    ),
    ActionSpec(
        "permitting_reform",
        "Permitting reform",
        "Pay a one-off sum (its cost shows below) to cut one quarter off every future build's permitting delay.",
        NATION,
    ),
    ActionSpec(
        "join_bloc",
        "Join bloc",
        "Apply to join an alliance; its members vote at the start of next quarter. Once admitted, their "
        "facilities and firms count for your sovereignty as far as you trust them.",
        NATION,
    ),
    ActionSpec(
        "vote_on_application",
        "Vote on an applicant",
        "A nation has applied to join one of your blocs: admit it or refuse it. More votes for than against "
        "admit it; not voting is abstaining.",
        NATION,
    ),
    ActionSpec(
        "leave_bloc",
        "Leave bloc",
        "Leave an alliance: its members' facilities and firms stop counting for your sovereignty.",
        NATION,
    ),
    ActionSpec(
        "set_export_controls",
        "Export caps",
        "Chip-producing nations: the most H100e of a controlled class each destination tier may receive per quarter.",
        NATION,
        chip_producer_only=True,
    ),
    ActionSpec(
        "set_export_tier",
        "Export tier",
        "Chip-producing nations: move a destination region to another export-control tier.",
        NATION,
        chip_producer_only=True,
    ),
    ActionSpec(
        "offer_deal",
        "Offer a deal",
        "Offer another seat a deal: a money transfer, a chip supply agreement, a compute contract (your "
        "datacenters serve a lab, a startup or a nation's programme at a price per H100e-hour), an export "
        "licence or a security pact, with a payment each quarter if you like. They answer next quarter; "
        "once signed it binds for its term, and breaking it costs you their trust.",
        NATION | ALL_FIRMS,
    ),
    ActionSpec(
        "answer_deal",
        "Answer an offer",
        "Accept or reject a deal another seat offered you (open the quarter after it was made).",
        NATION | ALL_FIRMS,
    ),
    ActionSpec(
        "break_deal",
        "Break a deal",
        "End one of your deals before its term: it stops at once, and the other side trusts your nation less.",
        NATION | ALL_FIRMS,
    ),
    ActionSpec(
        "covert_action",
        "Covert operation",
        "A secret operation: a cyber attack, industrial espionage or a chip smuggling network. Nobody knows it "
        "was you until it is traced (each quarter it may be; better-defended targets trace it sooner); then it "
        "is in the news and the target trusts you less.",
        NATION,
    ),
    ActionSpec(
        "set_compute_price",
        "Set your compute price",
        "The lowest price you sell your compute at on the spot market, per H100e-hour. Above your running "
        "cost it earns a margin on every hour sold, but buyers who will not pay it go to other clouds. "
        "Contracts with customers keep their own price (Offer a deal: compute contract).",
        ALL_FIRMS,
    ),
    ActionSpec(
        "raise_funding",
        "Raise funding",
        "Try to raise a funding round this quarter; success is uncertain and harder in a funding winter.",
        ALL_FIRMS,
    ),
)
ACTION_BY_KEY = {a.key: a for a in ACTIONS}


def actions_for(model: SovereignModel, seat: str) -> list[ActionSpec]:
    """The actions a seat's role offers (the validator still has the last word)."""
    agent = model.seats.get(seat)
    if agent is None:
        return []
    kind = agent.kind
    out = []
    for a in ACTIONS:
        if kind not in a.kinds:
            continue
        if a.chip_producer_only and not model.scenario.regions[model.region_ix[seat]].chip_producer:
            continue
        out.append(a)
    return out


# ------------------------------------------------------------------------------------------------
# fields
# ------------------------------------------------------------------------------------------------


def _region_choices(model: SovereignModel) -> list[tuple[Any, str]]:
    return [(r.id, r.name) for r in model.scenario.regions]


def _home(model: SovereignModel, seat: str) -> str:
    return str(model.seats[seat].state["home"])


def best_chip_class(model: SovereignModel, region: int) -> int:
    """The most power-efficient accelerator class a datacenter in ``region`` may receive."""
    tier = int(model.world.export_tier[region])
    caps = model.world.tier_cap[tier - 1]
    ok = ~model.controlled | (caps > 0)
    return int(np.argmax(np.where(ok, 1.0 / model.kw_per_h100e, -np.inf)))


def fields_for(model: SovereignModel, seat: str, key: str, region: str | None) -> list[Field]:
    """The form fields of an action, with defaults from the current state.

    Args:
        model: The game (read only).
        seat: The acting seat.
        key: Action key.
        region: The region selected on the map (default target of builds).
    """
    sc, w = model.scenario, model.world
    agent = model.seats[seat]
    is_nation = agent.kind == "nation"
    home = _home(model, seat)
    target = seat if is_nation else (region or home)
    r_fields: list[Field] = []
    if key in ("build_datacenter", "build_plant", "build_fab"):
        choices = [(seat, sc.regions[model.region_ix[seat]].name)] if is_nation else _region_choices(model)
        r_fields.append(
            Field(
                "region",
                "Region",
                "choice",
                choices,
                default=target,
                tooltip="Where to build (a nation builds at home; firms anywhere they are allowed to invest)",
            )
        )
    if key == "build_datacenter":
        r_fields.append(
            Field(
                "it_mw",
                "IT load",
                "number",
                lo=10,
                hi=2000,
                step=10,
                default=100,
                unit=fmt.mw,
                tooltip="Size of the campus",
            )
        )
        r_fields.append(_onsite_field(model, target))
    elif key in ("set_large_load_rules", "expand_grid", "upgrade_datacenter"):
        r_fields.extend(_power_fields(model, seat, key))
    elif key == "build_plant":
        techs = list(sc.technologies)
        default = "solar" if "solar" in techs else techs[0]
        r_fields.append(
            Field("technology", "Technology", "choice", [(t, t.capitalize()) for t in techs], default=default)
        )
        r_fields.append(Field("mw", "Capacity", "number", lo=50, hi=5000, step=50, default=500, unit=fmt.mw))
    elif key == "build_fab":
        r_fields.append(
            Field(
                "accelerator",
                "Accelerator class",
                "choice",
                [(a.id, a.name) for a in sc.accelerators],
                default=sc.accelerators[0].id,
            )
        )
        r_fields.append(
            Field(
                "h100e_per_quarter",
                "Output per quarter",
                "number",
                lo=1000,
                hi=100000,
                step=1000,
                default=10000,
                unit=fmt.h100e,
            )
        )
    elif key == "buy_accelerators":
        mine = w.dc_owner == model.seat_index(seat)
        owned_regions = [sc.regions[int(r)].id for r in np.unique(w.dc_region[mine])]
        regions = owned_regions or [home]
        default_region = region if region in regions else regions[0]
        r_fields.append(
            Field(
                "region",
                "Deliver to",
                "choice",
                [(rid, sc.regions[model.region_ix[rid]].name) for rid in regions],
                default=default_region,
                tooltip="Regions where you have datacenters",
            )
        )
        g = best_chip_class(model, model.region_ix[default_region])
        r_fields.append(
            Field(
                "accelerator",
                "Class",
                "choice",
                [(a.id, a.name) for a in sc.accelerators],
                default=sc.accelerators[g].id,
            )
        )
        free = model.free_h100e(seat, model.region_ix[default_region], g)
        hi = max(1000.0, round(free, -2) if free > 100 else 1000.0)
        r_fields.append(
            Field(
                "h100e",
                "Quantity",
                "number",
                lo=100,
                hi=hi,
                step=100,
                default=min(hi, max(100.0, round(free / 2, -2))),
                unit=fmt.h100e,
            )
        )
        price = float(np.asarray(model.results.chips.price)[g])
        lst = float(model.list_price[g])
        r_fields.append(
            Field(
                "max_price_usd",
                "Highest price",
                "number",
                lo=round(0.5 * lst, -2),
                hi=round(1.6 * lst, -2),
                step=100,
                default=round(max(price, lst), -2),
                unit=lambda v: f"${v:,.0f} per H100e",
                tooltip="Your bid per H100e; fabs sell to the highest bids first",
            )
        )
    elif key == "set_subsidy":
        cur = float(w.subsidy[model.region_ix[seat]])
        r_fields.append(
            Field("rate", "Share of capex", "number", lo=0.0, hi=0.5, step=0.05, default=cur, unit=lambda v: fmt.pct(v))
        )
    elif key == "set_localisation":
        cur = bool(w.localisation[model.region_ix[seat]])
        r_fields.append(
            Field("enabled", "Localisation law", "bool", [(True, "In force"), (False, "Repealed")], default=not cur)
        )
    elif key == "set_security_spending":
        i = model.region_ix[seat]
        cur = float(w.security_busd[i])
        exposure = _exposure(model, i)
        hi = max(1.0, round(max(3 * cur, 4 * exposure), 1))
        r_fields.append(
            Field(
                "busd_per_year",
                "Per year",
                "number",
                lo=0.0,
                hi=min(hi, 500.0),
                step=0.1 if hi < 20 else 1.0,
                default=round(cur, 1),
                unit=fmt.money,
            )
        )
    elif key == "set_curtailment_priority":
        cur = bool(w.dc_last[model.region_ix[seat]])
        r_fields.append(
            Field(
                "datacenters_last",
                "In a shortage",
                "bool",
                [(True, "Cut datacenters last"), (False, "Cut datacenters first")],
                default=not cur,
            )
        )
    elif key in _BLOC_KEYS or key in _DEAL_KEYS:
        bloc = key in _BLOC_KEYS
        r_fields.extend(_bloc_fields(model, seat, key) if bloc else _deal_fields(model, seat, key, region))
    elif key == "set_export_controls":
        controlled = [(a.id, a.name) for a in sc.accelerators if a.controlled] or [
            (a.id, a.name) for a in sc.accelerators
        ]
        r_fields.append(
            Field("tier", "Destination tier", "choice", [(1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3")], default=2)
        )
        r_fields.append(Field("accelerator", "Class", "choice", controlled, default=controlled[0][0]))
        r_fields.append(
            Field(
                "cap_h100e",
                "Cap per quarter",
                "number",
                lo=0,
                hi=200000,
                step=5000,
                default=20000,
                unit=lambda v: "unlimited" if v is None else ("barred" if v == 0 else fmt.h100e(v)),
                none_at_max=True,
            )
        )
    elif key == "set_export_tier":
        others = [(r.id, r.name) for r in sc.regions if r.id != seat]
        default = region if region and region != seat else (others[0][0] if others else "")
        r_fields.append(Field("region", "Region", "choice", others, default=default))
        cur = int(w.export_tier[model.region_ix[default]]) if default in model.region_ix else 2
        r_fields.append(Field("tier", "New tier", "choice", [(1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3")], default=cur))
    elif key in ("set_compute_price", "raise_funding"):
        r_fields.append(_price_field(model, seat) if key == "set_compute_price" else _funding_field(agent))
    return r_fields


_BLOC_KEYS = ("join_bloc", "leave_bloc", "vote_on_application")
_DEAL_KEYS = ("offer_deal", "answer_deal", "break_deal", "covert_action")


def _bloc_fields(model: SovereignModel, seat: str, key: str) -> list[Field]:
    """The fields of a nation's bloc actions (apply, leave, vote on an applicant)."""
    sc, w = model.scenario, model.world
    r_fields: list[Field] = []
    if key in ("join_bloc", "leave_bloc"):
        i = model.region_ix[seat]
        member = w.bloc_member[:, i] if w.bloc_member.size else np.zeros(0, bool)
        want = key == "leave_bloc"
        choices = [(b.id, b.name) for k, b in enumerate(sc.blocs) if bool(member[k]) == want]
        r_fields.append(
            Field("bloc", "Bloc", "choice", choices or [("", "(none)")], default=choices[0][0] if choices else "")
        )
    elif key == "vote_on_application":
        i = model.region_ix[seat]
        pending = w.bloc_application >= 0
        open_ = [(b, a) for b, a in zip(*np.nonzero(pending), strict=True) if w.bloc_member[b, i]]
        blocs = list(dict.fromkeys(int(b) for b, _ in open_))
        choices = [(sc.blocs[b].id, sc.blocs[b].name) for b in blocs] or [("", "(no application pending)")]
        applicants = [(sc.regions[int(a)].id, sc.regions[int(a)].name) for _, a in open_] or [("", "(none)")]
        r_fields.append(Field("bloc", "Bloc", "choice", choices, default=choices[0][0]))
        r_fields.append(Field("region", "Applicant", "choice", applicants, default=applicants[0][0]))
        r_fields.append(Field("accept", "Vote", "bool", [(True, "Admit"), (False, "Refuse")], default=True))
    return r_fields


def _deal_fields(model: SovereignModel, seat: str, key: str, region: str | None) -> list[Field]:
    """The fields of the diplomatic actions: deals and covert operations.

    An offer's partner and terms, which deal to answer or break, or a covert operation's kind,
    target and budget.
    """
    sc = model.scenario
    if key == "covert_action":
        others = [(r.id, r.name) for r in sc.regions if r.id != seat]
        return [
            Field(
                "operation",
                "Operation",
                "choice",
                [
                    ("cyber_operation", "Cyber attack on datacenters"),
                    ("espionage", "Industrial espionage (fabs)"),
                    ("smuggling_network", "Chip smuggling network"),
                    ("stockpiling", "Secret chip stockpile"),
                ],
                default="cyber_operation",
            ),
            Field("target", "Target", "choice", others, default=region if region in dict(others) else others[0][0]),
            Field("busd", "Budget", "number", lo=0.1, hi=5.0, step=0.1, default=0.5, unit=fmt.money),
        ]
    if key == "answer_deal":
        offers = [(d["id"], diplomacy.describe(model, d)) for d in diplomacy.open_offers(model, seat)]
        offers = offers or [(0, "(no offer open to you)")]
        return [
            Field("deal", "Offer", "choice", offers, default=offers[0][0]),
            Field("accept", "Answer", "bool", [(True, "Accept"), (False, "Reject")], default=True),
        ]
    if key == "break_deal":
        mine = [
            (d["id"], diplomacy.describe(model, d))
            for d in model.world.deals
            if d["status"] == "active" and seat in (d["proposer"], d["partner"])
        ] or [(0, "(no active deal)")]
        return [Field("deal", "Deal", "choice", mine, default=mine[0][0])]
    partners = [(s, a.name) for s, a in model.seats.items() if s != seat]
    kinds = [(k, diplomacy.DEAL_WORDS[k].capitalize()) for k in c.DEAL_KINDS]
    classes = [(a.id, a.name) for a in sc.accelerators]
    return [
        Field("partner", "With", "choice", partners, default=partners[0][0]),
        Field(
            "deal_kind",
            "Deal",
            "choice",
            kinds,
            default="security_pact" if model.seats[seat].kind == "nation" else "chip_supply",
        ),
        Field(
            "quarters", "Term", "number", lo=1, hi=sc.diplomacy.max_term_quarters, step=1, default=4, unit=fmt.quarters
        ),
        Field(
            "payment_busd_per_quarter",
            "Payment a quarter",
            "number",
            lo=-10.0,
            hi=10.0,
            step=0.1,
            default=0.0,
            unit=lambda v: (
                "none" if v == 0 else (f"they pay you {fmt.money(v)}" if v > 0 else f"you pay {fmt.money(-v)}")
            ),
            tooltip="Positive: the partner pays you each quarter; negative: you pay the partner",
        ),
        Field(
            "accelerator", "Chip class", "choice", classes, default=classes[0][0], tooltip="Chip supply and licences"
        ),
        Field(
            "h100e_per_quarter",
            "Chips a quarter",
            "number",
            lo=0,
            hi=500_000,
            step=5_000,
            default=50_000,
            unit=fmt.h100e,
            tooltip="Chip supply and licences: H100e a quarter; compute contracts: H100e of compute reserved",
        ),
        Field(
            "price_usd_per_hour",
            "Compute price",
            "number",
            lo=0.0,
            hi=10.0,
            step=0.05,
            default=round(float(model.results.compute.price_global), 2),
            unit=lambda v: f"${v:,.2f} per H100e-hour",
            tooltip="Compute contract: what the buyer pays per H100e-hour reserved, used or not",
        ),
        Field(
            "price_usd",
            "Price per H100e",
            "number",
            lo=0,
            hi=60_000,
            step=500,
            default=round(float(model.list_price_now()[0]), -2),
            unit=lambda v: f"${v:,.0f}",
            tooltip="Chip supply: what the buyer pays per H100e delivered",
        ),
        Field(
            "mw",
            "Power",
            "number",
            lo=0,
            hi=5_000,
            step=50,
            default=500,
            unit=lambda v: f"{v:,.0f} MW",
            tooltip="Power contract: MW the seller's grid delivers to the buyer's all quarter, over an interconnector",
        ),
        Field(
            "price_usd_per_mwh",
            "Power price",
            "number",
            lo=0,
            hi=500,
            step=1,
            default=_power_price_default(model, seat),
            unit=lambda v: f"${v:,.0f} a MWh",
            tooltip="Power contract: what the buyer pays for every MWh delivered",
        ),
        Field(
            "supplier_is_proposer",
            "Who sells or grants",
            "bool",
            [(True, "You"), (False, "The partner")],
            default=True,
            tooltip="Chip supply: who sells; export licence: who grants it; technology sharing: who shares; "
            "datacenter sale: who sells the hall; power contract: whose grid supplies; joint venture: who "
            "operates the facility",
        ),
        *_sale_fields(model, seat, region),
        *_venture_fields(model, seat),
    ]


def _power_price_default(model: SovereignModel, seat: str) -> float:
    """A power contract's starting price: the seat's home wholesale price last quarter (energy and capacity)."""
    prices = model.results.power.wholesale_avg
    r = model.region_ix.get(_home(model, seat), -1)
    return float(round(prices[r])) if 0 <= r < len(prices) and np.isfinite(prices[r]) else 60.0


def _venture_fields(model: SovereignModel, seat: str) -> list[Field]:
    """A joint venture's stake, and the fab or build under way it is in (the hall is the sale's field)."""
    w = model.world

    def owner(seat_row: int) -> str:
        seat_id = model.seat_ids[seat_row]
        return model.seats[seat_id].name if seat_id in model.seats else "a closed firm"

    fabs: list[tuple[Any, str]] = [(None, "(a datacenter: the hall above)")]
    fabs += [(f, f"{w.fab_name[f]} ({owner(int(w.fab_owner[f]))})") for f in range(len(w.fab_owner))][:40]
    builds: list[tuple[Any, str]] = [(None, "(a built facility)")]
    builds += [
        (p["id"], f"{p['name']} (due {quarter_label(int(p['done']))})")
        for p in w.projects
        if p["kind"] in ("build_datacenter", "build_fab") and p["id"] >= 0 and p["owner"] in model.seats
    ][:40]
    return [
        Field(
            "share",
            "Stake",
            "number",
            lo=0.0,
            hi=c.MAX_VENTURE_SHARE,
            step=0.05,
            default=0.25,
            unit=fmt.pct,
            tooltip="Joint venture: the investor's share of the facility's operating profit for the term",
        ),
        Field("fab", "Fab", "choice", fabs, default=None, tooltip="Joint venture: a stake in a fab instead of a hall"),
        Field(
            "project",
            "Build under way",
            "choice",
            builds,
            default=None,
            tooltip="Joint venture: a stake in a hall or fab being built (its profit is shared once it runs)",
        ),
    ]


def _sale_fields(model: SovereignModel, seat: str, region: str | None) -> list[Field]:
    """A datacenter sale's hall (those in the region selected on the map, or at home) and its price."""
    w, sc = model.world, model.scenario
    where = region if region in model.region_ix else _home(model, seat)
    r = model.region_ix[where]
    rows = np.flatnonzero(w.dc_region == r).tolist()
    rows.sort(key=lambda d: -float(w.dc_it_mw[d]))

    def owner(d: int) -> str:
        seat_id = model.seat_ids[int(w.dc_owner[d])]
        return model.seats[seat_id].name if seat_id in model.seats else "a closed firm"

    halls: list[tuple[Any, str]] = [
        (d, f"{w.dc_name[d]} ({owner(d)}, {fmt.mw(float(w.dc_it_mw[d]))})") for d in rows[:40]
    ]
    if not halls:
        halls = [(None, f"(no datacenter in {sc.regions[r].name})")]
    worth = diplomacy.hall_worth_busd(model, int(halls[0][0])) if halls[0][0] is not None else 1.0
    return [
        Field(
            "datacenter",
            "Datacenter",
            "choice",
            halls,
            default=halls[0][0],
            tooltip="Datacenter sale: the hall (select a region on the map to list its halls)",
        ),
        Field(
            "price_busd",
            "Sale price",
            "number",
            lo=0.0,
            hi=max(10.0, round(3 * worth, 0)),
            step=0.1,
            default=round(worth, 1),
            unit=fmt.money,
            tooltip="Datacenter sale: paid once by the buyer when the sale is signed; joint venture: "
            "what the investor pays for its stake, once",
        ),
    ]


def _funding_field(agent: Any) -> Field:
    """The size of a funding round: up to 30% of the firm's valuation."""
    val = float(agent.state.get("valuation_busd", 1.0))
    hi = max(0.5, round(min(500.0, 0.3 * val), 1))
    return Field(
        "busd",
        "Amount",
        "number",
        lo=0.1,
        hi=hi,
        step=0.1 if hi < 20 else 1.0,
        default=round(min(hi, max(0.1, 0.05 * val)), 1),
        unit=fmt.money,
    )


def _price_field(model: SovereignModel, seat: str) -> Field:
    """The floor of a seat's compute price: now, and a scale up to twice what it earned."""
    book = compute.compute_book(model, seat)
    now = book["floor"] or 0.0
    return Field(
        "floor_usd_per_hour",
        "Lowest price",
        "number",
        lo=0.0,
        hi=max(10.0, round(2 * (book["price"] or book["market_price"]), 0)),
        step=0.05,
        default=round(now, 2),
        unit=lambda v: "none: sell at the market's price" if not v else f"${v:,.2f} per H100e-hour",
        tooltip="0 sells at whatever the market pays above your running cost",
    )


def _upgrade_fields(model: SovereignModel, seat: str) -> list[Field]:
    """Which of the seat's datacenters, and which upgrade available this quarter."""
    w = model.world
    mine = np.flatnonzero(w.dc_owner == model.seat_index(seat)).tolist()
    halls = [(d, f"{w.dc_name[d]} ({fmt.mw(float(w.dc_it_mw[d]))})") for d in mine] or [(0, "(no datacenter)")]
    ups = [
        (u.id, u.name + (" (vendor claim)" if u.vendor_claim else ""))
        for u in model.scenario.efficiency_upgrades
        if model.quarter >= quarter_index(u.available_from)
    ] or [("", "(none available yet)")]
    return [
        Field("datacenter", "Datacenter", "choice", halls, default=halls[0][0]),
        Field("upgrade", "Upgrade", "choice", ups, default=ups[0][0]),
    ]


def _onsite_field(model: SovereignModel, target: str) -> Field:
    """Grid connection or on-site gas for a datacenter in `target`.

    On-site by default where the grid will not connect it or the wait is long (the AI's own rule).
    """
    w, r = model.world, model.region_ix[target]
    must = bool(w.onsite_required[r] or w.moratorium_until[r] > model.quarter)
    long_wait = float(expected_wait_quarters(model)[r]) > model.scenario.policy.onsite_wait_quarters
    return Field(
        "onsite",
        "Power",
        "bool",
        [(False, "Grid connection (queue)"), (True, "Own on-site gas")],
        default=must or long_wait,
        tooltip="A grid connection waits its turn in the region's queue; on-site gas costs more but needs "
        "no connection",
    )


def _power_fields(model: SovereignModel, seat: str, key: str) -> list[Field]:
    """The fields of the power actions: a datacenter upgrade, a nation's grid rules and network."""
    if key == "upgrade_datacenter":
        return _upgrade_fields(model, seat)
    w = model.world
    r_fields: list[Field] = []
    if key == "set_large_load_rules":
        i = model.region_ix[seat]
        r_fields.append(
            Field(
                "moratorium",
                "New connections",
                "bool",
                [(False, "Connect datacenters"), (True, "Moratorium")],
                default=bool(w.moratorium_until[i] > model.quarter),
            )
        )
        r_fields.append(
            Field(
                "onsite_required",
                "On-site rule",
                "bool",
                [(False, "No"), (True, "Must bring on-site power")],
                default=bool(w.onsite_required[i]),
            )
        )
        r_fields.append(
            Field(
                "tariff_usd_mwh",
                "Large-load surcharge",
                "number",
                lo=0,
                hi=100,
                step=5,
                default=float(w.large_load_tariff[i]),
                unit=fmt.usd_mwh,
            )
        )
        r_fields.append(
            Field(
                "min_take_share",
                "Minimum take",
                "number",
                lo=0,
                hi=1,
                step=0.05,
                default=float(w.min_take_share[i]),
                unit=fmt.pct,
                tooltip="Share of their connected load datacenters pay for even when idle (AEP Ohio: 85%)",
            )
        )
    elif key == "expand_grid":
        i = model.region_ix[seat]
        r_fields.append(
            Field(
                "mw_per_year",
                "More connections a year",
                "number",
                lo=100,
                hi=10000,
                step=100,
                default=round(max(100.0, float(w.connection_mw_q[i]) * 4 * 0.25), -2),
                unit=fmt.mw,
            )
        )
    return r_fields


def build_command(key: str, values: dict[str, Any]) -> c.Command:
    """Turn form values into a command (raises ``CommandError`` for values it cannot take)."""
    data: dict[str, Any] = {"kind": key, **values}
    return c.command_from_dict(data)


# ------------------------------------------------------------------------------------------------
# previews
# ------------------------------------------------------------------------------------------------


def _exposure(model: SovereignModel, i: int) -> float:
    r = model.scenario.regions[i]
    return float(r.threat_exposure * model.world.gdp_busd[i] * model.scenario.events.threat_busd_per_gdp)


def build_quarters(model: SovereignModel, cmd: c.Command) -> int | None:
    """Quarters from the order to operation, by the model's own rule (base time + permitting)."""
    return orders.build_quarters(model, cmd)


def validate_read_only(model: SovereignModel, seat: str, cmd: c.Command) -> str | None:
    """The validator's verdict on a command, leaving the model exactly as it was.

    The validator asks ``model.committed_busd(seat)``, which reads ``model.pending[seat]``: a
    ``defaultdict``, so checking a command for a seat with nothing queued leaves an empty queue
    behind, a change the saved state (and its digest) can see. Previews run every frame a form is
    open and the UI only reads the model, so the empty queue the check created is removed again.
    """
    had_queue = seat in model.pending
    try:
        return c.validate_command(model, seat, cmd)
    finally:
        if not had_queue and seat in model.pending and not model.pending[seat]:
            del model.pending[seat]


def preview(model: SovereignModel, seat: str, cmd: c.Command) -> Preview:
    """Cost, time to build, expected effect and the validator's verdict of a command.

    Args:
        model: The game (read only).
        seat: The acting seat.
        cmd: The command the form would submit.
    """
    cost = c.command_cost_busd(model, seat, cmd)
    subsidy = model.subsidy_for(seat, cmd)
    n = build_quarters(model, cmd)
    ready = quarter_label(model.quarter + n) if n is not None else None
    verdict = validate_read_only(model, seat, cmd)
    shown = None if verdict is None else fmt.in_words(model.scenario, verdict)
    return Preview(cost, subsidy, n, ready, _effects(model, seat, cmd), shown)


# C901: one short branch per command kind, each listing that action's expected effects.
def _effects(model: SovereignModel, seat: str, cmd: c.Command) -> list[str]:  # noqa: C901
    sc, w, res = model.scenario, model.world, model.results
    out: list[str] = []
    if isinstance(cmd, c.BuildDatacenter):
        r = model.region_ix[cmd.region]
        g = best_chip_class(model, r)
        kw = model.new_chip_kw(g)
        room = cmd.it_mw * KW_PER_MW / kw
        price = float(res.compute.price_region[r])
        revenue = room * sc.economics.fleet_availability * price * HOURS_PER_QUARTER / 1e9
        pue = float(economics.new_datacenter_pue(sc, float(w.pue[r])))
        out.append(
            f"Room for ~{fmt.h100e(room)} of {sc.accelerators[g].name} chips "
            f"(the best class {sc.regions[r].name} may buy)"
        )
        out.append(
            f"Grid load when full: ~{fmt.mw(cmd.it_mw * pue)} (PUE {pue:.2f}); "
            f"planning reserve margin now {fmt.pct(float(res.power.reserve_margin[r]))}"
        )
        if cmd.onsite:
            out.append(
                f"Brings its own {fmt.mw(cmd.it_mw * pue)} of gas generation: no grid queue, "
                f"{fmt.money(economics.onsite_capex_busd(sc, cmd.it_mw * pue))} more capex"
            )
        else:
            wait = round(float(expected_wait_quarters(model)[r]))
            out.append(
                "The grid connects it when built"
                if wait == 0
                else f"Then waits ~{fmt.quarters(wait)} for its grid connection"
            )
        out.append(
            f"At today's {fmt.usd_hour(price)} a full campus would sell ~{fmt.money(revenue)} of compute a quarter"
        )
        if model.seats[seat].kind == "nation":
            out.append("Raises compute self-reliance once filled: buy accelerators when it is online")
    elif isinstance(cmd, c.BuildPlant):
        r = model.region_ix[cmd.region]
        t = TECHNOLOGIES.index(cmd.technology)
        spec = sc.technologies[cmd.technology]
        avail = np.array(spec.availability, float)
        hours = model.slice_hours
        avg = float((avail * hours).sum() / hours.sum())
        rows = slice(r, r + 1)
        grid = w.grid_mw[rows].copy()
        dc, base = expected_dc_mw(model)[rows], w.base_demand_mw[rows]
        margin_now = float(planning_margin(model, firm_capacity(model, grid), dc, base, rows)[0])
        grid[0, t] += cmd.mw
        margin_new = float(planning_margin(model, firm_capacity(model, grid), dc, base, rows)[0])
        out.append(f"Planning reserve margin {fmt.pct(margin_now)} -> ~{fmt.pct(margin_new)} (today's load)")
        out.append(f"Average output ~{fmt.mw(cmd.mw * avg)} ({fmt.pct(avg)} availability)")
        mc = float(model.tech_cost[t] * model.fuel_factor[r])
        out.append(
            f"Marginal cost {fmt.usd_mwh(mc)} vs last wholesale energy price "
            f"{fmt.usd_mwh(float(res.power.price_avg[r]))}; "
            f"{spec.emissions_t_per_mwh:.2f} t CO2/MWh"
        )
    elif isinstance(cmd, c.BuildFab):
        g = model.class_ix[cmd.accelerator]
        lst = float(model.list_price[g])
        out.append(f"+{fmt.h100e(cmd.h100e_per_quarter)} of {sc.accelerators[g].name} per quarter")
        out.append(f"Worth ~{fmt.money(cmd.h100e_per_quarter * lst / 1e9)} a quarter at list price")
        out.append("Chips from home or allied fabs raise chip security")
    elif isinstance(cmd, c.BuyAccelerators):
        r = model.region_ix[cmd.region]
        g = model.class_ix[cmd.accelerator]
        free = model.free_h100e(seat, r, g)
        last_price = float(np.asarray(res.chips.price)[g])
        tier = int(w.export_tier[r])
        cap = float(w.tier_cap[tier - 1, g])
        where = sc.regions[r].name
        out.append(f"Free space in your datacenters in {where}: {fmt.h100e(free)} of this class")
        out.append(f"Last clearing price ${last_price:,.0f} per H100e; you pay the clearing price, at most your bid")
        if sc.accelerators[g].controlled:
            out.append(
                f"{where} is export tier {tier}: "
                + (
                    "no cap"
                    if not np.isfinite(cap)
                    else ("barred (grey market only)" if cap == 0 else f"cap {fmt.h100e(cap)} per quarter")
                )
            )
        out.append("Delivered when the quarter is played, if fabs have supply left at your price")
    elif isinstance(cmd, c.SetSubsidy):
        r = model.region_ix[seat]
        out.append(
            f"Now {fmt.pct(float(w.subsidy[r]))}; firms building here get {fmt.pct(cmd.rate)} of capex from your budget"
        )
        out.append("For chips, the rate of what they paid up to the list price: a shortage's premium is theirs")
        out.append("Lowers builders' costs, so AI firms pick your country more often")
        credibility = float(w.subsidy_credibility[r])
        if credibility < 0.995:
            out.append(
                f"Your budget paid {fmt.pct(credibility)} of the subsidies it owed: investors count your rate "
                "at that share until you pay in full (a quarter of the gap back each quarter you owe nothing)"
            )
        else:
            out.append("Investors count it only as far as your budget pays it: an unpaid subsidy loses their trust")
    elif isinstance(cmd, c.SetLocalisation):
        r = model.region_ix[seat]
        seg = res.compute.segments
        if not len(seg.qty):  # before the first quarter: this quarter's demand, as the market will see it
            seg = compute.demand_segments(model)
        m = (seg.region == r) & (seg.klass == "regulated")
        reg = float(seg.wanted()[m].sum())
        home_cap = float(np.bincount(w.dc_region, weights=w.dc_stock.sum(1), minlength=len(model.region_ix))[r])
        if cmd.enabled:
            out.append(f"Regulated demand ({fmt.h100e(reg)}) must then be served at home")
            out.append(f"Home capacity today: {fmt.h100e(home_cap)}; short capacity leaves demand unserved")
        else:
            out.append("Regulated data may again be served by allied countries (half credit for data governance)")
    elif isinstance(cmd, c.SetSecuritySpending):
        i = model.region_ix[seat]
        exp = _exposure(model, i)
        cur = float(w.security_busd[i])
        before = cur / (cur + exp) if cur + exp > 0 else 1.0
        after = cmd.busd_per_year / (cmd.busd_per_year + exp) if cmd.busd_per_year + exp > 0 else 1.0
        out.append(f"Protection against your threat exposure: {fmt.pct(before)} -> {fmt.pct(after)}")
        out.append(f"Costs {fmt.money(cmd.busd_per_year / 4)} a quarter from your budget (now {fmt.money(cur / 4)})")
    elif isinstance(cmd, c.SetCurtailmentPriority):
        if cmd.datacenters_last:
            out.append("Shortages cut other load first: datacenters keep running (power adequacy, compute)")
        else:
            out.append("Shortages cut datacenters pro rata with other load")
    elif isinstance(cmd, c.UpgradeDatacenter):
        spec = c.upgrade_spec(model, cmd.upgrade)
        if spec is not None and 0 <= cmd.datacenter < len(w.dc_it_mw):
            d = cmd.datacenter
            bill = float(ai_load_mw(model)[d]) * HOURS_PER_YEAR * float(res.power.dc_price[int(w.dc_region[d])]) / 1e9
            out.append(
                f"{w.dc_name[d]}: {fmt.pct(1.0 - spec.energy_factor)} less energy for the same compute, "
                f"~{fmt.money(bill * (1.0 - spec.energy_factor))} a year off a ~{fmt.money(bill)} power bill"
            )
            if spec.vendor_claim:
                out.append("The saving is the vendor's claim; no independent measurement was found")
    elif isinstance(cmd, c.SetLargeLoadRules):
        i = model.region_ix[seat]
        if cmd.moratorium:
            out.append("No new datacenter joins your grid; builders may still bring on-site gas")
        elif cmd.onsite_required:
            out.append("New datacenters must bring on-site gas matching their load (costlier: fewer will come)")
        else:
            out.append(
                f"Datacenters queue for your grid: ~{fmt.quarters(round(float(expected_wait_quarters(model)[i])))}"
            )
        out.append(
            f"Datacenters pay {fmt.usd_mwh(float(res.power.retail[i]) + cmd.tariff_usd_mwh)} for power "
            f"(industrial price + {fmt.usd_mwh(cmd.tariff_usd_mwh)} surcharge), and at least "
            f"{fmt.pct(cmd.min_take_share)} of their connected load"
        )
    elif isinstance(cmd, c.ExpandGrid):
        i = model.region_ix[seat]
        now = float(w.connection_mw_q[i]) * 4
        out.append(f"Connections a year {fmt.mw(now)} -> {fmt.mw(now + cmd.mw_per_year)} once built")
    elif isinstance(cmd, c.PermittingReform):
        p = int(w.permitting_quarters[model.region_ix[seat]])
        out.append(f"Permitting delay {p} -> {max(0, p - 1)} quarters for every build started afterwards")
    elif isinstance(cmd, c.JoinBloc | c.LeaveBloc):
        if cmd.bloc in model.bloc_ix:
            b = model.bloc_ix[cmd.bloc]
            members = [sc.regions[i].name for i in np.flatnonzero(w.bloc_member[b])]
            out.append(f"Members: {', '.join(members) or 'none'}")
        if isinstance(cmd, c.JoinBloc):
            out.append("An application: the members vote at the start of next quarter (more for than against admits)")
            out.append(
                "Once admitted, the members' trust grows towards allies' over years (a fifth of the way in four), "
                "and their facilities and chips count for your sovereignty by that trust"
            )
        else:
            out.append("Former allies trust you less at once: their facilities and chips count for less")
    elif isinstance(cmd, c.VoteOnApplication):
        out.append("The members' votes are counted at the start of next quarter: more for than against admits")
    elif isinstance(cmd, c.SetExportControls):
        g = model.class_ix[cmd.accelerator]
        cur = float(w.tier_cap[cmd.tier - 1, g])
        new = "unlimited" if cmd.cap_h100e is None else fmt.h100e(cmd.cap_h100e)
        out.append(
            f"Tier {cmd.tier} cap for {sc.accelerators[g].name}: "
            f"{'unlimited' if not np.isfinite(cur) else fmt.h100e(cur)} -> {new}"
        )
        dest = [sc.regions[i].name for i in np.flatnonzero(w.export_tier == cmd.tier)]
        out.append(f"Tier {cmd.tier} destinations: {', '.join(dest) or 'none'}")
    elif isinstance(cmd, c.SetExportTier):
        r = model.region_ix[cmd.region]
        out.append(f"{sc.regions[r].name}: tier {int(w.export_tier[r])} -> {cmd.tier}")
    elif isinstance(cmd, c.OfferDeal | c.AnswerDeal | c.BreakDeal):
        out.extend(_deal_effects(model, seat, cmd))
    elif isinstance(cmd, c.CovertAction):
        out.extend(_covert_effects(model, seat, cmd))
    elif isinstance(cmd, c.SetComputePrice):
        out.extend(_price_effects(model, seat, cmd))
    elif isinstance(cmd, c.RaiseFunding):
        st = model.seats[seat].state
        p = economics.funding_success_probability(sc, model.economy.funding_winter_left > 0, revenue_growth(st))
        out.append(f"Chance of success ~{fmt.pct(p)}; the money arrives when the quarter is played")
    return out


def _price_effects(model: SovereignModel, seat: str, cmd: c.SetComputePrice) -> list[str]:
    """What a compute price floor would have meant last quarter: how much sold at or above it."""
    book = compute.compute_book(model, seat)
    if book["price"] is None:
        return ["Your datacenters sold no compute last quarter: nothing to compare the price with"]
    out = [
        f"Last quarter you sold {fmt.h100e(book['spot'] + book['contracted'])} at "
        f"${book['price']:,.2f} per H100e-hour on average (running cost ${book['cost']:,.2f}; "
        f"world average ${book['market_price']:,.2f})"
    ]
    floor = cmd.floor_usd_per_hour
    if not floor:
        out.append("No floor: your compute sells at whatever the market pays above its running cost")
        return out
    res = model.results.compute
    k_ix = np.asarray(res.clusters, np.int64)
    mine = model.world.dc_owner[k_ix] == model.seat_index(seat)
    sold = np.asarray(res.alloc).sum(0)[mine]
    above = float(sold[np.asarray(res.price)[mine] >= floor].sum()) / max(float(sold.sum()), 1e-9)
    out.append(
        f"At ${floor:,.2f}, {fmt.pct(above)} of last quarter's sales were at or above it: "
        "the rest would go to other clouds unless buyers are short of compute"
    )
    return out


def _deal_effects(model: SovereignModel, seat: str, cmd: c.OfferDeal | c.AnswerDeal | c.BreakDeal) -> list[str]:
    """What a deal action does, in words: the terms, the trust between the two nations, what follows."""
    if isinstance(cmd, c.OfferDeal):
        if cmd.partner not in model.seats:
            return []
        terms = cmd.model_dump()
        terms.update(kind=cmd.deal_kind, proposer=seat, partner=cmd.partner)
        terms["price_usd"] = diplomacy.record_price(cmd)
        trust = diplomacy.trust_between(model, cmd.partner, seat)
        worth = []
        if cmd.deal_kind == "datacenter_sale" and cmd.datacenter is not None:
            if 0 <= cmd.datacenter < len(model.world.dc_owner):
                value = diplomacy.hall_worth_busd(model, cmd.datacenter)
                worth = [f"What it is worth to a buyer today: ~{fmt.money(value)} (its chips' earnings and the shell)"]
        if cmd.deal_kind == "joint_venture":
            terms["datacenter"], terms["fab"], terms["project"] = c.venture_facility(
                cmd.datacenter, cmd.fab, cmd.project
            )
            profit, running = venture_outlook(model, terms, cmd.quarters)
            worth = [
                f"Its operating profit: ~{fmt.money(profit)} a quarter (last quarter's, or the world's halls' rent "
                f"for one being built), {running:.0f} quarters of it in the term: the stake's share "
                f"~{fmt.money(cmd.share * profit * running)}"
            ]
        if cmd.deal_kind == "power_supply":
            room = diplomacy.link_room_mw(model, seat, cmd.partner)
            mwh = cmd.mw * float(model.slice_hours.sum())
            worth = [
                "No interconnector joins the two grids"
                if room is None
                else f"The interconnector has {room:,.0f} MW left for contracts",
                f"A quarter's power: {mwh / 1e6:,.2f} TWh for {fmt.money(mwh * cmd.price_usd_per_mwh / 1e9)}",
            ]
        return [
            diplomacy.describe(model, terms),
            *worth,
            f"{model.seats[cmd.partner].name}'s trust in you: {trust:.2f} (AI seats refuse below "
            f"{model.scenario.diplomacy.deal_min_trust:.2f})",
            "They answer next quarter; the deal binds from the quarter they accept",
        ]
    deal = diplomacy.find_deal(model, cmd.deal)
    if deal is None:
        return []
    out = [diplomacy.describe(model, deal)]
    if isinstance(cmd, c.BreakDeal):
        other = deal["partner"] if seat == deal["proposer"] else deal["proposer"]
        lost = model.scenario.diplomacy.trust_on_break
        out.append(
            f"It ends at once; {model.seats[other].name if other in model.seats else other} trusts you {lost:.2f} less"
        )
    elif cmd.accept:
        out.append(f"Binding from this quarter to {quarter_label(model.quarter + int(deal['quarters']) - 1)}")
    return out


def _covert_effects(model: SovereignModel, seat: str, cmd: c.CovertAction) -> list[str]:
    """What a covert operation would do, and the chance a quarter that it is traced to you."""
    sc, w, d = model.scenario, model.world, model.scenario.diplomacy
    out: list[str] = []
    if cmd.operation == "smuggling_network":
        out.append(
            f"~{fmt.h100e(cmd.busd * d.smuggling_h100e_per_busd)} more barred chips a quarter can reach you, "
            f"for {fmt.quarters(d.covert_quarters)}"
        )
        enforcement = float(w.enforcement_busd[model.chip_producer].sum())
        protection = enforcement / (enforcement + 1.0)
    elif cmd.operation == "stockpiling":
        g = diplomacy.stockpile_class(model, seat) if seat in model.region_ix else None
        if g is None:
            return ["Every chip class is barred to you: a smuggling network is the way in"]
        price = float(model.list_price_now()[g]) * (1.0 + d.stockpile_markup)
        out.append(
            f"Buys ~{fmt.h100e(cmd.busd * 1e9 / price)} of {sc.accelerators[g].name} over "
            f"{fmt.quarters(d.covert_quarters)} through intermediaries (list price plus {fmt.pct(d.stockpile_markup)}, "
            f"at most {fmt.pct(d.stockpile_output_share)} of its makers' output a quarter), held out of sight; "
            "they go into your territory's halls when the time is up or the stockpile is traced"
        )
        enforcement = float(w.enforcement_busd[model.chip_producer].sum())
        protection = enforcement / (enforcement + 1.0)
    elif cmd.target in model.region_ix:
        t = model.region_ix[cmd.target]
        exposure = _exposure(model, t)
        protection = float(w.security_busd[t]) / (float(w.security_busd[t]) + exposure + 1e-12)
        if cmd.operation == "cyber_operation":
            out.append(
                f"Damage to {sc.regions[t].name}: ~{fmt.money(cmd.busd * d.cyber_damage_per_busd * (1 - protection))} "
                f"(its defences stop {fmt.pct(protection)}); its cyber resilience falls"
            )
        else:
            gain = min(d.espionage_gain_per_busd * cmd.busd, 0.1)
            out.append(f"Your fabs making the classes {sc.regions[t].name} makes gain {fmt.pct(gain)} capacity")
    else:
        return out
    chance = d.reveal_base + d.reveal_security * protection
    out.append(
        f"Chance it is traced to you: {fmt.pct(chance)} a quarter; then it is news and the target trusts you "
        f"{d.trust_on_exposure:.2f} less"
    )
    return out
