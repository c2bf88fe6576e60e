"""The observation and action spaces of one seat, and their encodings.

Both are built from the scenario alone (its regions, technologies, accelerator classes, blocs and
injects), so every seat of one environment shares the same two spaces and a policy trained on a
scenario sees the same layout in every episode. Everything is read through `model.observe(seat)`,
the one view of the world a seat is allowed; nothing here reaches into the model's internals, so
the encoding survives changes to how the model stores its state.

Observation: a float32 vector (`ObservationEncoder`), one block of world figures, one block per
region (in scenario order) and one block of the seat's private state. Money, power and compute
quantities are compressed with ``log1p`` (signed for money that can be negative) so a few
features spanning nine orders of magnitude stay in a range a network can use; every feature is
clipped to the bounds of the `gymnasium.spaces.Box` that `feature_names` documents.

Action: one command per quarter as a `gymnasium.spaces.MultiDiscrete` of seven fields
(`ACTION_FIELDS`): the command kind ("no_op" included), a region, an item (technology,
accelerator class or bloc, by kind), an export tier, an amount bucket, a price bucket and an
option. `ActionCodec.decode` turns it into a command dataclass of `sovereign.sim.commands`; the
fields a kind does not use are ignored (so is the region of a nation's builds and chip purchases:
a nation invests at home only), and an item or option is taken modulo the number of choices of
that kind, so every action decodes. `ActionCodec.mask` rules out the kinds a seat can
never use this quarter; what depends on the state of the world (budget, free space, membership) is
left to the model's validator, which refuses with a reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from sovereign.scenario import Scenario, quarter_index, quarter_label
from sovereign.sim.commands import (
    BuildDatacenter,
    BuildFab,
    BuildPlant,
    BuyAccelerators,
    Command,
    Decide,
    JoinBloc,
    LeaveBloc,
    PermittingReform,
    RaiseFunding,
    SetCurtailmentPriority,
    SetExportControls,
    SetExportTier,
    SetLocalisation,
    SetSecuritySpending,
    SetSubsidy,
)

#: The command kinds an action can name, in the order of the action's ``kind`` field.
COMMAND_KINDS: tuple[str, ...] = (
    "no_op",
    "build_datacenter",
    "build_plant",
    "build_fab",
    "buy_accelerators",
    "set_subsidy",
    "set_localisation",
    "set_export_controls",
    "set_export_tier",
    "join_bloc",
    "leave_bloc",
    "set_security_spending",
    "set_curtailment_priority",
    "permitting_reform",
    "raise_funding",
    "decide",
)
#: The fields of an action, in order.
ACTION_FIELDS: tuple[str, ...] = ("kind", "region", "item", "tier", "amount", "price", "option")

# Amount buckets, one per command kind that takes a size. Five steps, from a small start to a big
# bet, so an agent can scale its moves; the ranges follow what the AI seats build in the baseline
# (tens to a thousand MW of datacenters, fabs of tens of thousands of H100e a quarter).
DATACENTER_IT_MW: tuple[float, ...] = (50.0, 100.0, 250.0, 500.0, 1000.0)
PLANT_MW: tuple[float, ...] = (100.0, 250.0, 500.0, 1000.0, 2000.0)
FAB_H100E_PER_QUARTER: tuple[float, ...] = (5_000.0, 10_000.0, 25_000.0, 50_000.0, 100_000.0)
BUY_H100E: tuple[float, ...] = (5_000.0, 10_000.0, 25_000.0, 50_000.0, 100_000.0)
SUBSIDY_RATE: tuple[float, ...] = (0.0, 0.125, 0.25, 0.375, 0.5)
#: Yearly security spending as a share of the nation's GDP (the exposure the cyber pillar weighs
#: grows with GDP, so a share keeps the buckets meaningful for the USA and for a small nation).
SECURITY_GDP_SHARE: tuple[float, ...] = (0.0, 0.0001, 0.0003, 0.001, 0.003)
#: Export-control caps per quarter; None is unlimited.
EXPORT_CAP_H100E: tuple[float | None, ...] = (0.0, 5_000.0, 20_000.0, 100_000.0, None)
FUNDING_BUSD: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)
#: A bid's highest price as a multiple of the class's list price.
BID_PRICE_MULTIPLE: tuple[float, ...] = (0.8, 1.0, 1.25, 1.5, 2.0)
N_AMOUNTS = 5
N_PRICES = len(BID_PRICE_MULTIPLE)
N_TIERS = 3

#: Seat kinds in the order of the observation's one-hot block.
SEAT_KINDS: tuple[str, ...] = ("nation", "conglomerate", "cloud", "fab", "lab", "startup")
#: Kinds each seat kind may ever use (the validator's kind rules, read as a table); a nation also
#: controls exports only if it is a chip producer.
_FIRM_KINDS = frozenset({"no_op", "build_datacenter", "build_plant", "buy_accelerators", "raise_funding", "decide"})
_ALLOWED_KINDS: dict[str, frozenset[str]] = {
    "nation": frozenset(COMMAND_KINDS) - {"raise_funding"},
    "conglomerate": _FIRM_KINDS | {"build_fab"},
    "fab": _FIRM_KINDS | {"build_fab"},
    "cloud": _FIRM_KINDS,
    "lab": _FIRM_KINDS,
    "startup": _FIRM_KINDS,
}

#: Kinds whose region a nation cannot choose: it builds (and buys chips for) its own territory only,
#: so for a nation the region field of these is ignored rather than wasted on a sure refusal.
_HOME_ONLY = frozenset({"build_datacenter", "build_plant", "build_fab", "buy_accelerators"})

# Feature bounds: shares live in [0, 1]; log1p of a non-negative quantity up to 1e10 stays below
# 25; a signed log of money stays within +-25 for anything below $1e10 B.
_LOG_MAX = 25.0
_COUNT_MAX = 100.0


def _log(x: float) -> float:
    return math.log1p(max(float(x), 0.0))


def _slog(x: float) -> float:
    x = float(x)
    return math.copysign(math.log1p(abs(x)), x)


def _number(value: Any) -> float:
    """A finite float from a metric value (a missing or non-finite one reads as 0)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


class ObservationEncoder:
    """Turns `model.observe(seat)` into a fixed-length float32 vector.

    Args:
        scenario: the scenario every observation comes from; fixes the regions and classes.
    """

    #: Per-region features, each with its transform and bounds, read from the public nation rows.
    REGION_FEATURES: tuple[tuple[str, str], ...] = (
        ("sovereignty_index", "share"),
        ("compute_self_reliance", "share"),
        ("power_adequacy", "share"),
        ("chip_security", "share"),
        ("data_governance", "share"),
        ("cyber_resilience", "share"),
        ("compute_share", "share"),
        ("subsidy", "share"),
        ("localisation", "share"),
        ("retail_price_usd_mwh", "log"),
        ("compute_price_usd_hour", "log"),
        ("compute_capacity_h100e", "log"),
        ("security_busd", "log"),
        ("budget_busd", "slog"),
        ("reserve_margin", "margin"),
    )
    _BOUNDS: Mapping[str, tuple[float, float]] = {
        "share": (0.0, 1.0),
        "log": (0.0, _LOG_MAX),
        "slog": (-_LOG_MAX, _LOG_MAX),
        "margin": (-1.0, 10.0),
        "count": (0.0, _COUNT_MAX),
        "ratio": (0.0, 10.0),
    }

    def __init__(self, scenario: Scenario) -> None:
        self.regions = [r.id for r in scenario.regions]
        self.accelerators = [a.id for a in scenario.accelerators]
        self.list_price = {a.id: a.price_usd_per_h100e for a in scenario.accelerators}
        self.start_q = quarter_index(scenario.time.start)
        self.n_quarters = quarter_index(scenario.time.end) - self.start_q + 1
        self.region_ix = {r: i for i, r in enumerate(self.regions)}
        names: list[tuple[str, str]] = [
            ("progress", "share"),
            ("has_metrics", "share"),
            ("world.compute_price_usd_hour", "log"),
        ]
        names += [(f"world.chip_price_{a}_vs_list", "ratio") for a in self.accelerators]
        for r in self.regions:
            names += [(f"{r}.{f}", kind) for f, kind in self.REGION_FEATURES]
            names.append((f"{r}.export_tier", "share"))
        names += [(f"own.kind_{k}", "share") for k in SEAT_KINDS]
        names += [(f"own.home_{r}", "share") for r in self.regions]
        names += [("own.cash_busd", "slog"), ("own.valuation_busd", "slog"), ("own.revenue_busd", "slog")]
        names += [(f"own.{r}.datacenter_it_mw", "log") for r in self.regions]
        names += [(f"own.{r}.h100e", "log") for r in self.regions]
        names += [(f"own.{r}.projects", "count") for r in self.regions]
        names += [
            ("own.fab_h100e_per_quarter", "log"),
            ("own.pending_decisions", "count"),
            ("own.refused_last_quarter", "count"),
        ]
        #: Name of every feature, in vector order (``REGION.field`` for the region blocks).
        self.feature_names: tuple[str, ...] = tuple(n for n, _ in names)
        self.feature_kinds: tuple[str, ...] = tuple(k for _, k in names)
        low = np.array([self._BOUNDS[k][0] for k in self.feature_kinds], np.float32)
        high = np.array([self._BOUNDS[k][1] for k in self.feature_kinds], np.float32)
        self.space = spaces.Box(low=low, high=high, dtype=np.float32)
        self._index = {n: i for i, n in enumerate(self.feature_names)}
        first_field = self.REGION_FEATURES[0][0]
        self._region_base = {r: self._index[f"{r}.{first_field}"] for r in self.regions}
        self._own_base = self._index[f"own.{self.regions[0]}.datacenter_it_mw"]
        transform = {"share": _number, "log": _log, "slog": _slog, "margin": _number}
        self._region_transforms = [(f, transform[kind]) for f, kind in self.REGION_FEATURES]

    def encode(self, observation: Mapping[str, Any], public_features: np.ndarray | None = None) -> np.ndarray:
        """The feature vector of one `model.observe(seat)` result, clipped to the space's bounds.

        Args:
            observation: what `model.observe(seat)` returned.
            public_features: `encode_public` of this quarter's public part, when the caller has
                it already: it is the same for every seat, so a multi-agent step encodes it once.
        """
        public, private = observation["public"], observation["private"]
        if public_features is None:
            public_features = self.encode_public(public)
        x = public_features.copy()
        ix = self._index
        kind = private["kind"]
        if kind in SEAT_KINDS:
            x[ix[f"own.kind_{kind}"]] = 1.0
        state = private["state"]
        home = state.get("home")
        if home in self.region_ix:
            x[ix[f"own.home_{home}"]] = 1.0
        x[ix["own.cash_busd"]] = _slog(_number(private["cash_busd"]))
        x[ix["own.valuation_busd"]] = _slog(_number(state.get("valuation_busd")))
        x[ix["own.revenue_busd"]] = _slog(_number(state.get("revenue_busd")))
        n_r = len(self.regions)
        own = np.zeros((3, n_r))  # datacenter MW, accelerators, projects, by region
        for dc in private["datacenters"]:
            r = self.region_ix.get(dc["region"])
            if r is not None:
                own[0, r] += _number(dc["it_mw"])
                own[1, r] += _number(dc["h100e"])
        for p in private["projects"]:
            r = self.region_ix.get(p.get("region"))
            if r is not None:
                own[2, r] += 1.0
        start = self._own_base
        x[start : start + n_r] = np.log1p(own[0])
        x[start + n_r : start + 2 * n_r] = np.log1p(own[1])
        x[start + 2 * n_r : start + 3 * n_r] = own[2]
        x[ix["own.fab_h100e_per_quarter"]] = _log(sum(_number(f["h100e_per_quarter"]) for f in private["fabs"]))
        x[ix["own.pending_decisions"]] = len(private["pending_decisions"])
        x[ix["own.refused_last_quarter"]] = len(refusals_in(observation, previous_quarter(public["quarter"])))
        return np.clip(x, self.space.low, self.space.high)

    def encode_public(self, public: Mapping[str, Any]) -> np.ndarray:
        """The vector with only the public features set (the rest 0), clipped to the bounds."""
        x = np.zeros(len(self.feature_names), np.float32)
        ix = self._index
        x[ix["progress"]] = (quarter_index(public["quarter"]) - self.start_q) / self.n_quarters
        x[ix["has_metrics"]] = 1.0 if public["nations"] else 0.0
        world = public["world"]
        x[ix["world.compute_price_usd_hour"]] = _log(_number(world.get("compute_price_usd_hour")))
        for a in self.accelerators:
            price = _number(world.get(f"chip_price_{a}_usd", self.list_price[a]))
            x[ix[f"world.chip_price_{a}_vs_list"]] = price / self.list_price[a]
        # each region's features are one contiguous block: fill it in one slice (the encoding runs
        # for every agent every quarter, and name lookups per feature cost more than the quarter's
        # metrics rows themselves)
        width = len(self.REGION_FEATURES)
        for row in public["nations"]:
            base = self._region_base.get(row.get("region"))
            if base is not None:
                x[base : base + width] = [t(_number(row.get(f))) for f, t in self._region_transforms]
        for region, tier in public["export_tiers"].items():
            base = self._region_base.get(region)
            if base is not None:
                x[base + width] = _number(tier) / N_TIERS
        return np.clip(x, self.space.low, self.space.high)


def previous_quarter(label: str) -> str:
    """The label of the quarter before `label` (``2026Q1`` -> ``2025Q4``)."""
    return quarter_label(quarter_index(label) - 1)


def refusals_in(observation: Mapping[str, Any], quarter: str) -> list[str]:
    """Reasons the model gave this seat, in `quarter`, for commands it refused (submit or apply)."""
    return [
        str(c.get("reason", ""))
        for c in observation["private"]["recent_commands"]
        if c.get("quarter") == quarter and not c.get("accepted", True)
    ]


class ActionCodec:
    """Decodes `MultiDiscrete` actions into commands, and masks the kinds a seat cannot use.

    Args:
        scenario: the scenario; fixes the regions, technologies, classes, blocs and options.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.regions = [r.id for r in scenario.regions]
        self.gdp_busd = {r.id: r.gdp_busd for r in scenario.regions}
        self.chip_producers = frozenset(r.id for r in scenario.regions if r.chip_producer)
        self.technologies = list(scenario.technologies)
        self.accelerators = [a.id for a in scenario.accelerators]
        self.list_price = {a.id: a.price_usd_per_h100e for a in scenario.accelerators}
        self.blocs = [b.id for b in scenario.blocs]
        n_items = max(len(self.technologies), len(self.accelerators), len(self.blocs), 1)
        n_options = max([2, *(len(inj.decision) for inj in scenario.injects)])
        #: Number of choices of each field, in `ACTION_FIELDS` order.
        self.nvec = (len(COMMAND_KINDS), len(self.regions), n_items, N_TIERS, N_AMOUNTS, N_PRICES, n_options)
        self.space = spaces.MultiDiscrete(np.array(self.nvec, np.int64))

    def encode_kind(self, kind: str, **fields: int) -> np.ndarray:
        """An action of `kind` with the other fields given by name (0 when not given)."""
        unknown = set(fields) - set(ACTION_FIELDS[1:])
        if unknown:
            raise ValueError(f"unknown action fields {sorted(unknown)}; fields are {', '.join(ACTION_FIELDS)}")
        action = np.zeros(len(ACTION_FIELDS), np.int64)
        action[0] = COMMAND_KINDS.index(kind)
        for name, value in fields.items():
            action[ACTION_FIELDS.index(name)] = value
        if not self.space.contains(action):
            raise ValueError(f"action {action.tolist()} is outside {self.space}")
        return action

    # C901: one short branch per command kind; the flat dispatch mirrors `encode_kind`, best read whole.
    def decode(self, action: Sequence[int] | np.ndarray, seat: str, observation: Mapping[str, Any]) -> Command | None:  # noqa: C901
        """The command an action stands for (None for a no-op).

        Args:
            action: seven integers within `space`.
            seat: the acting seat's id (a nation's home region is its id).
            observation: the seat's `model.observe(seat)`, for its home and pending decisions.

        Raises:
            ValueError: the action is outside the space, or it needs something the scenario lacks
                (a bloc when there is none, a decision when none is pending).
        """
        a = np.asarray(action)
        if a.shape != (len(ACTION_FIELDS),) or not self.space.contains(a.astype(np.int64)):
            raise ValueError(f"action {a.tolist()} is outside {self.space}")
        kind_ix, region_ix, item, tier_ix, amount, price, option = (int(v) for v in a)
        kind = COMMAND_KINDS[kind_ix]
        region = self.regions[region_ix]
        if kind in _HOME_ONLY and observation["private"]["kind"] == "nation":
            region = self._home(seat, observation)  # a nation builds and equips only at home
        tier = tier_ix + 1
        acc = self.accelerators[item % len(self.accelerators)]
        if kind == "no_op":
            return None
        if kind == "build_datacenter":
            return BuildDatacenter(region=region, it_mw=DATACENTER_IT_MW[amount])
        if kind == "build_plant":
            tech = self.technologies[item % len(self.technologies)]
            return BuildPlant(region=region, technology=tech, mw=PLANT_MW[amount])
        if kind == "build_fab":
            return BuildFab(region=region, accelerator=acc, h100e_per_quarter=FAB_H100E_PER_QUARTER[amount])
        if kind == "buy_accelerators":
            max_price = self.list_price[acc] * BID_PRICE_MULTIPLE[price]
            return BuyAccelerators(accelerator=acc, h100e=BUY_H100E[amount], max_price_usd=max_price, region=region)
        if kind == "set_subsidy":
            return SetSubsidy(rate=SUBSIDY_RATE[amount])
        if kind == "set_localisation":
            return SetLocalisation(enabled=bool(option % 2))
        if kind == "set_export_controls":
            return SetExportControls(tier=tier, accelerator=acc, cap_h100e=EXPORT_CAP_H100E[amount])
        if kind == "set_export_tier":
            return SetExportTier(region=region, tier=tier)
        if kind in ("join_bloc", "leave_bloc"):
            if not self.blocs:
                raise ValueError("the scenario has no blocs to join or leave")
            bloc = self.blocs[item % len(self.blocs)]
            return JoinBloc(bloc=bloc) if kind == "join_bloc" else LeaveBloc(bloc=bloc)
        if kind == "set_security_spending":
            home = self._home(seat, observation)
            busd = min(500.0, self.gdp_busd.get(home, 0.0) * SECURITY_GDP_SHARE[amount])
            return SetSecuritySpending(busd_per_year=busd)
        if kind == "set_curtailment_priority":
            return SetCurtailmentPriority(datacenters_last=bool(option % 2))
        if kind == "permitting_reform":
            return PermittingReform()
        if kind == "raise_funding":
            return RaiseFunding(busd=FUNDING_BUSD[amount])
        # decide: the oldest pending decision; JSON round trips turn its id into a string
        pending = observation["private"]["pending_decisions"]
        if not pending:
            raise ValueError("no decision is pending")
        event_id = min(int(e) for e in pending)
        options = pending.get(event_id, pending.get(str(event_id), []))
        return Decide(event_id=event_id, option=option % max(len(options), 1))

    def mask(self, seat: str, observation: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
        """Which values of each field are worth trying: one int8 array per field.

        That is the form `MultiDiscrete.sample(mask=...)` takes, so PettingZoo's and Gymnasium's
        tools can sample with it directly; ``np.concatenate(mask)`` is the flat form maskable
        PPO implementations take. The kind array rules out what this seat can never do this
        quarter: another kind's commands, export controls for a nation that makes no chips,
        buying accelerators without a datacenter, deciding with nothing pending. The other fields
        are left open: whether a region or an amount works depends on the kind and the state of
        the world, which the validator checks.
        """
        private = observation["private"]
        allowed = set(_ALLOWED_KINDS.get(private["kind"], {"no_op"}))
        if private["kind"] == "nation" and seat not in self.chip_producers:
            allowed -= {"set_export_controls", "set_export_tier"}
        if not self.blocs:
            allowed -= {"join_bloc", "leave_bloc"}
        if not private["datacenters"]:
            allowed.discard("buy_accelerators")
        if not private["pending_decisions"]:
            allowed.discard("decide")
        kinds = np.array([k in allowed for k in COMMAND_KINDS], np.int8)
        return (kinds, *(np.ones(n, np.int8) for n in self.nvec[1:]))

    def _home(self, seat: str, observation: Mapping[str, Any]) -> str:
        home = observation["private"]["state"].get("home")
        return str(home) if home is not None else seat
