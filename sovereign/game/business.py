"""A firm's compute business and its valuation, in figures and plain words (no pygame).

What the Business screen shows and the quarter report cites, read from the model after a quarter:

- `business_book`: the seat's compute last quarter (capacity, sold on the spot market, reserved
  under contracts, idle), its average price against its running cost and the world's price, its
  price floor and what the floor left unsold, its compute contracts, the offers of contracts
  waiting for its answer, and the labs and startups that wanted compute, each with the contract
  a player could offer it (`Customer.offer`, the ``offer_deal`` form's values).
- `valuation_story`: why the firm's valuation moved. The valuation follows the finance phase's
  rule (`sovereign.sim.phases.finance`, ``_book_quarter``): each quarter it closes
  ``finance.valuation_smoothing`` of the gap to a fundamental value, a year of revenue times a
  multiple that rises with revenue growth over the year, plus net cash; a funding round adds the
  money raised divided by the share sold. The parts are rebuilt from ``model.metrics.firms`` rows,
  the quarter played against the one before, and the revenue's move is put in words from the
  market's figures (the floor's unsold compute, the installed compute, the world's price, the
  compute a lab was served). `valuation_cause` is the one sentence the quarter report prints.

Why here and not in the screen: the classroom's student page can show the same words, and the
report and the screen must give one reason for one move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sovereign.game import fmt
from sovereign.sim.economics import HOURS_PER_QUARTER
from sovereign.sim.phases import compute, diplomacy
from sovereign.sim.phases.finance import fundamental_value_busd

#: The share of its demand a buyer fully served on the spot market is offered under contract
#: (assumption: a buyer moves part of its compute to a new supplier at a time, as labs spread
#: their reservations; the scenario's ``diplomacy.compute_offer_share`` caps the lab's own asks the same way).
CONTRACT_SLICE = 0.25
#: How far below what a fully served buyer paid the suggested contract price is (assumption: the
#: AI signs a contract below what compute cost it last quarter, `sovereign.sim.policy.deals`;
#: 5% is a committed-use discount of the usual size, 2024-26 cloud price lists).
UNDERCUT = 0.05
#: Steps of the offer form's sliders: volumes in 5,000 H100e, prices in 5 cents an H100e-hour.
VOLUME_STEP_H100E = 5_000
PRICE_STEP_USD = 0.05
#: The offer form's largest volume, H100e a quarter (`sovereign.game.actions`, the deal fields).
VOLUME_MAX_H100E = 500_000
#: A change smaller than this share reads as "about the same" (prices, revenue, compute).
SAME = 0.02
#: Share of a seat's compute the floor must leave unsold before it is named as a cause.
NOTABLE_IDLE = 0.01


@dataclass(frozen=True)
class Contract:
    """A compute contract of the seat, running or offered.

    Attributes:
        deal_id: The deal's id (what Break and Accept name).
        other: The seat on the other side.
        other_name: Its name.
        selling: The seat supplies the compute (else it buys it).
        h100e: H100e a quarter reserved.
        price_usd_per_hour: The agreed price per H100e-hour, used or not.
        quarters_left: Quarters of the term left, this one included (the term, for an offer).
        delivered_h100e: H100e reserved so far, summed over the quarters served.
        last_h100e: H100e reserved last quarter.
        paid_busd: What the buyer has paid for it so far, $B.
        per_quarter_busd: What a full quarter of it is worth, $B.
        status: ``active`` or ``offered``.
        note: The model's note on it ("the buyer wanted no compute this quarter"), or "".
    """

    deal_id: int
    other: str
    other_name: str
    selling: bool
    h100e: float
    price_usd_per_hour: float
    quarters_left: int
    delivered_h100e: float
    last_h100e: float
    paid_busd: float
    per_quarter_busd: float
    status: str
    note: str


@dataclass(frozen=True)
class Customer:
    """A lab or startup that wanted compute last quarter, and the contract a player could offer it.

    Attributes:
        seat: Its seat id.
        name: Its name.
        kind: ``AI lab`` or ``AI startup``.
        home: Its home nation's name.
        demand_h100e: H100e it wanted.
        served_h100e: H100e it was served (spot market and contracts).
        paid_usd_per_hour: What it paid per H100e-hour on average (None: served nothing).
        short: Served under 95% of what it wanted (the AI labs' own test).
        yours_h100e: H100e a quarter your running contracts reserve for it.
        offer: The ``offer_deal`` form's values for a contract (None: no compute left to offer).
    """

    seat: str
    name: str
    kind: str
    home: str
    demand_h100e: float
    served_h100e: float
    paid_usd_per_hour: float | None
    short: bool
    yours_h100e: float
    offer: dict[str, Any] | None


@dataclass(frozen=True)
class BusinessBook:
    """A seat's compute business in the quarter last played.

    Attributes:
        seat: The seat.
        owns_datacenters: It owns at least one datacenter (else it has no compute to sell).
        capacity_h100e: H100e its datacenters offered.
        spot_h100e: H100e sold on the spot market.
        contracted_h100e: H100e reserved under its contracts as supplier.
        idle_h100e: H100e left unsold.
        priced_out_h100e: Of the idle, H100e on datacenters whose running cost is below the floor:
            compute the floor kept off the market at prices buyers paid.
        price_usd_per_hour: Average spot price of what it sold (None: sold nothing).
        cost_usd_per_hour: Average running cost (power and operations) of what it sold.
        market_price_usd_per_hour: The world's average spot price.
        floor_usd_per_hour: Its price floor (None: sells at the market's price).
        spot_revenue_busd: What the spot market paid it, $B.
        contract_revenue_busd: What its contracts paid it, $B.
        free_h100e: Compute not yet promised under contracts (capacity less contracted volumes).
        contracts: Its running compute contracts, as supplier or buyer.
        offers_in: Compute contracts offered to it, waiting for its answer.
        offers_out: Compute contracts it offered, waiting for the other side.
        customers: Labs and startups that wanted compute, largest demand first.
    """

    seat: str
    owns_datacenters: bool
    capacity_h100e: float
    spot_h100e: float
    contracted_h100e: float
    idle_h100e: float
    priced_out_h100e: float
    price_usd_per_hour: float | None
    cost_usd_per_hour: float | None
    market_price_usd_per_hour: float
    floor_usd_per_hour: float | None
    spot_revenue_busd: float
    contract_revenue_busd: float
    free_h100e: float
    contracts: list[Contract] = field(default_factory=list)
    offers_in: list[Contract] = field(default_factory=list)
    offers_out: list[Contract] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)

    @property
    def sold_h100e(self) -> float:
        """Everything sold: spot and contracts."""
        return self.spot_h100e + self.contracted_h100e


def _contract(model: Any, deal: dict[str, Any], seat: str) -> Contract:
    seller, buyer = diplomacy.supplier_and_buyer(deal)
    other = buyer if seller == seat else seller
    price = float(deal["price_usd"])
    active = deal["status"] == "active"
    left = int(deal["end"]) - int(model.quarter) + 1 if active else int(deal["quarters"])
    agent = model.seats.get(other)
    return Contract(
        deal_id=int(deal["id"]),
        other=other,
        other_name=str(agent.name) if agent is not None else "a firm that has left the game",
        selling=seller == seat,
        h100e=float(deal["h100e_per_quarter"]),
        price_usd_per_hour=price,
        quarters_left=max(left, 0),
        delivered_h100e=float(deal["delivered_h100e"]),
        last_h100e=float(deal["last_delivered_h100e"]),
        paid_busd=float(deal["delivered_h100e"]) * price * HOURS_PER_QUARTER / 1e9,
        per_quarter_busd=float(deal["h100e_per_quarter"]) * price * HOURS_PER_QUARTER / 1e9,
        status=str(deal["status"]),
        note=str(deal.get("note") or ""),
    )


def _mine(model: Any, seat: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(capacity, sold, spot price, running cost, cluster ids) of the seat's clusters last quarter."""
    res = model.results.compute
    k_ix = np.asarray(res.clusters, np.int64)
    pos = model.seat_pos.get(seat, -1)
    mine = model.world.dc_owner[k_ix] == pos if len(k_ix) else np.zeros(0, bool)
    alloc = np.asarray(res.alloc)
    sold = alloc.sum(0)[mine] if alloc.size else np.zeros(int(mine.sum()))
    capacity = np.asarray(res.cluster_capacity, float)[mine] if len(res.cluster_capacity) else np.zeros(0)
    price = np.asarray(res.price, float)[mine] if len(res.price) else np.zeros(0)
    cost = np.asarray(res.cluster_cost, float)[mine] if len(res.cluster_cost) else np.zeros(0)
    return capacity, sold, price, cost, k_ix[mine] if len(k_ix) else k_ix


def business_book(model: Any, seat: str) -> BusinessBook:
    """The seat's compute business last quarter (see `BusinessBook`), from `compute.compute_book`."""
    book = compute.compute_book(model, seat)
    capacity, sold, price, cost, _ = _mine(model, seat)
    floor = book["floor"]
    # what the contracts reserved last quarter, those that ended or broke with it included
    served = [d for d in book["served"] if diplomacy.supplier_and_buyer(d)[0] == seat]
    contracted = min(sum(float(d["last_delivered_h100e"]) for d in served), float(sold.sum()))
    spot = float(sold.sum()) - contracted
    idle_k = np.maximum(capacity - sold, 0.0)
    priced_out = float(idle_k[cost < float(floor)].sum()) if floor else 0.0
    # the clusters' prices are spot prices: weigh them by what each sold beyond its reserved share
    total = float(sold.sum())
    spot_k = sold * (spot / total) if total > 0 else sold
    spot_revenue = float((price * spot_k).sum()) * HOURS_PER_QUARTER / 1e9
    contracts = [_contract(model, d, seat) for d in book["contracts"]]
    contract_revenue = sum(float(d["last_delivered_h100e"]) * float(d["price_usd"]) for d in served) * HOURS_PER_QUARTER
    promised = sum(c.h100e for c in contracts if c.selling)
    offers_in = [_contract(model, d, seat) for d in diplomacy.open_offers(model, seat) if d["kind"] == "compute_supply"]
    offers_out = [
        _contract(model, d, seat)
        for d in model.world.deals
        if d["status"] == "offered" and d["proposer"] == seat and d["kind"] == "compute_supply"
    ]
    owns = bool((model.world.dc_owner == model.seat_pos.get(seat, -1)).any())
    out = BusinessBook(
        seat=seat,
        owns_datacenters=owns,
        capacity_h100e=float(book["capacity"]),
        spot_h100e=spot,
        contracted_h100e=contracted,
        idle_h100e=max(float(book["capacity"]) - float(sold.sum()), 0.0),
        priced_out_h100e=priced_out,
        price_usd_per_hour=book["price"],
        cost_usd_per_hour=book["cost"],
        market_price_usd_per_hour=float(book["market_price"]),
        floor_usd_per_hour=float(floor) if floor else None,
        spot_revenue_busd=spot_revenue,
        contract_revenue_busd=contract_revenue / 1e9,
        free_h100e=max(float(book["capacity"]) - promised, 0.0),
        contracts=contracts,
        offers_in=offers_in,
        offers_out=offers_out,
    )
    out.customers.extend(_customers(model, seat, book, out))
    return out


def _customers(model: Any, seat: str, book: dict[str, Any], mine: BusinessBook) -> list[Customer]:
    """The buyers of the compute book, with the contract the seat could offer each."""
    out = []
    home_names = {r.id: r.name for r in model.scenario.regions}
    for b in book["buyers"]:
        if b["seat"] == seat:
            continue
        yours = sum(c.h100e for c in mine.contracts if c.selling and c.other == b["seat"])
        agent = model.seats[b["seat"]]
        name = str(b["name"])
        tag = f" ({b['home']})"  # a startup's name carries its home's code; the card names the nation
        out.append(
            Customer(
                seat=b["seat"],
                name=name[: -len(tag)] if name.endswith(tag) else name,
                kind="AI lab" if agent.kind == "lab" else "AI startup",
                home=home_names.get(b["home"], b["home"]),
                demand_h100e=b["demand_h100e"],
                served_h100e=b["served_h100e"],
                paid_usd_per_hour=b["paid_usd_per_hour"],
                short=bool(b["short"]),
                yours_h100e=yours,
                offer=suggested_offer(model, mine, b) if mine.owns_datacenters else None,
            )
        )
    return out


def suggested_offer(model: Any, mine: BusinessBook, buyer: dict[str, Any]) -> dict[str, Any] | None:
    """The ``offer_deal`` form's values for a compute contract with a buyer of the compute book.

    A buyer short of compute is offered its shortfall at what the AI labs ask for themselves
    (what it paid, or the world's price, plus ``diplomacy.compute_offer_premium``, at most its
    willingness to pay); a buyer served in full a `CONTRACT_SLICE` of its demand a little below
    what it paid (`UNDERCUT`). Never below the seat's own running cost, never more than the compute
    it has not promised yet, on the form's steps (at least one). None when it has not one step of
    compute left to promise.
    """
    sc = model.scenario
    d = sc.diplomacy
    demand, served = float(buyer["demand_h100e"]), float(buyer["served_h100e"])
    paid = buyer["paid_usd_per_hour"] or mine.market_price_usd_per_hour
    if buyer["short"]:
        want = demand - served
        agent = model.seats[buyer["seat"]]
        klass = "training" if agent.kind == "lab" else "inference"
        wtp = sc.demand.wtp_usd_per_hour[klass] * (sc.labs.lab_wtp_premium if agent.kind == "lab" else 1.0)
        price = min(paid * (1.0 + d.compute_offer_premium), wtp)
    else:
        want = CONTRACT_SLICE * demand
        price = paid * (1.0 - UNDERCUT)
    price = max(price, mine.cost_usd_per_hour or 0.0)
    room = VOLUME_STEP_H100E * int(min(mine.free_h100e, VOLUME_MAX_H100E) // VOLUME_STEP_H100E)
    volume = min(max(VOLUME_STEP_H100E * round(want / VOLUME_STEP_H100E), VOLUME_STEP_H100E), room)
    if volume < VOLUME_STEP_H100E or want <= 0:
        return None
    return {
        "partner": buyer["seat"],
        "deal_kind": "compute_supply",
        "quarters": int(d.compute_offer_quarters),
        "h100e_per_quarter": float(volume),
        "price_usd_per_hour": round(max(PRICE_STEP_USD, round(price / PRICE_STEP_USD) * PRICE_STEP_USD), 2),
        "supplier_is_proposer": True,
        "payment_busd_per_quarter": 0.0,
    }


def sales_words(book: BusinessBook) -> str:
    """What the seat's compute did last quarter, in a sentence (the report's price-floor line)."""
    if not book.owns_datacenters or book.capacity_h100e <= 0:
        return "Your datacenters had no compute to sell last quarter"
    parts = [f"You sold {fmt.h100e(book.sold_h100e)} of your {fmt.h100e(book.capacity_h100e)}"]
    if book.price_usd_per_hour is not None:
        parts[0] += f" at {money_hour(book.price_usd_per_hour)} on average on the spot market"
    parts.append(f"the world's average was {money_hour(book.market_price_usd_per_hour)}")
    if book.priced_out_h100e > NOTABLE_IDLE * book.capacity_h100e and book.floor_usd_per_hour:
        parts.append(
            f"your floor of {money_hour(book.floor_usd_per_hour)} left "
            f"{fmt.pct(book.priced_out_h100e / book.capacity_h100e)} of your compute unsold"
        )
    elif book.floor_usd_per_hour:
        parts.append("your floor left no compute unsold that could have sold above its running cost")
    return "; ".join(parts)


def money_hour(usd: float) -> str:
    """A price per H100e-hour in words a player reads: ``$1.25 an H100e-hour``."""
    return f"${usd:,.2f} an H100e-hour"


# -- the valuation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValuationParts:
    """The pieces of a firm's fundamental value in one quarter (the finance phase's rule).

    Attributes:
        quarter: The quarter's label.
        revenue_busd: Revenue in the quarter.
        growth: Revenue growth over the year the multiple reads (clipped as the rule clips it).
        revenue_value_busd: A year of revenue times the scenario's revenue multiple.
        growth_premium_busd: What revenue growth adds to (or takes from) that, $B.
        net_cash_busd: Cash less debt.
        other_busd: The group's businesses the game does not model (a cloud's or conglomerate's
            value beyond AI on its first quarter, held constant; 0 for labs and startups).
        fundamental_busd: Their sum (the AI part never below zero): where the valuation is heading.
        valuation_busd: The valuation booked at the end of the quarter.
    """

    quarter: str
    revenue_busd: float
    growth: float
    revenue_value_busd: float
    growth_premium_busd: float
    net_cash_busd: float
    other_busd: float
    fundamental_busd: float
    valuation_busd: float


@dataclass(frozen=True)
class ValuationStory:
    """Why a firm's valuation moved in the quarter played.

    Attributes:
        now: The parts in the quarter played.
        before: The parts in the quarter before (None in the first quarter).
        previous_busd: The valuation before the quarter was played.
        funding_busd: What funding rounds added at once (money raised / share sold).
        smoothing: The share of the gap to the fundamental value closed each quarter.
        headline: The move in one line.
        moves: What moved it, a sentence each, the biggest first (none in the first quarter).
        worth: What the quarter's figures say the firm is worth, and from which parts.
        trend: Where the valuation goes next while the figures stay ("" when it is there).
    """

    now: ValuationParts
    before: ValuationParts | None
    previous_busd: float
    funding_busd: float
    smoothing: float
    headline: str
    moves: list[str]
    worth: str
    trend: str

    @property
    def reasons(self) -> list[str]:
        """Every sentence of the story, in reading order."""
        return [*self.moves, self.worth, *([self.trend] if self.trend else [])]


def _growth(history: list[float]) -> float:
    """Revenue growth over the last year of quarters, clipped to [-50%, +200%] (finance.revenue_growth)."""
    if len(history) < 4 or history[0] <= 0:
        return 0.0
    return min(max(history[-1] / history[0] - 1.0, -0.5), 2.0)


def _parts(model: Any, rows: list[dict[str, Any]], i: int) -> ValuationParts:
    """The parts of quarter ``rows[i]`` from the firm's rows up to it, by the finance phase's rule."""
    row = rows[i]
    rev = float(row["revenue_busd"])
    growth = _growth([float(r["revenue_busd"]) for r in rows[max(0, i - 3) : i + 1]])
    net_cash = float(row["cash_busd"]) - float(row["debt_busd"])
    agent = model.seats.get(row["firm"])
    other = float(agent.state.get("other_business_busd") or 0.0) if agent is not None else 0.0
    value, premium, fundamental = fundamental_value_busd(model.scenario, rev, growth, net_cash, other)
    return ValuationParts(
        quarter=str(row["quarter"]),
        revenue_busd=rev,
        growth=growth,
        revenue_value_busd=value,
        growth_premium_busd=premium,
        net_cash_busd=net_cash,
        other_busd=other,
        fundamental_busd=fundamental,
        valuation_busd=float(row["valuation_busd"]),
    )


def _start_valuation(model: Any, seat: str) -> float | None:
    """A named firm's valuation before the first quarter (the scenario's)."""
    actor = next((a for a in model.scenario.actors if a.id == seat), None)
    return float(actor.valuation_busd) if actor is not None else None


def valuation_story(model: Any, seat: str) -> ValuationStory | None:
    """Why the seat's valuation moved in the quarter last played (None: a nation, or nothing played yet).

    The move is split as the finance phase makes it: new = old + funding + smoothing x
    (fundamental - old - funding); the funding part is what is left once the smoothing is
    accounted for, so the parts add up to the booked valuation.
    """
    rows = [r for r in model.metrics.firms if r["firm"] == seat]
    if not rows or seat in model.region_ix:
        return None
    now = _parts(model, rows, len(rows) - 1)
    before = _parts(model, rows, len(rows) - 2) if len(rows) >= 2 else None
    start = _start_valuation(model, seat) if before is None else before.valuation_busd
    previous = start if start is not None else now.valuation_busd
    s = model.scenario.finance.valuation_smoothing
    # funding: the jump the smoothing does not explain (zero but for rounding without a round)
    funding = (now.valuation_busd - s * now.fundamental_busd) / (1.0 - s) - previous if s < 1.0 else 0.0
    raised = before is None or int(rows[-1]["rounds_raised"]) > int(rows[-2]["rounds_raised"])
    if not raised or abs(funding) < 1e-6 * max(abs(previous), 1.0):
        funding = 0.0
    change = now.valuation_busd - previous
    pct = change / previous if previous > 0 else 0.0
    if abs(pct) < 0.0005:
        headline = f"Valuation {fmt.money(now.valuation_busd)}, about the same as the quarter before"
    else:
        verb = "up" if change > 0 else "down"
        headline = (
            f"Valuation {fmt.money(now.valuation_busd)}, {verb} {fmt.money(abs(change))} "
            f"({fmt.pct(abs(pct), 1)}) in {now.quarter}"
        )
    moves = _moves(model, seat, now, before, funding, s)
    # the part of the move that only catches up with where last quarter's figures already pointed
    pointed = before.fundamental_busd if before is not None else now.fundamental_busd
    catch_up = s * (pointed - previous) if before is not None else change - funding
    if abs(catch_up) > 0.001 * max(abs(previous), 1.0):
        side = "above" if catch_up < 0 else "below"
        figures = "last quarter's figures" if before is not None else "this quarter's figures"
        text = (
            f"Your valuation was {fmt.money(abs(pointed - previous))} {side} what {figures} said "
            f"({fmt.money(pointed)}); closing {fmt.pct(s)} of that gap "
            f"{'took' if catch_up < 0 else 'added'} {fmt.money(abs(catch_up))}"
            f"{' off' if catch_up < 0 else ''}."
        )
        moves.append((abs(catch_up), text))
    moves.sort(key=lambda m: -m[0])
    return ValuationStory(
        now, before, previous, funding, s, headline, [t for _, t in moves], _worth(model, now, before), _trend(now, s)
    )


def _moves(
    model: Any, seat: str, now: ValuationParts, before: ValuationParts | None, funding: float, s: float
) -> list[tuple[float, str]]:
    """What moved the valuation, a sentence each, with how much each part moved it, $B."""
    moves: list[tuple[float, str]] = []
    if before is not None:
        d_rev = now.revenue_value_busd - before.revenue_value_busd
        moves.append((abs(d_rev) * s, revenue_sentence(model, seat, now, before)))
        d_growth = now.growth_premium_busd - before.growth_premium_busd
        if abs(d_growth) > 1e-9:
            moves.append(
                (
                    abs(d_growth) * s,
                    f"The growth premium {'rose' if d_growth > 0 else 'fell'} {fmt.money(abs(d_growth))} to "
                    f"{_signed_money(now.growth_premium_busd)}: revenue is {_signed_pct(now.growth)} on a year "
                    f"earlier (last quarter {_signed_pct(before.growth)}).",
                )
            )
        d_cash = now.net_cash_busd - before.net_cash_busd
        if abs(d_cash) > 1e-9:
            moves.append(
                (
                    abs(d_cash) * s,
                    f"Net cash {'rose' if d_cash > 0 else 'fell'} {fmt.money(abs(d_cash))} to "
                    f"{_signed_money(now.net_cash_busd)} (cash less debt).",
                )
            )
    if funding:
        moves.append((abs(funding), f"A funding round added {fmt.money(funding)} at once."))
    return moves


def _worth(model: Any, now: ValuationParts, before: ValuationParts | None) -> str:
    """The fundamental value and its parts, in a sentence."""
    base = model.scenario.economics.valuation_multiple
    worth = (
        f"On this quarter's figures investors put the firm at {fmt.money(now.fundamental_busd)}: "
        f"{base:g} times a year of revenue ({fmt.money(now.revenue_value_busd)})"
    )
    if abs(now.growth_premium_busd) > 1e-9:
        worth += f", {_signed_money(now.growth_premium_busd)} for growth"
    if now.other_busd > 1e-9:
        worth += f", {_signed_money(now.net_cash_busd)} of net cash"
        worth += f" and {fmt.money(now.other_busd)} for the group's other businesses (held as they were)"
    else:
        worth += f" and {_signed_money(now.net_cash_busd)} of net cash"
    if before is not None:
        worth += f" (last quarter {fmt.money(before.fundamental_busd)})"
    return worth + "."


def _trend(now: ValuationParts, s: float) -> str:
    """Where the smoothing takes the valuation next, while the figures stay ("" when it is there)."""
    gap = now.fundamental_busd - now.valuation_busd
    if abs(gap) <= 0.005 * max(now.valuation_busd, 1.0):
        return ""
    side, way = ("below", "rising") if gap > 0 else ("above", "falling")
    return (
        f"The valuation closes {fmt.pct(s)} of the gap to that figure each quarter: it is still "
        f"{fmt.money(abs(gap))} {side} it, so it keeps {way} while the figures stay where they are."
    )


def revenue_sentence(model: Any, seat: str, now: ValuationParts, before: ValuationParts) -> str:
    """How revenue moved between the two quarters, and why, from the market's figures."""
    r0, r1 = before.revenue_busd, now.revenue_busd
    change = (r1 - r0) / r0 if r0 > 0 else (1.0 if r1 > 0 else 0.0)
    if abs(change) < SAME:
        text = f"Revenue was about the same at {fmt.money(r1)} a quarter"
    else:
        text = f"Revenue {'rose' if change > 0 else 'fell'} {fmt.pct(abs(change))} to {fmt.money(r1)} a quarter"
    causes = revenue_causes(model, seat, now, before, up=change > 0)
    if causes and abs(change) >= SAME:
        text += " as " + _and(causes)
    return text + "."


def revenue_causes(model: Any, seat: str, now: ValuationParts, before: ValuationParts, up: bool) -> list[str]:
    """What moved a firm's revenue the way it went, most direct first (read from the quarter's figures).

    A seat selling compute: the unsold compute its price floor left, its installed compute, the
    world's compute price, its contracts. A lab or startup: the compute it was served. Only causes
    that pushed revenue the way it went are named.
    """
    out: list[str] = []
    agent = model.seats.get(seat)
    if agent is None:
        return out
    rows = {r["quarter"]: r for r in model.metrics.firms if r["firm"] == seat}
    a, b = rows.get(before.quarter), rows.get(now.quarter)
    if agent.kind in ("lab", "startup") and a is not None and b is not None:
        s0, s1 = float(a["served_h100e"]), float(b["served_h100e"])
        if s0 > 0 and abs(s1 / s0 - 1.0) >= SAME and (s1 > s0) == up:
            out.append(f"you were served {_pct_words(s1 / s0 - 1.0)} compute ({fmt.h100e(s1)})")
        return out
    book = business_book(model, seat)
    if not book.owns_datacenters:
        return out
    if not up and book.floor_usd_per_hour and book.priced_out_h100e > NOTABLE_IDLE * book.capacity_h100e:
        out.append(
            f"your price floor of {money_hour(book.floor_usd_per_hour)} priced out "
            f"{fmt.pct(book.priced_out_h100e / book.capacity_h100e)} of your compute"
        )
    if a is not None and b is not None:
        c0, c1 = float(a["compute_h100e"]), float(b["compute_h100e"])
        if c0 > 0 and abs(c1 / c0 - 1.0) >= SAME and (c1 > c0) == up:
            out.append(f"your installed compute {'grew' if c1 > c0 else 'shrank'} {fmt.pct(abs(c1 / c0 - 1.0))}")
    world = {r["quarter"]: float(r["compute_price_usd_hour"]) for r in model.metrics.world}
    p0, p1 = world.get(before.quarter), world.get(now.quarter)
    if p0 and p1 and abs(p1 / p0 - 1.0) >= SAME and (p1 > p0) == up:
        out.append(f"the world's compute price {'rose' if p1 > p0 else 'fell'} {fmt.pct(abs(p1 / p0 - 1.0))}")
    if up and book.contract_revenue_busd > 0:
        out.append(f"your compute contracts paid {fmt.money(book.contract_revenue_busd)}")
    return out


def valuation_cause(model: Any, seat: str) -> str:
    """The valuation's move in a sentence or two: the quarter report's line, the screen's first lines."""
    story = valuation_story(model, seat)
    if story is None:
        return ""
    return " ".join(story.moves[:2]) if story.moves else story.worth


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _signed_money(busd: float) -> str:
    return ("-" if busd < 0 else "") + fmt.money(abs(busd))


def _signed_pct(share: float) -> str:
    return ("+" if share >= 0 else "-") + fmt.pct(abs(share))


def _pct_words(change: float) -> str:
    return f"{fmt.pct(abs(change))} {'more' if change > 0 else 'less'}"
