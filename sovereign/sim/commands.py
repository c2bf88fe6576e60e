"""Commands: the only way anyone (a player, an AI policy, a replay, a test) changes the world.

Every command is a small frozen pydantic model with a ``kind`` tag, so a command log is plain
JSON and loads back into the same typed objects. `validate_command` is the single gate: it accepts
a command or refuses it with a reason a player understands. The model applies only accepted ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sovereign.scenario.schema import (
    MAX_DATACENTER_MW,
    MAX_SUBSIDY_RATE,
    Technology,
    quarter_index,
    quarter_label,
)
from sovereign.sim import economics as econ

if TYPE_CHECKING:
    from sovereign.scenario.schema import DecisionOption, EfficiencyUpgrade
    from sovereign.sim.agents import SeatAgent
    from sovereign.sim.model import SovereignModel


#: Largest bid for accelerators, H100e, and highest price per H100e a bid may name, $.
MAX_BID_H100E = 1e8
MAX_BID_PRICE_USD = 1e6
#: Largest plant one command builds, MW (bigger programmes are several plants).
MAX_PLANT_MW = 20000.0
#: The largest stake investors may hold in one facility together: its operator keeps a tenth.
MAX_VENTURE_SHARE = 0.9
#: Largest fab or packaging line one command builds, and largest supply one deal carries, H100e a quarter
#: (bigger expansions are several projects).
MAX_BUILD_H100E_PER_QUARTER = 5e6
#: Most a nation spends on cyber security a year by one command, $B.
MAX_SECURITY_BUSD_PER_YEAR = 500.0
#: Most network one ``expand_grid`` command adds, MW of large-load connections a year.
MAX_GRID_MW_PER_YEAR = 100000.0
#: A moratorium a nation sets by command lasts until it lifts it: "until" this quarter index.
MORATORIUM_OPEN_ENDED = 1_000_000


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    if TYPE_CHECKING:
        # Every concrete command declares its own ``kind`` tag; declared here for type checkers
        # only, so pydantic's fields (and a command's JSON) stay exactly those of the subclass.
        kind: str

    def describe(self) -> str:
        """One line for news tickers and logs."""
        # fields left at their defaults are not shown (an option nobody chose is noise in a log)
        fields = ", ".join(f"{k}={v}" for k, v in self.model_dump(exclude={"kind"}, exclude_defaults=True).items())
        return f"{self.kind}({fields})"


class BuildDatacenter(_Command):
    """Start building a datacenter of `it_mw` IT load in a region."""

    kind: Literal["build_datacenter"] = "build_datacenter"
    region: str
    it_mw: float = Field(gt=0, le=MAX_DATACENTER_MW)
    onsite: bool = Field(
        False,
        description="Bring its own gas generation for its whole load (behind the meter): it skips the "
        "region's connection queue, at the cost and build time of the on-site plant",
    )


class BuildPlant(_Command):
    """Start building a power plant in a region (adds to its grid when done)."""

    kind: Literal["build_plant"] = "build_plant"
    region: str
    technology: Technology
    mw: float = Field(gt=0, le=MAX_PLANT_MW)


class BuildFab(_Command):
    """Start building a fab that makes one accelerator class."""

    kind: Literal["build_fab"] = "build_fab"
    region: str
    accelerator: str
    h100e_per_quarter: float = Field(gt=0, le=MAX_BUILD_H100E_PER_QUARTER)


class BuyAccelerators(_Command):
    """Bid for accelerators this quarter, delivered to one's datacenters in a region."""

    kind: Literal["buy_accelerators"] = "buy_accelerators"
    accelerator: str
    h100e: float = Field(gt=0, le=MAX_BID_H100E)
    max_price_usd: float = Field(gt=0, le=MAX_BID_PRICE_USD, description="Highest price per H100e")
    region: str
    contract: bool = Field(
        False,
        description="A long-term allocation order: served before the spot market, at list price "
        "(the highest price must reach the list price)",
    )


def buy_accelerators(
    accelerator: str, h100e: float, max_price_usd: float, region: str, contract: bool
) -> BuyAccelerators:
    """``BuyAccelerators(...)`` with these fields: the same object, the same checks and errors, sooner.

    Why: the AI policies place about two hundred bids a quarter, and pydantic's ``__init__``
    spends about as long on its Python-level wrapper (packing the keywords, checking what the
    validator returned) as the validator spends checking the fields; calling the model's own
    validator on the field dict is what ``__init__`` does, less that wrapper.
    """
    bid: BuyAccelerators = _BID_VALIDATOR.validate_python(
        {
            "accelerator": accelerator,
            "h100e": h100e,
            "max_price_usd": max_price_usd,
            "region": region,
            "contract": contract,
        }
    )
    return bid


_BID_VALIDATOR = BuyAccelerators.__pydantic_validator__
#: The fields set of every bid `buy_accelerators_in_bounds` makes: one set, shared. Why: making a set
#: per bid was a third of making the bid, and each one was another object for the cycle collector to
#: walk. Nothing changes a frozen command's fields set (pydantic adds to it only on an assignment,
#: which a frozen model refuses first, and copies it for `model_copy`); a test holds it unchanged.
_BID_FIELDS = {"accelerator", "h100e", "max_price_usd", "region", "contract"}


def buy_accelerators_in_bounds(
    accelerator: str, h100e: float, max_price_usd: float, region: str, contract: bool
) -> BuyAccelerators:
    """The bid `buy_accelerators` would make of fields already known to pass its checks, unchecked.

    Only for a maker whose fields pass `BuyAccelerators`' checks by construction: strings, floats
    (Python's, not numpy's) within the bounds, a bool. The AI's bids are (`policy.decide._chip_bids`
    says why, and a test re-validates every AI bid of games against the validator); a player's bid,
    a replay's and a deal's always go through `buy_accelerators` or pydantic.

    Why: the AI places about ten thousand bids a game, and the validator, though compiled, is a
    third of the cost of making one (~0.4 of ~1.2 us). The object is put together as pydantic's
    own ``model_construct`` does it (the field dict, the set of fields given, no extras, no private
    state), without its generic per-field loop: the same frozen `BuyAccelerators`, equal to the
    validated one in every attribute.
    """
    bid: BuyAccelerators = _new_object(BuyAccelerators)
    _set_dict(
        bid,
        {
            "kind": "buy_accelerators",
            "accelerator": accelerator,
            "h100e": h100e,
            "max_price_usd": max_price_usd,
            "region": region,
            "contract": contract,
        },
    )
    _set_fields_set(bid, _BID_FIELDS)  # one set for all (see `_BID_FIELDS`)
    _set_extra(bid, None)
    _set_private(bid, None)
    return bid


# The setters of the four slots pydantic declares on every model (``BaseModel.__slots__``), bound
# once: a frozen model refuses its own ``__setattr__``, as it should, and a slot's setter called
# directly skips ``object.__setattr__``'s lookup of the slot by name (a KeyError here at import,
# should pydantic ever lay its models out otherwise; the tests compare the bids with validated ones).
_new_object = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


class BuildPackaging(_Command):
    """Start building advanced packaging (CoWoS-like) for one's fabs' wafers."""

    kind: Literal["build_packaging"] = "build_packaging"
    region: str
    h100e_per_quarter: float = Field(gt=0, le=MAX_BUILD_H100E_PER_QUARTER)


class SetLicence(_Command):
    """Chip-producing nation: licence a destination to receive a class despite its tier, or revoke.

    ``cap_h100e`` None revokes the licence (the tier's cap applies again); ``revenue_share`` is
    the share of the licensed sales the makers pay the licensing nation (15% on H20, 2025).
    """

    kind: Literal["set_licence"] = "set_licence"
    region: str
    accelerator: str
    cap_h100e: float | None = Field(ge=0, le=1e8, description="None = revoke")
    revenue_share: float = Field(0.0, ge=0, le=1)


class SetImportBan(_Command):
    """Nation: bar (or allow again) its firms and its territory from buying a class of chips."""

    kind: Literal["set_import_ban"] = "set_import_ban"
    accelerator: str
    banned: bool


class SetEnforcement(_Command):
    """Chip-producing nation: yearly spending on export-control enforcement (shrinks smuggling)."""

    kind: Literal["set_enforcement"] = "set_enforcement"
    busd_per_year: float = Field(ge=0, le=100)


class SetSubsidy(_Command):
    """Nation: share of the capex of datacenters, the accelerators in them and plants in its region the state pays.

    For accelerators the share is of the price paid up to the list price (`subsidise_chips`).
    """

    kind: Literal["set_subsidy"] = "set_subsidy"
    rate: float = Field(ge=0, le=MAX_SUBSIDY_RATE)


class SetLocalisation(_Command):
    """Nation: enact or repeal a data-localisation law (regulated data stays in the country)."""

    kind: Literal["set_localisation"] = "set_localisation"
    enabled: bool


class SetExportControls(_Command):
    """Chip-producing nation: the most H100e of a class a destination tier may get per quarter."""

    kind: Literal["set_export_controls"] = "set_export_controls"
    tier: Literal[1, 2, 3]
    accelerator: str
    cap_h100e: float | None = Field(ge=0, description="None = unlimited, 0 = barred")


class SetExportTier(_Command):
    """Chip-producing nation: move a destination region to another export-control tier."""

    kind: Literal["set_export_tier"] = "set_export_tier"
    region: str
    tier: Literal[1, 2, 3]


class JoinBloc(_Command):
    """Nation: apply to join an alliance; its members decide next quarter.

    Allied facilities and firms count for sovereignty once admitted.
    """

    kind: Literal["join_bloc"] = "join_bloc"
    bloc: str


class LeaveBloc(_Command):
    """Nation: leave an alliance."""

    kind: Literal["leave_bloc"] = "leave_bloc"
    bloc: str


class VoteOnApplication(_Command):
    """Nation, a bloc's member: vote on a nation's pending application to join it."""

    kind: Literal["vote_on_application"] = "vote_on_application"
    bloc: str
    region: str
    accept: bool


class SetSecuritySpending(_Command):
    """Nation: yearly cyber-security spending."""

    kind: Literal["set_security_spending"] = "set_security_spending"
    busd_per_year: float = Field(ge=0, le=MAX_SECURITY_BUSD_PER_YEAR)


class SetCurtailmentPriority(_Command):
    """Nation: in a power shortage, curtail datacenters last (protect them) or first."""

    kind: Literal["set_curtailment_priority"] = "set_curtailment_priority"
    datacenters_last: bool


class UpgradeDatacenter(_Command):
    """Install a power-delivery or cooling upgrade in one of one's datacenters (less energy per compute)."""

    kind: Literal["upgrade_datacenter"] = "upgrade_datacenter"
    datacenter: int = Field(ge=0, description="The datacenter's row (as the observation lists it)")
    upgrade: str = Field(description="Upgrade id (the scenario's efficiency_upgrades)")


class SetLargeLoadRules(_Command):
    """Nation: the rules for connecting datacenters to its grid (moratorium, on-site rule, tariffs)."""

    kind: Literal["set_large_load_rules"] = "set_large_load_rules"
    moratorium: bool = Field(description="Connect no new datacenters to the grid (on-site generation still allowed)")
    onsite_required: bool = Field(False, description="New datacenters must bring on-site generation")
    tariff_usd_mwh: float = Field(0.0, ge=0, le=1000, description="Surcharge on datacenter electricity, $/MWh")
    min_take_share: float = Field(0.0, ge=0, le=1, description="Share of connected load paid for even when idle")


class ExpandGrid(_Command):
    """Nation: pay for network (lines, substations) that connects more datacenters per year."""

    kind: Literal["expand_grid"] = "expand_grid"
    mw_per_year: float = Field(gt=0, le=MAX_GRID_MW_PER_YEAR, description="More large-load connections per year, MW")


class PermittingReform(_Command):
    """Nation: pay to cut one quarter off permitting and grid-connection delays."""

    kind: Literal["permitting_reform"] = "permitting_reform"


class SetComputePrice(_Command):
    """Seat owning datacenters: the lowest price it sells its compute at on the spot market.

    The floor is the seat's asking price: its clusters are offered at the higher of their running
    cost and the floor, so they sell less but at a margin (a cloud's list price). ``None`` sells at
    whatever the market pays above cost, as every AI owner does. Contracts (`OfferDeal` with
    ``compute_supply``) are at their own agreed price.
    """

    kind: Literal["set_compute_price"] = "set_compute_price"
    floor_usd_per_hour: float | None = Field(None, ge=0, le=200, description="$/H100e-hour; None = no floor")


class RaiseFunding(_Command):
    """Firm: try to raise a funding round this quarter (success is uncertain)."""

    kind: Literal["raise_funding"] = "raise_funding"
    busd: float = Field(gt=0, le=500)


class Decide(_Command):
    """Answer an event that asks for a decision."""

    kind: Literal["decide"] = "decide"
    event_id: int = Field(ge=0)
    option: int = Field(ge=0)


#: The kinds of deal between seats (`sovereign.sim.phases.diplomacy` enforces each).
DealKind = Literal[
    "money_transfer",
    "chip_supply",
    "export_licence",
    "security_pact",
    "technology_sharing",
    "compute_supply",
    "datacenter_sale",
    "power_supply",
    "joint_venture",
]
DEAL_KINDS: tuple[str, ...] = get_args(DealKind)


class OfferDeal(_Command):
    """Offer another seat a deal; it answers this quarter or next (see `sovereign.sim.phases.diplomacy`).

    ``deal_kind``: ``money_transfer``, ``chip_supply``, ``export_licence``, ``security_pact``,
    ``technology_sharing`` (the seller's fab know-how: the partner's fabs of the classes both make
    gain capacity when it is signed) or ``compute_supply`` (a contract for compute: the supplier's
    datacenters reserve H100e for the buyer, a lab, a startup or a nation's programme, which pays
    ``price_usd_per_hour`` per H100e-hour for what is reserved, used or not: take or pay) or
    ``datacenter_sale`` (the seller's built datacenter ``datacenter``, with its chips and its grid
    connection, passes to the buyer for ``price_busd``, paid once when it is signed: an
    acquisition, like Amazon's purchase of a campus in Ashburn) or ``power_supply`` (a power contract
    between two nations whose grids an interconnector joins: the seller's grid delivers ``mw`` all
    quarter to the buyer's, on capacity of the link reserved for it, and the buyer pays
    ``price_usd_per_mwh`` for every MWh; France's nuclear exports, Norway's hydropower to Germany) or
    ``joint_venture`` (a stake of ``share`` in the operator's ``datacenter`` or ``fab``, built, or in
    its ``project`` under construction: the investor pays ``price_busd`` once when it is signed and
    takes its share of the facility's operating profit each quarter of the term once it runs; ESMC
    in Dresden, TSMC's fab with 10% stakes for Bosch, Infineon and NXP; ``supplier_is_proposer``:
    the proposer operates it).
    ``payment_busd_per_quarter`` is paid each quarter of the term by the partner to the proposer
    (negative: by the proposer to the partner). A chip supply deal names the class, H100e a
    quarter, the price per H100e and the region of the buyer's datacenters it is delivered to
    (default: the buyer's home); ``supplier_is_proposer`` says who sells (or, for a licence, who
    grants it). ``counter_to`` makes this a counter-offer to an open offer, which it rejects.
    """

    kind: Literal["offer_deal"] = "offer_deal"
    partner: str
    deal_kind: DealKind
    quarters: int = Field(4, ge=1, le=80)
    payment_busd_per_quarter: float = Field(0.0, ge=-100, le=100)
    accelerator: str | None = None
    h100e_per_quarter: float = Field(0.0, ge=0, le=MAX_BUILD_H100E_PER_QUARTER)
    price_usd: float = Field(0.0, ge=0, le=1e6)
    price_usd_per_hour: float = Field(0.0, ge=0, le=200)
    datacenter: int | None = Field(None, ge=0, description="A datacenter sale: the hall's row")
    price_busd: float = Field(0.0, ge=0, le=1000, description="A datacenter sale: the price, paid once")
    mw: float = Field(0.0, ge=0, le=MAX_PLANT_MW, description="A power contract: MW delivered all quarter")
    fab: int | None = Field(None, ge=0, description="A joint venture: the operator's fab (its row)")
    project: int | None = Field(None, ge=0, description="A joint venture: the operator's build under way (its id)")
    share: float = Field(0.0, ge=0, le=MAX_VENTURE_SHARE, description="A joint venture: the investor's stake")
    price_usd_per_mwh: float = Field(0.0, ge=0, le=10_000, description="A power contract: the price per MWh")
    region: str | None = None
    supplier_is_proposer: bool = True
    counter_to: int | None = Field(None, ge=0)


class AnswerDeal(_Command):
    """Accept or reject a deal offered to this seat (open in the quarter it arrives and the next)."""

    kind: Literal["answer_deal"] = "answer_deal"
    deal: int = Field(ge=0)
    accept: bool


class BreakDeal(_Command):
    """End an active deal before its term: the other side will trust this seat's nation less."""

    kind: Literal["break_deal"] = "break_deal"
    deal: int = Field(ge=0)


class CovertAction(_Command):
    """Nation: a secret operation, hidden from the others until it is traced to you.

    ``cyber_operation``: an attack on the target nation's datacenters (its losses grow with what you
    spend and shrink with its security spending). ``espionage``: steal fab know-how from a nation
    making a class your own fabs make (their capacity grows). ``smuggling_network``: buy a channel
    that brings more of the chips barred to you in, for a year. ``stockpiling``: buy chips you may
    receive through intermediaries for a year, hidden (not installed, not in anyone's holdings) and
    put into your territory's halls when the year is over or the stockpile is traced. Each quarter an
    operation may be traced to you (the likelier the better defended the target, or the chip
    producers' enforcement for smuggling and stockpiles); then it is news, and the target trusts you
    less.
    """

    kind: Literal["covert_action"] = "covert_action"
    operation: Literal["cyber_operation", "espionage", "smuggling_network", "stockpiling"]
    target: str | None = None
    busd: float = Field(gt=0, le=20)


Command = Annotated[
    BuildDatacenter
    | BuildPlant
    | BuildFab
    | BuyAccelerators
    | BuildPackaging
    | SetLicence
    | SetImportBan
    | SetEnforcement
    | SetSubsidy
    | SetLocalisation
    | SetExportControls
    | SetExportTier
    | JoinBloc
    | LeaveBloc
    | VoteOnApplication
    | SetSecuritySpending
    | SetCurtailmentPriority
    | SetLargeLoadRules
    | ExpandGrid
    | UpgradeDatacenter
    | PermittingReform
    | SetComputePrice
    | RaiseFunding
    | Decide
    | OfferDeal
    | AnswerDeal
    | BreakDeal
    | CovertAction,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)

NATION_ONLY = (
    CovertAction,
    SetLicence,
    SetImportBan,
    SetEnforcement,
    SetSubsidy,
    SetLocalisation,
    SetExportControls,
    SetExportTier,
    JoinBloc,
    LeaveBloc,
    VoteOnApplication,
    SetSecuritySpending,
    SetCurtailmentPriority,
    SetLargeLoadRules,
    ExpandGrid,
    PermittingReform,
)


class CommandError(ValueError):
    """A command that cannot be parsed (bad kind or fields)."""


def command_from_dict(data: dict[str, Any]) -> Command:
    """Parse a command from its JSON form, with a readable error."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CommandError(f"bad command {data!r}: {msgs}") from None


def command_to_dict(cmd: Command) -> dict[str, Any]:
    """The JSON form of a command (round-trips with `command_from_dict`)."""
    # Every field is a str, int, float, bool or None, and pydantic stores exactly those types
    # (it converts numpy scalars and the like when it checks the fields), so a copy of the field
    # dict is the JSON form: 5x cheaper than pydantic's serializer, for ~150 log entries a quarter.
    return cmd.__dict__.copy()


def _money(busd: float) -> str:
    return f"${busd:,.1f}B" if abs(busd) >= 0.1 else f"${busd * 1000:,.0f}M"


def money_apart(busd: float, other: float) -> str:
    """`busd` as money, with as many decimals as it takes to tell it from `other` (up to $1M).

    Why: "needs $8.3B, has $8.3B" reads as a bug; "needs $8.31B, has $8.27B" says how far off.
    """
    text = _money(busd)
    for decimals in (2, 3):
        if text != _money(other) or abs(busd) < 0.1:
            break
        text = f"${busd:,.{decimals}f}B"
        if text != f"${other:,.{decimals}f}B":
            break
    return text


def command_cost_busd(model: SovereignModel, seat: str, cmd: Command) -> float:
    """Up-front cost to the seat of an accepted command, before any subsidy ($B)."""
    cost = _cost_of(type(cmd))
    return 0.0 if cost is None else cost(model, cmd)


def net_cost_busd(model: SovereignModel, seat: str, cmd: Command) -> float:
    """What an accepted command takes from the seat's cash: its cost minus the host's subsidy ($B)."""
    if type(cmd) is BuyAccelerators:  # most commands are bids: the same number as `_bid_cost`, sooner
        return float(cmd.h100e * cmd.max_price_usd / 1e9)
    cost = _cost_of(type(cmd))
    if cost is None:
        return 0.0
    if type(cmd) in _SUBSIDISED:
        return cost(model, cmd) - model.subsidy_for(seat, cmd)
    return cost(model, cmd)  # the same number as ``cost - 0.0``: no subsidy for these


def _datacenter_cost(model: SovereignModel, cmd: Any) -> float:
    r = model.region_ix[cmd.region]
    cost = econ.datacenter_capex_busd(model.scenario, r, cmd.it_mw)
    if cmd.onsite:
        cost += econ.onsite_capex_busd(
            model.scenario, econ.datacenter_grid_mw(model.scenario, model.world.pue[r], cmd.it_mw)
        )
    return cost


def _upgrade_cost(model: SovereignModel, cmd: Any) -> float:
    spec = upgrade_spec(model, cmd.upgrade)
    if spec is None or not 0 <= cmd.datacenter < len(model.world.dc_it_mw):
        return 0.0
    return float(model.world.dc_it_mw[cmd.datacenter] * spec.capex_musd_per_mw / 1000.0)


def upgrade_spec(model: SovereignModel, upgrade: str) -> EfficiencyUpgrade | None:
    """The scenario's efficiency upgrade of that id (None if there is none)."""
    return next((u for u in model.scenario.efficiency_upgrades if u.id == upgrade), None)


def upgrade_available(model: SovereignModel, spec: EfficiencyUpgrade) -> bool:
    """Whether an efficiency upgrade may be ordered this quarter (from its ``available_from`` on).

    The one home of that rule: the validator refuses an order before it, the AI does not consider it.
    """
    return model.quarter >= quarter_index(spec.available_from)


def _grid_cost(model: SovereignModel, cmd: Any) -> float:
    return float(cmd.mw_per_year * model.scenario.grid.network_capex_musd_per_mw / 1000.0)


def _plant_cost(model: SovereignModel, cmd: Any) -> float:
    return econ.plant_capex_busd(model.scenario, cmd.technology, cmd.mw)


def _fab_cost(model: SovereignModel, cmd: Any) -> float:
    return econ.fab_capex_busd(model.scenario, cmd.h100e_per_quarter)


def _packaging_cost(model: SovereignModel, cmd: Any) -> float:
    return float(model.scenario.chips.packaging_capex_busd_per_kh100e_quarter * cmd.h100e_per_quarter / 1000.0)


def _bid_cost(model: SovereignModel, cmd: Any) -> float:
    return float(cmd.h100e * cmd.max_price_usd / 1e9)


def decision_options(model: SovereignModel, event_id: int) -> list[DecisionOption]:
    """The options (with their effects) of the question behind a pending decision; [] if none."""
    for d in model.economy.decisions:
        if d["event_id"] == event_id:
            return list(model.scenario.injects[d["inject"]].decision)
    return []


def _decision_cost(model: SovereignModel, cmd: Any) -> float:
    opts = decision_options(model, cmd.event_id)
    return max(-opts[cmd.option].cash_busd, 0.0) if cmd.option < len(opts) else 0.0


def _reform_cost(model: SovereignModel, cmd: Any) -> float:
    return model.scenario.economics.permitting_reform_busd


#: A command kind's up-front cost ($B), given the model and the command.
type _CostFn = Callable[[SovereignModel, Any], float]
#: A validation rule: None when the command passes it, else the reason for the refusal.
type _Rule = Callable[[SovereignModel, str, SeatAgent, Any], str | None]


def _answer_cost(model: SovereignModel, cmd: Any) -> float:
    """Accepting a deal the partner pays for: its first quarter's payment must be there."""
    from sovereign.sim.phases.diplomacy import find_deal

    deal = find_deal(model, cmd.deal)
    if not cmd.accept or deal is None:
        return 0.0
    return max(float(deal["payment_busd_per_quarter"]), 0.0)


_COSTS: dict[type, _CostFn] = {
    BuildDatacenter: _datacenter_cost,
    BuildPlant: _plant_cost,
    BuildFab: _fab_cost,
    BuildPackaging: _packaging_cost,
    BuyAccelerators: _bid_cost,
    PermittingReform: _reform_cost,
    ExpandGrid: _grid_cost,
    UpgradeDatacenter: _upgrade_cost,
    Decide: _decision_cost,
    AnswerDeal: _answer_cost,
    CovertAction: lambda model, cmd: float(cmd.busd),
}
#: Builds whose host nation pays part of the capex (`SovereignModel.subsidy_for`).
_SUBSIDISED = frozenset({BuildDatacenter, BuildPlant})


def _dispatch[T](table: dict[type, T], cls: type) -> T | None:
    """The entry of `table` for a subclass of a command class (its nearest base class's entry)."""
    return next((table[base] for base in cls.__mro__ if base in table), None)


@functools.cache
def _cost_of(cls: type) -> _CostFn | None:
    """A command class's cost rule (`_COSTS`, by its nearest class there), None for a command that costs nothing.

    Kept per class: most commands cost nothing, and finding that out walked the class's bases
    every time (`_dispatch`), ~1,000 times a game.
    """
    return _COSTS.get(cls) or _dispatch(_COSTS, cls)


# -- the rules, one small function each; `_RULES` lists them per command kind in the order they
# are checked, so a command breaking several rules gets the same (first) reason every time
def _nation_only(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if agent.kind != "nation":
        return f"only a nation can {cmd.kind.replace('_', ' ')}; {agent.name} is a {agent.kind}"
    return None


def _region_exists(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if cmd.region not in model.region_ix:
        return f"region {cmd.region!r} does not exist"
    return None


def _accelerator_exists(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if cmd.accelerator not in model.class_ix:
        return f"accelerator class {cmd.accelerator!r} does not exist (known: {', '.join(model.class_ix)})"
    return None


def _runs_fabs(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if agent.kind not in ("fab", "nation", "conglomerate"):
        return f"{agent.name} is a {agent.kind} and cannot run a fab"
    return None


def _build_site(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    region = cmd.region
    if agent.kind == "nation":
        if region != seat:
            return f"a nation can only build on its own territory ({seat}), not in {region}"
    elif model.world.export_tier[model.region_ix[region]] == 3 and model.home_tier(agent) == 1:
        return f"{agent.name} may not invest in {region}: it is a tier-3 destination under export controls"
    return None


def _has_space(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if model.free_h100e(agent.seat_id, model.region_ix[cmd.region], model.class_ix[cmd.accelerator]) <= 0:
        return f"no free datacenter space for accelerators in {cmd.region}: build a datacenter there first"
    return None


def _bid_rules(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    """A bid's rules, `_region_exists`, `_accelerator_exists` then `_has_space`, in one call.

    Why: bids are most of the commands (about two hundred a quarter); one rule that looks the
    region and the class up once checks the same things in the same order, and a refusal's
    reason is the one the rule that refuses gives.
    """
    r = model.region_ix.get(cmd.region)
    if r is None:
        return _region_exists(model, seat, agent, cmd)
    g = model.class_ix.get(cmd.accelerator)
    if g is None:
        return _accelerator_exists(model, seat, agent, cmd)
    if model.free_h100e(agent.seat_id, r, g) <= 0:
        return _has_space(model, seat, agent, cmd)
    return None


def _controls_exports(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if not model.scenario.regions[model.region_ix[seat]].chip_producer:
        return f"{agent.name} does not control chip exports (only chip-producing nations do)"
    return None


def _owns_fabs(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if not (model.world.fab_owner == model.seat_index(seat)).any():
        return f"{agent.name} has no fab whose wafers need packaging"
    return None


def _licence_destination(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if cmd.region == seat:
        return "a nation does not need a licence for chips delivered at home"
    if not model.controlled[model.class_ix[cmd.accelerator]]:
        return f"{model.scenario.accelerators[model.class_ix[cmd.accelerator]].name} is not under export controls"
    return None


def _not_own_tier(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if cmd.region == seat:
        return "a nation cannot set its own export-control tier"
    return None


def _bloc(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if cmd.bloc not in model.bloc_ix:
        return f"bloc {cmd.bloc!r} does not exist (known: {', '.join(model.bloc_ix)})"
    member = bool(model.world.bloc_member[model.bloc_ix[cmd.bloc], model.region_ix[seat]])
    if isinstance(cmd, JoinBloc) and member:
        return f"{seat} is already a member of {cmd.bloc}"
    if isinstance(cmd, JoinBloc) and model.world.bloc_application[model.bloc_ix[cmd.bloc], model.region_ix[seat]] >= 0:
        return f"{seat} has already applied to join {cmd.bloc}: its members decide at the start of next quarter"
    if isinstance(cmd, LeaveBloc) and not member:
        return f"{seat} is not a member of {cmd.bloc}"
    return None


def _application(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if cmd.bloc not in model.bloc_ix:
        return f"bloc {cmd.bloc!r} does not exist (known: {', '.join(model.bloc_ix)})"
    b = model.bloc_ix[cmd.bloc]
    if not model.world.bloc_member[b, model.region_ix[seat]]:
        return f"only members of {cmd.bloc} vote on applications to join it"
    if cmd.region not in model.region_ix or model.world.bloc_application[b, model.region_ix[cmd.region]] < 0:
        return f"{cmd.region} has no pending application to join {cmd.bloc}"
    return None


def _permits_can_speed_up(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if model.world.permitting_quarters[model.region_ix[seat]] <= 0:
        return "permits are already as fast as they can be"
    return None


def _may_raise(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if agent.kind == "nation":
        return "nations are funded by their budget, not by funding rounds"
    if agent.state.get("raising", False):
        return "a funding round is already under way this quarter"
    return None


def _decision_pending(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    pending = model.pending_decisions.get(seat, {})
    if cmd.event_id not in pending:
        return f"no decision pending for event {cmd.event_id}"
    if cmd.option >= len(pending[cmd.event_id]):
        return f"option {cmd.option} does not exist (choose 0..{len(pending[cmd.event_id]) - 1})"
    return None


def _grid_connects(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if cmd.onsite:
        return None
    r = model.region_ix[cmd.region]
    w, name = model.world, model.scenario.regions[r].name
    if w.moratorium_until[r] > model.quarter:
        until = (
            "until further notice"
            if w.moratorium_until[r] >= MORATORIUM_OPEN_ENDED
            else f"before {quarter_label(int(w.moratorium_until[r]))}"
        )
        return f"{name} connects no new datacenters to its grid {until}: bring on-site generation (onsite)"
    if w.onsite_required[r]:
        return f"{name} requires new datacenters to bring on-site generation matching their load (onsite)"
    return None


def _upgradable(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    w = model.world
    spec = upgrade_spec(model, cmd.upgrade)
    if spec is None:
        known = ", ".join(u.id for u in model.scenario.efficiency_upgrades) or "none in this scenario"
        return f"no efficiency upgrade {cmd.upgrade!r} (known: {known})"
    if not 0 <= cmd.datacenter < len(w.dc_owner) or w.dc_owner[cmd.datacenter] != model.seat_index(seat):
        return f"{agent.name} owns no datacenter number {cmd.datacenter}"
    if not upgrade_available(model, spec):
        return f"{spec.name} is available from {spec.available_from}"
    bit = 1 << model.scenario.efficiency_upgrades.index(spec)
    if int(w.dc_upgrades[cmd.datacenter]) & bit:
        return f"{w.dc_name[cmd.datacenter]} already has {spec.name}"
    return None


def _deal_terms(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    """An offer's partner and terms make sense for its kind (the rest is the partner's to judge)."""
    from sovereign.sim.phases.diplomacy import find_deal

    d = model.scenario.diplomacy
    partner = model.seats.get(cmd.partner)
    if partner is None:
        return f"{cmd.partner!r} is not a seat in this game"
    if cmd.partner == seat:
        return "a seat cannot make a deal with itself"
    if cmd.quarters > d.max_term_quarters:
        return f"a deal runs at most {d.max_term_quarters} quarters"
    if cmd.counter_to is not None:
        old = find_deal(model, cmd.counter_to)
        if old is None or old["status"] != "offered" or old["partner"] != seat or old["proposer"] != cmd.partner:
            return f"deal {cmd.counter_to} is not an open offer from {partner.name} to answer"
    kind = cmd.deal_kind
    if kind == "money_transfer" and cmd.payment_busd_per_quarter == 0:
        return "a money transfer needs a payment (positive: the partner pays you; negative: you pay)"
    if kind == "security_pact" and (agent.kind != "nation" or partner.kind != "nation"):
        return "only nations sign security pacts"
    if kind in ("chip_supply", "export_licence"):
        return _chip_deal_terms(model, seat, cmd)
    if kind == "compute_supply":
        return _compute_deal_terms(model, seat, cmd)
    if kind == "datacenter_sale":
        return _sale_terms(model, seat, cmd)
    if kind == "power_supply":
        return _power_deal_terms(model, seat, cmd)
    if kind == "joint_venture":
        return _venture_terms(model, seat, cmd)
    if kind == "technology_sharing":
        from sovereign.sim.phases.diplomacy import shared_classes, supplier_and_buyer

        terms = {"proposer": seat, "partner": cmd.partner, "supplier_is_proposer": cmd.supplier_is_proposer}
        giver, taker = supplier_and_buyer(terms)
        if not shared_classes(model, giver, taker):
            return (
                f"{model.seats[taker].name} makes no chip class that {model.seats[giver].name} makes: nothing to share"
            )
    return None


def _power_deal_terms(model: SovereignModel, seat: str, cmd: Any) -> str | None:
    """A power contract: between two nations, on an interconnector with room left for the MW."""
    from sovereign.sim.phases.diplomacy import link_room_mw

    if model.seats[seat].kind != "nation" or model.seats[cmd.partner].kind != "nation":
        return "power contracts are between nations (their grids)"
    if cmd.mw <= 0:
        return "name how many MW the contract delivers"
    if cmd.price_usd_per_mwh <= 0:
        return "name the price per MWh"
    room = link_room_mw(model, seat, cmd.partner)
    if room is None:
        return f"no interconnector joins {model.seats[seat].name}'s grid to {model.seats[cmd.partner].name}'s"
    if cmd.mw > room + 1e-9:
        return f"the interconnector has {room:,.0f} MW left for contracts, not {cmd.mw:,.0f}"
    return None


def venture_facility(datacenter: int | None, fab: int | None, project: int | None) -> tuple[int | None, ...]:
    """A joint venture's one facility from the offer's fields, as (datacenter, fab, project).

    The build under way if one is named, else the fab if one is named, else the datacenter (the
    offer form always names a hall, so a fab or a build named beside it is the one meant).
    """
    if project is not None:
        return None, None, project
    if fab is not None:
        return None, fab, None
    return datacenter, None, None


def _venture_terms(model: SovereignModel, seat: str, cmd: Any) -> str | None:
    """A joint venture: one facility of the operator's (built, or under way), a stake, room for it."""
    from sovereign.sim.phases.diplomacy import supplier_and_buyer, venture_stakes

    datacenter, fab, project = venture_facility(cmd.datacenter, cmd.fab, cmd.project)
    if datacenter is None and fab is None and project is None:
        return "name the facility: a datacenter, a fab or a build under way"
    if cmd.share <= 0:
        return "name the investor's share"
    terms = {"proposer": seat, "partner": cmd.partner, "supplier_is_proposer": cmd.supplier_is_proposer}
    operator, investor = supplier_and_buyer(terms)
    w, me = model.world, model.seat_index(operator)
    if datacenter is not None and not (0 <= datacenter < len(w.dc_owner) and w.dc_owner[datacenter] == me):
        return f"datacenter {datacenter} is not {model.seats[operator].name}'s"
    if fab is not None and not (0 <= fab < len(w.fab_owner) and w.fab_owner[fab] == me):
        return f"fab {fab} is not {model.seats[operator].name}'s"
    if project is not None and not any(
        p["id"] == project and p["owner"] == operator and p["kind"] in ("build_datacenter", "build_fab")
        for p in w.projects
    ):
        return f"{model.seats[operator].name} has no datacenter or fab build {project} under way"
    if model.seats[investor].kind == "startup":
        return f"{model.seats[investor].name} is a startup: it has no capital to put into a facility"
    held = venture_stakes(model, datacenter, fab, project)
    if held + cmd.share > MAX_VENTURE_SHARE + 1e-9:
        return f"investors hold {held:.0%} of it already; the operator keeps at least {1 - MAX_VENTURE_SHARE:.0%}"
    return None


def _chip_deal_terms(model: SovereignModel, seat: str, cmd: Any) -> str | None:
    """A chip supply deal or an export licence: the class, the volume, who sells, where it goes."""
    from sovereign.sim.phases.diplomacy import supplier_and_buyer

    if cmd.accelerator not in model.class_ix:
        return f"name the accelerator class ({', '.join(model.class_ix)})"
    if cmd.h100e_per_quarter <= 0:
        return "name how many H100e a quarter"
    terms = {"proposer": seat, "partner": cmd.partner, "supplier_is_proposer": cmd.supplier_is_proposer}
    seller, buyer = supplier_and_buyer(terms)
    region = cmd.region or model.home_of(buyer)
    if region not in model.region_ix:
        return f"unknown region {region!r}"
    r, g = model.region_ix[region], model.class_ix[cmd.accelerator]
    w, name = model.world, model.scenario.accelerators[g].name
    if cmd.deal_kind == "export_licence":
        grantor, licensee = model.seats[seller], model.seats[buyer]
        if grantor.kind != "nation" or not model.scenario.regions[model.region_ix[seller]].chip_producer:
            return f"{grantor.name} does not control chip exports: a licence is granted by a chip-producing nation"
        if licensee.kind != "nation" or region != buyer:
            return "a licence is granted to a nation, for its own territory"
        if not model.controlled[g]:
            return f"{name} is not under export controls"
        return None
    if cmd.price_usd <= 0:
        return "name the price per H100e"
    if not bool(((w.fab_owner == model.seat_index(seller)) & (w.fab_class == g)).any()):
        return f"{model.seats[seller].name} makes no {name} chips to supply"
    if not bool(((w.dc_owner == model.seat_index(buyer)) & (w.dc_region == r)).any()):
        return f"{model.seats[buyer].name} has no datacenter in {region} to take the chips"
    return None


def _compute_deal_terms(model: SovereignModel, seat: str, cmd: Any) -> str | None:
    """A compute contract: a supplier with datacenters, a buyer with a use for compute, a volume, a price."""
    from sovereign.sim.phases.diplomacy import supplier_and_buyer

    if cmd.h100e_per_quarter <= 0:
        return "name how many H100e of compute a quarter"
    if cmd.price_usd_per_hour <= 0:
        return "name the price per H100e-hour"
    terms = {"proposer": seat, "partner": cmd.partner, "supplier_is_proposer": cmd.supplier_is_proposer}
    seller, buyer = supplier_and_buyer(terms)
    if model.seats[buyer].kind not in ("lab", "startup", "nation"):
        return f"{model.seats[buyer].name} does not buy compute: a lab, a startup or a nation's programme does"
    if cmd.region is not None and cmd.region not in model.region_ix:
        return f"unknown region {cmd.region!r}"
    w, pos = model.world, model.seat_index(seller)
    where = w.dc_owner == pos
    if cmd.region is not None:
        where &= w.dc_region == model.region_ix[cmd.region]
    if not bool(where.any()):
        place = f" in {cmd.region}" if cmd.region is not None else ""
        return f"{model.seats[seller].name} has no datacenter{place} to supply compute from"
    return None


def _sale_terms(model: SovereignModel, seat: str, cmd: Any) -> str | None:
    """A datacenter sale: a built hall of the seller's, a price, a buyer that can run datacenters."""
    from sovereign.sim.phases.diplomacy import supplier_and_buyer

    w = model.world
    if cmd.datacenter is None or not 0 <= cmd.datacenter < len(w.dc_owner):
        return "name the datacenter to sell or buy"
    if cmd.price_busd <= 0:
        return "name the price"
    if cmd.quarters != 1 or cmd.payment_busd_per_quarter != 0:
        return "a datacenter sale is paid once, at its price: one quarter and no payments besides"
    terms = {"proposer": seat, "partner": cmd.partner, "supplier_is_proposer": cmd.supplier_is_proposer}
    seller, buyer = supplier_and_buyer(terms)
    if int(w.dc_owner[cmd.datacenter]) != model.seat_index(seller):
        return f"{w.dc_name[cmd.datacenter]} is not {model.seats[seller].name}'s to sell"
    if model.seats[buyer].kind == "startup":
        return f"{model.seats[buyer].name} is a startup: it rents compute and buys no datacenters"
    return None


def _owns_compute(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    if not bool((model.world.dc_owner == model.seat_index(seat)).any()):
        return f"{agent.name} owns no datacenter whose compute it could price"
    return None


def _deal_open(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    from sovereign.sim.phases.diplomacy import find_deal

    deal = find_deal(model, cmd.deal)
    if deal is None:
        return f"there is no deal number {cmd.deal}"
    if isinstance(cmd, AnswerDeal):
        if deal["partner"] != seat:
            return f"deal {cmd.deal} was not offered to {agent.name}"
        if deal["status"] != "offered":
            return f"deal {cmd.deal} is {deal['status']}, not open"
    else:
        if seat not in (deal["proposer"], deal["partner"]):
            return f"{agent.name} is not a party to deal {cmd.deal}"
        if deal["status"] != "active":
            return f"deal {cmd.deal} is {deal['status']}, not active"
    return None


def _covert_target(model: SovereignModel, seat: str, agent: SeatAgent, cmd: Any) -> str | None:
    """A covert operation's target exists and the operation could do something there."""
    w = model.world
    home = model.region_ix[seat]
    if cmd.operation == "smuggling_network":
        from sovereign.sim.phases.chips import destination_caps

        if not destination_caps(model)[1][home].any():
            return "no chip class is barred to you: a smuggling network would bring nothing in"
        return None
    if cmd.operation == "stockpiling":
        from sovereign.sim.phases.diplomacy import stockpile_class

        if stockpile_class(model, seat) is None:
            return "every chip class is barred to you: a smuggling network is the way in"
        return None
    if cmd.target is None or cmd.target not in model.region_ix:
        return f"name the target nation ({', '.join(model.region_ix)})"
    if cmd.target == seat:
        return "a nation does not run covert operations against itself"
    if cmd.operation == "espionage":
        theirs = set(w.fab_class[w.fab_region == model.region_ix[cmd.target]].tolist())
        mine = set(w.fab_class[w.fab_region == home].tolist())
        if not theirs & mine:
            return f"your fabs make no class that {model.scenario.regions[model.region_ix[cmd.target]].name} makes"
    return None


_BUILD = (_region_exists, _build_site)
_RULES: dict[type, tuple[_Rule, ...]] = {
    BuildDatacenter: (*_BUILD, _grid_connects),
    BuildPlant: _BUILD,
    BuildFab: (_region_exists, _accelerator_exists, _runs_fabs, _build_site),
    BuyAccelerators: (_bid_rules,),  # _region_exists, _accelerator_exists, _has_space
    BuildPackaging: (_region_exists, _runs_fabs, _owns_fabs, _build_site),
    SetLicence: (_nation_only, _region_exists, _accelerator_exists, _controls_exports, _licence_destination),
    SetImportBan: (_nation_only, _accelerator_exists),
    SetEnforcement: (_nation_only, _controls_exports),
    SetSubsidy: (_nation_only,),
    SetLocalisation: (_nation_only,),
    SetExportControls: (_nation_only, _accelerator_exists, _controls_exports),
    SetExportTier: (_nation_only, _region_exists, _controls_exports, _not_own_tier),
    JoinBloc: (_nation_only, _bloc),
    LeaveBloc: (_nation_only, _bloc),
    VoteOnApplication: (_nation_only, _application),
    SetSecuritySpending: (_nation_only,),
    SetCurtailmentPriority: (_nation_only,),
    SetLargeLoadRules: (_nation_only,),
    ExpandGrid: (_nation_only,),
    UpgradeDatacenter: (_upgradable,),
    PermittingReform: (_nation_only, _permits_can_speed_up),
    SetComputePrice: (_owns_compute,),
    RaiseFunding: (_may_raise,),
    Decide: (_decision_pending,),
    OfferDeal: (_deal_terms,),
    AnswerDeal: (_deal_open,),
    BreakDeal: (_deal_open,),
    CovertAction: (_nation_only, _covert_target),
}


def validate_command(model: SovereignModel, seat: str, cmd: Command, budget: bool = True) -> str | None:
    """Accept (None) or refuse a command with a reason a player understands.

    This is the one gate for humans and AI alike; it reads the model and never changes it. The
    command is already a typed, field-checked object (pydantic checked it when it was made), so
    only the game's rules are checked here: those of its kind (`_RULES`), then the budget. The
    budget check is skipped (``budget=False``) only where `surely_affordable` has shown that the
    whole batch the command comes in is paid for, so it could not refuse it.
    """
    agent = model.seats.get(seat)
    if agent is None:
        return f"unknown seat {seat!r}"
    rules = _RULES.get(type(cmd)) or _dispatch(_RULES, type(cmd))
    if rules is None:
        return f"unknown command {cmd!r}"
    for rule in rules:
        reason = rule(model, seat, agent, cmd)
        if reason is not None:
            return reason
    return budget_refusal(model, seat, cmd) if budget else None


def surely_affordable(model: SovereignModel, seat: str, cmds: list[Command], committed: float = 0.0) -> bool:
    """Whether a seat's whole queue is paid for with room to spare, so no command of it can be refused.

    Why: the queue is checked again when applied (`budget_refusal` per command), which is most of
    the validator's cost for the AI's many bids. When the seat's cash covers the sum of the queue's
    costs with a margin far above rounding, every one of those checks passes whatever the order, so
    they can be skipped. `committed` is what the seat has already promised this quarter (when the
    batch joins a queue). Every cost is >= 0, so no prefix of the batch costs more than the whole of it.

    A build the host subsidises is counted at its full cost: what it takes from the seat's cash
    (`net_cost_busd`, less the subsidy the host can pay at the time the check is made) is never
    more than that (a subsidy is >= 0), and when it is applied its full cost is paid and the subsidy
    comes back after, so the bound holds for the check made then too. Why a bound and not the
    batch left to the per-command checks: nearly every batch that has a build also has its bids.
    """
    total = 0.0
    for c in cmds:
        # most commands are bids: their cost written out (`net_cost_busd`'s first case, the same
        # number: the fields are floats, so its ``float()`` changes nothing)
        if type(c) is BuyAccelerators:
            total += c.h100e * c.max_price_usd / 1e9
        elif type(c) in _SUBSIDISED:
            total += command_cost_busd(model, seat, c)
        else:
            total += net_cost_busd(model, seat, c)
    return total <= model.seats[seat].cash_busd - committed - 1e-6


def budget_refusal(model: SovereignModel, seat: str, cmd: Command) -> str | None:
    """Refuse a command the seat cannot pay for, counting what it already committed this quarter.

    Also the check made again when queued commands are applied: the rules were checked against the
    state at the start of the quarter (everyone moves at once), but the money may since have gone
    (a nation pays the subsidies of builds on its soil).
    """
    cost = net_cost_busd(model, seat, cmd)
    if cost <= 1e-12:
        return None
    agent = model.seats[seat]
    cash = agent.cash_busd - model.committed_busd(seat)
    if cost > cash + 1e-9:
        word = "budget" if agent.kind == "nation" else "cash"
        has = max(cash, 0.0)
        return f"not enough {word}: needs {money_apart(cost, has)}, has {money_apart(has, cost)}"
    return None
