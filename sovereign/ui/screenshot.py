"""Render any screen to a PNG without a person at the keyboard (README images, tests, reviews).

A screenshot sets up the same objects the game would (settings, a session, the screen stack),
plays a few quarters with the AI so there is something to show, then draws a few frames and
saves the window. Settings come from the command line, not the player's file, so the same
command always makes the same picture.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Screens ``--screen`` accepts, and what each shows.
SCREENSHOT_SCREENS: dict[str, str] = {
    "menu": "main menu",
    "new_game": "scenario and role picker",
    "settings": "settings",
    "load": "load a saved game",
    "game": "world map with the side panel overview",
    "panel": "world map with the Actions tab and the build-datacenter form",
    "handover": "hot-seat hand-over",
    "charts": "time series of every nation",
    "world": "the world's chip and compute markets over time (the Charts screen's World tab)",
    "markets": "merit order and compute market of your region",
    "diplomacy": "trust, offers and deals (your seat signs a security pact; other human seats make you offers)",
    "business": "a firm's compute, contracts, customers and valuation (it signs a lab, then sets a price floor)",
    "report": "the quarter report after a quarter in which your seat built, bought chips and set policy",
    "end": "end of game (plays the whole scenario first)",
    "help": "F1 help overlay over the map",
}


@dataclass
class ShotOptions:
    """What to render."""

    path: Path
    screen: str = "game"
    scenario: Path | None = None
    seat: str | None = None
    seed: int = 0
    quarters: int = 4
    size: tuple[int, int] = (1600, 900)
    scale: float = 1.0
    palette: str = "standard"
    layer: str | None = None
    region: str | None = None
    save_dir: Path | None = None
    difficulty: str | None = None
    humans: list[str] = field(default_factory=list)
    levels: dict[str, str] = field(default_factory=dict)


def _ensure_video_driver() -> None:
    """Use the dummy SDL driver when no display is available (CI, servers)."""
    if os.environ.get("SDL_VIDEODRIVER"):
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["SDL_VIDEODRIVER"] = "dummy"


def make_session(opts: ShotOptions, quarters: int) -> Any:
    """A new game with the AI playing ``quarters`` quarters; the human seat opens with a datacenter."""
    from sovereign.game.session import default_scenario_path, new_session
    from sovereign.scenario.loader import load_scenario
    from sovereign.sim.commands import BuildDatacenter

    path = opts.scenario or default_scenario_path()
    scenario = load_scenario(path)
    seat = opts.seat or ("IND" if any(r.id == "IND" for r in scenario.regions) else scenario.regions[0].id)
    session = new_session(
        scenario,
        [seat, *[h for h in opts.humans if h != seat]],
        seed=opts.seed,
        difficulty=opts.difficulty,
        seat_difficulty=opts.levels,
        scenario_path=Path(path),
        save_dir=opts.save_dir,
        autosave=False,
    )
    model = session.model
    n = min(quarters, model.end_q - model.start_q + 1)
    for q in range(n):
        if q == 0 and seat in model.region_ix:
            session.submit(BuildDatacenter(region=seat, it_mw=300), seat=seat)
        if opts.screen == "diplomacy":
            _stage_diplomacy(session, seat, first=q == 0, last=q == n - 1)
        if opts.screen == "business":
            _stage_business(session, seat, q, n)
        if opts.screen == "report" and q == n - 1:
            _REPORT_BEFORE[id(session)] = _stage_report(session, seat)
        while session.end_turn(wait=True) == "handover":
            pass  # hot seat: every human seat ends its turn, then the quarter is played
        session.poll()
    while seat in session.human_seats and session.seat != seat and session.end_turn() == "handover":
        pass  # hot seat: the seats before yours pass, so the picture shows your turn
    return session


#: The seat's figures before the last quarter a report picture shows, by session.
_REPORT_BEFORE: dict[int, Any] = {}


def _stage_report(session: Any, seat: str) -> Any:
    """Give the quarter report something to show: a build, a chip bid, a policy and one refusal.

    Returns the seat's snapshot before the quarter, which the report compares with.
    """
    from sovereign.game.report import snapshot
    from sovereign.sim.commands import BuildFab, BuildPlant, BuyAccelerators, SetSecuritySpending

    model = session.model
    before = snapshot(model, seat)
    home = model.home_of(seat)
    chip = next((a for a in model.scenario.accelerators if not a.controlled), model.scenario.accelerators[0])
    for cmd in (
        BuildPlant(region=home, technology="solar", mw=500),
        BuyAccelerators(region=home, accelerator=chip.id, h100e=20000, max_price_usd=chip.price_usd_per_h100e * 1.5),
        BuildFab(region=home, accelerator=chip.id, h100e_per_quarter=5_000_000),  # far beyond the budget
    ):
        session.submit(cmd, seat=seat)
    if seat in model.region_ix:
        session.submit(
            SetSecuritySpending(busd_per_year=float(model.world.security_busd[model.region_ix[seat]]) + 1.0), seat=seat
        )
    return before


def _stage_diplomacy(session: Any, seat: str, first: bool, last: bool) -> None:
    """Give the Diplomacy screen something to show, through the same commands a player gives.

    In the first quarter the seat offers a security pact to the AI nation that trusts it most (AI
    nations sign pacts with nations they trust, so it runs by the picture); in the last quarter it
    offers one to the next most trusting, and every other human seat offers it a pact (or, for a
    firm, a money transfer), so there are offers to answer and one waiting for an answer.
    """
    from sovereign.sim.commands import OfferDeal
    from sovereign.sim.phases.diplomacy import link_room_mw, seat_region

    model = session.model
    if not (first or last) or seat not in model.region_ix:
        return
    me = seat_region(model, seat)
    ai_nations = [r.id for r in model.scenario.regions if r.id in model.seats and r.id not in session.human_seats]
    by_trust = sorted(ai_nations, key=lambda r: -float(model.world.trust[model.region_ix[r], me]))
    partners = by_trust[:1] if first else by_trust[1:2]
    for partner in partners:
        session.submit(OfferDeal(partner=partner, deal_kind="security_pact", quarters=8), seat=seat)
    prices = model.results.power.wholesale_avg
    if last and prices.size:
        # and power to the AI neighbour its grid is joined to that pays the most for power, at the
        # midpoint of the two wholesale prices (so there is an offer out, waiting for an answer)
        linked = [p for p in ai_nations if (link_room_mw(model, seat, p) or 0.0) >= 500]
        if linked:
            partner = max(linked, key=lambda p: float(prices[model.region_ix[p]]))
            price = round((float(prices[me]) + float(prices[model.region_ix[partner]])) / 2)
            offer = OfferDeal(partner=partner, deal_kind="power_supply", mw=500.0, price_usd_per_mwh=price, quarters=8)
            session.submit(offer, seat=seat)
    if last:
        for other in session.human_seats:
            if other == seat:
                continue
            pact = model.seats[other].kind == "nation"
            offer = (
                OfferDeal(partner=seat, deal_kind="security_pact", quarters=4)
                if pact
                else OfferDeal(partner=seat, deal_kind="money_transfer", quarters=4, payment_busd_per_quarter=-0.25)
            )
            session.submit(offer, seat=other)


def _stage_business(session: Any, seat: str, q: int, n: int) -> None:
    """Give the Business screen something to show, through the commands a player gives.

    After the first quarter (a market to price by) the seat offers the customer that wanted the
    most compute the contract the screen suggests (AI labs sign what is worth it to them); before
    the last quarter it sets a price floor a tenth above its average price, so the valuation's
    story has a floor to tell about. A nation (or a firm without datacenters) is left alone.
    """
    from sovereign.game.business import business_book
    from sovereign.sim.commands import OfferDeal, SetComputePrice

    model = session.model
    if seat in model.region_ix or q == 0:
        return
    book = business_book(model, seat)
    if not book.owns_datacenters:
        return
    offer = next((c.offer for c in book.customers if c.offer is not None), None)
    if q == 1 and offer is not None:
        session.submit(OfferDeal(**offer), seat=seat)
    if q == n - 1 and book.price_usd_per_hour is not None:
        session.submit(SetComputePrice(floor_usd_per_hour=round(1.1 * book.price_usd_per_hour, 2)), seat=seat)


def render(opts: ShotOptions) -> Path:
    """Render one screen to ``opts.path``; returns the path written.

    Raises:
        ValueError: Unknown screen name.
    """
    if opts.screen not in SCREENSHOT_SCREENS:
        raise ValueError(f"unknown screen {opts.screen!r}; choose from {', '.join(SCREENSHOT_SCREENS)}")
    _ensure_video_driver()
    from sovereign.ui.app import App
    from sovereign.ui.settings import Settings

    settings = Settings(window_size=opts.size, ui_scale=opts.scale, palette=opts.palette, autosave=False)
    needs_game = opts.screen not in ("menu", "new_game", "settings", "load")
    session = None
    if needs_game:
        quarters = 10**6 if opts.screen == "end" else opts.quarters
        session = make_session(opts, quarters)
    app = App(settings, persist_settings=False, size=opts.size, session=session, save_dir=opts.save_dir)
    if opts.screen == "new_game":
        app.open(
            "new_game",
            scenario=opts.scenario,
            seat=opts.seat,
            humans=opts.humans,
            levels=opts.levels,
            difficulty=opts.difficulty,
            seed=opts.seed,
        )
    elif session is None:
        app.open(opts.screen)
    else:
        _open_with_game(app, opts, session)
    return app.screenshot(opts.path, frames=4)


def _open_with_game(app: Any, opts: ShotOptions, session: Any) -> None:
    """Start the game in the app and bring the screen to picture on top, settled."""
    app.start_session(session)
    game = app.top
    if game is not None and game.name == "game":
        if opts.layer:
            game.set_layer(opts.layer)
        if opts.region:
            game.select(region=opts.region)
        # decision dialogs would cover the picture; the player sees them in play
        for _ in range(2):
            app.frame(dt=1 / 60)
        _close_dialogs(app)
    if opts.screen == "panel" and game is not None and game.name == "game":
        game.set_tab("actions")
        game.open_action("build_datacenter")
    elif opts.screen == "handover":
        app.open("handover", seat=session.seat)
    elif opts.screen in ("diplomacy", "business"):
        if app.top is not None and app.top.name == "handover":
            app.back()  # the seat in turn has sat down
            for _ in range(2):
                app.frame(dt=1 / 60)
            _close_dialogs(app)
        app.open(opts.screen)
    elif opts.screen == "report":
        from sovereign.game.report import quarter_report

        seat = session.seat
        app.reports[seat] = quarter_report(session.model, seat, _REPORT_BEFORE.pop(id(session), None))
        app.open("report")
    elif opts.screen in ("charts", "markets", "world"):
        # (the World tab of the Charts screen is a picture of its own)
        params = {"markets": {"region": opts.region} if opts.region else {}, "world": {"group": "world"}}
        app.open("charts" if opts.screen == "world" else opts.screen, **params.get(opts.screen, {}))
    elif opts.screen == "help":
        app.help_open = True
    if opts.screen == "end":
        # the end screen compares the human seats with AI-only games on a worker thread: a
        # picture of it shows the finished comparison, as a player sees it seconds later
        app.frame(dt=1 / 60)
        bots = getattr(app.top, "bots", None)
        if bots is not None:
            bots.wait(300)


def _close_dialogs(app: Any) -> None:
    from sovereign.ui.dialogs import ChoiceDialog

    for w in list(app.manager.get_window_stack().get_full_stack()):
        if isinstance(w, ChoiceDialog):
            w.kill()
