"""Whole-save validation: check a loaded save's game state *before* any model is built.

Why: a save's checksum proves the file is the one that was written, not that what was written
is sane. A hand-edited file with a recomputed checksum (or a bug in an older version) could hold
cash as text, a NaN PUE, an integer too large for a float, arrays of the wrong shape, a project
without its completion quarter or metrics rows without a quarter. Loaded as is, such a game
crashes quarters later, far from the cause. Here every part of the state is checked against a
declarative layout, and every problem is reported at once, naming the field::

    game.seats.4(cloudco).state.cash_busd: expected a finite number, found 'lots'
    game.world.dc_stock: shape (3, 2), expected (D, G) = (3, 3)

How to adapt it when the state layout changes: the layout is data, not code. `STATE_LAYOUT`
maps each top-level part to a spec built from a few combinators (`Num`, `Text`, `Arr`, `Record`,
`ListOf`, `MapOf`...). Array shapes are written with symbols: ``R`` regions, ``T`` technologies,
``G`` accelerator classes, ``B`` blocs, ``S`` time slices, ``N`` seats are fixed by the scenario
and the seat list; any other letter (``D`` datacenters, ``F`` fabs, ``P`` plants, ``K`` compute
clusters, ``M`` demand segments) is bound by the first array that uses it, and every other array
with that letter must agree. References (``Ref("region")``, ``Arr(..., index="R")``) must name
something that exists. Checks that relate several fields (a plant project's technology, every
region having a nation) are the functions in `CROSS_CHECKS`. A test plays whole games and
validates every quarter's state, so a layout change that the table does not follow fails there
first, instead of refusing players' saves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sovereign.persist.codec import CodecError, decode
from sovereign.sim.commands import DEAL_KINDS

#: How many problems a refusal lists (the rest are counted): enough to fix a file, not a flood.
MAX_REPORTED = 20
#: Largest magnitude of an ordinary number in a save (money in $B, MW, H100e...): far above any
#: real value, far below where float arithmetic overflows or int -> float conversion fails.
MAX_MAGNITUDE = 1e15
#: Largest integer anywhere outside the random generators' states (an int64 column).
MAX_INT = 2**63 - 1
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")


class SaveLayoutError(ValueError):
    """A save's game state does not have the layout of a game; ``problems`` lists every finding."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        text = "\n  ".join(shown) + (f"\n  ... and {more} more problem(s)" if more > 0 else "")
        super().__init__(f"{len(problems)} problem(s) in the saved game:\n  {text}")


# ----------------------------------------------------------------------------------------------
# context: what references and shape symbols resolve to
@dataclass
class Context:
    """Sizes and names a state is checked against (from its scenario and its seat list)."""

    sizes: dict[str, int]
    names: dict[str, set[str]]
    problems: list[str] = field(default_factory=list)

    def report(self, where: str, message: str) -> None:
        """Record a problem (the checks go on, so one pass finds them all)."""
        self.problems.append(f"{where}: {message}")


def _show(value: Any, limit: int = 60) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----------------------------------------------------------------------------------------------
# specs
class Spec:
    """A check of one value; `check` reports problems to the context and never raises."""

    def check(self, value: Any, where: str, ctx: Context) -> None:  # pragma: no cover - interface
        """Report every problem of `value` (at dotted path `where`) to `ctx`."""
        raise NotImplementedError


class AnyValue(Spec):
    """Anything JSON can hold (used for parts whose meaning other checks cover)."""

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Accept anything."""


@dataclass
class Num(Spec):
    """A number: an int or float (numpy scalars too), never a bool or text.

    Attributes:
        lo: Smallest value allowed (None: -MAX_MAGNITUDE).
        hi: Largest value allowed (None: MAX_MAGNITUDE).
        integer: Must be a whole number (an int, not 3.0).
        finite: Must be finite (NaN and infinities are refused).
    """

    lo: float | None = None
    hi: float | None = None
    integer: bool = False
    finite: bool = True

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type, finiteness, magnitude and range."""
        ints = (int, np.integer)
        kinds = ints if self.integer else (int, float, np.integer, np.floating)
        if isinstance(value, bool | np.bool_) or not isinstance(value, kinds):
            what = "a whole number" if self.integer else "a number"
            ctx.report(where, f"expected {what}, found {_show(value)}")
            return
        if isinstance(value, ints) and abs(int(value)) > MAX_INT:
            ctx.report(where, f"the number {_show(value)} is too large")
            return
        x = float(value)
        if math.isnan(x) or (self.finite and math.isinf(x)):
            ctx.report(where, f"expected a finite number, found {value!r}")
            return
        lo = -MAX_MAGNITUDE if self.lo is None else self.lo
        hi = MAX_MAGNITUDE if self.hi is None else self.hi
        if math.isfinite(x) and not lo <= x <= hi:
            ctx.report(where, f"{value!r} is out of range (expected {lo:g} to {hi:g})")


class Text(Spec):
    """A string."""

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type only."""
        if not isinstance(value, str):
            ctx.report(where, f"expected text, found {_show(value)}")


class Flag(Spec):
    """A bool (numpy's too)."""

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type only."""
        if not isinstance(value, bool | np.bool_):
            ctx.report(where, f"expected true or false, found {_show(value)}")


@dataclass
class OneOf(Spec):
    """One of a few allowed values."""

    choices: tuple[Any, ...]

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Membership."""
        if not isinstance(value, str | int | None) or value not in self.choices:
            ctx.report(where, f"expected one of {', '.join(map(repr, self.choices))}, found {_show(value)}")


@dataclass
class Ref(Spec):
    """The id of something that exists: a ``region``, ``seat``, ``accelerator`` or ``technology``."""

    kind: str

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type and existence."""
        if not isinstance(value, str):
            ctx.report(where, f"expected a {self.kind} id, found {_show(value)}")
        elif value not in ctx.names[self.kind]:
            ctx.report(where, f"{value!r} is not a {self.kind} of this game")


class QuarterLabel(Spec):
    """A quarter label such as ``2027Q3``."""

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Format."""
        if not isinstance(value, str) or not _QUARTER.match(value):
            ctx.report(where, f"expected a quarter such as 2027Q3, found {_show(value)}")


@dataclass
class Maybe(Spec):
    """None, or a value of `spec`."""

    spec: Spec

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """None passes; anything else goes to the inner spec."""
        if value is not None:
            self.spec.check(value, where, ctx)


def _bound_size(sym: str | int, dim: int, ctx: Context) -> int:
    """The size a shape symbol stands for (bound by its first use; ``S?`` may also be empty)."""
    if isinstance(sym, int):
        return sym
    if sym.endswith("?"):  # a result not filled before the first quarter
        return 0 if dim == 0 else ctx.sizes.setdefault(sym[:-1], dim)
    return ctx.sizes.setdefault(sym, dim)


@dataclass
class Arr(Spec):
    """A numpy array.

    Attributes:
        kind: numpy dtype kind: ``f`` float, ``i`` int, ``b`` bool, ``U`` text.
        shape: One symbol or size per dimension (see the module docstring); a symbol ending in
            ``?`` may also be 0 (a result that is empty until the first quarter is played).
        lo: Smallest element allowed (numbers).
        hi: Largest element allowed.
        finite: No NaN or infinity (``allow_inf`` relaxes infinities only).
        allow_inf: Infinities allowed (an uncapped export quota).
        allow_nan: NaN allowed (no licence for a destination and class).
        index: Elements are indices into this symbol's range (e.g. ``R``: region rows).
    """

    kind: str
    shape: tuple[str | int, ...]
    lo: float | None = None
    hi: float | None = None
    finite: bool = True
    allow_inf: bool = False
    allow_nan: bool = False
    index: str | None = None

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Dtype, dimensions bound to symbols, finiteness, range and indices."""
        if not isinstance(value, np.ndarray):
            ctx.report(where, f"expected an array, found {_show(value)}")
            return
        if value.dtype.kind != self.kind:
            ctx.report(where, f"dtype {value.dtype}, expected kind {self.kind!r}")
            return
        if value.ndim != len(self.shape):
            ctx.report(
                where, f"{value.ndim} dimension(s), expected {len(self.shape)} ({', '.join(map(str, self.shape))})"
            )
            return
        wanted = []
        for dim, sym in zip(value.shape, self.shape, strict=True):
            wanted.append(_bound_size(sym, dim, ctx))
        if tuple(wanted) != value.shape:
            names = ", ".join(map(str, self.shape))
            ctx.report(where, f"shape {value.shape}, expected ({names}) = {tuple(wanted)}")
            return
        if value.dtype.kind in "iuf" and value.size:
            if value.dtype.kind == "f":
                nan = np.isnan(value) if not self.allow_nan else False
                bad = nan | (np.isinf(value) if self.finite and not self.allow_inf else False)
                if np.any(bad):
                    ctx.report(where, "contains NaN or infinite values")
                    return
            finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
            if finite.size:
                lo, hi = float(finite.min()), float(finite.max())
                if self.lo is not None and lo < self.lo:
                    ctx.report(where, f"contains {lo:g}, below the smallest allowed {self.lo:g}")
                if self.hi is not None and hi > self.hi:
                    ctx.report(where, f"contains {hi:g}, above the largest allowed {self.hi:g}")
                if self.lo is None and self.hi is None and max(abs(lo), abs(hi)) > MAX_MAGNITUDE * 1e3:
                    ctx.report(where, f"contains {max(abs(lo), abs(hi)):g}, implausibly large")
            if self.index is not None and finite.size:
                n = ctx.sizes.get(self.index)
                if n is not None and (finite.min() < 0 or finite.max() >= n):
                    ctx.report(where, f"an index is out of range (expected 0 to {n - 1})")


@dataclass
class ListOf(Spec):
    """A list whose items all match `item`; `length` binds or checks a shape symbol."""

    item: Spec
    length: str | None = None

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type, length, then each item."""
        if not isinstance(value, list):
            ctx.report(where, f"expected a list, found {_show(value)}")
            return
        if self.length is not None:
            n = ctx.sizes.setdefault(self.length, len(value))
            if n != len(value):
                ctx.report(where, f"{len(value)} items, expected {self.length} = {n}")
        for i, item in enumerate(value):
            self.item.check(item, f"{where}.{i}", ctx)


@dataclass
class MapOf(Spec):
    """A mapping whose keys match `key` and values match `value`."""

    key: Spec
    value: Spec

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type, then each key and value."""
        if not isinstance(value, dict):
            ctx.report(where, f"expected a mapping, found {_show(value)}")
            return
        for k, v in value.items():
            self.key.check(k, f"{where} key {k!r}", ctx)
            self.value.check(v, f"{where}.{k}", ctx)


@dataclass
class Record(Spec):
    """A mapping with required and optional keys; other keys are checked by `extra` (None: refused)."""

    required: dict[str, Spec]
    optional: dict[str, Spec] = field(default_factory=dict)
    extra: Spec | None = None

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type, missing keys, each known key, then the others."""
        if not isinstance(value, dict):
            ctx.report(where, f"expected a mapping, found {_show(value)}")
            return
        for key, spec in self.required.items():
            if key not in value:
                ctx.report(f"{where}.{key}", "missing")
            else:
                spec.check(value[key], f"{where}.{key}", ctx)
        for key, item in value.items():
            if key in self.required:
                continue
            spec = self.optional.get(key) if isinstance(key, str) else None
            if spec is None:
                spec = self.extra
            if spec is None:
                ctx.report(f"{where}.{key}", "unexpected entry")
            else:
                spec.check(item, f"{where}.{key}", ctx)


#: Plain value types of decoded rows (numpy scalars come back from ``$np`` tags).
_SCALAR_TYPES = frozenset({str, bool, int, float, type(None), np.float64, np.float32, np.int64, np.int32, np.bool_})
_NUMBER_TYPES = frozenset({int, float, np.float64, np.float32, np.int64, np.int32})
_INT_TYPES = frozenset({int, np.int64, np.int32})
#: Problems reported per column of a table before the rest are only counted.
_PER_COLUMN = 3


def _suspect(spec: Spec, value: Any) -> bool:
    """Whether `value` might fail `spec` (False only when a cheap type test proves it passes)."""
    kind = type(value)
    if isinstance(spec, Num):
        if kind not in (_INT_TYPES if spec.integer else _NUMBER_TYPES):
            return True
        if kind in _INT_TYPES:
            return not -MAX_INT <= value <= MAX_INT or spec.lo is not None or spec.hi is not None
        return (
            value != value
            or (spec.finite and value in (math.inf, -math.inf))
            or not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE
            or spec.lo is not None
            or spec.hi is not None
        )
    if isinstance(spec, Text):
        return kind is not str
    if isinstance(spec, Flag):
        return kind is not bool and kind is not np.bool_
    if isinstance(spec, QuarterLabel):
        return kind is not str or _QUARTER.match(value) is None
    if isinstance(spec, Scalarish):
        return kind not in _SCALAR_TYPES or (kind in _INT_TYPES and not -MAX_INT <= value <= MAX_INT)
    return True  # no cheap test: check it properly


@dataclass
class Rows(Spec):
    """A list of flat records (a table such as the metrics), checked column by column.

    Why not `ListOf(Record(...))`: a 40-quarter game has about 10^5 values in its tables; checking
    them one call at a time made listing a folder of saves take seconds per file. Here a cheap type
    test clears almost every value, and only suspects get the full check (and its message).
    """

    required: dict[str, Spec]
    extra: Spec = field(default_factory=lambda: Scalarish())

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type of the list, each row a mapping, required columns, then every value."""
        if not isinstance(value, list):
            ctx.report(where, f"expected a list, found {_show(value)}")
            return
        rows = [(i, r) for i, r in enumerate(value) if type(r) is dict]
        if len(rows) != len(value):
            bad = [i for i, r in enumerate(value) if type(r) is not dict]
            ctx.report(f"{where}.{bad[0]}", f"expected a record, found {_show(value[bad[0]])} ({len(bad)} such)")
        for key, spec in self.required.items():
            missing = [i for i, r in rows if key not in r]
            for i in missing[:_PER_COLUMN]:
                ctx.report(f"{where}.{i}.{key}", "missing")
            suspects = [(i, r[key]) for i, r in rows if key in r and _suspect(spec, r[key])]
            self._check_suspects(spec, suspects, f"{where}.{{}}.{key}", ctx)
        known = set(self.required)
        extras = [(i, k, v) for i, r in rows for k, v in r.items() if k not in known and _suspect(self.extra, v)]
        before = len(ctx.problems)
        for i, k, v in extras:
            self.extra.check(v, f"{where}.{i}.{k}", ctx)
            if len(ctx.problems) - before >= _PER_COLUMN:
                break

    @staticmethod
    def _check_suspects(spec: Spec, suspects: list[tuple[int, Any]], where: str, ctx: Context) -> None:
        before = len(ctx.problems)
        for i, v in suspects:
            spec.check(v, where.format(i), ctx)
            if len(ctx.problems) - before >= _PER_COLUMN:
                ctx.report(where.format("*"), "more rows have the same problem")
                return


@dataclass
class Encoded(Spec):
    """A value written through `sovereign.persist.codec`: decoded, then checked by `spec`."""

    spec: Spec

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Decode (reporting malformed tags), then check."""
        try:
            decoded = decode(value, where)
        except CodecError as exc:
            ctx.report(where, f"cannot be decoded ({exc})")
            return
        self.spec.check(decoded, where, ctx)


@dataclass
class ResultObject(Spec):
    """An allow-listed market result object (the codec already restricts the classes)."""

    names: tuple[str, ...]

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Class name only: the fields are the kernel's own output."""
        if type(value).__name__ not in self.names:
            ctx.report(where, f"expected a {' or '.join(self.names)}, found {type(value).__name__}")


@dataclass
class Obj(Spec):
    """A typed state object of the simulation (`sovereign.sim.state`): its class and every field."""

    name: str
    fields: dict[str, Spec]

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Class name, then each declared field (the dataclass guarantees no others)."""
        if type(value).__name__ != self.name:
            ctx.report(where, f"expected the {self.name}, found {_show(value)}")
            return
        for name, spec in self.fields.items():
            if not hasattr(value, name):
                ctx.report(f"{where}.{name}", "missing")
            else:
                spec.check(getattr(value, name), f"{where}.{name}", ctx)


class Scalarish(Spec):
    """A JSON scalar: text, bool, None, or a number that is not too large (NaN allowed)."""

    def check(self, value: Any, where: str, ctx: Context) -> None:
        """Type and magnitude."""
        if value is None or isinstance(value, str | bool | np.bool_):
            return
        if isinstance(value, int | np.integer):
            if abs(int(value)) > MAX_INT:
                ctx.report(where, f"the number {_show(value)} is too large")
            return
        if not isinstance(value, float | np.floating):
            ctx.report(where, f"expected a plain value, found {_show(value)}")


# ----------------------------------------------------------------------------------------------
# the layout of a game state (sovereign.persist.state.model_to_state)
MONEY = Num()  # $B; may be negative (debts, outflows)
AMOUNT = Num(lo=0)
COUNT = Num(lo=0, integer=True)
QUARTER_INDEX = Num(lo=0, hi=40000, integer=True)

_COMMAND = Record(required={"kind": Text()}, extra=AnyValue())
_BITGEN = Record(
    required={"bit_generator": Text(), "state": AnyValue()},
    optional={"has_uint32": Num(lo=0, hi=1, integer=True), "uinteger": Num(lo=0, hi=2**32, integer=True)},
)

#: Known keys of a seat's ``state``: their types. Other keys may appear (the rules evolve) and are
#: then only required to be plain, not-too-large values.
SEAT_STATE = Record(
    required={"name": Text(), "home": Ref("region"), "cash_busd": MONEY},
    optional={
        "valuation_busd": MONEY,
        "revenue_busd": MONEY,
        "revenue_q": MONEY,
        "paid_q": MONEY,
        "security_paid_busd": MONEY,
        "demand_h100e": AMOUNT,
        "served_h100e": AMOUNT,
        "served_share": Num(lo=0, hi=1),
        "raise_busd": AMOUNT,
        "raising": Flag(),
        "named": Flag(),
        "born": QUARTER_INDEX,
        "difficulty": OneOf(("easy", "normal", "hard")),
        "costs_q": MONEY,
        "profit_busd": MONEY,
        "debt_busd": AMOUNT,
        "yield_usd": AMOUNT,
        "scale_h100e": AMOUNT,
        "seed_busd": AMOUNT,
        "raised_busd": AMOUNT,
        "rounds_raised": COUNT,
        "failed_rounds": COUNT,
        "revenue_hist": ListOf(MONEY),
        "compute_floor_usd": Num(lo=0, hi=200),  # $/H100e-hour (`SetComputePrice`)
        "lapsed_busd": MONEY,  # a nation's budget returned to the treasury this quarter
        "other_business_busd": AMOUNT,  # a group's valuation beyond its AI business, held from its first quarter
    },
    extra=Scalarish(),
)

SEAT = Record(
    required={
        "id": Ref("seat"),
        "kind": OneOf(("nation", "conglomerate", "cloud", "fab", "lab", "startup")),
        "unique_id": Num(lo=0, integer=True),
        "state": Encoded(SEAT_STATE),
    }
)

PROJECT = Record(
    required={
        # a build's unique id (its quarter and place in it); negative for a campus under construction at the start
        "id": Num(lo=-1e6, hi=1e12, integer=True),
        "kind": OneOf(("build_datacenter", "build_plant", "build_fab", "build_packaging")),
        "owner": Text(),  # a seat that may have gone bankrupt since (the project is then dropped)
        "region": Ref("region"),
        "size": AMOUNT,
        "detail": Text(),
        "started": QUARTER_INDEX,
        "done": QUARTER_INDEX,
        "cost_busd": MONEY,
        "subsidy_busd": MONEY,
        "name": Text(),
        "grid_mw": AMOUNT,
        "grid_done_mw": AMOUNT,
        "connected": Num(lo=-1, hi=40000, integer=True),
        "onsite": Flag(),
    },
    extra=Scalarish(),
)

#: A deal between seats (`sovereign.sim.phases.diplomacy`); quarters are -1 until they happen.
DEAL = Record(
    required={
        "id": Num(lo=0, hi=1e7, integer=True),
        "kind": OneOf(DEAL_KINDS),
        "proposer": Text(),  # seats that may have gone bankrupt since
        "partner": Text(),
        "status": OneOf(("offered", "active", "rejected", "expired", "ended", "broken")),
        "offered": QUARTER_INDEX,
        "start": Num(lo=-1, hi=40000, integer=True),
        "end": Num(lo=-1, hi=40100, integer=True),
        "closed": Num(lo=-1, hi=40100, integer=True),
        "quarters": Num(lo=1, hi=80, integer=True),
        "payment_busd_per_quarter": Num(lo=-100, hi=100),
        "supplier_is_proposer": Flag(),
        "accelerator": Maybe(Ref("accelerator")),
        "h100e_per_quarter": AMOUNT,
        "price_usd": AMOUNT,
        "region": Maybe(Ref("region")),
        "counter_to": Maybe(Num(lo=0, hi=1e7, integer=True)),
        "broken_by": Maybe(Text()),
        "delivered_h100e": AMOUNT,
        "last_delivered_h100e": AMOUNT,
        "paid_busd": AMOUNT,
        "prior_licence": AnyValue(),
        "note": Text(),
    },
    optional={
        "datacenter": Maybe(Num(lo=0, hi=1e7, integer=True)),  # a datacenter sale's hall
        "mw": AMOUNT,  # a power contract's MW
        "delivered_mwh": AMOUNT,  # and the energy it has delivered
        "fab": Maybe(Num(lo=0, hi=1e7, integer=True)),  # a joint venture's fab
        "project": Maybe(Num(lo=0, hi=1e12, integer=True)),  # or its build under way
        "share": Num(lo=0, hi=1),  # the investor's stake
        "earned_busd": AMOUNT,  # and what it has earned
    },
)

#: A covert operation (`sovereign.sim.phases.diplomacy`): secret until `revealed` >= 0.
COVERT = Record(
    required={
        "id": Num(lo=0, hi=1e7, integer=True),
        "operation": OneOf(("cyber_operation", "espionage", "smuggling_network", "stockpiling")),
        "actor": Ref("region"),
        "target": Maybe(Ref("region")),
        "quarter": QUARTER_INDEX,
        "busd": AMOUNT,
        "until": QUARTER_INDEX,
        "revealed": Num(lo=-1, hi=40000, integer=True),
        "seed": Num(lo=0, hi=2**31, integer=True),
    },
    optional={  # a covert stockpile's class, chips held, money spent, where they were made, release
        "accelerator": Ref("accelerator"),
        "stock_h100e": AMOUNT,
        "spent_busd": AMOUNT,
        "origin": ListOf(AMOUNT, "R"),
        "released": Num(lo=-1, hi=40000, integer=True),
    },
)

#: The world arrays (`sovereign.sim.world.World`): every field, its dtype kind and shape.
WORLD = Record(
    required={
        "grid_mw": Arr("f", ("R", "T"), lo=0),
        "base_demand_mw": Arr("f", ("R",), lo=0),
        "conventional_dc_mw": Arr("f", ("R",), lo=0),
        "pue": Arr("f", ("R",), lo=1.0, hi=10.0),
        "export_tier": Arr("i", ("R",), lo=1, hi=3),
        "localisation": Arr("b", ("R",)),
        "subsidy": Arr("f", ("R",), lo=0, hi=1),
        "subsidy_credibility": Arr("f", ("R",), lo=0, hi=1),
        "subsidy_owed_busd": Arr("f", ("R",), lo=0),
        "subsidy_paid_busd": Arr("f", ("R",), lo=0),
        "security_busd": Arr("f", ("R",), lo=0),
        "dc_last": Arr("b", ("R",)),
        "permitting_quarters": Arr("i", ("R",), lo=0, hi=400),
        "incident_penalty": Arr("f", ("R",)),
        "bloc_member": Arr("b", ("B", "R")),
        "bloc_application": Arr("i", ("B", "R"), lo=-1, hi=40000),
        "tier_cap": Arr("f", (3, "G"), lo=0, allow_inf=True),
        "gdp_busd": Arr("f", ("R",), lo=0),
        "dc_region": Arr("i", ("D",), index="R"),
        "dc_owner": Arr("i", ("D",), index="N"),
        "dc_it_mw": Arr("f", ("D",), lo=0),
        "dc_pue": Arr("f", ("D",), lo=1.0, hi=10.0),
        "dc_stock": Arr("f", ("D", "G"), lo=0),
        "dc_kw": Arr("f", ("D",), lo=0),
        "dc_origin": Arr("f", ("D", "R"), lo=0),
        "dc_util": Arr("f", ("D",), lo=0, hi=1),
        "dc_contract_rent": Arr("f", ("D",), lo=0),
        "dc_energy": Arr("f", ("D",), lo=0.1, hi=1.0),
        "dc_upgrades": Arr("i", ("D",), lo=0),
        "dc_name": ListOf(Text(), length="D"),
        "fab_region": Arr("i", ("F",), index="R"),
        "fab_owner": Arr("i", ("F",), index="N"),
        "fab_class": Arr("i", ("F",), index="G"),
        "fab_capacity": Arr("f", ("F",), lo=0),
        "fab_online": Arr("i", ("F",), lo=0, hi=40000),
        "fab_name": ListOf(Text(), length="F"),
        "pkg_region": Arr("i", ("L",), index="R"),
        "pkg_owner": Arr("i", ("L",), index="N"),
        "pkg_capacity": Arr("f", ("L",), lo=0),
        "pkg_online": Arr("i", ("L",), lo=0, hi=40000),
        "pkg_name": ListOf(Text(), length="L"),
        "hbm_capacity": Arr("f", ("H",), lo=0),
        "hbm_orders": Arr("f", ("Ho", 3), lo=0),
        "licence_cap": Arr("f", ("R", "G"), lo=0, allow_nan=True),
        "licence_share": Arr("f", ("R", "G"), lo=0, hi=1),
        "import_ban": Arr("b", ("R", "G")),
        "enforcement_busd": Arr("f", ("R",), lo=0),
        "supply_threat": Arr("f", ("R",), lo=0, hi=1),
        "disruption_shield": Arr("f", ("R",), lo=0, hi=1),
        "shield_until": Arr("i", ("R",), lo=-1, hi=40000),
        "build_delay": Arr("f", ("R",), lo=-0.5, hi=0.5),
        "plant_region": Arr("i", ("P",), index="R"),
        "plant_owner": Arr("i", ("P",), index="N"),
        "plant_tech": Arr("i", ("P",), index="T"),
        "plant_mw": Arr("f", ("P",), lo=0),
        "grid_orders": Arr("f", ("Go", 4), lo=0),
        "network_orders": Arr("f", ("No", 3), lo=0),
        "connection_mw_q": Arr("f", ("R",), lo=0),
        "queue_others": Arr("f", ("Qo", 4), lo=-1),
        "moratorium_until": Arr("i", ("R",), lo=-1, hi=2_000_000),
        "onsite_required": Arr("b", ("R",)),
        "large_load_tariff": Arr("f", ("R",), lo=0),
        "min_take_share": Arr("f", ("R",), lo=0, hi=1),
        "network_charge": Arr("f", ("R",), allow_nan=True),
        "projects": ListOf(PROJECT),
        "trust": Arr("f", ("R", "R"), lo=0, hi=1),
        "deals": ListOf(DEAL),
        "covert": ListOf(COVERT),
    }
)

ECONOMY = Obj(
    "Economy",
    {
        "regional_demand_h100e": AMOUNT,
        "growth": Num(lo=-10, hi=10),
        "efficiency_mult": Num(lo=1e-9, hi=1e9),
        "funding_winter_left": COUNT,
        "startups_spawned": COUNT,
        "startups_failed": COUNT,
        "next_event_id": COUNT,
        "outside_busd": MONEY,
        "initial_money_busd": MONEY,
        "budget_scale": Num(lo=0, hi=1e9),
        "decisions": ListOf(
            Record(required={"event_id": COUNT, "seat": Text(), "inject": Num(lo=0, hi=1e6, integer=True)})
        ),
        "scheduled": ListOf(
            Record(
                required={
                    "quarter": Num(lo=0, hi=40000, integer=True),
                    "kind": Text(),
                    "region": Maybe(Ref("region")),
                    "actor": Maybe(Text()),
                    "magnitude": Num(lo=0, hi=1e4),
                    "headline": Text(),
                    "text": Text(),
                }
            )
        ),
        "turbine_backlog_gw": Num(lo=0, hi=1e7),
        "shared_risk": Num(lo=0, hi=1e3),
        "shared_loss": Num(lo=-1, hi=40100, integer=True),
        "tension_q": Num(lo=0, hi=1e6),
    },
)

_R_FLOATS = Arr("f", ("R",), finite=False, allow_inf=True)
_PILLARS = Maybe(
    Record(
        required={
            k: Arr("f", ("R",))
            for k in (
                "compute_self_reliance",
                "power_adequacy",
                "chip_security",
                "data_governance",
                "cyber_resilience",
                "sovereignty_index",
            )
        },
        extra=AnyValue(),
    )
)
#: Last quarter's results (`sovereign.sim.state.QuarterResults`), which the AI and the next quarter
#: read. Before the first quarter the arrays a phase fills are empty: a shape symbol takes its size
#: from the first array that uses it, and the played-quarter cross-check asks for the rest.
RESULTS = Obj(
    "QuarterResults",
    {
        "played": Flag(),
        "power": Obj(
            "PowerResults",
            {
                "market": Maybe(ResultObject(("PowerResult", "SimpleNamespace"))),
                "price_avg": Arr("f", ("R",)),
                "retail": Arr("f", ("R",)),
                "dc_price": Arr("f", ("R",)),
                "capacity_usd_mw_day": Arr("f", ("R",), lo=0),
                "wholesale_avg": Arr("f", ("R?",)),
                "dc_curtail_rows": Arr("f", ("D?",), lo=0, hi=1),
                "dc_curtail": Arr("f", ("R",), lo=0, hi=1),
                "reserve_margin": Arr("f", ("R",), allow_inf=True),
                "demand_mw": Arr("f", ("S?", "R?")),
                "price": Arr("f", ("S?", "R?")),
                **{
                    k: Arr("f", ("R?",), finite=False, allow_inf=True)
                    for k in (
                        "dc_energy_mwh",
                        "dc_energy_wanted_mwh",
                        "ai_energy_mwh",
                        "emissions_mt",
                        "grid_intensity",
                        "dc_emissions_mt",
                    )
                },
            },
        ),
        "chips": Obj(
            "ChipResults",
            {
                "supply": Arr("f", ("G",), lo=0),
                "price": Arr("f", ("G",)),
                "sold": Arr("f", ("G",), lo=0),
                "fab_revenue_busd": Arr("f", ("F?",), lo=0),
                "fab_cost_busd": Arr("f", ("F?",), lo=0),
                "wafers": Arr("f", ("G",), lo=0),
                "capacity": Arr("f", ("G",), lo=0),
                "made": Arr("f", ("G",), lo=0),
                "ordered": Arr("f", ("G",), lo=0),
                "contract_price": Arr("f", ("G",), lo=0),
                "grey": Arr("f", ("G",), lo=0),
                "licence_busd": Arr("f", ("G",), lo=0),
            },
        ),
        "compute": Obj(
            "ComputeResults",
            {
                "segments": Obj(
                    "Segments",
                    {
                        "region": Arr("i", ("M",), index="R"),
                        "klass": Arr("U", ("M",)),
                        "qty": Arr("f", ("M",), lo=0),
                        "wtp": Arr("f", ("M",)),
                        "owner": ListOf(Maybe(Text()), length="M"),
                        "fringe": Arr("b", ("M",)),
                    },
                ),
                "market": Maybe(ResultObject(("ComputeResult", "SimpleNamespace"))),
                "clusters": Arr("i", ("K",), index="D"),
                "cluster_cost": Arr("f", ("K",)),
                "cluster_capacity": Arr("f", ("K",), lo=0),
                "served": Arr("f", ("M",), lo=0),
                "alloc": Arr("f", ("M?", "K?"), lo=0),
                "price": Arr("f", ("K",)),
                "price_region": Arr("f", ("R",)),
                "price_global": Num(),
                "spot_price_global": Num(),
                "contract_price": Arr("f", ("K",)),
            },
        ),
        "pillars": _PILLARS,
        "effects": Obj(
            "EventEffects",
            {
                # sized when the quarter's events struck, before that quarter's projects finished
                "fab_derate": Arr("f", ("Fe?",), lo=0, hi=1),
                "heat": Arr("f", ("R?",), lo=0),
                "pkg_derate": Arr("f", ("Le?",), lo=0, hi=1),
            },
        ),
    },
)

_ROW = MapOf(Text(), Scalarish())
#: Metrics rows: every row names its quarter; the columns the summary tables print are numbers.
_NATION_ROW = Rows(
    required={
        "quarter": QuarterLabel(),
        "region": Ref("region"),
        **{
            k: Num(finite=False)
            for k in (
                "sovereignty_index",
                "compute_self_reliance",
                "power_adequacy",
                "chip_security",
                "data_governance",
                "cyber_resilience",
                "compute_share",
                "dc_electricity_twh",
                "retail_price_usd_mwh",
                "compute_price_usd_hour",
            )
        },
    },
)
_WORLD_ROW = Rows(
    required={
        "quarter": QuarterLabel(),
        **{
            k: Num(finite=False)
            for k in (
                "dc_electricity_twh",
                "ai_electricity_twh",
                "compute_capacity_h100e",
                "compute_served_h100e",
                "compute_price_usd_hour",
                "emissions_mt",
            )
        },
    },
)
METRICS = Record(
    required={
        "nations": Encoded(_NATION_ROW),
        "firms": Encoded(Rows(required={"quarter": QuarterLabel(), "firm": Text()})),
        "world": Encoded(_WORLD_ROW),
        "holdings": Encoded(
            Rows(
                required={
                    "quarter": QuarterLabel(),
                    "firm": Text(),
                    "firm_home": Ref("region"),
                    "region": Ref("region"),
                    "accelerator": Ref("accelerator"),
                    "h100e": Num(lo=0),
                }
            )
        ),
        "connections": Encoded(
            Rows(
                required={
                    "quarter": QuarterLabel(),
                    "region": Ref("region"),
                    "owner": Text(),
                    "grid_mw": Num(lo=0),
                    "requested": QuarterLabel(),
                    "wait_quarters": Num(lo=0, integer=True),
                    "queue_quarters": Num(lo=0, integer=True),
                    "onsite": Flag(),
                }
            )
        ),
        "plant_orders": Encoded(
            Rows(
                required={
                    "quarter": QuarterLabel(),
                    "region": Ref("region"),
                    "by": Text(),
                    "ai": Flag(),
                    "technology": Text(),
                    "mw": Num(lo=0),
                    "purpose": Text(),
                    "availability": Num(lo=0, hi=1),
                }
            )
        ),
        # the prices the AI reads with its lag (sovereign.sim.metrics): shapes fixed by the scenario
        "signals": Encoded(
            ListOf(
                Record(
                    required={
                        "compute_price_region": Arr("f", ("R",)),
                        "dc_power_price": Arr("f", ("R",)),
                        "chip_price": Arr("f", ("G",)),
                    },
                    # orders the fabs could not fill, by class (what fabs expand for)
                    optional={"chip_unmet": Arr("f", ("G",))},
                    extra=AnyValue(),
                )
            )
        ),
    }
)

LOG_ENTRY = Rows(
    required={
        "quarter": QuarterLabel(),
        "seat": Text(),
        "command": _COMMAND,
        "accepted": Flag(),
        "reason": Text(),
        "stage": Text(),
    },
)
NEWS_ITEM = Rows(required={"quarter": QuarterLabel(), "kind": Text(), "headline": Text()})

MESA = Maybe(
    Record(
        required={
            "steps": COUNT,
            "time": Num(lo=0),
            "running": Flag(),
            "agent_id_counter": Num(lo=1, integer=True),
            "seed": AnyValue(),
            "rng": Encoded(_BITGEN),
            "initial_rng": AnyValue(),
            "random": AnyValue(),
        }
    )
)

#: Every top-level part of a game state, in `sovereign.persist.state.STATE_KEYS` order.
STATE_LAYOUT: dict[str, Spec] = {
    "scenario": Record(required={"id": AnyValue(), "title": AnyValue(), "hash": Text(), "content": AnyValue()}),
    "seed": Record(
        required={
            "entropy": AnyValue(),
            "spawn_key": ListOf(Num(lo=0, integer=True)),
            "pool_size": Num(lo=4, hi=64, integer=True),
            "n_children_spawned": COUNT,
        }
    ),
    "difficulty": OneOf(("easy", "normal", "hard")),
    "human_seats": ListOf(Ref("seat")),
    "quarter": QUARTER_INDEX,
    "rngs": Record(required={name: Encoded(_BITGEN) for name in ("events", "agents", "startups")}),
    "seats": ListOf(SEAT),
    "seat_ids": ListOf(Text(), length="N"),
    "retired_homes": MapOf(Ref("seat"), Ref("region")),
    "world": Encoded(WORLD),
    "economy": Encoded(ECONOMY),
    "pending": MapOf(Ref("seat"), ListOf(_COMMAND)),
    "pending_decisions": Encoded(MapOf(Ref("seat"), MapOf(Num(integer=True, lo=0), ListOf(Text())))),
    "bids": Maybe(ListOf(ListOf(AnyValue(), length=None))),
    "command_log": Encoded(LOG_ENTRY),
    "news": Encoded(NEWS_ITEM),
    "quarter_news": Maybe(Encoded(NEWS_ITEM)),
    "flows": Encoded(MapOf(Text(), MONEY)),
    "metrics": METRICS,
    "results": Encoded(RESULTS),
    "mesa": MESA,
}


# ----------------------------------------------------------------------------------------------
# checks across fields
def _check_seats(state: dict[str, Any], ctx: Context) -> None:
    seat_ids = state.get("seat_ids")
    seats = state.get("seats")
    if not isinstance(seat_ids, list) or not isinstance(seats, list):
        return
    if len(set(map(repr, seat_ids))) != len(seat_ids):
        ctx.report("game.seat_ids", "a seat id is listed twice")
    listed = [s.get("id") for s in seats if isinstance(s, dict)]
    if len(set(map(repr, listed))) != len(listed):
        ctx.report("game.seats", "a seat appears twice")
    present = {s for s in listed if isinstance(s, str)}
    for region in sorted(ctx.names["region"]):
        if region not in present:
            ctx.report("game.seats", f"the nation {region} is missing")
    for seat in state.get("human_seats") or []:
        if isinstance(seat, str) and seat in ctx.names["seat"] and seat not in present:
            ctx.report("game.human_seats", f"{seat!r} is not playing (retired or missing)")


def _check_quarters(state: dict[str, Any], ctx: Context) -> None:
    quarter = state.get("quarter")
    start, end = ctx.sizes.get("start_q"), ctx.sizes.get("end_q")
    if isinstance(quarter, int) and start is not None and end is not None and not start <= quarter <= end + 1:
        ctx.report("game.quarter", f"{quarter} is outside the game ({start} to {end + 1})")


def _check_projects(world: Any, ctx: Context) -> None:
    projects = world.get("projects") if isinstance(world, dict) else None
    for i, p in enumerate(projects if isinstance(projects, list) else []):
        if not isinstance(p, dict):
            continue
        where = f"game.world.projects.{i}"
        kind, detail = p.get("kind"), p.get("detail")
        if not isinstance(detail, str):
            continue  # the layout reports its type
        if kind == "build_plant" and detail not in ctx.names["technology"]:
            ctx.report(f"{where}.detail", f"{detail!r} is not a technology")
        if kind == "build_fab" and detail not in ctx.names["accelerator"]:
            ctx.report(f"{where}.detail", f"{detail!r} is not an accelerator class")
        started, done = p.get("started"), p.get("done")
        if isinstance(started, int) and isinstance(done, int) and done < started:
            ctx.report(f"{where}.done", f"completes ({done}) before it started ({started})")


def _check_decisions(state: dict[str, Any], ctx: Context) -> None:
    """A queued ``decide`` must answer a decision that is pending, with one of its options, once.

    Why: the quarter applies answers without re-checking them, so a forged answer (or an answer an
    AI seat would give a second time) ends in an IndexError half-way through the quarter.
    """
    pending = state.get("pending")
    try:
        decisions = decode(state.get("pending_decisions"), "pending_decisions")
    except CodecError:
        return  # already reported
    if not isinstance(pending, dict) or not isinstance(decisions, dict):
        return
    listed = state.get("human_seats")
    humans = {s for s in listed if isinstance(s, str)} if isinstance(listed, list) else set()
    for seat, commands in pending.items():
        answered: set[Any] = set()
        for i, cmd in enumerate(commands if isinstance(commands, list) else []):
            if not isinstance(cmd, dict) or cmd.get("kind") != "decide":
                continue
            where = f"game.pending.{seat}.{i}"
            if seat not in humans:  # an AI seat answers its own decisions during the quarter
                ctx.report(where, f"a queued answer to a decision, but {seat} is played by the AI")
                continue
            event, option = cmd.get("event_id"), cmd.get("option")
            mine = decisions.get(seat)
            options = mine.get(event) if isinstance(mine, dict) and isinstance(event, int) else None
            if not isinstance(options, list):
                ctx.report(where, f"answers decision {event!r}, which is not pending for {seat}")
            elif not isinstance(option, int) or isinstance(option, bool) or not 0 <= option < len(options):
                ctx.report(where, f"option {option!r} is not one of the {len(options)} options")
            elif event in answered:
                ctx.report(where, f"decision {event!r} is answered twice")
            if isinstance(event, int):
                answered.add(event)


def _check_results_after_first_quarter(state: dict[str, Any], ctx: Context) -> None:
    """Once a quarter has been played, its results must be complete (the AI and the UI read them)."""
    quarter, start = state.get("quarter"), ctx.sizes.get("start_q")
    if not isinstance(quarter, int) or start is None or quarter <= start:
        return
    try:
        results = decode(state.get("results"), "results")
    except CodecError:
        return  # already reported
    if type(results).__name__ != "QuarterResults":
        return  # already reported
    n_r = ctx.sizes.get("R", 0)
    if not results.played:
        ctx.report("game.results.played", "false although a quarter has been played")
    for part in ("power", "compute"):
        if getattr(getattr(results, part, None), "market", None) is None:
            ctx.report(f"game.results.{part}.market", "missing (a quarter has been played)")
    power = getattr(results, "power", None)
    demand = getattr(power, "demand_mw", None)
    if isinstance(demand, np.ndarray) and (demand.ndim != 2 or demand.shape[1] != n_r):
        ctx.report("game.results.power.demand_mw", f"shape {demand.shape} does not fit the {n_r} regions")
    if results.pillars is None:
        ctx.report("game.results.pillars", "missing (a quarter has been played)")


#: Command fields that name something in the scenario, and what kind of id they hold.
COMMAND_REFERENCES = {
    "region": "region",
    "accelerator": "accelerator",
    "technology": "built technology",
    "bloc": "bloc",
    "target": "region",
}


def _check_queued_commands(state: dict[str, Any], ctx: Context) -> None:
    """Queued commands and last quarter's bids may only name regions, classes and blocs that exist.

    Why: they were validated when submitted, and the quarter prices them (a datacenter's cost
    reads its region's capex) before validating them again, so a forged region is a KeyError
    half-way through the quarter.
    """
    queued: list[tuple[str, Any]] = []
    pending = state.get("pending")
    if isinstance(pending, dict):
        for seat, commands in pending.items():
            for i, cmd in enumerate(commands if isinstance(commands, list) else []):
                queued.append((f"game.pending.{seat}.{i}", cmd))
    bids = state.get("bids")
    for i, bid in enumerate(bids if isinstance(bids, list) else []):
        if isinstance(bid, list) and len(bid) == 2:
            Ref("seat").check(bid[0], f"game.bids.{i}.0", ctx)
            queued.append((f"game.bids.{i}.1", bid[1]))
        else:
            ctx.report(f"game.bids.{i}", "expected a [seat, command] pair")
    for where, cmd in queued:
        if not isinstance(cmd, dict):
            continue  # reported by the layout
        for key, kind in COMMAND_REFERENCES.items():
            if key in cmd:  # optional in some commands (a deal's region defaults to the buyer's home)
                Maybe(Ref(kind)).check(cmd[key], f"{where}.{key}", ctx)
        if "partner" in cmd:
            Ref("seat").check(cmd["partner"], f"{where}.partner", ctx)


#: Checks relating several parts: (name, function(state, context)).
CROSS_CHECKS: list[tuple[str, Callable[[dict[str, Any], Context], None]]] = [
    ("seats", _check_seats),
    ("quarter", _check_quarters),
    ("decisions", _check_decisions),
    ("queued commands", _check_queued_commands),
    ("quarter results", _check_results_after_first_quarter),
]


# ----------------------------------------------------------------------------------------------
def context_for(scenario: Any, seat_ids: Iterable[Any]) -> Context:
    """The sizes and names a state of `scenario` with these seats is checked against."""
    from sovereign.scenario.schema import quarter_index
    from sovereign.sim.world import TECHNOLOGIES

    seats = [s for s in seat_ids if isinstance(s, str)]
    return Context(
        sizes={
            "R": len(scenario.regions),
            "T": len(TECHNOLOGIES),
            "G": len(scenario.accelerators),
            "B": len(scenario.blocs),
            "S": len(scenario.time.slices),
            "N": len(seats),
            "start_q": quarter_index(scenario.time.start),
            "end_q": quarter_index(scenario.time.end),
        },
        names={
            "region": {r.id for r in scenario.regions},
            "seat": set(seats),
            "accelerator": {a.id for a in scenario.accelerators},
            "technology": set(TECHNOLOGIES),
            "bloc": {b.id for b in scenario.blocs},
            # what a command may build: a technology the scenario prices
            "built technology": set(scenario.technologies) & set(TECHNOLOGIES),
        },
    )


def layout_problems(state: Any, scenario: Any) -> list[str]:
    """Every problem of a game state's layout, given its (already validated) scenario.

    Args:
        state: The ``game`` object of a save (`sovereign.persist.state.model_to_state` layout).
        scenario: The scenario the state belongs to.

    Returns:
        One line per problem, each starting with the dotted path of the field; [] if none.
    """
    if not isinstance(state, dict):
        return ["game: expected a mapping"]
    seat_ids = state.get("seat_ids")
    ctx = context_for(scenario, seat_ids if isinstance(seat_ids, list) else [])
    for key, spec in STATE_LAYOUT.items():
        where = f"game.{key}"
        if key not in state:
            ctx.report(where, "missing")
            continue
        # seats are named by id in their path, for the reader
        if key == "seats" and isinstance(state[key], list):
            for i, item in enumerate(state[key]):
                sid = item.get("id") if isinstance(item, dict) else None
                SEAT.check(item, f"{where}.{i}({sid})" if isinstance(sid, str) else f"{where}.{i}", ctx)
            continue
        _guarded(spec.check, (state[key], where, ctx), where, ctx)
    for key in state:
        if key not in STATE_LAYOUT:
            ctx.report(f"game.{key}", "unexpected part")
    for name, check in CROSS_CHECKS:
        _guarded(check, (state, ctx), f"game ({name})", ctx)
    try:
        world = decode(state.get("world"), "world")
    except CodecError:
        world = None  # already reported
    _check_projects(world, ctx)
    return ctx.problems


def _guarded(step: Callable[..., None], args: tuple[Any, ...], where: str, ctx: Context) -> None:
    """Run one check; a value so odd that the check itself fails is reported, never raised.

    Why: the validator is the boundary that keeps crafted files from crashing the game, so it
    must not become the crash itself (a list where an id was expected cannot even be hashed).
    """
    try:
        step(*args)
    except Exception as exc:  # any failure here means the value is malformed
        ctx.report(where, f"malformed ({type(exc).__name__}: {exc})")


def validate_state(state: Any, scenario: Any) -> None:
    """Raise `SaveLayoutError` listing every problem of `state`, or return when it is sound."""
    problems = layout_problems(state, scenario)
    if problems:
        raise SaveLayoutError(problems)


__all__ = [
    "CROSS_CHECKS",
    "STATE_LAYOUT",
    "Arr",
    "Context",
    "Encoded",
    "Flag",
    "ListOf",
    "MapOf",
    "Maybe",
    "Num",
    "OneOf",
    "Record",
    "Ref",
    "SaveLayoutError",
    "Spec",
    "Text",
    "context_for",
    "layout_problems",
    "validate_state",
]
