"""Diplomacy: where your nation stands with the others, the offers you must answer, and your deals.

Left: relations, a table of every other nation with your nation's trust in it and its trust in
yours (a firm carries its home nation's standing), the blocs you share and your security pacts.
Right, in sections: offers made to you (Accept / Reject queue an answer through the session),
your offers still waiting for an answer, your deals (running ones with their term, payments and
deliveries; the last few that ended), and the bloc applications your vote or your own
application is waiting on. "Offer a deal" opens the same action form as the map's Actions tab.

Hot seat: only the current seat's own offers and deals are listed, never another seat's. The
screen reads the model and changes it only through ``GameSession.submit`` and ``withdraw``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pygame

from sovereign.game import fmt
from sovereign.game.words import seat_name
from sovereign.scenario.schema import quarter_label
from sovereign.sim.commands import (
    AnswerDeal,
    BreakDeal,
    Command,
    JoinBloc,
    OfferDeal,
    VoteOnApplication,
    venture_facility,
)
from sovereign.sim.phases import diplomacy
from sovereign.ui import draw
from sovereign.ui.screens.action_form import ActionForm
from sovereign.ui.screens.common import column_scroll_bar, header, last_first_block, visible_blocks
from sovereign.ui.screens.sideform import SideFormScreen

#: Ended deals listed under "Your deals", most recent first.
PAST_SHOWN = 4


@dataclass(frozen=True)
class Relation:
    """One other nation as the relations table shows it.

    Attributes:
        region: Region id.
        name: The nation's name.
        mine: Your nation's trust in it (0-1).
        theirs: Its trust in your nation (0-1).
        blocs: Names of the blocs both nations belong to.
        pact: An active security pact binds the two nations.
    """

    region: str
    name: str
    mine: float
    theirs: float
    blocs: tuple[str, ...]
    pact: bool


def relations(model: Any, seat: str) -> list[Relation]:
    """Every nation but the seat's own (a firm's: its home), the most trusting of you first."""
    w, sc = model.world, model.scenario
    me = diplomacy.seat_region(model, seat)
    pacts = diplomacy.pact_matrix(model)
    shared = w.bloc_member[:, me][:, None] & w.bloc_member  # (B, R): blocs both nations are in
    rows = [
        Relation(
            reg.id,
            reg.name,
            float(w.trust[me, r]),
            float(w.trust[r, me]),
            tuple(sc.blocs[int(b)].name for b in np.flatnonzero(shared[:, r])),
            bool(pacts[me, r]),
        )
        for r, reg in enumerate(sc.regions)
        if r != me
    ]
    rows.sort(key=lambda x: (-x.theirs, -x.mine, x.name))
    return rows


def trust_thresholds(model: Any) -> tuple[float, float]:
    """(ally, rival): trust at or above the first reads as allies', at or below the second as rivals'.

    Halfway between the scenario's starting trust of bloc partners and of neutral nations, and
    between neutral nations and rivals, so the words follow the scenario's own scale.
    """
    d = model.scenario.diplomacy
    return (d.trust_allied + d.trust_neutral) / 2, (d.trust_neutral + d.trust_rivals) / 2


def trust_word(model: Any, value: float) -> str:
    """A trust level in plain words: ``ally``, ``neutral`` or ``rival``."""
    ally, rival = trust_thresholds(model)
    return "ally" if value >= ally - 1e-9 else ("rival" if value <= rival + 1e-9 else "neutral")


def other_side(deal: dict[str, Any], seat: str) -> str:
    """The seat on the other side of a deal from ``seat``."""
    return str(deal["partner"] if deal["proposer"] == seat else deal["proposer"])


def deal_progress(model: Any, deal: dict[str, Any], seat: str) -> str:
    """A running deal's term left, money paid and chips delivered, from ``seat``'s side."""
    left = int(deal["end"]) - model.quarter + 1
    parts = [f"Since {quarter_label(deal['start'])}, until {quarter_label(deal['end'])} ({fmt.quarters(left)} left)"]
    pay = float(deal["payment_busd_per_quarter"])
    if pay != 0.0:
        payer = deal["partner"] if pay > 0 else deal["proposer"]
        verb = "you have paid" if payer == seat else "you have received"
        parts.append(f"{verb} {fmt.money(float(deal['paid_busd']))} so far")
    if deal["kind"] == "chip_supply":
        parts.append(
            f"{fmt.h100e(float(deal['delivered_h100e']))} delivered "
            f"({fmt.h100e(float(deal['last_delivered_h100e']))} last quarter)"
        )
    return "; ".join(parts)


def deal_outcome(model: Any, deal: dict[str, Any], seat: str) -> str:
    """How a deal that no longer runs ended, in words."""
    when = quarter_label(deal["closed"]) if deal["closed"] >= 0 else "an earlier quarter"
    status = deal["status"]
    if status == "ended":
        return f"Ran its full term; ended {when}"
    if status == "broken":
        by = "you" if deal["broken_by"] == seat else seat_name(model, deal["broken_by"])
        return f"Broken by {by} in {when}" + (f": {deal['note']}" if deal["note"] else "")
    if status == "rejected":
        by = "you" if deal["partner"] == seat else seat_name(model, deal["partner"])
        return f"Rejected by {by} in {when}"
    return f"Lapsed unanswered in {when}"


def offer_terms(seat: str, cmd: OfferDeal) -> dict[str, Any]:
    """A queued offer as a deal record, so it reads like the deals ``describe`` already words."""
    terms = cmd.model_dump()
    terms.update(kind=cmd.deal_kind, proposer=seat, partner=cmd.partner)
    terms["price_usd"] = diplomacy.record_price(cmd)  # per H100e, H100e-hour or MWh, as the record keeps it
    if cmd.deal_kind == "joint_venture":  # its one facility, as the record keeps it
        terms["datacenter"], terms["fab"], terms["project"] = venture_facility(cmd.datacenter, cmd.fab, cmd.project)
    return terms


@dataclass
class Block:
    """One piece of the right-hand column: a heading, a note or a card with buttons.

    Attributes:
        height: Pixels it takes.
        lines: (x, y, text, size, colour key, bold) relative to the block's top left.
        buttons: (rect relative to the block, label, tooltip, theme id, what a press does).
        card: Drawn on a card background.
        heading: A section heading (never shown as the last block in view, away from its section).
    """

    height: int
    lines: list[tuple[int, int, str, float, str, bool]] = field(default_factory=list)
    buttons: list[tuple[pygame.Rect, str, str, str | None, Callable[[], None]]] = field(default_factory=list)
    card: bool = False
    heading: bool = False


class DiplomacyScreen(SideFormScreen):
    """Relations, offers in and out, deals and bloc applications of the seat whose turn it is."""

    name = "diplomacy"
    title = "Diplomacy"
    summary = "trust between nations, offers to answer, your deals and bloc applications"
    needs_session = True
    help_text = (
        "Left: every other nation with your nation's trust in it and its trust in yours (0 none, 1 full; a firm "
        "carries its home nation's standing), the blocs you share and your security pacts. Trust rises with deals "
        "signed and kept, falls with sanctions, broken deals and votes against, and drifts back towards what the "
        "blocs and export tiers imply; AI seats refuse deals and applicants they distrust. Right: offers made to you "
        "(Accept or Reject queues your answer; an offer lapses when the quarter is played), your offers waiting for "
        "an answer, your deals, and the bloc applications waiting for a vote. Offer a deal opens the offer form."
    )
    #: Relations table: (left edge as a share of the width, heading, second heading line).
    COLUMNS = (
        (0.0, "Nation", ""),
        (0.30, "Your trust", "in them"),
        (0.52, "Their trust", "in you"),
        (0.74, "Ties", ""),
    )
    keys = (
        ("Wheel", "scroll the list under the mouse"),
        ("O", "offer a deal"),
        ("Esc", "back to the map"),
    )

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        self.first_relation = 0
        self.first_block = 0
        self.form: ActionForm | None = None
        #: The model's reason for refusing an answer, by deal id (shown on the offer's card).
        self.refused: dict[int, str] = {}
        #: Deal ids per section as last laid out (``offers_in``, ``offers_out``, ``active``, ``past``).
        self.listed: dict[str, list[int]] = {}
        self.mouse = (0, 0)
        self.blocks: list[Block] = []
        self.relation_rows: list[Relation] = []
        self._row_rects: list[tuple[pygame.Rect, Relation]] = []
        self._layer: pygame.Surface | None = None

    # -- layout -------------------------------------------------------------------------------

    def build(self) -> None:
        """Header buttons, the two columns, and the buttons of the cards in view."""
        s = self.s
        w, h = self.size
        pad = s(20)
        self.top_h = s(64)
        self.back_button = self.header_back_button()
        self.offer_button = self.header_action_button(
            "Offer a deal", "Offer another seat a money transfer, chip supply, export licence or security pact (O)"
        )
        top = self.top_h + s(12)
        left_w = round((w - 3 * pad) * 0.45)
        self.left_rect = pygame.Rect(pad, top, left_w, h - top - pad)
        self.right_rect = pygame.Rect(2 * pad + left_w, top, w - 3 * pad - left_w, h - top - pad)
        self._layer = None
        self.actions: dict[Any, Callable[[], None]] = {}
        session = self.session
        if session.seat is None or session.busy:
            self.offer_button.disable()
            self.blocks, self.relation_rows = [], []
            return
        self.relation_rows = relations(session.model, session.seat)
        self.blocks = self._layout_blocks()
        self.first_block = max(0, min(self.first_block, len(self.blocks) - 1))
        for block, y in self._visible_blocks():
            for rect, label, tip, oid, action in block.buttons:
                b = self.button(rect.move(self.right_rect.left, y), label, tip, oid)
                self.actions[b] = action

    def teardown(self) -> None:
        """Kill widgets and an open action form."""
        if self.form is not None:
            self.form.kill()
            self.form = None
        super().teardown()

    def _column(self) -> tuple[int, int]:
        """(left padding, inner width) of the right-hand column."""
        pad = self.s(12)
        return pad, self.right_rect.width - 2 * pad

    def _visible_blocks(self) -> list[tuple[Block, int]]:
        """The blocks that fit the column from the first one scrolled to, with their top y."""
        r = self.right_rect
        return visible_blocks(self.blocks, self.first_block, r.top + self.s(8), r.bottom - self.s(8))

    # -- the right-hand column ----------------------------------------------------------------

    def _layout_blocks(self) -> list[Block]:
        session = self.session
        model, seat = session.model, session.seat
        assert seat is not None
        queued = list(enumerate(session.queued()))
        self.listed = {"offers_in": [], "offers_out": [], "active": [], "past": []}
        blocks: list[Block] = []
        blocks += self._offers_in(model, seat, queued)
        blocks += self._offers_out(model, seat, queued)
        blocks += self._deals(model, seat, queued)
        blocks += self._blocs(model, seat, queued)
        return blocks

    def _heading(self, title: str, gap: bool = True) -> Block:
        s, f = self.s, self.fonts
        top = s(14) if gap else 0
        x, _ = self._column()
        return Block(top + f.line_height(12, True) + s(4), [(x, top, title.upper(), 12, "accent", True)], heading=True)

    def _note(self, text: str, colour: str = "text_muted", size: float = 13) -> Block:
        s, f = self.s, self.fonts
        x, width = self._column()
        lines, y = [], 0
        for line in f.wrap(text, size, width):
            lines.append((x, y, line, size, colour, False))
            y += f.line_height(size)
        return Block(y + s(4), lines)

    def _card(
        self,
        paragraphs: Sequence[tuple[str, float, str, bool]],
        buttons: Sequence[tuple[str, str, str | None, Callable[[], None]]],
    ) -> Block:
        """Wrapped paragraphs with a row of buttons at the top right (below the text when narrow)."""
        s, f = self.s, self.fonts
        x0, width = self._column()
        pad = s(10)
        bh, gap = s(28), s(6)
        widths = [self._button_width(label, oid) for label, _, oid, _ in buttons]
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
        for (label, tip, oid, action), bw in zip(buttons, widths, strict=True):
            rects.append((pygame.Rect(bx, by, bw, bh), label, tip, oid, action))
            bx += bw + gap
        bottom = max(text_bottom, by + bh) if buttons else text_bottom
        return Block(bottom + pad + s(6), lines, rects, card=True)

    def _button_width(self, label: str, oid: str | None) -> int:
        """A button just wide enough for its label in its theme's font (@primary is bold 15, @small 13)."""
        primary = bool(oid and "@primary" in oid)
        size = 15 if primary or not (oid and "@small" in oid) else 13
        return self.fonts.size(label, size, primary)[0] + self.s(24)

    def _offers_in(self, model: Any, seat: str, queued: list[tuple[int, Command]]) -> list[Block]:
        offers = diplomacy.open_offers(model, seat)
        blocks = [self._heading(f"Offers to you ({len(offers)})" if offers else "Offers to you", gap=False)]
        if not offers:
            return [*blocks, self._note("No offer is waiting for your answer.")]
        blocks.append(self._note("Answer before the quarter is played: an offer not answered lapses then."))
        answers = {c.deal: (i, c.accept) for i, c in queued if isinstance(c, AnswerDeal)}
        for deal in offers:
            deal_id = int(deal["id"])
            self.listed["offers_in"].append(deal_id)
            who = seat_name(model, deal["proposer"])
            trust = diplomacy.trust_between(model, seat, deal["proposer"])
            paras = [
                (f"From {who}, offered {quarter_label(deal['offered'])}", 14, "text", True),
                (diplomacy.describe(model, deal) + ".", 14, "text", False),
                (f"Your nation's trust in theirs: {trust:.2f} ({trust_word(model, trust)}).", 12, "text_muted", False),
            ]
            if deal_id in answers:
                index, accept = answers[deal_id]
                word = "accept" if accept else "reject"
                paras.append((f"Your answer: {word}. Queued, applied when the quarter is played.", 13, "accent", True))
                buttons = [
                    ("Withdraw", "Take your answer back (the offer is open again)", "@small", self._withdraw(index))
                ]
            else:
                if deal_id in self.refused:
                    paras.append((f"Refused: {self.refused[deal_id]}", 13, "negative", False))
                buttons = [
                    (
                        "Accept",
                        "Sign it: it binds from this quarter for its term",
                        "#accept@primary",
                        self._answer(int(deal["id"]), True),
                    ),
                    ("Reject", "Turn it down", "#reject@small", self._answer(int(deal["id"]), False)),
                ]
            blocks.append(self._card(paras, buttons))
        return blocks

    def _offers_out(self, model: Any, seat: str, queued: list[tuple[int, Command]]) -> list[Block]:
        blocks = [self._heading("Your offers out")]
        mine = [d for d in model.world.deals if d["status"] == "offered" and d["proposer"] == seat]
        sending = [(i, c) for i, c in queued if isinstance(c, OfferDeal)]
        if not mine and not sending:
            return [*blocks, self._note("You have no offer waiting for an answer. Offer a deal to make one.")]
        for i, cmd in sending:
            terms = offer_terms(seat, cmd)
            paras = [
                (f"To {seat_name(model, cmd.partner)}: queued", 14, "text", True),
                (diplomacy.describe(model, terms) + ".", 14, "text", False),
                ("Sent when the quarter is played; they answer the quarter after.", 12, "text_muted", False),
            ]
            blocks.append(self._card(paras, [("Withdraw", "Do not send this offer", "@small", self._withdraw(i))]))
        for deal in mine:
            self.listed["offers_out"].append(int(deal["id"]))
            partner = seat_name(model, deal["partner"])
            paras = [
                (f"To {partner}, offered {quarter_label(deal['offered'])}", 14, "text", True),
                (diplomacy.describe(model, deal) + ".", 14, "text", False),
                (f"{partner} answers as this quarter is played; unanswered, it lapses.", 12, "text_muted", False),
            ]
            blocks.append(self._card(paras, []))
        return blocks

    def _deals(self, model: Any, seat: str, queued: list[tuple[int, Command]]) -> list[Block]:
        blocks = [self._heading("Your deals")]
        deals = [d for d in model.world.deals if seat in (d["proposer"], d["partner"])]
        active = [d for d in deals if d["status"] == "active"]
        past = [d for d in deals if d["status"] in ("ended", "broken", "rejected", "expired")]
        past.sort(key=lambda d: (-int(d["closed"]), -int(d["id"])))
        if not active and not past:
            return [*blocks, self._note("No deal signed yet.")]
        breaking = {c.deal: i for i, c in queued if isinstance(c, BreakDeal)}
        if not active:
            blocks.append(self._note("No deal is running."))
        for deal in active:
            deal_id = int(deal["id"])
            self.listed["active"].append(deal_id)
            paras = [
                (f"With {seat_name(model, other_side(deal, seat))}", 14, "text", True),
                (diplomacy.describe(model, deal) + ".", 14, "text", False),
                (deal_progress(model, deal, seat) + ".", 12, "text_muted", False),
            ]
            if deal_id in breaking:
                paras.append(("You break it when the quarter is played (queued).", 13, "negative", True))
                buttons = [("Withdraw", "Keep the deal after all", "@small", self._withdraw(breaking[deal_id]))]
            else:
                buttons = [
                    ("Break…", "End it early: opens the form with what it costs you", "@small", self._break(deal_id))
                ]
            blocks.append(self._card(paras, buttons))
        if past:
            blocks.append(self._heading("Earlier deals"))
        for deal in past[:PAST_SHOWN]:
            self.listed["past"].append(int(deal["id"]))
            paras = [
                (diplomacy.describe(model, deal) + ".", 13, "text", False),
                (deal_outcome(model, deal, seat) + ".", 12, "text_muted", False),
            ]
            blocks.append(self._card(paras, []))
        if len(past) > PAST_SHOWN:
            more = len(past) - PAST_SHOWN
            blocks.append(self._note(f"…and {more} earlier deal{'s' if more > 1 else ''}."))
        return blocks

    def _blocs(self, model: Any, seat: str, queued: list[tuple[int, Command]]) -> list[Block]:
        sc, w = model.scenario, model.world
        blocks = [self._heading("Bloc applications")]
        if model.seats[seat].kind != "nation":
            home = seat_name(model, model.home_of(seat))
            return [*blocks, self._note(f"Nations apply to blocs and vote on applicants; {home} does that for you.")]
        me = model.region_ix[seat]
        mine = [b for b in range(len(sc.blocs)) if w.bloc_member[b, me]]
        names = ", ".join(sc.blocs[b].name for b in mine)
        blocks.append(self._note(f"Your nation is in {names}." if mine else "Your nation is in no bloc."))
        votes = {(c.bloc, c.region): (i, c.accept) for i, c in queued if isinstance(c, VoteOnApplication)}
        pending = [(b, int(r)) for b in mine for r in np.flatnonzero(w.bloc_application[b] >= 0) if r != me]
        for b, r in pending:
            bloc, nation = sc.blocs[b], sc.regions[r]
            trust = float(w.trust[me, r])
            paras = [
                (f"{nation.name} applied to join {bloc.name}", 14, "text", True),
                (
                    f"Applied {quarter_label(int(w.bloc_application[b, r]))}; the members' votes decide as this "
                    f"quarter is played. Your trust in {nation.name}: {trust:.2f} ({trust_word(model, trust)}).",
                    12,
                    "text_muted",
                    False,
                ),
            ]
            key = (bloc.id, nation.id)
            if key in votes:
                index, accept = votes[key]
                paras.append((f"Your vote: {'admit' if accept else 'refuse'} (queued).", 13, "accent", True))
                buttons = [("Withdraw", "Take your vote back", "@small", self._withdraw(index))]
            else:
                tip = "Open Vote on an applicant (also in the map's Actions tab); not voting is abstaining"
                prefill = {"bloc": bloc.id, "region": nation.id, "accept": True}
                buttons = [("Vote…", tip, "@small", self._open("vote_on_application", prefill))]
            blocks.append(self._card(paras, buttons))
        if pending:
            blocks.append(self._note('Vote with "Vote on an applicant", here or in the Actions tab on the map.'))
        own = [b for b in range(len(sc.blocs)) if w.bloc_application[b, me] >= 0]
        min_trust = sc.diplomacy.vote_min_trust
        for b in own:
            members = [int(r) for r in np.flatnonzero(w.bloc_member[b])]
            trusting = sum(1 for r in members if w.trust[r, me] >= min_trust)
            paras = [
                (f"Your application to join {sc.blocs[b].name}", 14, "text", True),
                (
                    f"Filed {quarter_label(int(w.bloc_application[b, me]))}; the members vote as this quarter is "
                    f"played. {trusting} of {len(members)} members trust your nation at least {min_trust:.2f} "
                    "(AI members refuse below that).",
                    12,
                    "text_muted",
                    False,
                ),
            ]
            blocks.append(self._card(paras, []))
        for _, cmd in queued:
            if isinstance(cmd, JoinBloc):
                name = sc.blocs[model.bloc_ix[cmd.bloc]].name if cmd.bloc in model.bloc_ix else "a bloc"
                blocks.append(
                    self._note(f"Your application to join {name} is queued: filed when the quarter is played.")
                )
        if not pending and not own:
            blocks.append(self._note("No application is waiting for a vote."))
        return blocks

    # -- what the buttons do --------------------------------------------------------------------

    def _break(self, deal_id: int) -> Callable[[], None]:
        return lambda: self.open_form("break_deal", {"deal": deal_id})

    def open_form(self, key: str, prefill: dict[str, Any] | None = None) -> None:
        """Open an action form (offer, break, vote) at the right, as the map's Actions tab does."""
        session = self.session
        if session.seat is None or session.busy:
            return
        self.place_form(key, prefill, self.right_rect.width)

    # -- events ---------------------------------------------------------------------------------

    def button_actions(self) -> dict[object, Callable[[], None]]:
        """The offer button opens the offer form."""
        return {self.offer_button: lambda: self.open_form("offer_deal")}

    def key_actions(self) -> dict[int, Callable[[], None]]:
        """O: make an offer."""
        return {pygame.K_o: lambda: self.open_form("offer_deal")}

    def _scroll(self, steps: int) -> bool:
        """Scroll the column under the mouse: the table by three rows, the cards by one."""
        if self.left_rect.collidepoint(self.mouse):
            view = self._table_capacity()
            top = max(0, len(self.relation_rows) - view)
            self.first_relation = max(0, min(self.first_relation + 3 * steps, top))
            self._layer = None
            return True
        if self.right_rect.collidepoint(self.mouse) and self.blocks:
            last = self._last_first_block()
            self.first_block = max(0, min(self.first_block + steps, last))
            self.rebuild()
            return True
        return False

    def _last_first_block(self) -> int:
        """The last block the column may start from: scrolling further would leave space empty."""
        return last_first_block(self.blocks, self.right_rect.height - 2 * self.s(8))

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
        subtitle = f"{seat_name(session.model, seat)}: trust, offers and deals" if seat else "trust, offers and deals"
        line = risk_line(session.model)
        if line:
            subtitle += f" · {line}"
        room = self.offer_button.rect.left - s(56) - f.size(self.title, 24, True)[0]
        header(surface, f, pal, s, self.title, f.ellipsize(subtitle, 15, max(room, s(40))))
        if session.busy:
            return
        if seat is None:
            draw.text(
                surface,
                f,
                "Nobody plays a seat in this game: there is no diplomacy to show.",
                (surface.get_width() // 2, surface.get_height() // 2),
                18,
                pal.rgb("text_muted"),
                anchor="center",
            )
            return
        if self._layer is None or self._layer.get_size() != surface.get_size():
            layer = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
            self._draw_relations(layer)
            self._draw_blocks(layer)
            self._layer = layer
        surface.blit(self._layer, (0, 0))

    # ---- relations ----

    def _table_geometry(self) -> tuple[int, int, int, int]:
        """(x, width, top of the first row, row height) of the relations table."""
        s, f = self.s, self.fonts
        rect = self.left_rect
        x, width = rect.left + s(12), rect.width - s(24)
        y = rect.top + s(8) + f.line_height(12, True) + s(4)
        y += len(f.wrap(self._caption(), 13, width)) * f.line_height(13) + s(8)
        y += f.line_height(12, True) + f.line_height(12) + s(4)
        return x, width, y, f.line_height(14) + s(4)

    def _footer_lines(self) -> list[str]:
        d = self.session.model.scenario.diplomacy
        text = (
            f"AI seats sign no deal with a nation they trust less than {d.deal_min_trust:.2f} (their trust in you), "
            f"no security pact below {d.pact_min_trust:.2f}, and vote against applicants below "
            f"{d.vote_min_trust:.2f}. Trust rises with deals signed and kept; sanctions, broken deals and votes "
            "against cost it."
        )
        return self.fonts.wrap(text, 12, self.left_rect.width - self.s(24))

    def _table_capacity(self) -> int:
        """How many rows fit between the column headings and the footer note."""
        _, _, top, row_h = self._table_geometry()
        footer = len(self._footer_lines()) * self.fonts.line_height(12) + self.s(16)
        return max(1, (self.left_rect.bottom - footer - top) // row_h)

    def _caption(self) -> str:
        model, seat = self.session.model, self.session.seat
        ally, rival = trust_thresholds(model)
        text = (
            "Trust from 0 (none) to 1 (full), the most trusting of you first. "
            f"Ally: {ally:.2f} or more, as between bloc partners; rival: {rival:.2f} or less."
        )
        if seat is not None and model.seats[seat].kind != "nation":
            text = f"As {seat_name(model, seat)}, you carry {seat_name(model, model.home_of(seat))}'s standing. " + text
        return text

    def _draw_relations(self, surface: pygame.Surface) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        rect = self.left_rect
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("panel_edge"), radius=s(4))
        x, width, top, row_h = self._table_geometry()
        y = rect.top + s(8)
        draw.text(surface, f, "RELATIONS", (x, y), 12, pal.rgb("accent"), bold=True)
        y += f.line_height(12, True) + s(4)
        for line in f.wrap(self._caption(), 13, width):
            draw.text(surface, f, line, (x, y), 13, pal.rgb("text_muted"))
            y += f.line_height(13)
        y += s(8)
        cols = self.COLUMNS
        for k, (fx, title, sub) in enumerate(cols):
            cell = self._cell_width(k, width)
            cx = x + round(fx * width)
            draw.text(surface, f, title, (cx, y), 12, pal.rgb("text"), bold=True, max_width=cell)
            if sub:
                draw.text(surface, f, sub, (cx, y + f.line_height(12, True)), 12, pal.rgb("text_muted"), max_width=cell)
        self._row_rects = []
        shown = self.relation_rows[self.first_relation : self.first_relation + self._table_capacity()]
        y = top
        for k, row in enumerate(shown):
            band = pygame.Rect(rect.left + s(4), y - s(2), rect.width - s(8), row_h)
            if k % 2 == 0:
                draw.box(surface, band, pal.rgba("panel_alt"))
            self._row_rects.append((band, row))
            ties = (["pact"] if row.pact else []) + list(row.blocs)  # the tooltip spells it out
            cells = [
                (row.name, pal.rgb("text")),
                (f"{row.mine:.2f} {trust_word(self.session.model, row.mine)}", self._trust_colour(row.mine)),
                (f"{row.theirs:.2f} {trust_word(self.session.model, row.theirs)}", self._trust_colour(row.theirs)),
                (" · ".join(ties) if ties else "–", pal.rgb("text") if ties else pal.rgb("text_dim")),
            ]
            for c, ((fx, _, _), (text, colour)) in enumerate(zip(cols, cells, strict=True)):
                cell = self._cell_width(c, width)
                draw.text(surface, f, text, (x + round(fx * width), y), 14, colour, max_width=cell)
            y += row_h
        n = len(self.relation_rows)
        if len(shown) < n:
            last = self.first_relation + len(shown)
            draw.text(
                surface,
                f,
                f"Nations {self.first_relation + 1}-{last} of {n}: scroll for more",
                (x, y + s(2)),
                12,
                pal.rgb("text_dim"),
                max_width=width,
            )
        fy = rect.bottom - s(8) - len(self._footer_lines()) * f.line_height(12)
        for line in self._footer_lines():
            draw.text(surface, f, line, (x, fy), 12, pal.rgb("text_muted"))
            fy += f.line_height(12)

    def _cell_width(self, k: int, width: int) -> int:
        cols = self.COLUMNS
        nxt = cols[k + 1][0] if k + 1 < len(cols) else 1.0
        return round((nxt - cols[k][0]) * width) - self.s(8)

    def _trust_colour(self, value: float) -> tuple[int, int, int]:
        word = trust_word(self.session.model, value)
        pal = self.palette
        return pal.rgb("positive") if word == "ally" else (pal.rgb("negative") if word == "rival" else pal.rgb("text"))

    # ---- the right-hand column ----

    def _draw_blocks(self, surface: pygame.Surface) -> None:
        pal, s, f = self.palette, self.s, self.fonts
        rect = self.right_rect
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("panel_edge"), radius=s(4))
        visible = self._visible_blocks()
        for block, y in visible:
            if block.card:
                x0, width = self._column()
                card = pygame.Rect(rect.left + x0, y, width, block.height - s(6))
                draw.box(surface, card, pal.rgba("panel_alt"), pal.rgb("panel_edge"), radius=s(4))
            for dx, dy, text, size, colour, bold in block.lines:
                draw.text(surface, f, text, (rect.left + dx, y + dy), size, pal.rgb(colour), bold=bold)
        shown = sum(b.height for b, _ in visible)
        column_scroll_bar(surface, pal, s, rect, self.blocks, self.first_block, shown)

    def draw_overlay(self, surface: pygame.Surface) -> None:
        """A relation's details under the mouse."""
        if self._form_open() or self.app.modal_open() or self.session.busy:
            return
        row = next((r for band, r in self._row_rects if band.collidepoint(self.mouse)), None)
        if row is None:
            return
        pal, model = self.palette, self.session.model
        lines: list[tuple[str, Any, bool]] = [
            (row.name, pal.rgb("text"), True),
            (f"Your nation's trust in it: {row.mine:.2f} ({trust_word(model, row.mine)})", pal.rgb("text"), False),
            (f"Its trust in your nation: {row.theirs:.2f} ({trust_word(model, row.theirs)})", pal.rgb("text"), False),
        ]
        if row.blocs:
            lines.append((f"Both in {', '.join(row.blocs)}", pal.rgb("text_muted"), False))
        if row.pact:
            lines.append(
                ("A security pact binds you: allies for sovereignty and cyber defence", pal.rgb("text_muted"), False)
            )
        draw.tooltip(surface, self.fonts, lines, self.mouse, pal.rgba("tooltip_bg"), pal.rgb("tooltip_edge"), self.s(8))


def risk_line(model: Any) -> str:
    """The scenario's shared risk in words for the header ('' when it sets none)."""
    risk = model.scenario.shared_risk
    if risk is None:
        return ""
    value = float(model.economy.shared_risk)
    return f"{risk.name}: {value:.2f} of {risk.threshold:g} (everyone loses at {risk.threshold:g})"
