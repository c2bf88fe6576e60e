"""The scenario schema: the one place where every parameter of the world is defined.

Every field carries a description, a unit and a range. `docs/scenario-reference.md` is generated
from these models (`python -m sovereign.scenario.docs`), so the meaning of a parameter is written
exactly once. Models forbid unknown keys, so a typo in a scenario file is an error, not a silently
ignored setting.

Units used throughout (also visible in field names where a reader could doubt them):
money in billions of US dollars (`_busd`) for balance sheets and millions (`_musd`) for unit
costs; power in MW; energy prices in $/MWh; compute in H100-equivalents (`h100e`, one unit of
NVIDIA H100 SXM dense BF16 throughput, 989 TFLOPS) and compute sold in H100e-hours.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic import Strict as StrictMode

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")

#: Kinds of firm a scenario may name. Nations are not listed as actors: one per region.
ActorKind = Literal["conglomerate", "cloud", "fab", "lab"]
#: Stochastic shock types and scripted inject types the model knows how to apply.
EventKind = Literal[
    "fab_disruption",
    "heatwave",
    "cyber_incident",
    "export_escalation",
    "efficiency_breakthrough",
    "demand_boom",
    "demand_bust",
    "funding_winter",
    "supply_threat",
    "news",
]
Technology = Literal["solar", "wind", "hydro", "nuclear", "gas", "coal", "oil", "storage"]
Difficulty = Literal["easy", "normal", "hard"]
#: Classes of compute demand, each with its own willingness to pay.
DemandClass = Literal["training", "inference", "regulated"]


def F(
    default: Any = ...,
    *,
    description: str,
    unit: str = "-",
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    **kwargs: Any,
) -> Any:
    """A pydantic `Field` that also records the unit, so the reference can print it."""
    return Field(
        default,
        description=description,
        ge=ge,
        le=le,
        gt=gt,
        json_schema_extra={"unit": unit},
        **kwargs,
    )


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, values are validated on set."""

    # allow_inf_nan=False: a NaN would pass range-free fields (grid_mw, stocks) silently and cannot
    # be written to the canonical JSON that saves and scenario hashes use.
    # strict=True: a number must be written as a number. YAML reads `yes` as true and a quoted
    # "3000" as text; lax validation turned them into 1.0 and 3000.0, so a typo became a value.
    # The few fields that must accept another JSON shape (lists for tuples, "1" keys that JSON
    # makes of int keys) relax only the container, never the numbers inside (`StrictNumber`).
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False, strict=True)


def quarter_index(label: str) -> int:
    """Absolute quarter number of a label like ``2026Q1`` (year * 4 + quarter - 1)."""
    m = QUARTER_RE.match(label)
    if not m:
        raise ValueError(f"expected a quarter like 2026Q1, found {label!r}")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


@functools.lru_cache(maxsize=4096, typed=True)
def quarter_label(index: int) -> str:
    """Inverse of `quarter_index`.

    Kept per index (a game asks for a few dozen labels some 4,500 times: every command logged,
    every news item and table row).
    """
    return f"{index // 4}Q{index % 4 + 1}"


#: A number that must not be negative (stocks, prices, caps).
NonNegative = Annotated[float, StrictMode(), Field(ge=0)]

#: The most a state pays of a build's capex (and of the chips installed in it): the bound of the
#: ``set_subsidy`` command, so a scenario cannot ask its AI nations or its decisions for a rate the
#: command would refuse. METI paid up to half of five GPU clouds in April 2024 (Impress Watch,
#: watch.impress.co.jp/docs/news/1585751.html).
MAX_SUBSIDY_RATE = 0.5
SubsidyRate = Annotated[float, StrictMode(), Field(ge=0, le=MAX_SUBSIDY_RATE)]

#: The largest datacenter one ``build_datacenter`` command orders, MW of IT load (Stargate's Abilene
#: campus is ~1.2 GW; bigger campuses are several orders): the AI's order sizes are held to it.
MAX_DATACENTER_MW = 10000.0
DatacenterMw = Annotated[float, StrictMode(), Field(ge=0, le=MAX_DATACENTER_MW)]

QuarterLabel = Annotated[
    str,
    Field(pattern=r"^\d{4}Q[1-4]$", description="A quarter, e.g. 2026Q1", examples=["2026Q1"]),
]


class Meta(Strict):
    """What the scenario is, for the menu and the briefing screen."""

    id: str = F(description="Short identifier used in file names and results", pattern=r"^[a-z0-9_\-]+$")
    title: str = F(description="Title shown in the scenario picker")
    briefing: str = F("", description="Briefing shown before play: the situation and the stakes")
    debrief: str = F("", description="Questions for the debrief at the end of a lesson")
    source: str = F("", description="Where the scenario's figures come from")


class TimeSlice(Strict):
    """A representative time slice of a quarter over which power is cleared (night, day, peak)."""

    name: str = F(description="Name of the slice")
    hours_share: float = F(description="Share of the quarter's hours in this slice", gt=0, le=1)
    demand_factor: float = F(description="Base electricity demand in this slice relative to the average", gt=0, le=3)


class TimeSettings(Strict):
    """The game's calendar."""

    start: QuarterLabel = F(description="First quarter played")
    end: QuarterLabel = F(description="Last quarter played (inclusive)")
    slices: list[TimeSlice] = F(
        description="Time slices of each quarter; their hours_share must sum to 1", min_length=1
    )

    # Field validators (not one model validator) so that both problems are reported at once, each
    # at the field that is wrong.
    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: str, info: ValidationInfo) -> str:
        start = info.data.get("start")
        if start is not None and quarter_index(end) < quarter_index(start):
            raise ValueError(f"end {end} is before start {start}")
        return end

    @field_validator("slices")
    @classmethod
    def _shares_sum_to_one(cls, slices: list[TimeSlice]) -> list[TimeSlice]:
        total = sum(s.hours_share for s in slices)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"slices' hours_share must sum to 1, found {total:.6g}")
        return slices

    @property
    def n_quarters(self) -> int:
        """Number of quarters from start to end inclusive."""
        return quarter_index(self.end) - quarter_index(self.start) + 1


class TechnologySpec(Strict):
    """A power-generation technology: costs, build time, availability and emissions."""

    marginal_cost_usd_mwh: float = F(description="Marginal (fuel + variable O&M) cost", unit="$/MWh", ge=0, le=1000)
    capex_musd_per_mw: float = F(description="Overnight build cost", unit="$M/MW", ge=0, le=50)
    build_quarters: int = F(description="Time from decision to operation", unit="quarters", ge=1, le=60)
    availability: list[float] = F(
        description="Share of capacity available in each time slice (one value per slice)",
        min_length=1,
    )
    emissions_t_per_mwh: float = F(description="CO2 emitted per MWh generated", unit="t/MWh", ge=0, le=2)
    retire_per_year: float = F(
        0.0,
        description="Share of the utilities' fleet of this technology that closes each year (about 1 / life)",
        unit="1/year",
        ge=0,
        le=0.5,
    )
    source: str = F("", description="Calibration source or 'assumption'")

    @field_validator("availability")
    @classmethod
    def _in_unit_interval(cls, v: list[float]) -> list[float]:
        for x in v:
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"each availability must be within [0, 1], found {x}")
        return v


class AcceleratorClass(Strict):
    """An accelerator generation class. Stocks and trade are counted in H100-equivalents."""

    id: str = F(description="Identifier", pattern=r"^[a-z0-9_]+$")
    name: str = F(description="Display name, e.g. 'Blackwell-class'")
    h100e_per_unit: float = F(description="Dense BF16 throughput relative to an H100 SXM", unit="H100e", gt=0, le=20)
    kw_per_h100e: float = F(
        description="IT power per H100e including host and network share, for chips made in the first quarter "
        "(at least 0.01: 10 W an H100e, 75 times under a 2025 Blackwell's 0.75 kW; a power of almost nothing "
        "made an order for a hall's space infinite)",
        unit="kW/H100e",
        ge=0.01,
        le=5,
    )
    price_usd_per_h100e: float = F(description="List price per H100e at the start", unit="$", gt=0, le=1e6)
    production_cost_usd_per_h100e: float = F(
        description="Fab's cost of producing one H100e of this class at the start; it falls with the list "
        "price (`list_price_decline_per_year`)",
        unit="$",
        ge=0,
        le=1e6,
    )
    controlled: bool = F(True, description="Subject to export controls (frontier classes)")
    list_price_decline_per_year: float = F(
        0.0,
        description="Yearly fall of the class's list (and reserve) price as newer classes take over",
        unit="1/year",
        ge=0,
        le=0.9,
    )
    sold_only_in: list[str] = F(
        default_factory=list,
        description="Regions whose buyers alone may receive the class (its maker's own export rules); "
        "empty = wherever the export controls allow",
    )
    source: str = F("", description="Calibration source or 'assumption'")


class Marker(Strict):
    """A point on the map for a region (label anchor, microstates, distances)."""

    lon: float = F(description="Longitude", unit="degrees", ge=-180, le=180)
    lat: float = F(description="Latitude", unit="degrees", ge=-90, le=90)


class Region(Strict):
    """A country or group of countries: its people, economy, grid, datacenters and policies."""

    id: str = F(description="Identifier used by actors, blocs and links", pattern=r"^[A-Z][A-Z0-9_]*$")
    name: str = F(description="Display name")
    iso3: list[str] = F(
        description="ISO 3166 alpha-3 codes of the countries it covers, for the map; '*' = all others",
        min_length=1,
    )
    marker: Marker = F(description="Representative point (capital or centroid)")
    population_m: float = F(description="Population", unit="million", gt=0, le=2000)
    gdp_busd: float = F(description="GDP", unit="$B/year", gt=0, le=50000)
    gdp_growth: float = F(description="Real GDP growth", unit="1/year", ge=-0.2, le=0.2)
    ai_budget_share: float = F(
        description="Share of GDP the state can put into AI infrastructure, security and subsidies",
        unit="share of GDP",
        ge=0,
        le=0.05,
    )
    grid_mw: dict[Technology, float] = F(description="Installed generation capacity by technology", unit="MW")
    fuel_cost_factor: float = F(1.0, description="Multiplier on technologies' marginal costs here", ge=0.1, le=5)
    base_demand_mw: float = F(description="Average non-datacenter electricity demand", unit="MW", gt=0, le=2e6)
    demand_growth: float = F(description="Growth of non-datacenter demand", unit="1/year", ge=-0.1, le=0.2)
    electricity_price_usd_mwh: float = F(
        description="Industrial (retail) electricity price in 2026: network charges and taxes are set so that "
        "the first quarter's industrial price (wholesale + capacity + network) equals it",
        unit="$/MWh",
        ge=0,
        le=1000,
    )
    conventional_dc_mw: float = F(
        description="Average IT load of non-AI datacenters (enterprise, cloud, colocation)",
        unit="MW",
        ge=0,
        le=1e6,
    )
    conventional_dc_growth: float = F(description="Growth of non-AI datacenter load", unit="1/year", ge=-0.2, le=0.5)
    pue: float = F(description="Average power usage effectiveness of datacenters", unit="-", ge=1.0, le=3.0)
    ai_demand_share: float = F(
        description="Share of global AI compute demand that originates here (regional enterprises)",
        unit="share",
        ge=0,
        le=1,
    )
    regulated_share: float = F(
        description="Share of this region's AI demand that is regulated (must stay in jurisdiction)",
        unit="share",
        ge=0,
        le=1,
    )
    export_tier: Literal[1, 2, 3] = F(description="Export-control tier as a chip destination (1 free, 3 barred)")
    localisation_law: bool = F(False, description="Data-localisation law in force at the start")
    permitting_quarters: int = F(
        description="Extra delay for planning and permits of new projects (the wait for a grid connection is the "
        "connection queue, `connection_queue_mw`)",
        unit="quarters",
        ge=0,
        le=40,
    )
    dc_capex_musd_per_mw: float = F(
        description="Datacenter build cost per MW of IT load, excluding accelerators",
        unit="$M/MW",
        gt=0,
        le=100,
    )
    threat_exposure: float = F(description="Cyber threat exposure (relative)", unit="-", ge=0, le=10)
    security_spend_busd: float = F(description="Initial annual cyber-security spending", unit="$B/year", ge=0, le=1000)
    chip_producer: bool = F(False, description="Hosts export-controlling chip industry (its fabs obey its controls)")
    peak_hour_factor: float | None = F(
        None,
        description="Annual peak-hour demand over the peak slice's average (None: the grid section's)",
        ge=1,
        le=3,
    )
    connection_mw_per_year: float | None = F(
        None,
        description="Large loads (datacenters) the network can energise per year; None: the grid section's "
        "share of base demand",
        unit="MW/year",
        ge=0,
        le=1e6,
    )
    connection_queue_mw: float = F(
        0.0,
        description="Large-load connection requests of others already queued at the start (served before "
        "the game's requests)",
        unit="MW",
        ge=0,
        le=1e7,
    )
    connection_moratorium_until: QuarterLabel | None = F(
        None,
        description="No new grid connections for large loads before this quarter (e.g. 2028Q1); on-site "
        "generation is still allowed",
    )
    onsite_required: bool = F(
        False, description="New datacenters must bring on-site generation matching their load (Ireland's CRU rule)"
    )
    large_load_tariff_usd_mwh: float = F(
        0.0, description="Surcharge on datacenter electricity (large-load tariff)", unit="$/MWh", ge=0, le=1000
    )
    min_take_share: float = F(
        0.0,
        description="Share of a datacenter's connected load it pays for even when idle (AEP Ohio: 85%)",
        ge=0,
        le=1,
    )
    utility_technologies: list[Technology] | None = F(
        None, description="Technologies the region's utilities build (None: the grid section's list)"
    )
    source: str = F("", description="Calibration sources for this region's figures")

    @field_validator("iso3")
    @classmethod
    def _iso(cls, v: list[str]) -> list[str]:
        for code in v:
            if code != "*" and not re.fullmatch(r"[A-Z]{3}", code):
                raise ValueError(f"ISO codes are three capital letters or '*', found {code!r}")
        return v


class Interconnector(Strict):
    """A power link between two regions, usable in both directions."""

    a: str = F(description="One end (region id)")
    b: str = F(description="Other end (region id)")
    capacity_mw: float = F(description="Transfer capacity", unit="MW", ge=0, le=1e6)
    source: str = F("", description="Calibration source or 'assumption'")


class Bloc(Strict):
    """An alliance whose members count as allied for sovereignty and data flows.

    Membership has obligations: a yearly contribution (a share of GDP, paid each quarter from the
    member's budget) and a security floor (cyber-security spending of at least a share of the
    nation's threat exposure). AI members refuse applicants below the floor; a member below it
    loses the other members' trust each quarter; leaving costs their trust too.
    """

    id: str = F(description="Identifier", pattern=r"^[a-z0-9_]+$")
    name: str = F(description="Display name")
    members: list[str] = F(description="Region ids of the members")
    contribution_share_of_gdp: float = F(
        0.0,
        description="Yearly contribution of each member to the bloc's common programmes, as a share of its GDP",
        unit="1/year",
        ge=0,
        le=0.05,
    )
    security_floor: float = F(
        0.0,
        description="Least cyber-security spending a member keeps, as a share of its threat exposure",
        ge=0,
        le=2,
    )


class DatacenterSpec(Strict):
    """A datacenter an actor owns at the start."""

    region: str = F(description="Region id where it stands")
    it_mw: float = F(description="IT load capacity", unit="MW", gt=0, le=20000)
    pue: float | None = F(None, description="PUE; default the region's", ge=1.0, le=3.0)
    accelerators: dict[str, NonNegative] = F(
        default_factory=dict, description="Installed accelerators by class id", unit="H100e"
    )
    supplier: str | None = F(None, description="Region id whose fabs supplied the installed accelerators")
    name: str = F("", description="Display name (campus)")
    online: QuarterLabel | None = F(
        None,
        description="Quarter its halls open, for a campus under construction at the start (None: open now); "
        "paid before the game, it holds no accelerators until it opens",
    )


class FabSpec(Strict):
    """A fab an actor owns at the start."""

    region: str = F(description="Region id where it stands")
    accelerator: str = F(description="Accelerator class id it produces")
    h100e_per_quarter: float = F(description="Output at full utilisation", unit="H100e/quarter", gt=0, le=1e8)
    online: QuarterLabel | None = F(None, description="Quarter it starts producing (None: already producing)")
    name: str = F("", description="Display name")


class PackagingSpec(Strict):
    """Advanced packaging (CoWoS-like) an actor owns: a fab's wafers become chips only once packaged.

    A region's packaging serves the accelerator classes made by the fabs in that region, pro rata
    to their wafer output (CALIBRATION 8: CoWoS was sold out 2024-26 and set the number of chips).
    """

    region: str = F(description="Region id where it stands")
    h100e_per_quarter: float = F(description="Chips it can package", unit="H100e/quarter", gt=0, le=1e8)
    online: QuarterLabel | None = F(None, description="Quarter it starts (None: already running)")
    name: str = F("", description="Display name")


class PlantSpec(Strict):
    """A power plant an actor owns (added to its region's grid)."""

    region: str = F(description="Region id where it stands")
    technology: Technology = F(description="Generation technology")
    mw: float = F(description="Capacity", unit="MW", gt=0, le=1e5)


class Actor(Strict):
    """A firm: conglomerate, cloud provider, chip fab or AI lab, with its 2026 assets."""

    id: str = F(description="Identifier", pattern=r"^[a-z0-9_]+$")
    name: str = F(description="Display name")
    kind: ActorKind = F(description="Kind of firm, which decides its behaviour")
    home: str = F(description="Home region id (nationality for controls and sovereignty)")
    cash_busd: float = F(description="Cash available for AI infrastructure", unit="$B", ge=0, le=5000)
    valuation_busd: float = F(description="Valuation at the start", unit="$B", ge=0, le=20000)
    revenue_busd_per_year: float = F(0.0, description="AI-related revenue at the start", unit="$B/year", ge=0, le=5000)
    compute_demand_h100e: float = F(
        0.0,
        description="Compute it wants to use (labs: training and inference)",
        unit="H100e",
        ge=0,
        le=1e9,
    )
    state_compute_h100e: float = F(
        0.0,
        description="Labs: compute (H100e) of its demand its home nation pays for in full each quarter, as a "
        "sovereign programme's allocation does (IndiaAI pays 100% for foundation-model builders: Sarvam's "
        "4,096 H100s, CALIBRATION 12); paid as far as the nation's AI budget allows",
        unit="H100e",
        ge=0,
        le=1e7,
    )
    state_compute_until: QuarterLabel | None = F(
        None, description="Last quarter the home nation pays for the lab's state compute (none: the whole game)"
    )
    datacenters: list[DatacenterSpec] = F(default_factory=list, description="Datacenters owned at the start")
    fabs: list[FabSpec] = F(default_factory=list, description="Fabs owned at the start")
    packaging: list[PackagingSpec] = F(default_factory=list, description="Advanced packaging lines owned at the start")
    plants: list[PlantSpec] = F(default_factory=list, description="Power plants owned at the start")
    source: str = F("", description="Calibration source or 'assumption'")

    @field_validator("state_compute_h100e")
    @classmethod
    def _labs_only(cls, h100e: float, info: ValidationInfo) -> float:
        if h100e > 0 and info.data.get("kind") not in (None, "lab"):
            raise ValueError(f"only a lab's compute is paid for by its state, not a {info.data.get('kind')}'s")
        return h100e


class StartupSpawning(Strict):
    """Agentic-AI startups that appear stochastically and raise, grow or die."""

    rate_per_quarter: float = F(description="Mean number of new startups per quarter (Poisson)", ge=0, le=50)
    # strict=False: YAML and JSON write a pair as a list; the numbers inside stay strict (NonNegative)
    seed_cash_busd: tuple[NonNegative, NonNegative] = F(description="Range of seed funding", unit="$B", strict=False)
    demand_h100e: tuple[NonNegative, NonNegative] = F(
        description="Range of initial compute demand", unit="H100e", strict=False
    )
    home_weights: dict[str, float] = F(description="Probability of each home region; must sum to 1")
    round_success: float = F(0.6, description="Probability a funding round succeeds in normal times", ge=0, le=1)
    max_alive: int = F(
        150, description="Cap on living spawned startups (bounds run time; founding pauses at it)", ge=0, le=1000
    )
    winter_factor: float = F(
        0.3, description="Funding rounds' success and new foundings scale by this in a funding winter", ge=0, le=1
    )
    growth_bonus: float = F(
        0.5,
        description="Relative change of a round's success chance per 100% of yearly revenue growth",
        ge=0,
        le=5,
    )
    runway_quarters: float = F(
        6.0,
        description="Quarters of net spending a round aims to fund (also caps seed funding)",
        unit="quarters",
        ge=1,
        le=24,
    )
    shutdown_rate_per_year: float = F(
        0.03,
        description="Yearly chance a startup shuts down whatever its cash (founders quit, the product fails, an "
        "acqui-hire)",
        unit="1/year",
        ge=0,
        le=1,
    )
    max_cash_revenue_years: float = F(
        2.75,
        description="Investors fund on traction: a round (or a seed) tops cash up to at most this many years "
        "of the raiser's revenue run-rate",
        unit="years",
        ge=0,
        le=20,
    )
    raise_below_quarters: float = F(
        2.0,
        description="A lab or startup starts a round when its cash covers fewer quarters of net spending than this",
        unit="quarters",
        ge=0.5,
        le=12,
    )
    demand_cut_on_failure: float = F(
        0.3,
        description="Share of compute plans a named lab cuts in a quarter its debt exceeds its capacity",
        ge=0,
        le=1,
    )

    # Field validators (not one model validator) so that every problem is reported at once, each at
    # the field that is wrong.
    @field_validator("seed_cash_busd", "demand_h100e")
    @classmethod
    def _is_range(cls, v: tuple[float, float], info: ValidationInfo) -> tuple[float, float]:
        lo, hi = v
        if not 0 <= lo <= hi:
            raise ValueError(f"{info.field_name} must be a range [low, high] with 0 <= low <= high")
        return v

    @field_validator("home_weights")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[str, float]) -> dict[str, float]:
        total = sum(weights.values())
        if weights and not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"home_weights must sum to 1, found {total:.6g}")
        return weights


class Demand(Strict):
    """Global demand for AI compute."""

    h100e_2026: float = F(description="AI compute wanted worldwide at the start", unit="H100e", gt=0, le=1e10)
    growth_per_year: float = F(description="Growth of compute demand", unit="1/year", ge=-0.5, le=3)
    growth_decay_per_year: float = F(
        0.0,
        description="Yearly reduction of the growth rate (saturation)",
        unit="1/year",
        ge=0,
        le=1,
    )
    training_share: float = F(description="Share of regional demand that is training", ge=0, le=1)
    wtp_usd_per_hour: dict[DemandClass, NonNegative] = F(
        description="Willingness to pay per H100e-hour by demand class", unit="$/H100e-hour"
    )
    latency_penalty_usd_per_1000km: float = F(
        description="Inference penalty per 1000 km between user and cluster",
        unit="$/H100e-hour",
        ge=0,
        le=10,
    )
    opex_usd_per_hour: float = F(
        description="Non-power operating cost per H100e-hour (staff, maintenance)",
        unit="$/H100e-hour",
        ge=0,
        le=10,
    )
    efficiency_gain_per_year: float = F(
        description="Yearly fall of kW per H100e in newly made chips", unit="1/year", ge=0, le=0.9
    )
    accelerator_life_quarters: int = F(description="Service life of accelerators", unit="quarters", ge=4, le=60)
    volatility: float = F(0.03, description="Quarterly random shock to demand growth (st. dev.)", ge=0, le=1)
    preference_spread_usd_per_hour: float = F(
        0.1,
        description="Spread of buyers' preferences between clusters: the logit temperature of the compute "
        "market (0 = every buyer takes the single best deal, as in the LP optimum)",
        unit="$/H100e-hour",
        ge=0,
        le=5,
    )
    wtp_tranches: list[Annotated[float, Field(gt=0, le=10)]] = F(
        [1.5, 1.0, 0.5],
        description="Regional demand of each class is split into equal tranches willing to pay these multiples "
        "of the class's price: the demand curve along which the buyers who value compute least are rationed "
        "first when capacity is short",
        unit="x",
        min_length=1,
        max_length=8,
    )

    fringe_demand_share: float = F(
        0.45,
        description="Compute wanted only when it is cheap (batch inference, fine-tuning, research runs), as a "
        "share of each region's unregulated demand on top of it: in a glut it is served at its low price instead "
        "of the rent falling to the running cost; it goes wherever compute is cheapest (no latency penalty, no "
        "regulated data) and is not counted as demand wanted (sovereignty, tables)",
        unit="x",
        ge=0,
        le=3,
    )
    fringe_wtp_share: float = F(
        0.45,
        description="What that low-price demand pays, as a multiple of training's willingness to pay",
        unit="x",
        gt=0,
        le=1,
    )

    @field_validator("wtp_usd_per_hour")
    @classmethod
    def _all_classes(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [c for c in ("training", "inference", "regulated") if c not in v]
        if missing:
            raise ValueError(f"give a willingness to pay for every demand class; missing {', '.join(missing)}")
        return v


class Licence(Strict):
    """An export licence: a destination may receive up to a volume of a class despite its tier."""

    region: str = F(description="Destination region id")
    accelerator: str = F(description="Accelerator class id")
    cap_h100e_per_quarter: NonNegative = F(description="Most H100e it may receive per quarter", unit="H100e/quarter")
    revenue_share: float = F(
        0.0, description="Share of the sales paid to the licensing nation (e.g. 15% on H20, 2025)", ge=0, le=1
    )


class ExportControls(Strict):
    """Export controls on accelerators, by destination tier."""

    # Keys as a constrained int, not Literal[1, 2, 3]: JSON turns keys into "1".."3", which an int
    # accepts and a Literal does not, so a scenario round-trips through a save file.
    tier_caps_h100e_per_quarter: dict[
        Annotated[int, StrictMode(False), Field(ge=1, le=3)], dict[str, NonNegative | None]
    ] = F(
        description="Most H100e of each controlled class a destination of each tier may receive per quarter; "
        "null = unlimited, 0 = barred",
        unit="H100e/quarter",
    )
    grey_market_h100e_per_quarter: NonNegative = F(
        0.0,
        description="Controlled chips smuggled past a bar per quarter, over all barred destinations, "
        "when the producing nations spend nothing on enforcement",
        unit="H100e/quarter",
    )
    enforcement_halving_busd: float = F(
        1.0,
        description="Yearly enforcement spending (by the nations that set the controls) that halves smuggling",
        unit="$B/year",
        gt=0,
        le=1000,
    )
    enforcement_busd: dict[str, NonNegative] = F(
        default_factory=dict,
        description="Yearly export-control enforcement spending at the start, by controlling region",
        unit="$B/year",
    )
    licences: list[Licence] = F(default_factory=list, description="Export licences in force at the start")
    import_bans: dict[str, list[str]] = F(
        default_factory=dict,
        description="Accelerator classes a nation bars its firms and its territory from buying, by region",
    )
    remote_access_barred: bool = F(
        False, description="Tier-3 buyers may not rent compute from firms of chip-producing nations"
    )
    source: str = F("", description="Calibration source")


class HBMSupply(Strict):
    """High-bandwidth memory for the accelerators made in some regions.

    Memory makers (SK hynix, Samsung, Micron; CXMT in China) are outside the game: their output
    grows at a set rate, and it limits how many packaged chips become accelerators. When their
    memory is what limits the chips (the packaged wafers need more than they make), they also
    expand, by at most `expansion_share_per_year` of their capacity a year, each expansion arriving
    `build_quarters` later (`sovereign.sim.phases.chips.expand_hbm`).
    """

    name: str = F(description="Display name, e.g. 'SK hynix, Samsung, Micron'")
    fab_regions: list[str] = F(description="Regions whose fabs' chips use this memory", min_length=1)
    h100e_per_quarter: float = F(
        description="Memory for this many H100e of accelerators per quarter at the start", unit="H100e/quarter", gt=0
    )
    growth_per_year: float = F(description="Yearly growth of the supply", unit="1/year", ge=-0.5, le=3)
    expansion_share_per_year: float = F(
        0.0,
        description="Most capacity the makers add in a year, as a share of their capacity, while their memory "
        "limits the chips made (on top of growth_per_year); 0: they keep to their set growth",
        unit="1/year",
        ge=0,
        le=3,
    )
    build_quarters: int = F(
        4,
        description="Quarters from the makers' decision to expand to the new memory output",
        unit="quarters",
        ge=1,
        le=20,
    )
    source: str = F("", description="Calibration source or 'assumption'")


class ChipMarket(Strict):
    """How chips are priced and bought: value to the buyer, contracts, scarcity, upstream limits."""

    payback_years: float = F(
        2.0,
        description="A buyer pays at most the chip's expected net earnings over this many years "
        "(compute price x utilisation - power - space - opex)",
        unit="years",
        gt=0,
        le=10,
    )
    contract_share: float = F(
        0.6,
        description="Share of a cloud's chip orders placed as long-term allocation at list price, served "
        "before the spot market",
        ge=0,
        le=1,
    )
    contract_min_h100e: float = F(
        50_000.0,
        description="Smallest order a cloud places on a long-term allocation contract (smaller orders go to the "
        "spot market)",
        unit="H100e",
        ge=0,
        le=1e8,
    )
    order_share_per_quarter: float = F(
        0.33,
        description="Share of its free datacenter space a buyer orders chips for in one quarter (capped, "
        "licensed and smuggled volumes are bid for whole). AI server lead times of 36-52 weeks (Omdia, late "
        "2023, via Tom's Hardware) and 8-12 weeks (TSMC, 2024, via UDN), ~52 weeks quoted again in early "
        "2026: buyers order a hall's chips in tranches over about three quarters, not all at once "
        "(assumption from those lead times). At 1 (every free kW bid for every quarter) three quarters of "
        "2026Q1's orders went unfilled and the calm market's frontier price spiked to 2.5-2.8x list",
        ge=0.05,
        le=1,
    )
    stockpile_premium: float = F(
        1.0,
        description="Rise of bids (as a multiple of list) and of the chip budget per unit of a class's supply under "
        "threat (a supply_threat's chance times the threatened regions' share of the class's capacity)",
        ge=0,
        le=10,
    )
    threat_decay_per_quarter: float = F(
        0.25,
        description="Share of a supply threat the market forgets each quarter when nothing happens",
        ge=0,
        le=1,
    )
    scarcity_premium: float = F(
        3.0,
        description="Rise of spot bids (as a multiple of list) per unit of last quarter's unmet share of "
        "orders for the class",
        ge=0,
        le=20,
    )
    chip_life_years: float = F(
        5.0, description="Useful life a buyer expects of an accelerator", unit="years", ge=1, le=15
    )
    expected_utilisation: float = F(
        0.8, description="Share of hours a buyer expects its chips to be sold", ge=0.05, le=1
    )
    packaging_build_quarters: int = F(
        4, description="Time to add advanced packaging capacity", unit="quarters", ge=1, le=20
    )
    packaging_capex_busd_per_kh100e_quarter: float = F(
        0.0087,
        description="Capex per 1,000 H100e/quarter of packaging capacity "
        "(~$3B per 10k CoWoS wafers/month, an assumption)",
        unit="$B per kH100e/quarter",
        ge=0,
        le=1,
    )
    hbm: list[HBMSupply] = F(default_factory=list, description="High-bandwidth memory supplies")
    source: str = F("", description="Calibration source or 'assumption'")


class EventProbabilities(Strict):
    """Per-quarter probabilities of stochastic shocks and their sizes."""

    fab_disruption: float = F(0.02, description="Chance a random fab loses output for a quarter", ge=0, le=1)
    fab_disruption_loss: float = F(0.5, description="Share of the fab's output lost", ge=0, le=1)
    heatwave: float = F(
        0.05,
        description="Chance a random region's demand peaks and thermal plants derate",
        ge=0,
        le=1,
    )
    heatwave_demand_factor: float = F(1.12, description="Demand multiplier in a heatwave", ge=1, le=2)
    heatwave_thermal_derate: float = F(
        0.1, description="Share of thermal capacity lost in a heatwave (cooling water limits)", ge=0, le=1
    )
    cyber_incident: float = F(0.04, description="Chance of a major cyber incident in a random region", ge=0, le=1)
    cyber_loss_busd: float = F(
        2.0, description="Loss from an incident before security spending", unit="$B", ge=0, le=100
    )
    export_escalation: float = F(
        0.02, description="Chance export controls tighten (tier-2 caps, licences to tier 3)", ge=0, le=1
    )
    efficiency_breakthrough: float = F(0.03, description="Chance new chips become more efficient", ge=0, le=1)
    demand_boom: float = F(0.03, description="Chance of an AI demand boom", ge=0, le=1)
    demand_bust: float = F(0.02, description="Chance of an AI demand bust", ge=0, le=1)
    funding_winter: float = F(0.03, description="Chance a funding winter starts", ge=0, le=1)
    export_escalation_cut: float = F(
        0.5, description="Share cut from tier-2 caps and tier-3 licences when controls tighten", ge=0, le=1
    )
    efficiency_gain: float = F(
        0.15,
        description="Fall in kW per H100e of new chips in an efficiency breakthrough: the next generation comes early, "
        "and the yearly trend (demand.efficiency_gain_per_year) waits until it has caught up",
        ge=0,
        le=0.9,
    )
    demand_shock: float = F(0.1, description="Share of demand added in a boom or cut in a bust", ge=0, le=1)
    demand_shock_growth: float = F(
        0.05, description="Change of demand growth in a boom (+) or a bust (-)", unit="1/year", ge=0, le=1
    )
    funding_winter_quarters: int = F(
        4, description="Length of a funding winter of magnitude 1", unit="quarters", ge=1, le=40
    )
    threat_busd_per_gdp: float = F(
        0.0003,
        description="Yearly cyber threat per unit of a region's threat_exposure, per $B of GDP",
        unit="$B/$B",
        ge=0,
        le=0.1,
    )
    incident_decay_per_quarter: float = F(
        0.5, description="Share of a cyber-incident penalty that fades each quarter", ge=0, le=1
    )
    incident_penalty: float = F(
        0.3,
        description="Cyber-resilience penalty of an unprotected incident (decays by half each quarter)",
        ge=0,
        le=1,
    )


class TriggeredEvent(Strict):
    """An event a decision sets off, now or some quarters later (applied like an inject)."""

    kind: EventKind = F(description="What happens (as an inject's kind)")
    region: str | None = F(None, description="Region concerned, if any")
    actor: str | None = F(None, description="Actor concerned, if any")
    magnitude: float = F(1.0, description="Size, as an inject's magnitude", ge=0, le=10)
    after_quarters: int = F(
        0, description="Quarters after the decision (0: this quarter)", unit="quarters", ge=0, le=40
    )
    headline: str = F(description="Headline shown in the news ticker")
    text: str = F("", description="Longer text for the news dialog")


class DecisionOption(Strict):
    """One answer to an inject's question, and what choosing it does (shown before choosing).

    A bare string in a scenario is an option without effects.
    """

    label: str = F(description="What the button says", min_length=1)
    text: str = F("", description="Why one would choose it (shown with its effects)")
    cash_busd: float = F(
        0.0, description="Money the deciding seat receives (negative: pays)", unit="$B", ge=-1000, le=1000
    )
    security_busd_per_year: float | None = F(
        None,
        description="A nation's new yearly cyber-security spending (None: unchanged)",
        unit="$B/year",
        ge=0,
        le=1000,
    )
    subsidy: float | None = F(
        None,
        description="A nation's new datacenter and plant subsidy (None: unchanged)",
        ge=0,
        le=MAX_SUBSIDY_RATE,
    )
    disruption_shield: float = F(
        0.0,
        description="Share of the fab output of the decider's home region kept in fab disruptions there during the "
        "next shield_quarters (stockpiled fuel, gases and wafers keep lines running)",
        ge=0,
        le=1,
    )
    shield_quarters: int = F(4, description="How long the shield lasts", unit="quarters", ge=1, le=40)
    events: list[TriggeredEvent] = F(default_factory=list, description="Events the choice sets off")


class Inject(Strict):
    """A scripted event at a given quarter: news for teaching, or a shock."""

    quarter: QuarterLabel = F(description="When it happens")
    kind: EventKind = F(description="What happens")
    region: str | None = F(None, description="Region concerned, if any")
    actor: str | None = F(None, description="Actor concerned, if any")
    magnitude: float = F(
        1.0,
        description="Size of the shock: fab_disruption = share of output lost this quarter (a region-wide "
        "one also loses that share of a quarter of building there: projects, new fabs and packaging lines, "
        "utility plants and network orders finish later); heatwave = demand "
        "multiplier; cyber_incident = loss in $B before security; export_escalation = share cut from tier-2 caps "
        "and licences to tier-3 destinations; efficiency_breakthrough = fall in kW per H100e of new chips; "
        "demand_boom / demand_bust = share added to / "
        "cut from demand; funding_winter = length in years; supply_threat = the market's judged chance (0-1) that the "
        "region's chip output is disrupted soon (buyers stockpile); news = unused",
        ge=0,
        le=10,
    )
    headline: str = F(description="Headline shown in the news ticker")
    text: str = F("", description="Longer text for the news dialog")
    decision: list[DecisionOption] = F(
        default_factory=list,
        description="Options the concerned seat chooses from, each with its effects (a bare string: an option "
        "without effects; empty: no decision)",
    )

    @field_validator("decision", mode="before")
    @classmethod
    def _bare_labels(cls, value: Any) -> Any:
        """A bare string is an option without effects (how scenarios wrote decisions before)."""
        if isinstance(value, list):
            return [{"label": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def labels(self) -> list[str]:
        """The options' labels, in order (what a seat answers by position)."""
        return [o.label for o in self.decision]


class SovereigntyWeights(Strict):
    """Weights of the five pillars in the sovereignty index (a weighted geometric mean)."""

    compute: float = F(0.25, description="Compute self-reliance", ge=0, le=1)
    power: float = F(0.2, description="Power adequacy", ge=0, le=1)
    chips: float = F(0.2, description="Chip security", ge=0, le=1)
    data: float = F(0.15, description="Data governance", ge=0, le=1)
    cyber: float = F(0.2, description="Cyber resilience", ge=0, le=1)
    power_served_weight: float = F(
        0.7,
        description="Power adequacy: weight of datacenter energy served over wanted (the rest: reserve margin)",
        ge=0,
        le=1,
    )
    reserve_margin_target: float = F(
        0.15, description="Power adequacy: reserve margin that scores full marks", ge=0.01, le=2
    )
    diversity_floor: float = F(
        0.5,
        description="Chip security: share of trusted supply that counts even from a single supplier "
        "(the rest scales with supplier diversity, 1 - HHI)",
        ge=0,
        le=1,
    )
    abroad_credit: float = F(
        0.5,
        description="Data governance: credit for regulated data processed abroad (what is processed at home or "
        "not at all counts fully). Assumption: half, as it stays under contracts and adequacy rules",
        ge=0,
        le=1,
    )
    foreign_credit: float = F(
        0.5,
        description="Compute self-reliance and chip security: credit, per unit of trust (0-1, "
        "`diplomacy`), for capacity another nation hosts or owns and for chips it makes; a nation's own "
        "count 1. Assumption: what others control can be withheld in a crisis, the less so the more they "
        "are trusted, so an ally (trust 0.7) counts 0.35 and a neutral (0.5) 0.25 (issue 13: a "
        "membership card must count for less than one's own capacity)",
        ge=0,
        le=1,
    )
    host_weight: float = F(
        0.5,
        description="Compute self-reliance: weight of where capacity runs (its host's credit) against who "
        "owns it (the owner's credit). Assumption: a foreign cloud at home is under the nation's law "
        "but not its control, so it counts halfway",
        ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _check(self) -> SovereigntyWeights:
        total = self.compute + self.power + self.chips + self.data + self.cyber
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"sovereignty weights must sum to 1, found {total:.6g}")
        return self


class Diplomacy(Strict):
    """Relations between nations and deals between seats (`sovereign.sim.phases.diplomacy`).

    Trust is each nation's 0-1 confidence in another; it starts from alignment (blocs, export
    tiers), moves with what they do to each other and drifts back towards where it started. No
    published scale exists for it: every value here is an assumption of the game, chosen so that
    one broken deal or sanction outweighs several quarters of cooperation, as in negotiation games
    (Intelligence Rising, Diplomacy), and stated as such in docs/validation.md.
    """

    trust_allied: float = F(0.7, description="Starting trust between members of a common bloc (assumption)", ge=0, le=1)
    trust_neutral: float = F(0.5, description="Starting trust between nations otherwise (assumption)", ge=0, le=1)
    trust_rivals: float = F(
        0.2,
        description="Starting trust between a tier-1 ally of the chip producers and a tier-3 destination "
        "(assumption: the 2022-25 export controls name them as rivals)",
        ge=0,
        le=1,
    )
    trust_reversion_per_year: float = F(
        0.2,
        description="Share of the gap closed each year when trust is above what alignment implies (goodwill "
        "from deals fades; assumption)",
        unit="1/year",
        ge=0,
        le=1,
    )
    trust_gain_per_year: float = F(
        0.05,
        description="Share of the gap closed each year when trust is below what alignment implies (a new ally, "
        "a pact partner, a nation recovering from a sanction): trust is slow to earn and quick to lose. "
        "Assumption: new members' integration takes a decade (Finland's 2023 NATO accession capped three "
        "decades of partnership), so a membership card alone is worth about a fifth of allied trust within "
        "four years; deals kept earn it faster (`trust_on_deal`, `trust_per_quarter_honoured`)",
        unit="1/year",
        ge=0,
        le=1,
    )
    trust_on_deal: float = F(0.05, description="Trust gained both ways when a deal is signed (assumption)", ge=0, le=1)
    trust_per_quarter_honoured: float = F(
        0.01, description="Trust gained both ways each quarter a deal is kept (assumption)", ge=0, le=1
    )
    trust_on_break: float = F(
        0.3,
        description="Trust the other side loses in a seat that breaks a deal or fails to pay (assumption)",
        ge=0,
        le=1,
    )
    trust_on_sanction: float = F(
        0.15,
        description="Trust a nation loses in a chip producer that moves it to a stricter export tier, bans "
        "its chips or revokes its licence (assumption)",
        ge=0,
        le=1,
    )
    trust_on_refusal: float = F(
        0.05, description="Trust an applicant loses in each bloc member that voted against it (assumption)", ge=0, le=1
    )
    trust_on_leave: float = F(
        0.1, description="Trust a bloc's members lose in a nation that leaves it (assumption)", ge=0, le=1
    )
    trust_per_quarter_shirking: float = F(
        0.01,
        description="Trust a bloc's members lose each quarter in a member below the bloc's security floor (assumption)",
        ge=0,
        le=1,
    )
    trust_on_rival_join: float = F(
        0.1,
        description="Trust a bloc's members lose in a nation that joins a bloc with one of their rivals "
        "(tier 3 for tier-1 members; assumption)",
        ge=0,
        le=1,
    )
    vote_min_trust: float = F(
        0.35, description="AI bloc members refuse an applicant they trust less than this (assumption)", ge=0, le=1
    )
    deal_min_trust: float = F(
        0.3,
        description="AI seats refuse any deal from a nation (or a firm of a nation) they trust less than this "
        "(assumption)",
        ge=0,
        le=1,
    )
    licence_min_trust: float = F(
        0.45,
        description="AI chip producers grant an export licence by deal only to nations they trust at least "
        "this much (assumption)",
        ge=0,
        le=1,
    )
    pact_min_trust: float = F(
        0.55,
        description="AI nations sign a security pact only with nations they trust this much (assumption)",
        ge=0,
        le=1,
    )
    pact_incident_relief: float = F(
        0.25,
        description="Share of a cyber incident's penalty a security pact's shared threat intelligence "
        "avoids (assumption)",
        ge=0,
        le=1,
    )
    pact_offer_trust: float = F(
        0.65,
        description="AI nations offer a security pact to the nation they trust most, if at least this much "
        "and they have no pact with it (one offer at a time; assumption: close partners formalise "
        "cooperation, as in the 2024-25 bilateral AI and cyber agreements)",
        ge=0,
        le=1.01,
    )
    sharing_gain: float = F(
        0.05,
        description="Capacity the receiving seat's fabs gain, of the classes both make, when a technology-"
        "sharing deal is signed (assumption: a process transfer like TSMC's to its Japanese and US sites "
        "lifts yields by a few percent)",
        ge=0,
        le=0.5,
    )
    pact_offer_quarters: int = F(8, description="Term of the pacts AI nations offer", unit="quarters", ge=1, le=80)
    supply_markup: dict[str, float] = F(
        default_factory=lambda: {"easy": 0.0, "normal": 0.1, "hard": 0.25},
        description="Markup over list price an AI seller asks before it signs a chip supply deal, by "
        "difficulty (assumption: allocation contracts are at list, 2024-26)",
    )
    compute_offer_premium: float = F(
        0.1,
        description="Premium over what it paid last quarter that an AI lab short of compute offers a "
        "player's cloud for a compute contract (assumption: capacity reservations are priced near the "
        "going rate; committed-use discounts and scarcity premia of about 10% go either way)",
        unit="share",
        ge=0,
        le=2,
    )
    compute_offer_quarters: int = F(
        4,
        description="Term of the compute contracts AI labs offer (assumption: a year, the shortest common "
        "reserved-capacity commitment)",
        unit="quarters",
        ge=1,
        le=80,
    )
    power_offer_premium: float = F(
        0.1,
        description="Premium over the seller's own wholesale price last quarter that an AI nation short of "
        "power offers a player's nation for a power contract (assumption: long-term cross-border contracts "
        "price near the seller's market, plus a margin for firmness; no higher than the buyer's retail price)",
        ge=0,
        le=2,
    )
    power_offer_quarters: int = F(
        8,
        description="Term of the power contracts AI nations offer (assumption: two years, the horizon of a "
        "capacity auction's delivery year and the one after)",
        unit="quarters",
        ge=1,
        le=80,
    )
    compute_offer_share: float = F(
        0.25,
        description="Largest share of a supplier's compute an AI lab asks to reserve in one contract "
        "(assumption: a buyer spreads its reservations over suppliers)",
        unit="share",
        gt=0,
        le=1,
    )
    max_term_quarters: int = F(20, description="Longest deal term", unit="quarters", ge=1, le=80)
    reveal_base: float = F(
        0.1,
        description="Chance each quarter that a covert operation is traced to its sponsor, whatever the "
        "target's defences (assumption: leaks, defectors, allied intelligence)",
        unit="1/quarter",
        ge=0,
        le=1,
    )
    reveal_security: float = F(
        0.4,
        description="Added chance each quarter, times the target's cyber protection (spending over spending "
        "plus exposure; for smuggling, the chip producers' enforcement share), that an operation is traced "
        "(assumption: a well-defended target attributes attacks)",
        unit="1/quarter",
        ge=0,
        le=1,
    )
    trust_on_exposure: float = F(
        0.25,
        description="Trust the target loses in the sponsor of a covert operation traced to it (assumption)",
        ge=0,
        le=1,
    )
    cyber_damage_per_busd: float = F(
        5.0,
        description="Damage to the target, before its protection, per $B spent on a cyber operation "
        "(assumption: NotPetya, a state operation, cost its victims about $10B)",
        unit="$B/$B",
        ge=0,
        le=100,
    )
    espionage_gain_per_busd: float = F(
        0.01,
        description="Share of capacity the sponsor's home fabs gain per $B of industrial espionage against a "
        "nation making the same class (assumption; at most 10% per operation)",
        unit="1/$B",
        ge=0,
        le=0.1,
    )
    smuggling_h100e_per_busd: float = F(
        20000.0,
        description="Extra smuggled H100e a quarter into the sponsor's territory per $B spent on a smuggling "
        "network, for `covert_quarters` (derived: a reported $120M deal for 2,400 H100s, CALIBRATION 13)",
        unit="H100e/quarter/$B",
        ge=0,
        le=1e6,
    )
    covert_quarters: int = F(
        4, description="Quarters a smuggling network or a covert stockpile keeps running", unit="quarters", ge=1, le=40
    )
    stockpile_markup: float = F(
        0.2,
        description="What a covert stockpile pays above list price for chips bought through intermediaries "
        "(assumption: less than the smuggled H100's ~$50k against $25-30k list, CALIBRATION 13, since the chips "
        "may legally go there and only the buyer is hidden)",
        ge=0,
        le=2,
    )
    stockpile_output_share: float = F(
        0.1,
        description="Most of a class's output in a quarter a covert stockpile can buy unnoticed (assumption: "
        "a larger share would show in the makers' order books)",
        ge=0,
        le=1,
    )


class SharedRisk(Strict):
    """A risk every seat shares, which races raise and cooperation lowers: at the threshold all lose.

    Like the global stability and AI-incident risk of negotiation games (Intelligence Rising, World
    Climate): a scenario that sets it gives the seats a reason to cooperate as well as compete.
    Every weight is an assumption of the scenario's design, stated in its file.
    """

    name: str = F("AI incident risk", description="What the players see the risk called")
    initial: float = F(0.2, description="Risk at the start", ge=0, le=10)
    threshold: float = F(1.0, description="Risk at which the game ends and every seat loses", gt=0, le=10)
    per_race_growth: float = F(
        0.5,
        description="Risk added per unit of quarterly growth of the world's installed AI compute (a race)",
        ge=0,
        le=100,
    )
    per_tension: float = F(
        0.03,
        description="Risk added per hostile move: a stricter export tier, a revoked licence, a covert "
        "operation, a deal broken",
        ge=0,
        le=10,
    )
    per_deal: float = F(
        0.005, description="Risk removed each quarter per active deal between seats (cooperation)", ge=0, le=1
    )
    per_pact: float = F(0.01, description="Further risk removed each quarter per active security pact", ge=0, le=1)
    decay_per_quarter: float = F(0.01, description="Risk removed each quarter as tensions fade", ge=0, le=1)


class Objective(Strict):
    """A goal for a seat (or for every seat): reach a metric threshold by a date, or a rank at the end.

    ``seat: all`` makes a cooperative objective every seat shares, on a world metric (e.g. the
    scenario's shared risk); ``below`` makes the threshold a ceiling to stay under until ``by``.
    """

    seat: str = F(description="Region or actor id the objective belongs to, or 'all' (cooperative)")
    metric: str = F(description="Metric name, e.g. sovereignty_index, compute_share, cash_busd, shared_risk")
    threshold: float | None = F(None, description="Value to reach or exceed (or, with below, to stay under)")
    below: bool = F(False, description="The threshold is a ceiling: met when the metric never exceeds it until by")
    by: QuarterLabel | None = F(None, description="Quarter by which to reach it (default: the end)")
    rank: int | None = F(None, description="Rank to reach among nations/firms at the end", ge=1)
    text: str = F("", description="How the objective is shown to the player")


class Defeat(Strict):
    """Ways a seat loses before the end (`sovereign.game.outcome`): each limit must hold for some quarters.

    A seat played by people that breaks one is out (the AI takes it over); the tracker and the
    quarter report warn `warning_quarters` ahead. AI seats are never put out, but the same rules are
    measured on AI-only games (`tools/loss_rates.py`) so a limit the AI itself breaks often is
    visibly mis-set. The defaults are assumptions of the game's design, each with its reason, checked
    against seeds 1-10 of the bundled scenarios (docs/playing.md, "Ways to lose").
    """

    budget_deficit_quarters: float = F(
        0.5,
        description="How deep a nation's AI budget may go into the red before a quarter counts towards a "
        "budget crisis, in quarters of its AI budget (assumption: half a quarter's budget is what a finance "
        "ministry bridges without asking parliament; AI nations never go into the red at all)",
        unit="quarters of budget",
        ge=0,
        le=20,
    )
    budget_crisis_quarters: int = F(
        3,
        description="Quarters in a row beyond the deficit limit that make a budget crisis (assumption: "
        "three quarters, so the warning comes at least two quarters before it bites)",
        unit="quarters",
        ge=1,
        le=40,
    )
    index_collapse_share: float = F(
        0.6,
        description="A nation's sovereignty index below this share of its first quarter's counts towards an "
        "index collapse (assumption: losing 40% of it is a collapse; the AI's worst nation in ten baseline "
        "games fell to 0.50 of its start, the 5th percentile of all nations to 0.65)",
        unit="share of the first quarter's index",
        ge=0,
        le=1,
    )
    index_collapse_quarters: int = F(
        4,
        description="Quarters in a row below that share that make an index collapse (assumption: a year, "
        "so a bad quarter or a heatwave alone never ends a game)",
        unit="quarters",
        ge=1,
        le=40,
    )
    bankruptcy_debt_years: float = F(
        6.0,
        description="A firm with no cash that owes more than this many years of its revenue counts towards "
        "bankruptcy (assumption: twice `finance.debt_capacity_years`, the line past which the model shuts "
        "named labs down)",
        unit="years of revenue",
        ge=0,
        le=100,
    )
    bankruptcy_quarters: int = F(
        3,
        description="Quarters in a row past that line that make a bankruptcy (assumption: creditors wait "
        "three quarters, and the warning comes two quarters ahead)",
        unit="quarters",
        ge=1,
        le=40,
    )
    takeover_hardware_share: float = F(
        1.0,
        description="A firm worth less than this share of the accelerators it owns counts towards a takeover: "
        "a buyer gets its chips for less than they cost (assumption; AI firms trade at 1.9x their chips or "
        "more in ten baseline games)",
        unit="share of hardware value",
        ge=0,
        le=10,
    )
    takeover_usd_per_h100e: float = F(
        22000.0,
        description="What one installed H100e is worth to a buyer (CALIBRATION: a used H100 SXM sold for "
        "$22-25k in 2026; the low end, as a buyer pays for used hardware)",
        unit="$/H100e",
        ge=0,
        le=1e6,
    )
    takeover_quarters: int = F(
        3,
        description="Quarters in a row below that value that make a takeover (assumption: a bid takes about "
        "three quarters to prepare and close)",
        unit="quarters",
        ge=1,
        le=40,
    )
    warning_quarters: int = F(
        2,
        description="How far ahead the tracker and the quarter report warn: a limit broken now, or one the "
        "last quarter's trend reaches within this many quarters",
        unit="quarters",
        ge=1,
        le=12,
    )


class RoleSheet(Strict):
    """One team's seat in a lesson: the printable role sheet a team gets (`sovereign handouts`)."""

    seat: str = F(description="Region or actor id the team plays")
    role: str = F(description="The role in a few words, the sheet's title (e.g. 'The licensor')", min_length=1)
    goals: list[str] = F(
        description="What the team wants beyond its objectives (the role sheet lists those from `objectives`)",
        min_length=1,
    )
    levers: list[str] = F(description="What the team can do: its actions and deals that matter here", min_length=1)
    secrets: list[str] = F(
        default_factory=list, description="What only this team knows or wants (not shown to other teams)"
    )
    knows: list[str] = F(default_factory=list, description="What the team knows at the start: figures and context")


class TimingStep(Strict):
    """One step of a lesson's minute-by-minute plan."""

    minute: int = F(description="Minutes from the start of the lesson when the step begins", unit="min", ge=0, le=300)
    what: str = F(description="What the teacher and the teams do", min_length=1)


class LessonForm(Strict):
    """A length a lesson can be taught in: how many quarters, how long each, minute by minute."""

    minutes: int = F(description="Length of the lesson", unit="min", ge=20, le=300)
    quarters: int = F(description="Quarters played, from the scenario's start", unit="quarters", ge=1, le=80)
    minutes_per_quarter: float = F(
        description="The quarter timer (`sovereign classroom --timer`, in seconds there)", unit="min", gt=0, le=60
    )
    timing: list[TimingStep] = F(
        description="The lesson minute by minute: briefing, quarters, injects to watch, debrief", min_length=1
    )


class DebriefQuestion(Strict):
    """A debrief question and where in the game its answer is shown."""

    question: str = F(description="The question put to the class", min_length=1)
    where: str = F(
        description="The screen, chart or what-if that answers it (e.g. 'Charts > Nations > sovereignty index', "
        "'sovereign whatif')",
        min_length=1,
    )


class TeacherNotes(Strict):
    """Teacher notes under the headings of NetLogo's Info tab."""

    what_it_is: str = F(description="WHAT IS IT? What the lesson is about, in a paragraph", min_length=1)
    how_it_works: str = F(description="HOW IT WORKS: the mechanics the lesson exercises", min_length=1)
    how_to_use_it: str = F(description="HOW TO USE IT: setting up the room and running the lesson", min_length=1)
    things_to_notice: list[str] = F(description="THINGS TO NOTICE while the class plays", min_length=1)
    things_to_try: list[str] = F(description="THINGS TO TRY: variations for a second run", min_length=1)
    extending_it: list[str] = F(description="EXTENDING THE MODEL: changes to the scenario worth making", min_length=1)
    credits_and_sources: list[str] = F(description="CREDITS AND REFERENCES: where the lesson's figures come from")


class ObjectiveCalibration(Strict):
    """How often the AI alone, in every seat, meets each objective: the lesson is winnable and losable."""

    seeds: int = F(description="AI-only games played (seeds 0..seeds-1)", ge=1, le=10000)
    difficulty: Difficulty = F("normal", description="Difficulty of every AI seat in those games")
    rates: list[float] = F(
        description="Share of the games in which each objective was met, in the order of `objectives`",
        unit="share",
    )
    measured: str = F("", description="When and how it was measured (tools/calibrate_lesson.py)")

    @field_validator("rates")
    @classmethod
    def _shares(cls, rates: list[float]) -> list[float]:
        for r in rates:
            if not 0.0 <= r <= 1.0:
                raise ValueError(f"each rate must be within [0, 1], found {r}")
        return rates


class Lesson(Strict):
    """A classroom lesson built on the scenario: team seats with role sheets, forms, notes, debrief.

    `sovereign handouts LESSON` prints its role sheets and teacher notes; docs/teaching.md lists the
    bundled lessons.
    """

    topic: str = F(description="What the lesson is about, in a few words", min_length=1)
    teaches: str = F(description="What students learn, in a sentence (for the lessons table)", min_length=1)
    teams: list[RoleSheet] = F(description="The team seats and their role sheets", min_length=4, max_length=10)
    forms: list[LessonForm] = F(description="Lengths it can be taught in (e.g. 45 and 90 minutes)", min_length=1)
    notes: TeacherNotes = F(description="Teacher notes (NetLogo Info-tab headings)")
    debrief: list[DebriefQuestion] = F(description="Debrief questions, each with where to look", min_length=1)
    calibration: ObjectiveCalibration | None = F(
        None, description="AI-only success rate of each objective (None: not measured yet)"
    )


class Economics(Strict):
    """Market-wide economic parameters: build times and costs, chip and compute pricing."""

    voll_usd_mwh: float = F(description="Value of lost load: the price of power shortage", unit="$/MWh", gt=0, le=1e5)
    datacenter_build_quarters: int = F(description="Base build time of a datacenter", unit="quarters", ge=1, le=40)
    fab_build_quarters: int = F(description="Base build time of a fab", unit="quarters", ge=1, le=60)
    fab_capex_busd_per_kh100e_quarter: float = F(
        description="Fab build cost per 1000 H100e of quarterly output", unit="$B", gt=0, le=100
    )
    chip_reserve_share: float = F(0.6, description="Fab reserve price as a share of list price", ge=0, le=1)
    discount_rate: float = F(
        0.08,
        description="Firms' cost of capital: the rate at which datacenter capex is paid back in investment "
        "decisions, and the interest on firms' debt",
        unit="1/year",
        ge=0,
        le=0.5,
    )
    valuation_multiple: float = F(8.0, description="Valuation as a multiple of annual revenue", ge=0, le=100)
    new_build_pue_cap: float = F(
        1.3,
        description="Highest PUE of a newly built large datacenter (its region's average if lower)",
        unit="-",
        ge=1.0,
        le=3.0,
    )
    datacenter_life_years: float = F(
        15.0,
        description="Life over which a datacenter building (shell, power, cooling) is paid back",
        unit="years",
        ge=1,
        le=50,
    )
    fleet_availability: float = F(
        0.85,
        description="Share of installed accelerators available for sale after maintenance and spares",
        ge=0.1,
        le=1,
    )
    contract_share: float = F(
        0.6,
        description="Share of each datacenter's compute sold on multi-quarter contracts (the rest is spot): "
        "contracted hours pay marginal cost plus the rent agreed over the contract's life",
        ge=0,
        le=1,
    )
    contract_quarters: int = F(
        8,
        description="Length of compute contracts: the contracted rent follows the spot rent over this many quarters",
        unit="quarters",
        ge=1,
        le=40,
    )
    initial_compute_price_share: float = F(
        0.8,
        description="Compute price the AI assumes before the first quarter, as a share of training willingness to pay",
        ge=0,
        le=2,
    )
    permitting_reform_busd: float = F(
        2.0, description="Cost to a nation of one permitting reform (one quarter off delays)", unit="$B", ge=0, le=100
    )


class Grid(Strict):
    """How the grid is planned, priced and connected (`sovereign.sim.phases.grid` and `.power`).

    Each region's utilities (outside the game) plan generation and network from the load they
    expect; datacenters queue for connections; prices carry a capacity component when reserve
    margins are thin. Defaults are the baseline's; the baseline file gives each its source.
    """

    peak_hour_factor: float = F(
        1.27,
        description="Annual peak-hour demand over the peak slice's average demand (planning peak), where a "
        "region gives none",
        ge=1,
        le=3,
    )
    target_reserve_margin: float = F(
        0.2, description="Planning reserve margin the utilities build to (firm capacity over planning peak)", ge=0, le=2
    )
    connection_margin: float = F(
        0.1,
        description="Planning reserve margin that must remain after a new large load is connected",
        ge=-0.5,
        le=2,
    )
    initial_margin_floor: float = F(
        0.1,
        description="Planning reserve margin below which a region gets peakers at the start (the peaking "
        "plants, demand response and imports its listed fleet leaves out)",
        ge=-0.5,
        le=1,
    )
    plan_horizon_quarters: int = F(
        16,
        description="How far ahead the utilities plan capacity (year by year: at least one year)",
        unit="quarters",
        ge=4,
        le=60,
    )
    utility_technologies: list[Technology] = F(
        default_factory=lambda: ["solar", "wind", "gas", "nuclear", "hydro", "storage"],
        description="Technologies utilities build where a region does not list its own",
    )
    merchant_technologies: list[Technology] = F(
        default_factory=lambda: ["solar", "wind"],
        description="Technologies built for the energy they sell (when the prices they would earn pay back "
        "their capex), besides what adequacy needs",
    )
    merchant_hurdle: float = F(
        1.2, description="Earnings over annualised capex that merchant builds need", ge=0.5, le=5
    )
    merchant_build_share_per_year: float = F(
        0.03,
        description="Most merchant capacity of one technology a region adds per year, as a share of its base demand",
        unit="1/year",
        ge=0,
        le=1,
    )
    plant_life_years: float = F(25.0, description="Life over which plants are paid back", unit="years", ge=1, le=80)
    turbine_technologies: list[Technology] = F(
        default_factory=lambda: ["gas"], description="Technologies that wait for gas turbines"
    )
    turbine_backlog_gw: float = F(
        80.0, description="Gas-turbine orders waiting at the start, world", unit="GW", ge=0, le=1e4
    )
    turbine_supply_gw_per_year: float = F(
        20.0,
        description="Gas turbines delivered per year, world (at least 0.1: a world with none never ends a backlog)",
        unit="GW/year",
        ge=0.1,
        le=1e4,
    )
    connection_share_per_year: float = F(
        0.01,
        description="Large loads a region's network can energise per year as a share of its base demand, "
        "where the region gives no figure",
        unit="1/year",
        ge=0,
        le=1,
    )
    network_build_quarters: int = F(
        20, description="Time to add network (lines, substations) for more connections", unit="quarters", ge=1, le=60
    )
    network_target_wait_quarters: int = F(
        12,
        description="Queue wait above which utilities order more connection capacity",
        unit="quarters",
        ge=1,
        le=80,
    )
    network_expansion_per_year: float = F(
        0.1,
        description="Most a region's utilities raise its connection capacity per year of orders",
        unit="1/year",
        ge=0,
        le=2,
    )
    network_capex_musd_per_mw: float = F(
        0.3,
        description="Cost of network for one MW/year more of connections (a nation's expand_grid)",
        unit="$M per MW/year",
        ge=0,
        le=100,
    )
    onsite_capex_musd_per_mw: float = F(
        3.0, description="Cost of on-site (behind-the-meter) gas generation", unit="$M/MW", ge=0, le=50
    )
    onsite_build_quarters: int = F(
        6, description="Build time of on-site gas (engines, aeroderivatives)", unit="quarters", ge=1, le=40
    )
    capacity_price_cap_usd_mw_day: float = F(
        329.17, description="Capacity price at or below the thin margin", unit="$/MW-day", ge=0, le=5000
    )
    capacity_margin_at_cap: float = F(
        0.15, description="Planning reserve margin at or below which capacity clears at the cap", ge=-1, le=2
    )
    capacity_margin_at_zero: float = F(
        0.35, description="Planning reserve margin at or above which capacity is worth nothing", ge=-1, le=3
    )
    idle_power_share: float = F(
        0.3,
        description="Power an installed accelerator draws when no one buys its compute, as a share of full load",
        ge=0,
        le=1,
    )
    source: str = F("", description="Calibration sources for the figures above")

    @model_validator(mode="after")
    def _curve(self) -> Grid:
        if self.capacity_margin_at_zero <= self.capacity_margin_at_cap:
            raise ValueError("capacity_margin_at_zero must be above capacity_margin_at_cap")
        return self


class EfficiencyUpgrade(Strict):
    """A power-delivery or cooling technology a datacenter owner can install (`upgrade_datacenter`)."""

    id: str = F(description="Identifier used by commands", pattern=r"^[a-z][a-z0-9_]*$")
    name: str = F(description="Display name")
    energy_factor: float = F(
        description="Facility energy after the upgrade over before (0.95: 5% less for the same compute)",
        gt=0.5,
        le=1.0,
    )
    capex_musd_per_mw: float = F(description="Cost per MW of the hall's IT load", unit="$M/MW", ge=0, le=20)
    available_from: QuarterLabel = F(description="First quarter it can be installed")
    vendor_claim: bool = F(
        False, description="Its saving is a vendor's claim, not an independent measurement (shown to players)"
    )
    source: str = F("", description="Calibration source or 'assumption'")


class Finance(Strict):
    """How firms use their cash and how they are valued; how long nations may hold their AI budget."""

    budget_carryover_years: float | None = F(
        None,
        description="Unspent AI budget a nation may carry over, in years of its AI budget; above it the "
        "rest returns to the treasury for other uses each quarter (None: no limit)",
        unit="years",
        ge=0,
        le=20,
    )

    payout_cash_years: float = F(
        1.0,
        description="Cash a firm keeps, in years of revenue, before it pays the excess out (dividends, buybacks)",
        unit="years",
        ge=0,
        le=10,
    )
    payout_share_per_quarter: float = F(
        0.5, description="Share of the excess cash paid out each quarter", unit="1/quarter", ge=0, le=1
    )
    min_cash_busd: float = F(
        1.0,
        description="Cash a firm keeps whatever its revenue (a floor under the payout rule)",
        unit="$B",
        ge=0,
        le=1000,
    )
    debt_capacity_years: float = F(
        3.0,
        description="Most a firm may owe, in years of revenue; a named lab past it cuts its compute plans",
        unit="years",
        ge=0,
        le=20,
    )
    valuation_growth_premium: float = F(
        1.0,
        description="Extra revenue multiple per 100% of yearly revenue growth (growth firms trade richer)",
        ge=0,
        le=10,
    )
    round_share_sold: float = F(
        0.2,
        description="Share of a firm its investors buy in a round (a round of $1B adds $1B / share to the "
        "valuation; a seed values a startup at its seed / share)",
        gt=0,
        le=1,
    )
    valuation_smoothing: float = F(
        0.2, description="Share of the gap to the fundamental value closed each quarter", ge=0.01, le=1
    )


class Labs(Strict):
    """What AI labs and startups earn from the compute they are served: a demand curve."""

    revenue_scale_exponent: float = F(
        0.85,
        description="Revenue grows as served compute to this power (below 1: each extra GPU-hour earns a "
        "little less, the demand curve for AI services slopes down)",
        ge=0.1,
        le=1.0,
    )
    yield_growth_per_year: float = F(
        0.1,
        description="Yearly growth of what an H100e-hour of a given lab's service earns (better models, adoption)",
        unit="1/year",
        ge=-0.5,
        le=2,
    )
    startup_yield_usd_per_h100e_hour: tuple[NonNegative, NonNegative] = F(
        (0.3, 2.5),
        description="Range of what a new startup earns per H100e-hour at its initial scale (log-uniform draw: "
        "its product's quality)",
        unit="$/H100e-hour",
        strict=False,
    )
    served_share_to_grow: float = F(
        0.7, description="Share of its demand a lab must be served (and be solvent) to grow its plans", ge=0, le=1
    )
    startup_growth_factor: float = F(
        1.3, description="Startups' demand grows this many times faster than the market's", ge=0, le=10
    )
    unserved_shrink_per_quarter: float = F(
        0.03, description="Share of plans a lab drops in a quarter it was not served enough", ge=0, le=1
    )
    lab_wtp_premium: float = F(
        1.1,
        description="Labs' willingness to pay for training compute relative to the regional training segment",
        ge=0.5,
        le=5,
    )
    rationed_wtp_per_unmet: float = F(
        3.0,
        description="How much more a lab pays for compute per unit of its demand left unserved last quarter "
        "(0.2 unserved and 3: 60% more)",
        unit="x per share",
        ge=0,
        le=20,
    )
    rationed_wtp_max: float = F(
        2.5,
        description="The most a rationed lab's willingness to pay rises to, as a multiple of its usual one",
        unit="x",
        ge=1,
        le=10,
    )

    @field_validator("startup_yield_usd_per_h100e_hour")
    @classmethod
    def _is_range(cls, v: tuple[float, float]) -> tuple[float, float]:
        lo, hi = v
        if not 0 <= lo <= hi:
            raise ValueError("startup_yield_usd_per_h100e_hour must be a range [low, high] with 0 <= low <= high")
        return v


class AIPolicy(Strict):
    """Rules of thumb of the AI seats (behavioural assumptions, not calibrated figures).

    They describe how a careful but simple investor or government acts; none is measured, each is
    an assumption chosen so that the AI-only baseline reproduces the stylized facts in
    docs/validation.md. Difficulty levels scale some of them (sovereign.sim.policy.difficulty).
    """

    subsidy_credibility_recovery: float = F(
        0.25,
        description="Share of its lost credibility a host's subsidy scheme regains each quarter it owes "
        "nothing: investors count a subsidy at the share of it the host paid the last quarter it owed "
        "any (a scheme whose budget ran dry is discounted until it has been quiet for a while); an "
        "assumption (adaptive expectations, like the prices investors judge by)",
        ge=0,
        le=1,
    )
    home_bias_usd_per_hour: float = F(
        0.15,
        description="Extra margin a firm sees at home (familiar permits, customers)",
        unit="$/H100e-hour",
        ge=0,
        le=5,
    )
    datacenter_mw: tuple[DatacenterMw, DatacenterMw] = F(
        (20.0, 2000.0),
        description="Smallest and largest datacenter an AI orders at once",
        unit="MW",
        strict=False,
    )
    invest_cash_share: float = F(0.45, description="Share of a firm's cash it may put into one build", ge=0, le=1)
    programme_cash_share: float = F(
        0.3, description="Share of cash a nation or a lab puts into one build of its own", ge=0, le=1
    )
    chip_budget_share: float = F(0.5, description="Share of cash spent on accelerator bids in a quarter", ge=0, le=1)
    min_order_h100e: float = F(
        1000.0, description="Smallest accelerator order worth a tender", unit="H100e", ge=0, le=1e6
    )
    chip_price_memory_quarters: int = F(
        4,
        description="Quarters of clearing prices a buyer averages to judge a chip class's cost of ownership "
        "(adaptive expectations: judged by one quarter's price, every buyer leaves a class after a scarcity "
        "spike and returns when its price collapses, a cobweb); assumption: a year, the span of a "
        "hyperscaler's allocation planning",
        unit="quarters",
        ge=1,
        le=12,
    )
    class_choice_spread_usd_per_hour: float = F(
        0.1,
        description="Spread of buyers' judgements between chip classes: the logit temperature by which the "
        "free space is split between the two best classes by cost of ownership, each weighted by its share of "
        "the fabs' output (buyers expect to get a class in proportion to what is made, so a scarce class that "
        "is cheap for a quarter does not draw every order); assumption: about a tenth of a frontier chip's "
        "cost of ownership per hour, so a class $0.1/hour dearer gets ~1/e of its weight",
        unit="$/H100e-hour",
        gt=0,
        le=10,
    )
    bid_premium: tuple[NonNegative, NonNegative] = F(
        (0.8, 1.3),
        description="Range of bids as a multiple of list price (busy halls bid higher)",
        strict=False,
    )
    bid_premium_per_utilisation: float = F(
        0.6, description="Rise of the bid multiple per unit of utilisation above 70%", ge=0, le=10
    )
    upgrade_payback_years: float = F(
        4.0,
        description="Longest payback (capex over the energy bill it saves) of an efficiency upgrade an AI installs",
        unit="years",
        ge=0,
        le=30,
    )
    grid_expansion_share: float = F(
        0.25,
        description="More connection capacity a nation pays for at once when datacenters queue for years, as a "
        "share of what its network connects a year",
        ge=0,
        le=5,
    )
    onsite_wait_quarters: float = F(
        8,
        description="Expected wait for a grid connection (beyond the build) above which an AI brings its own "
        "generation",
        unit="quarters",
        ge=0,
        le=200,
    )
    regional_outlook_quarters: float = F(
        8.0,
        description="Quarters ahead an AI investor looks at a region's own AI demand when judging whether "
        "its scarcity premium will last: halls already there or ordered that cover that demand take the "
        "premium away (assumption: a hall ordered now opens in 1.5-3 years, CALIBRATION 3's build and "
        "connection times)",
        unit="quarters",
        ge=0,
        le=40,
    )
    permitting_penalty_usd_per_quarter: float = F(
        0.02,
        description="Margin an AI gives up per quarter of permitting delay",
        unit="$/H100e-hour",
        ge=0,
        le=1,
    )
    security_income_cap: float = F(
        0.4, description="Most of its yearly AI budget a nation puts into cyber security", ge=0, le=1
    )
    self_reliance_target: float = F(
        0.5, description="Compute self-reliance below which a nation subsidises and builds its own", ge=0, le=1
    )
    data_governance_target: float = F(
        0.5, description="Data governance below which a tier-2/3 nation enacts localisation", ge=0, le=1
    )
    subsidy_rates: tuple[SubsidyRate, SubsidyRate, SubsidyRate] = F(
        (0.0, 0.1, 0.2),
        description="Subsidy a nation sets when self-reliance is fine / short / short on hard (a share of "
        "the capex of datacenters and their accelerators). Assumption: a state subsidises where its compute "
        "is short, about as Japan (up to half of five firms' GPU clouds) and India (~40% of GPU-hours) do, "
        "not everywhere",
        strict=False,
    )
    nation_reserve_margin: float = F(
        0.1, description="Peak reserve margin under which a nation builds generation", ge=-1, le=2
    )
    firm_reserve_margin: float = F(
        0.15, description="Peak reserve margin under which a conglomerate builds generation at home", ge=-1, le=2
    )
    plant_share_of_peak: float = F(
        0.05, description="Size of a nation's new plant as a share of its peak demand", ge=0, le=1
    )
    fab_expansion_share: float = F(
        0.15, description="A fab's expansion as a share of its capacity when it sells out", ge=0, le=2
    )
    fab_pipeline_share: float = F(
        1.0,
        description="Most fab capacity a chip maker has under construction at once, as a share of its "
        "capacity: while its orders go unfilled it starts a new project each quarter (each at most "
        "`fab_expansion_share`) until what it is building covers the shortfall or reaches this share. "
        "TSMC started nine facilities in 2025 (eight fabs, one CoWoS plant; five a year in 2021-24, "
        "CALIBRATION 5), each about three years to build: about as much under construction as it runs. "
        "At 0.3 TSMC sat on $100-200B of cash for years while its orders went unfilled",
        ge=0,
        le=3,
    )
    fab_sold_out_share: float = F(0.95, description="Share of supply sold that counts as sold out", ge=0, le=1)
    fab_cash_share: float = F(0.8, description="Most of its cash a fab puts into one expansion", ge=0, le=1)
    programme_demand_share: float = F(
        0.25,
        description="Share of its untrusted compute demand a nation's programme builds for at a time",
        ge=0,
        le=1,
    )
    plant_cash_share: float = F(0.3, description="Most of its cash a nation puts into one power plant", ge=0, le=1)
    firm_plant_cash_share: float = F(
        0.1, description="Share of its cash a conglomerate puts into a power plant at home", ge=0, le=1
    )
    firm_plant_mw: tuple[NonNegative, NonNegative] = F(
        (50.0, 1000.0),
        description="Smallest and largest plant a conglomerate builds",
        unit="MW",
        strict=False,
    )
    security_adjust_share: float = F(
        0.1, description="A nation changes its security spending when it is this far off its target", ge=0, le=1
    )


class SeatDefaults(Strict):
    """How seats not taken by humans are played."""

    difficulty: Difficulty = F("normal", description="Difficulty of AI seats")


class Scenario(Strict):
    """A complete scenario. Files may `extends:` another file and override parts of it."""

    meta: Meta
    time: TimeSettings
    economics: Economics
    demand: Demand
    technologies: dict[Technology, TechnologySpec] = F(description="Power technologies")
    accelerators: list[AcceleratorClass] = F(description="Accelerator classes", min_length=1)
    regions: list[Region] = F(description="Regions of the world", min_length=1)
    interconnectors: list[Interconnector] = F(default_factory=list, description="Power links between regions")
    blocs: list[Bloc] = F(default_factory=list, description="Alliances")
    export_controls: ExportControls
    chips: ChipMarket = F(default_factory=ChipMarket, description="Chip pricing, contracts and upstream limits")
    actors: list[Actor] = F(default_factory=list, description="Named firms")
    startups: StartupSpawning
    grid: Grid = F(default_factory=Grid, description="Grid planning, connections and capacity prices")
    efficiency_upgrades: list[EfficiencyUpgrade] = F(
        default_factory=list, description="Power-delivery and cooling upgrades datacenter owners can install"
    )
    finance: Finance = F(default_factory=Finance, description="Firms' cash use, debt and valuation")
    labs: Labs = F(default_factory=Labs, description="AI labs' and startups' revenue")
    policy: AIPolicy = F(default_factory=AIPolicy, description="Rules of thumb of the AI seats")
    events: EventProbabilities = F(default_factory=EventProbabilities, description="Stochastic shocks")
    injects: list[Inject] = F(default_factory=list, description="Scripted events")
    sovereignty: SovereigntyWeights = F(default_factory=SovereigntyWeights, description="Sovereignty index weights")
    diplomacy: Diplomacy = F(default_factory=Diplomacy, description="Relations between nations and deals")
    objectives: list[Objective] = F(default_factory=list, description="Goals of seats")
    shared_risk: SharedRisk | None = F(
        None, description="A risk all seats share: at its threshold the game ends and everyone loses"
    )
    defeat: Defeat = F(
        default_factory=Defeat, description="Ways a seat loses before the end, and how early it is warned"
    )
    seats: SeatDefaults = F(default_factory=SeatDefaults, description="AI seat settings")
    lesson: Lesson | None = F(None, description="A classroom lesson on this scenario (None: not a lesson)")

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> Scenario:
        """Check every reference between sections (skipped when the loader checks them itself)."""
        if info.context and info.context.get("skip_references"):
            return self
        problems = self.reference_problems()
        if problems:
            raise ValueError("\n".join(f"{path}: {msg}" for path, msg in problems))
        return self

    def reference_problems(self) -> list[tuple[str, str]]:
        """Every broken reference between sections as (dotted field path, what is wrong).

        One check per group of sections, in the order of the file, so a scenario breaking several
        rules lists its problems in the same order every time.
        """
        check = _ReferenceCheck(self)
        check.time_slices()
        check.regions()
        check.links_and_blocs()
        check.actors()
        check.export_controls()
        check.timeline()
        check.upgrades()
        check.lesson()
        return check.problems

    # Convenience look-ups used by the model and the UI.
    def region_index(self) -> dict[str, int]:
        """Map region id to its row in the model's region arrays."""
        return {r.id: i for i, r in enumerate(self.regions)}


class _ReferenceCheck:
    """Collects the broken references between a scenario's sections (`Scenario.reference_problems`).

    Field validators see one section at a time; whether a datacenter's region, a fab's accelerator
    class or an objective's seat exists needs the whole scenario, so it is checked here.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        self.problems: list[tuple[str, str]] = []
        self.region_ids = {r.id for r in scenario.regions}
        self.classes = {a.id for a in scenario.accelerators}
        self.actor_ids = [a.id for a in scenario.actors]

    def add(self, path: str, msg: str) -> None:
        """Record one problem at a dotted field path."""
        self.problems.append((path, msg))

    def need_region(self, path: str, rid: str | None) -> None:
        """A region reference (None: not given) must name a defined region."""
        if rid is not None and rid not in self.region_ids:
            self.add(path, f"region {rid!r} does not exist (known: {', '.join(sorted(self.region_ids))})")

    def time_slices(self) -> None:
        """Each technology gives one availability per time slice."""
        n_slices = len(self.sc.time.slices)
        for tech, spec in self.sc.technologies.items():
            if len(spec.availability) != n_slices:
                self.add(
                    f"technologies.{tech}.availability",
                    f"expected {n_slices} values (one per time slice), found {len(spec.availability)}",
                )

    def regions(self) -> None:
        """Unique ids, one catch-all, known technologies, and demand shares summing to one."""
        region_ids = [r.id for r in self.sc.regions]
        for dup in sorted({r for r in region_ids if region_ids.count(r) > 1}):
            self.add("regions", f"region id {dup!r} is defined twice")
        catch_all = [r.id for r in self.sc.regions if "*" in r.iso3]
        if len(catch_all) > 1:
            self.add("regions", f"only one region may use iso3 '*', found {catch_all}")
        for i, r in enumerate(self.sc.regions):
            for tech in r.grid_mw:
                if tech not in self.sc.technologies:
                    self.add(f"regions.{i}.grid_mw.{tech}", "technology not defined in technologies")
            for tech, mw in r.grid_mw.items():
                if mw < 0:
                    self.add(f"regions.{i}.grid_mw.{tech}", f"capacity must be >= 0, found {mw}")
        share = sum(r.ai_demand_share for r in self.sc.regions)
        if not math.isclose(share, 1.0, abs_tol=1e-4):
            self.add("regions", f"ai_demand_share must sum to 1 over regions, found {share:.6g}")

    def links_and_blocs(self) -> None:
        """Interconnectors join two different defined regions; blocs list defined regions."""
        for i, link in enumerate(self.sc.interconnectors):
            self.need_region(f"interconnectors.{i}.a", link.a)
            self.need_region(f"interconnectors.{i}.b", link.b)
            if link.a == link.b:
                self.add(f"interconnectors.{i}", "a link must join two different regions")
        for i, bloc in enumerate(self.sc.blocs):
            for j, m in enumerate(bloc.members):
                self.need_region(f"blocs.{i}.members.{j}", m)

    def actors(self) -> None:
        """Unique actor ids; every asset in a defined region with a defined accelerator class."""
        for dup in sorted({a for a in self.actor_ids if self.actor_ids.count(a) > 1}):
            self.add("actors", f"actor id {dup!r} is defined twice")
        for i, a in enumerate(self.sc.actors):
            self.need_region(f"actors.{i}.home", a.home)
            for j, dc in enumerate(a.datacenters):
                self.need_region(f"actors.{i}.datacenters.{j}.region", dc.region)
                self.need_region(f"actors.{i}.datacenters.{j}.supplier", dc.supplier)
                for cls in dc.accelerators:
                    if cls not in self.classes:
                        self.add(f"actors.{i}.datacenters.{j}.accelerators.{cls}", "unknown accelerator class")
                if dc.online is not None and quarter_index(dc.online) > quarter_index(self.sc.time.start):
                    if any(h > 0 for h in dc.accelerators.values()):
                        self.add(
                            f"actors.{i}.datacenters.{j}.accelerators",
                            f"a datacenter opening in {dc.online} holds no accelerators at the start",
                        )
                    if dc.pue is not None:
                        self.add(
                            f"actors.{i}.datacenters.{j}.pue",
                            "a campus opening later gets the PUE of new builds (economics); leave pue out",
                        )
                    if quarter_index(dc.online) > quarter_index(self.sc.time.end):
                        self.add(f"actors.{i}.datacenters.{j}.online", f"{dc.online} is after the game ends")
            for j, fab in enumerate(a.fabs):
                self.need_region(f"actors.{i}.fabs.{j}.region", fab.region)
                if fab.accelerator not in self.classes:
                    self.add(f"actors.{i}.fabs.{j}.accelerator", f"unknown accelerator class {fab.accelerator!r}")
            for j, pkg in enumerate(a.packaging):
                self.need_region(f"actors.{i}.packaging.{j}.region", pkg.region)
            for j, p in enumerate(a.plants):
                self.need_region(f"actors.{i}.plants.{j}.region", p.region)

    def export_controls(self) -> None:
        """Tier caps name defined accelerator classes."""
        for tier, caps in self.sc.export_controls.tier_caps_h100e_per_quarter.items():
            for cls in caps:
                if cls not in self.classes:
                    self.add(f"export_controls.tier_caps_h100e_per_quarter.{tier}.{cls}", "unknown accelerator class")
        ec = self.sc.export_controls
        for reg in ec.enforcement_busd:
            self.need_region(f"export_controls.enforcement_busd.{reg}", reg)
        for reg, classes in ec.import_bans.items():
            self.need_region(f"export_controls.import_bans.{reg}", reg)
            for cls in classes:
                if cls not in self.classes:
                    self.add(f"export_controls.import_bans.{reg}", f"unknown accelerator class {cls!r}")
        for i, lic in enumerate(ec.licences):
            self.need_region(f"export_controls.licences.{i}.region", lic.region)
            if lic.accelerator not in self.classes:
                self.add(f"export_controls.licences.{i}.accelerator", f"unknown accelerator class {lic.accelerator!r}")
        for i, acc in enumerate(self.sc.accelerators):
            for reg in acc.sold_only_in:
                self.need_region(f"accelerators.{i}.sold_only_in", reg)
        for i, hbm in enumerate(self.sc.chips.hbm):
            for reg in hbm.fab_regions:
                self.need_region(f"chips.hbm.{i}.fab_regions", reg)

    def upgrades(self) -> None:
        """Efficiency upgrade ids are unique (commands name them)."""
        seen: set[str] = set()
        for i, u in enumerate(self.sc.efficiency_upgrades):
            if u.id in seen:
                self.add(f"efficiency_upgrades.{i}.id", f"duplicate id {u.id!r}")
            seen.add(u.id)

    def timeline(self) -> None:
        """Startup homes, injects (in the game's quarters) and objectives name what exists."""
        sc = self.sc
        for reg in sc.startups.home_weights:
            self.need_region(f"startups.home_weights.{reg}", reg)
        start, end = quarter_index(sc.time.start), quarter_index(sc.time.end)
        for i, inj in enumerate(sc.injects):
            self.need_region(f"injects.{i}.region", inj.region)
            for j, opt in enumerate(inj.decision):
                for k, ev in enumerate(opt.events):
                    self.need_region(f"injects.{i}.decision.{j}.events.{k}.region", ev.region)
                    if ev.actor is not None and ev.actor not in self.actor_ids:
                        self.add(f"injects.{i}.decision.{j}.events.{k}.actor", f"actor {ev.actor!r} does not exist")
            if inj.actor is not None and inj.actor not in self.actor_ids:
                self.add(f"injects.{i}.actor", f"actor {inj.actor!r} does not exist")
            if not start <= quarter_index(inj.quarter) <= end:
                self.add(f"injects.{i}.quarter", f"{inj.quarter} is outside {sc.time.start}..{sc.time.end}")
        known = self.region_ids | set(self.actor_ids)
        for i, obj in enumerate(sc.objectives):
            if obj.seat == "all" and obj.metric == "shared_risk" and sc.shared_risk is None:
                self.add(f"objectives.{i}.metric", "shared_risk needs the scenario's shared_risk section")
            if obj.seat not in known and obj.seat != "all":
                self.add(f"objectives.{i}.seat", f"{obj.seat!r} is neither a region nor an actor")
            if obj.threshold is None and obj.rank is None:
                self.add(f"objectives.{i}", "give a threshold or a rank")

    def lesson(self) -> None:
        """A lesson's teams are distinct seats with objectives; its forms fit the game and their time."""
        sc, lesson = self.sc, self.sc.lesson
        if lesson is None:
            return
        known = self.region_ids | set(self.actor_ids)
        seats = [t.seat for t in lesson.teams]
        objective_seats = {o.seat for o in sc.objectives}
        for i, team in enumerate(lesson.teams):
            if team.seat not in known:
                self.add(f"lesson.teams.{i}.seat", f"{team.seat!r} is neither a region nor an actor")
            elif seats.index(team.seat) != i:
                self.add(f"lesson.teams.{i}.seat", f"{team.seat!r} already has a role sheet")
            elif team.seat not in objective_seats:
                self.add(f"lesson.teams.{i}.seat", f"expected an objective for {team.seat!r} in objectives, found none")
        n_quarters = sc.time.n_quarters
        lengths = [f.minutes for f in lesson.forms]
        for i, form in enumerate(lesson.forms):
            if lengths.index(form.minutes) != i:
                self.add(f"lesson.forms.{i}.minutes", f"a {form.minutes}-minute form is already given")
            if form.quarters > n_quarters:
                self.add(
                    f"lesson.forms.{i}.quarters",
                    f"expected at most the scenario's {n_quarters} quarters ({sc.time.start}..{sc.time.end}), "
                    f"found {form.quarters}",
                )
            last = quarter_index(sc.time.start) + form.quarters - 1
            late = [o.by or sc.time.end for o in sc.objectives if quarter_index(o.by or sc.time.end) > last]
            if late:
                self.add(
                    f"lesson.forms.{i}.quarters",
                    f"expected to reach every objective's deadline ({max(late, key=quarter_index)}), found "
                    f"{form.quarters} quarters (to {quarter_label(last)})",
                )
            play = form.quarters * form.minutes_per_quarter
            if play > form.minutes:
                self.add(
                    f"lesson.forms.{i}.minutes_per_quarter",
                    f"expected {form.quarters} quarters to fit in {form.minutes} minutes, found "
                    f"{form.quarters} x {form.minutes_per_quarter:g} = {play:g} minutes",
                )
            minutes = [step.minute for step in form.timing]
            for j, step in enumerate(form.timing):
                if step.minute >= form.minutes:
                    self.add(
                        f"lesson.forms.{i}.timing.{j}.minute",
                        f"expected a minute before the end ({form.minutes}), found {step.minute}",
                    )
                if j and step.minute < minutes[j - 1]:
                    self.add(
                        f"lesson.forms.{i}.timing.{j}.minute",
                        f"expected steps in time order, found {step.minute} after {minutes[j - 1]}",
                    )
        cal = lesson.calibration
        if cal is not None and len(cal.rates) != len(sc.objectives):
            self.add(
                "lesson.calibration.rates",
                f"expected one rate per objective ({len(sc.objectives)}), found {len(cal.rates)}",
            )
