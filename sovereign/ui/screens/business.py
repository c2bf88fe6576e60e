"""Business: a firm's compute, its price, its contracts and customers, and why its valuation moved.

Left, last quarter's compute business: capacity split into what sold on the spot market, what
contracts reserved and what stayed idle; the average price against the running cost and the
world's price; the price floor (Set price opens the ``set_compute_price`` form). Below it, "Why
your valuation moved": the valuation's parts (a year of revenue times the multiple, the growth
premium, net cash) this quarter against the last, and the causes in words.

Right, in sections: your compute contracts (Break… opens the break form), the contracts offered
to you (Accept / Reject queue an answer, as on the Diplomacy screen), your offers out, and the
customers: every lab and startup that wanted compute last quarter, largest first, with what it was
served and paid, flagged when it was short, and "Offer a contract…" opening the offer form filled
in with a volume and a price from the book.

Every figure and sentence comes from `sovereign.game.business` (pygame-free, shared with the
quarter report). A nation has no compute business: it gets a short note. The screen reads the
model and changes it only through ``GameSession.submit`` and ``withdraw``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pygame

from sovereign.game import fmt
from sovereign.game.business import (
    BusinessBook,
    Contract,
    Customer,
    ValuationStory,
    business_book,
    money_hour,
    valuation_story,
)
from sovereign.sim.commands import AnswerDeal, BreakDeal, Command, OfferDeal
from sovereign.sim.phases import diplomacy
from sovereign.ui import draw
from sovereign.ui.screens.action_form import ActionForm
from sovereign.ui.screens.common import column_scroll_bar, header, last_first_block, visible_blocks
from sovereign.ui.screens.sideform import SideFormScreen


@dataclass
class Block:
    """One piece of a column: a heading, a note, a card with buttons, or a bar.

    Attributes:
        height: Pixels it takes.
        lines: (x, y, text, size, colour key, bold) relative to the column's left and the block's top.
        buttons: (rect relative to the same, label, tooltip, theme id, what a press does, enabled).
        bars: (rect relative to the same, colour key) filled rectangles (the compute bar).
        card: Drawn on a card background.
        heading: A section heading (never the last block in view while its section goes on).
    """

    height: int
    lines: list[tuple[int, int, str, float, str, bool]] = field(default_factory=list)
    buttons: list[tuple[pygame.Rect, str, str, str | None, Callable[[], None], bool]] = field(default_factory=list)
    bars: list[tuple[pygame.Rect, str]] = field(default_factory=list)
    card: bool = False
    heading: bool = False


@dataclass
class Column:
    """A scrolling column of blocks in a rectangle of the window."""

    rect: pygame.Rect
    blocks: list[Block] = field(default_factory=list)
    first: int = 0


#: Colours of the compute bar: sold on the spot market, reserved under contracts, idle.
BAR_COLOURS = (("compute_flow", "Spot market"), ("accent", "Contracts"), ("panel_edge", "Idle"))


class BusinessScreen(SideFormScreen):
    """A firm seat's compute business, contracts, customers and valuation."""

    name = "business"
    title = "Business"
    summary = "a firm's compute, price floor, contracts, customers and why its valuation moved"
    needs_session = True
    help_text = (
        "Left: your compute last quarter (sold on the spot market, reserved under contracts, idle), your average "
        "price against your running cost and the world's, and your price floor: Set price changes it (0 sells at "
        "the market's price). Below: why your valuation moved, part by part. Right: your compute contracts (take "
        "or pay: the buyer pays for every hour reserved; Break ends one early and costs trust), contracts offered "
        "to you (Accept or Reject), and your customers: the labs and startups that wanted compute, largest first. "
        "Offer a contract opens the offer form filled in with a volume and a price they are likely to sign."
    )
    keys = (
        ("Wheel", "scroll the column under the mouse"),
        ("P", "set your compute price floor"),
        ("O", "offer a deal"),
        ("Esc", "back to the map"),
    )

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        self.form: ActionForm | None = None
        self.left = Column(pygame.Rect(0, 0, 0, 0))
        self.right = Column(pygame.Rect(0, 0, 0, 0))
        #: The model's reason for refusing an answer, by deal id (shown on the offer's card).
        self.refused: dict[int, str] = {}
        #: What the columns list, by section (``contracts``, ``offers_in``, ``offers_out``, ``customers``).
        self.listed: dict[str, list[Any]] = {}
        self.book: BusinessBook | None = None
        self.story: ValuationStory | None = None
        self.mouse = (0, 0)
        self.actions: dict[Any, Callable[[], None]] = {}
        #: Each customer's "Offer a contract…" button in view, by seat id (and its action, by id, while laid out).
        self.offer_buttons: dict[str, Any] = {}
        self._offer_actions: dict[int, str] = {}
        self._layer: pygame.Surface | None = None

    # -- layout -------------------------------------------------------------------------------

    def _firm(self) -> bool:
        session = self.session
        return session.seat is not None and session.model.seats[session.seat].kind != "nation"

    def build(self) -> None:
        """Header buttons, both columns, and the buttons of the cards in view."""
        s = self.s
        w, h = self.size
        pad = s(20)
        self.top_h = s(64)
        self.back_button = self.header_back_button()
        self.price_button = self.header_action_button(
            "Set price", "The lowest price you sell your compute at on the spot market (P)"
        )
        top = self.top_h + s(12)
        left_w = round((w - 3 * pad) * 0.46)
        self.left.rect = pygame.Rect(pad, top, left_w, h - top - pad)
        self.right.rect = pygame.Rect(2 * pad + left_w, top, w - 3 * pad - left_w, h - top - pad)
        self._layer = None
        self.actions, self.offer_buttons, self._offer_actions = {}, {}, {}
        session = self.session
        self.book, self.story = None, None
        if session.seat is None or session.busy or not self._firm():
            self.price_button.disable()
            self.left.blocks, self.right.blocks = [], []
            return
        model, seat = session.model, session.seat
        self.book = business_book(model, seat)
        self.story = valuation_story(model, seat)
        if not self.book.owns_datacenters:
            self.price_button.disable()
        self.left.blocks = self._left_blocks()
        self.right.blocks = self._right_blocks()
        for col in (self.left, self.right):
            col.first = max(0, min(col.first, len(col.blocks) - 1))
            for block, y in self._visible(col):
                for rect, label, tip, oid, action, enabled in block.buttons:
                    b = self.button(rect.move(col.rect.left, y), label, tip, oid)
                    if not enabled:
                        b.disable()
                    self.actions[b] = action
                    if id(action) in self._offer_actions:
                        self.offer_buttons[self._offer_actions[id(action)]] = b

    def teardown(self) -> None:
        """Kill widgets and an open action form."""
        if self.form is not None:
            self.form.kill()
            self.form = None
        super().teardown()

    def _visible(self, col: Column) -> list[tuple[Block, int]]:
        r = col.rect
        return visible_blocks(col.blocks, col.first, r.top + self.s(8), r.bottom - self.s(8))

    def _inner(self, col: Column) -> tuple[int, int]:
        """(left padding, inner width) of a column."""
        pad = self.s(12)
        return pad, col.rect.width - 2 * pad

    # -- blocks ---------------------------------------------------------------------------------

    def _heading(self, col: Column, title: str, gap: bool = True) -> Block:
        s, f = self.s, self.fonts
        top = s(14) if gap else 0
        x, _ = self._inner(col)
        return Block(top + f.line_height(12, True) + s(4), [(x, top, title.upper(), 12, "accent", True)], heading=True)

    def _note(self, col: Column, text: str, colour: str = "text_muted", size: float = 13, bold: bool = False) -> Block:
        s, f = self.s, self.fonts
        x, width = self._inner(col)
        lines, y = [], 0
        for line in f.wrap(text, size, width, bold):
            lines.append((x, y, line, size, colour, bold))
            y += f.line_height(size, bold)
        return Block(y + s(4), lines)

    def _card(
        self,
        col: Column,
        paragraphs: Sequence[tuple[str, float, str, bool]],
        buttons: Sequence[tuple[str, str, str | None, Callable[[], None], bool]],
    ) -> Block:
        """Wrapped paragraphs with a row of buttons at the top right (below the text when narrow)."""
        s, f = self.s, self.fonts
        x0, width = self._inner(col)
        pad = s(10)
        bh, gap = s(28), s(6)
        widths = [self._button_width(label, oid) for label, _, oid, _, _ in buttons]
        row_w = sum(widths) + gap * max(0, len(widths) - 1)
        text_w = width - 2 * pad - (row_w + s(10) if buttons else 0)
        beside = text_w >= s(220)
        if not beside:
            text_w = width - 2 * pad
        lines, y = [], pad
        for text, size, colour, bold in paragraphs:
            for line in f.wrap(text, size, text_w, bold):
                lines.append((x0 + pad, y, line, size, colour, bold))
                y += f.line_height(size, bold)
        text_bottom = y
        bx = x0 + width - pad - row_w
        by = pad if beside else text_bottom + s(4)
        rects = []
        for (label, tip, oid, action, enabled), bw in zip(buttons, widths, strict=True):
            rects.append((pygame.Rect(bx, by, bw, bh), label, tip, oid, action, enabled))
            bx += bw + gap
        bottom = max(text_bottom, by + bh) if buttons else text_bottom
        return Block(bottom + pad + s(6), lines, rects, card=True)

    def _button_width(self, label: str, oid: str | None) -> int:
        """A button just wide enough for its label in its theme's font (@primary is bold 15, @small 13)."""
        primary = bool(oid and "@primary" in oid)
        size = 15 if primary or not (oid and "@small" in oid) else 13
        return self.fonts.size(label, size, primary)[0] + self.s(24)

    def _bar(self, col: Column, book: BusinessBook) -> Block:
        """The capacity bar (spot, contracts, idle) with its legend under it."""
        s, f = self.s, self.fonts
        x, width = self._inner(col)
        bar_h = s(18)
        parts = (book.spot_h100e, book.contracted_h100e, book.idle_h100e)
        total = max(sum(parts), 1e-9)
        bars, px = [], x
        for k, (value, (colour, _)) in enumerate(zip(parts, BAR_COLOURS, strict=True)):
            w = width - (px - x) if k == len(parts) - 1 else round(width * value / total)
            if w > 0:
                bars.append((pygame.Rect(px, 0, w, bar_h), colour))
            px += w
        lines: list[tuple[int, int, str, float, str, bool]] = []
        y = bar_h + s(6)
        lx = x
        for value, (colour, label) in zip(parts, BAR_COLOURS, strict=True):
            text = f"{label} {fmt.h100e(value)} ({fmt.pct(value / total)})"
            tw = f.size(text, 13)[0] + s(18)
            if lx > x and lx + tw > x + width:
                lx, y = x, y + f.line_height(13)
            bars.append((pygame.Rect(lx, y + s(4), s(10), s(10)), colour))
            lines.append((lx + s(14), y, text, 13, "text", False))
            lx += tw + s(10)
        return Block(y + f.line_height(13) + s(6), lines, bars=bars)

    def _left_blocks(self) -> list[Block]:
        book, story, col = self.book, self.story, self.left
        assert book is not None
        model = self.session.model
        played = model.metrics.firms[-1]["quarter"] if model.metrics.firms else None
        blocks = [self._heading(col, f"Your compute in {played}" if played else "Your compute", gap=False)]
        if not book.owns_datacenters:
            blocks.append(
                self._note(
                    col,
                    "You own no datacenter, so you have no compute to sell or price. Build one from the map's "
                    "Actions tab; a lab buys compute on the market or under a contract with a cloud.",
                )
            )
        elif book.capacity_h100e <= 0:
            blocks.append(self._note(col, "Your datacenters had no chips to sell compute from last quarter."))
        else:
            blocks.append(
                self._note(col, f"{fmt.h100e(book.capacity_h100e)} of compute for sale in your datacenters.", "text")
            )
            blocks.append(self._bar(col, book))
            blocks += self._prices(book)
        blocks.append(self._heading(col, "Why your valuation moved"))
        if story is None:
            blocks.append(self._note(col, "Your valuation moves once the first quarter has been played."))
            return blocks
        blocks.append(self._note(col, story.headline + ".", "text", 14, bold=True))
        for text in story.reasons:
            blocks.append(self._note(col, text, "text"))
        blocks.append(self._parts_table(story))
        return blocks

    def _prices(self, book: BusinessBook) -> list[Block]:
        col = self.left
        out = []
        if book.price_usd_per_hour is not None:
            cost = book.cost_usd_per_hour or 0.0
            margin = book.price_usd_per_hour - cost
            out.append(
                self._note(
                    col,
                    f"Your average spot price {money_hour(book.price_usd_per_hour)}; running cost (power and "
                    f"operations) {money_hour(cost)}, a margin of {money_hour(margin)}; the world's average "
                    f"{money_hour(book.market_price_usd_per_hour)}.",
                    "text",
                )
            )
        if book.contracted_h100e > 0:
            out.append(
                self._note(
                    col,
                    f"Spot sales paid {fmt.money(book.spot_revenue_busd)}, your contracts "
                    f"{fmt.money(book.contract_revenue_busd)}.",
                )
            )
        if book.floor_usd_per_hour:
            share = book.priced_out_h100e / book.capacity_h100e if book.capacity_h100e else 0.0
            text = f"Your price floor: {money_hour(book.floor_usd_per_hour)}. " + (
                f"It left {fmt.pct(share)} of your compute unsold: buyers went to cheaper clouds."
                if share >= 0.01
                else "It cost you no sales last quarter."
            )
        else:
            text = (
                "No price floor: you sell at whatever the market pays above your running cost. Set price to ask more."
            )
        out.append(self._note(col, text, "accent"))
        return out

    def _parts_table(self, story: ValuationStory) -> Block:
        """The valuation's parts, this quarter and the quarter before."""
        s, f = self.s, self.fonts
        x, width = self._inner(self.left)
        now, before = story.now, story.before
        rows: list[tuple[str, float, float | None]] = [
            ("A year of revenue × multiple", now.revenue_value_busd, before.revenue_value_busd if before else None),
            ("Growth premium", now.growth_premium_busd, before.growth_premium_busd if before else None),
            ("Net cash", now.net_cash_busd, before.net_cash_busd if before else None),
            ("What the figures say", now.fundamental_busd, before.fundamental_busd if before else None),
            ("Valuation", now.valuation_busd, story.previous_busd),
        ]
        if now.other_busd > 1e-9:  # a group's businesses beyond AI, held: a row above the total
            rows.insert(3, ("Other businesses (held)", now.other_busd, before.other_busd if before else None))
        cols = (0, round(width * 0.56), round(width * 0.80))
        cell = (cols[1] - s(8), cols[2] - cols[1] - s(8), width - cols[2])
        row_h = f.line_height(13) + s(2)
        lines = [
            (x + cols[0], s(6), "", 12, "text", True),
            (x + cols[1], s(6), f.ellipsize(now.quarter, 12, cell[1], True), 12, "text", True),
            (
                x + cols[2],
                s(6),
                f.ellipsize(before.quarter if before else "Before", 12, cell[2], True),
                12,
                "text",
                True,
            ),
        ]
        y = s(6) + f.line_height(12, True) + s(2)
        for k, (label, a, b) in enumerate(rows):
            bold = k >= 3
            lines.append((x + cols[0], y, f.ellipsize(label, 13, cell[0], bold), 13, "text", bold))
            lines.append((x + cols[1], y, f.ellipsize(_money(a), 13, cell[1], bold), 13, "text", bold))
            text = _money(b) if b is not None else "–"
            lines.append((x + cols[2], y, f.ellipsize(text, 13, cell[2], bold), 13, "text_muted", bold))
            y += row_h
        return Block(y + s(6), [line for line in lines if line[2]])

    def _right_blocks(self) -> list[Block]:
        book, col = self.book, self.right
        assert book is not None
        session = self.session
        model, seat = session.model, session.seat
        assert seat is not None
        queued = list(enumerate(session.queued()))
        self.listed = {"contracts": [], "offers_in": [], "offers_out": [], "customers": []}
        blocks = [self._heading(col, "Your compute contracts", gap=False)]
        breaking = {c.deal: i for i, c in queued if isinstance(c, BreakDeal)}
        if not book.contracts:
            blocks.append(self._note(col, "No compute contract is running."))
        for c in book.contracts:
            self.listed["contracts"].append(c.deal_id)
            blocks.append(self._contract_card(c, breaking.get(c.deal_id)))
        blocks += self._offers(book, queued)
        blocks.append(self._heading(col, "Customers"))
        if not book.owns_datacenters:
            blocks.append(self._note(col, "You own no datacenter: you have no compute to offer customers."))
            return blocks
        if not book.customers:
            blocks.append(self._note(col, "No lab or startup wanted compute last quarter."))
            return blocks
        blocks.append(
            self._note(
                col,
                "Labs and startups that wanted compute last quarter, largest first. A lab short of compute pays "
                "more for a contract; one served in full signs below what it paid.",
            )
        )
        for cust in book.customers:
            self.listed["customers"].append(cust.seat)
            blocks.append(self._customer_card(model, cust))
        return blocks

    def _contract_card(self, c: Contract, breaking: int | None) -> Block:
        side = "to" if c.selling else "from"
        verb = "You supply" if c.selling else "You buy"
        paid = "paid you" if c.selling else "you have paid"
        paras = [
            (f"{verb} {fmt.h100e(c.h100e)} a quarter {side} {c.other_name}", 14, "text", True),
            (
                f"At {money_hour(c.price_usd_per_hour)}, take or pay: {fmt.money(c.per_quarter_busd)} a quarter; "
                f"{fmt.quarters(c.quarters_left)} left.",
                13,
                "text",
                False,
            ),
            (
                f"Reserved so far {fmt.h100e(c.delivered_h100e)} over the quarters served ({fmt.h100e(c.last_h100e)} "
                f"last quarter); {paid} {fmt.money(c.paid_busd)}." + (f" Note: {c.note}." if c.note else ""),
                12,
                "text_muted",
                False,
            ),
        ]
        if breaking is not None:
            paras.append(("You break it when the quarter is played (queued).", 13, "negative", True))
            buttons = [("Withdraw", "Keep the contract after all", "@small", self._withdraw(breaking), True)]
        else:
            tip = "End it early: opens the form with what it costs you in trust"
            buttons = [("Break…", tip, "@small", self._open("break_deal", {"deal": c.deal_id}), True)]
        return self._card(self.right, paras, buttons)

    def _offers(self, book: BusinessBook, queued: list[tuple[int, Command]]) -> list[Block]:
        col = self.right
        model, seat = self.session.model, self.session.seat
        assert seat is not None
        blocks = [self._heading(col, "Contracts offered to you")]
        if not book.offers_in:
            blocks.append(self._note(col, "No contract offer is waiting for your answer."))
        answers = {c.deal: (i, c.accept) for i, c in queued if isinstance(c, AnswerDeal)}
        for c in book.offers_in:
            self.listed["offers_in"].append(c.deal_id)
            what = "supply" if c.selling else "buy"
            paras = [
                (f"{c.other_name} asks you to {what} {fmt.h100e(c.h100e)} a quarter", 14, "text", True),
                (
                    f"At {money_hour(c.price_usd_per_hour)} for {fmt.quarters(c.quarters_left)}, take or pay: "
                    f"{fmt.money(c.per_quarter_busd)} a quarter.",
                    13,
                    "text",
                    False,
                ),
                (self._compare(book, c), 12, "text_muted", False),
            ]
            if c.deal_id in answers:
                index, accept = answers[c.deal_id]
                word = "accept" if accept else "reject"
                paras.append((f"Your answer: {word}. Queued, applied when the quarter is played.", 13, "accent", True))
                buttons = [("Withdraw", "Take your answer back", "@small", self._withdraw(index), True)]
            else:
                if c.deal_id in self.refused:
                    paras.append((f"Refused: {self.refused[c.deal_id]}", 13, "negative", False))
                buttons = [
                    ("Accept", "Sign it: it binds from this quarter for its term", "#accept@primary",
                     self._answer(c.deal_id, True), True),
                    ("Reject", "Turn it down", "#reject@small", self._answer(c.deal_id, False), True),
                ]  # fmt: skip
            blocks.append(self._card(col, paras, buttons))
        sending = [(i, cmd) for i, cmd in queued if isinstance(cmd, OfferDeal) and cmd.deal_kind == "compute_supply"]
        if sending or book.offers_out:
            blocks.append(self._heading(col, "Your contract offers out"))
        for i, cmd in sending:
            terms = cmd.model_dump()
            terms.update(kind=cmd.deal_kind, proposer=seat, partner=cmd.partner, price_usd=cmd.price_usd_per_hour)
            self.listed["offers_out"].append(("queued", i))
            paras = [
                (diplomacy.describe(model, terms) + f", for {fmt.quarters(cmd.quarters)}.", 13, "text", False),
                ("Queued: sent when the quarter is played; they answer the quarter after.", 12, "text_muted", False),
            ]
            blocks.append(
                self._card(col, paras, [("Withdraw", "Do not send this offer", "@small", self._withdraw(i), True)])
            )
        for c in book.offers_out:
            self.listed["offers_out"].append(c.deal_id)
            paras = [
                (
                    f"To {c.other_name}: {fmt.h100e(c.h100e)} a quarter at {money_hour(c.price_usd_per_hour)} for "
                    f"{fmt.quarters(c.quarters_left)}.",
                    13,
                    "text",
                    False,
                ),
                (f"{c.other_name} answers as this quarter is played; unanswered, it lapses.", 12, "text_muted", False),
            ]
            blocks.append(self._card(col, paras, []))
        return blocks

    def _compare(self, book: BusinessBook, c: Contract) -> str:
        """An offer's price against what the seat's compute earned, for the player to judge it by."""
        if not c.selling:
            return f"The world's average spot price last quarter: {money_hour(book.market_price_usd_per_hour)}."
        if book.price_usd_per_hour is None:
            return f"The world's average spot price last quarter: {money_hour(book.market_price_usd_per_hour)}."
        room = (
            ""
            if c.h100e <= book.free_h100e
            else f" It is more than the {fmt.h100e(book.free_h100e)} you have not promised."
        )
        return (
            f"Your compute sold at {money_hour(book.price_usd_per_hour)} on average last quarter, at a running cost "
            f"of {money_hour(book.cost_usd_per_hour or 0.0)}.{room}"
        )

    def _customer_card(self, model: Any, cust: Customer) -> Block:
        served = cust.served_h100e / cust.demand_h100e if cust.demand_h100e > 0 else 0.0
        head = f"{cust.name}, {cust.kind} in {cust.home}"
        paras = [
            (head, 14, "text", True),
            (
                f"Wanted {fmt.h100e(cust.demand_h100e)}, served {fmt.h100e(cust.served_h100e)} ({fmt.pct(served)})"
                + (
                    f" at {money_hour(cust.paid_usd_per_hour)} on average."
                    if cust.paid_usd_per_hour is not None
                    else "."
                ),
                13,
                "text",
                False,
            ),
        ]
        if cust.short:
            paras.append(("Short of compute: it would pay more for a contract.", 13, "negative", True))
        if cust.yours_h100e > 0:
            paras.append(
                (f"Your contracts reserve {fmt.h100e(cust.yours_h100e)} a quarter for it.", 12, "accent", False)
            )
        if cust.offer is not None:
            o = cust.offer
            paras.append(
                (
                    f"Offer a contract: {fmt.h100e(o['h100e_per_quarter'])} a quarter at "
                    f"{money_hour(o['price_usd_per_hour'])} for {fmt.quarters(o['quarters'])} (you can change it).",
                    12,
                    "text_muted",
                    False,
                )
            )
            action = self._open("offer_deal", dict(o))
            self._offer_actions[id(action)] = cust.seat
            button = ("Offer a contract…", "Open the offer form filled in with these terms", "@small", action, True)
        else:
            why = "Your compute is all promised under contracts"
            paras.append((why + ".", 12, "text_muted", False))
            button = ("Offer a contract…", why, "@small", lambda: None, False)
        return self._card(self.right, paras, [button])

    # -- what the buttons do --------------------------------------------------------------------

    def open_form(self, key: str, prefill: dict[str, Any] | None = None) -> None:
        """Open an action form at the right (price floor, offer, break), as the Diplomacy screen does."""
        session = self.session
        if session.seat is None or session.busy or not self._firm():
            return
        self.place_form(key, prefill, self.right.rect.width)

    # -- events ---------------------------------------------------------------------------------

    def button_actions(self) -> dict[object, Callable[[], None]]:
        """The price button opens the price-floor form."""
        return {self.price_button: lambda: self.open_form("set_compute_price")}

    def key_actions(self) -> dict[int, Callable[[], None]]:
        """P: the price floor (when it may be set); O: offer a compute contract."""
        keys: dict[int, Callable[[], None]] = {
            pygame.K_o: lambda: self.open_form("offer_deal", {"deal_kind": "compute_supply"})
        }
        if self.price_button.is_enabled:
            keys[pygame.K_p] = lambda: self.open_form("set_compute_price")
        return keys

    def _scroll(self, steps: int) -> bool:
        """Scroll the column under the mouse by one block."""
        for col in (self.left, self.right):
            if col.rect.collidepoint(self.mouse) and col.blocks:
                col.first = max(0, min(col.first + steps, self.last_first(col)))
                self.rebuild()
                return True
        return False

    def last_first(self, col: Column) -> int:
        """The last block a column may start from: scrolling further would leave space empty."""
        return last_first_block(col.blocks, col.rect.height - 2 * self.s(8))

    def update(self, dt: float) -> None:
        """Notice a form closed by its own Cancel."""
        if self.form is not None and not self.form.alive():
            self.form = None

    # -- drawing --------------------------------------------------------------------------------

    def draw(self, surface: pygame.Surface) -> None:
        """Header, then both columns (laid out once per change, blitted every frame)."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        session = self.session
        seat = session.seat
        name = session.seat_name(seat) if seat is not None else ""
        subtitle = f"{name}: compute, contracts, customers and valuation" if seat else "compute and contracts"
        if seat is not None and not self._firm():
            subtitle = f"{name}: a nation has no compute business of its own"
        room = self.price_button.rect.left - s(56) - f.size(self.title, 24, True)[0]
        header(surface, f, pal, s, self.title, f.ellipsize(subtitle, 15, max(room, s(40))))
        if session.busy:
            return
        if seat is None or not self._firm():
            text = (
                "Nobody plays a seat in this game: there is no business to show."
                if seat is None
                else "Business is a firm's screen: its compute, prices, contracts and customers. As a nation, your "
                "programme can buy compute under a contract from a cloud: Diplomacy, Offer a deal, compute contract."
            )
            width = min(surface.get_width() - s(80), s(760))
            lines = f.wrap(text, 17, width)
            y = surface.get_height() // 2 - len(lines) * f.line_height(17) // 2
            for line in lines:
                draw.text(surface, f, line, (surface.get_width() // 2, y), 17, pal.rgb("text_muted"), anchor="midtop")
                y += f.line_height(17)
            return
        if self._layer is None or self._layer.get_size() != surface.get_size():
            layer = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
            for col in (self.left, self.right):
                self._draw_column(layer, col)
            self._layer = layer
        surface.blit(self._layer, (0, 0))

    def _draw_column(self, surface: pygame.Surface, col: Column) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        rect = col.rect
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("panel_edge"), radius=s(4))
        visible = self._visible(col)
        x0, width = self._inner(col)
        for block, y in visible:
            if block.card:
                card = pygame.Rect(rect.left + x0, y, width, block.height - s(6))
                draw.box(surface, card, pal.rgba("panel_alt"), pal.rgb("panel_edge"), radius=s(4))
            for bar, colour in block.bars:
                pygame.draw.rect(surface, pal.rgb(colour), bar.move(rect.left, y))
            for dx, dy, text, size, colour, bold in block.lines:
                draw.text(surface, f, text, (rect.left + dx, y + dy), size, pal.rgb(colour), bold=bold)
        shown = sum(b.height for b, _ in visible)
        column_scroll_bar(surface, pal, s, rect, col.blocks, col.first, shown)


def _money(busd: float) -> str:
    return ("-" if busd < 0 else "") + fmt.money(abs(busd))
