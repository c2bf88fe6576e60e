"""Commands: the only way anyone (a player, an AI policy, a replay, a test) changes the world.

Every command is a small frozen pydantic model with a ``kind`` tag, so a command log is plain
JSON and loads back into the same typed objects. `validate_command` is the single gate: it accepts
a command or refuses it with a reason a player understands. The model applies only accepted ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sovereign.scenario.schema import Technology

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def describe(self) -> str:
        """One line for news tickers and logs."""
        fields = ", ".join(f"{k}={v}" for k, v in self.model_dump(exclude={"kind"}).items())
        return f"{self.kind}({fields})"


class BuildDatacenter(_Command):
    """Start building a datacenter of `it_mw` IT load in a region."""

    kind: Literal["build_datacenter"] = "build_datacenter"
    region: str
    it_mw: float = Field(gt=0, le=10000)


class BuildPlant(_Command):
    """Start building a power plant in a region (adds to its grid when done)."""

    kind: Literal["build_plant"] = "build_plant"
    region: str
    technology: Technology
    mw: float = Field(gt=0, le=20000)


class BuildFab(_Command):
    """Start building a fab that makes one accelerator class."""

    kind: Literal["build_fab"] = "build_fab"
    region: str
    accelerator: str
    h100e_per_quarter: float = Field(gt=0, le=5e6)


class BuyAccelerators(_Command):
    """Bid for accelerators this quarter, delivered to one's datacenters in a region."""

    kind: Literal["buy_accelerators"] = "buy_accelerators"
    accelerator: str
    h100e: float = Field(gt=0, le=1e8)
    max_price_usd: float = Field(gt=0, le=1e6, description="Highest price per H100e")
    region: str


class SetSubsidy(_Command):
    """Nation: share of datacenter and plant capex in its region the state pays."""

    kind: Literal["set_subsidy"] = "set_subsidy"
    rate: float = Field(ge=0, le=0.5)


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
    """Nation: join an alliance (allied facilities and firms count for sovereignty)."""

    kind: Literal["join_bloc"] = "join_bloc"
    bloc: str


class LeaveBloc(_Command):
    """Nation: leave an alliance."""

    kind: Literal["leave_bloc"] = "leave_bloc"
    bloc: str


class SetSecuritySpending(_Command):
    """Nation: yearly cyber-security spending."""

    kind: Literal["set_security_spending"] = "set_security_spending"
    busd_per_year: float = Field(ge=0, le=500)


class SetCurtailmentPriority(_Command):
    """Nation: in a power shortage, curtail datacenters last (protect them) or first."""

    kind: Literal["set_curtailment_priority"] = "set_curtailment_priority"
    datacenters_last: bool


class PermittingReform(_Command):
    """Nation: pay to cut one quarter off permitting and grid-connection delays."""

    kind: Literal["permitting_reform"] = "permitting_reform"


class RaiseFunding(_Command):
    """Firm: try to raise a funding round this quarter (success is uncertain)."""

    kind: Literal["raise_funding"] = "raise_funding"
    busd: float = Field(gt=0, le=500)


class Decide(_Command):
    """Answer an event that asks for a decision."""

    kind: Literal["decide"] = "decide"
    event_id: int = Field(ge=0)
    option: int = Field(ge=0)


Command = Annotated[
    BuildDatacenter
    | BuildPlant
    | BuildFab
    | BuyAccelerators
    | SetSubsidy
    | SetLocalisation
    | SetExportControls
    | SetExportTier
    | JoinBloc
    | LeaveBloc
    | SetSecuritySpending
    | SetCurtailmentPriority
    | PermittingReform
    | RaiseFunding
    | Decide,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)

NATION_ONLY = (
    SetSubsidy,
    SetLocalisation,
    SetExportControls,
    SetExportTier,
    JoinBloc,
    LeaveBloc,
    SetSecuritySpending,
    SetCurtailmentPriority,
    PermittingReform,
)
#: Cost of one permitting reform ($B), paid by the nation.
PERMITTING_REFORM_BUSD = 2.0


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
    return cmd.model_dump(mode="json")


def _money(busd: float) -> str:
    return f"${busd:,.1f}B" if abs(busd) >= 0.1 else f"${busd * 1000:,.0f}M"


def command_cost_busd(model: SovereignModel, seat: str, cmd: Command) -> float:
    """Up-front cost to the seat of an accepted command, before any subsidy ($B)."""
    sc = model.scenario
    if isinstance(cmd, BuildDatacenter):
        r = model.region_ix[cmd.region]
        return cmd.it_mw * sc.regions[r].dc_capex_musd_per_mw / 1000.0
    if isinstance(cmd, BuildPlant):
        return cmd.mw * sc.technologies[cmd.technology].capex_musd_per_mw / 1000.0
    if isinstance(cmd, BuildFab):
        return cmd.h100e_per_quarter / 1000.0 * sc.economics.fab_capex_busd_per_kh100e_quarter
    if isinstance(cmd, BuyAccelerators):
        return cmd.h100e * cmd.max_price_usd / 1e9
    if isinstance(cmd, PermittingReform):
        return PERMITTING_REFORM_BUSD
    return 0.0


def validate_command(model: SovereignModel, seat: str, cmd: Command) -> str | None:
    """Accept (None) or refuse a command with a reason a player understands.

    This is the one gate for humans and AI alike; it reads the model and never changes it.
    """
    if seat not in model.seats:
        return f"unknown seat {seat!r}"
    agent = model.seats[seat]
    is_nation = agent.kind == "nation"
    if isinstance(cmd, NATION_ONLY) and not is_nation:
        return f"only a nation can {cmd.kind.replace('_', ' ')}; {agent.name} is a {agent.kind}"
    sc = model.scenario
    region = getattr(cmd, "region", None)
    if region is not None and region not in model.region_ix:
        return f"region {region!r} does not exist"
    if isinstance(cmd, BuildFab | BuyAccelerators | SetExportControls) and cmd.accelerator not in model.class_ix:
        return f"accelerator class {cmd.accelerator!r} does not exist (known: {', '.join(model.class_ix)})"
    if isinstance(cmd, BuildFab) and agent.kind not in ("fab", "nation", "conglomerate"):
        return f"{agent.name} is a {agent.kind} and cannot run a fab"
    if isinstance(cmd, BuildDatacenter | BuildPlant | BuildFab) and is_nation and region != seat:
        return f"a nation can only build on its own territory ({seat}), not in {region}"
    if isinstance(cmd, BuildDatacenter | BuildPlant | BuildFab) and not is_nation:
        host = model.region_ix[region]
        if model.world.export_tier[host] == 3 and model.home_tier(agent) == 1:
            return f"{agent.name} may not invest in {region}: it is a tier-3 destination under export controls"
    if isinstance(cmd, BuyAccelerators):
        r = model.region_ix[cmd.region]
        free = model.free_h100e(agent.seat_id, r, model.class_ix[cmd.accelerator])
        if free <= 0:
            return f"no free datacenter space for accelerators in {cmd.region}: build a datacenter there first"
    if isinstance(cmd, SetExportControls | SetExportTier) and not sc.regions[model.region_ix[seat]].chip_producer:
        return f"{agent.name} does not control chip exports (only chip-producing nations do)"
    if isinstance(cmd, SetExportTier) and cmd.region == seat:
        return "a nation cannot set its own export-control tier"
    if isinstance(cmd, JoinBloc | LeaveBloc):
        if cmd.bloc not in model.bloc_ix:
            return f"bloc {cmd.bloc!r} does not exist (known: {', '.join(model.bloc_ix)})"
        member = bool(model.world.bloc_member[model.bloc_ix[cmd.bloc], model.region_ix[seat]])
        if isinstance(cmd, JoinBloc) and member:
            return f"{seat} is already a member of {cmd.bloc}"
        if isinstance(cmd, LeaveBloc) and not member:
            return f"{seat} is not a member of {cmd.bloc}"
    if isinstance(cmd, PermittingReform) and model.world.permitting_quarters[model.region_ix[seat]] <= 0:
        return "permits are already as fast as they can be"
    if isinstance(cmd, RaiseFunding):
        if is_nation:
            return "nations are funded by their budget, not by funding rounds"
        if agent.state.get("raising", False):
            return "a funding round is already under way this quarter"
    if isinstance(cmd, Decide):
        pending = model.pending_decisions.get(seat, {})
        if cmd.event_id not in pending:
            return f"no decision pending for event {cmd.event_id}"
        if cmd.option >= len(pending[cmd.event_id]):
            return f"option {cmd.option} does not exist (choose 0..{len(pending[cmd.event_id]) - 1})"
    return budget_refusal(model, seat, cmd)


def budget_refusal(model: SovereignModel, seat: str, cmd: Command) -> str | None:
    """Refuse a command the seat cannot pay for, counting what it already committed this quarter.

    Also the check made again when queued commands are applied: the rules were checked against the
    state at the start of the quarter (everyone moves at once), but the money may since have gone
    (a nation pays the subsidies of builds on its soil).
    """
    agent = model.seats[seat]
    cost = command_cost_busd(model, seat, cmd) - model.subsidy_for(seat, cmd)
    if cost <= 1e-12:
        return None
    cash = agent.cash_busd - model.committed_busd(seat)
    if cost > cash + 1e-9:
        word = "budget" if agent.kind == "nation" else "cash"
        return f"not enough {word}: needs {_money(cost)}, has {_money(max(cash, 0.0))}"
    return None
