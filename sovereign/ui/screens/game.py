"""The game screen: world map, top bar, side panel, news ticker, decisions and the game menu.

Layout (design pixels at UI scale 1 in a 1600x900 window)::

    +--------------------------------------------------------------------------+
    | top bar: menu, quarter, your seat, budget or cash, score+trend, buttons  |  52
    +--------------------------------------------------+-----------------------+
    | layer buttons                                    |  side panel           |
    |                    world map                     |  Overview | Actions   |
    | legend                                           |                       |
    +--------------------------------------------------+-----------------------+
    | news ticker                                                              |  34
    +--------------------------------------------------------------------------+

The screen reads the model to draw and changes it only by posting through the session
(``GameSession.submit`` for commands, ``GameSession.end_turn`` for the quarter).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame
import pygame_gui

from sovereign.game import fmt
from sovereign.game.actions import ACTION_BY_KEY
from sovereign.scenario.schema import quarter_label
from sovereign.sim.commands import AnswerDeal, Decide, command_to_dict
from sovereign.sim.phases.diplomacy import open_offers
from sovereign.ui import draw, events
from sovereign.ui.geo import MapView
from sovereign.ui.layers import LAYER_BY_KEY, LAYERS, LayerCache, latest_rows
from sovereign.ui.mapdata import shapes_for
from sovereign.ui.maprender import MapRenderer, draw_legend, region_tooltip_lines
from sovereign.ui.screens.action_form import COMMAND_RESULT, SUBMIT, ActionForm
from sovereign.ui.screens.base import Screen, object_id_of
from sovereign.ui.screens.panel import KIND_LABELS, SidePanel, command_label
from sovereign.ui.screens.tracker import ObjectiveTracker
from sovereign.ui.theme import lerp_color

LAYER_KEYS = {getattr(pygame, f"K_{spec.hotkey}"): spec.key for spec in LAYERS}
PAN_STEP = 80
ZOOM_STEP = 1.25


class GameScreen(Screen):
    """Play a quarter: look at the world, decide, end the quarter."""

    name = "game"
    title = "World map"
    summary = "the map by layer, your figures, the side panel and your actions"
    needs_session = True
    help_text = (
        "The map colours every region by the selected layer (legend bottom left). Circles are datacenters "
        "(area ~ MW, ringed when you own some), diamonds fabs, squares firm-owned power plants; orange arcs "
        "show chips going from fab regions to datacenters, blue arcs compute sold from one region to buyers "
        "in another. Hover for a region's figures, click to open it in the side panel. The Actions tab lists "
        "what your role can do; every action shows its cost, build time and expected effect before you "
        "confirm. End the quarter when you are ready: every seat moves at once."
    )
    keys = (
        ("Enter", "end your turn / the quarter"),
        (
            "1 … 8",
            "map layer: sovereignty, power price, DC capacity, compute share, emissions, blocs, export tier, "
            "chip security",
        ),
        ("F", "show or hide chip and compute flow arcs"),
        ("Wheel, + / -", "zoom at the mouse / the centre"),
        ("Drag, arrow keys", "pan the map"),
        ("Home", "show the whole world"),
        ("Click", "select a region, datacenter or fab"),
        ("H", "select your own seat"),
        ("Tab", "switch the side panel between Overview and Actions"),
        ("M / C / N", "markets, charts, news log"),
        ("D", "diplomacy: trust between nations, offers to answer, your deals"),
        ("B", "business (firms): your compute, price, contracts, customers and valuation"),
        ("R", "the quarter report: your actions, score, money and rivals' moves last quarter"),
        ("G", "goals: your objectives and their trend, the ways to lose, your score so far"),
        ("E", "answer pending decisions"),
        ("T", "show or hide the tutorial (Tutorial in the main menu starts it)"),
        ("V", "what lies ahead: the band of possible futures of your key figures"),
        ("Esc", "game menu (save, load, settings, who plays which seat, quit)"),
    )

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        session = self.session
        model = session.model
        self.layer = "sovereignty" if model.metrics.nations else "dc_capacity"
        self.selection: str | None = self._home_selection()
        self.panel_tab = "overview"
        self.zoom = 1.0
        self.center = (0.0, 0.0)
        self.layers = LayerCache()
        self.hover_region: str | None = None
        self.hover_marker: Any = None
        self.mouse = (0, 0)
        self._drag_from: tuple[int, int] | None = None
        self._dragging = False
        self.ticker_x = 0.0
        self.form: ActionForm | None = None
        self._asked_decisions: set[tuple[str, int]] = set()
        self.renderer: MapRenderer | None = None
        self.tracker = ObjectiveTracker()

    def _offers_waiting(self) -> int:
        """Offers to your seat you have not answered yet (the Diplomacy button counts them)."""
        session = self.session
        seat = session.seat
        if seat is None or session.busy:
            return 0
        answered = {c.deal for c in session.queued() if isinstance(c, AnswerDeal)}
        return sum(1 for d in open_offers(session.model, seat) if d["id"] not in answered)

    def _home_selection(self) -> str | None:
        return self.session.seat  # a nation is its own region; a firm shows its own page

    # -- layout ---------------------------------------------------------------------------

    def build(self) -> None:
        """Top bar buttons, layer buttons, the side panel and the map view for this window size."""
        if getattr(self, "_seat_shown", None) != self.session.seat:
            # a new player sits down (hot seat): start from their own seat, nothing of the last one's
            self._seat_shown = self.session.seat
            self.selection = self._home_selection()
            self.panel_tab = "overview"
        s = self.s
        w, h = self.size
        self.top_h, self.ticker_h = s(52), s(34)
        panel_w = min(s(440), round(w * 0.36))
        self.map_rect = pygame.Rect(0, self.top_h, w - panel_w, h - self.top_h - self.ticker_h)
        self.panel_rect = pygame.Rect(w - panel_w, self.top_h, panel_w, h - self.top_h - self.ticker_h)
        self.ticker_rect = pygame.Rect(0, h - self.ticker_h, w, self.ticker_h)
        model = self.session.model
        self.view = MapView(tuple(self.map_rect), zoom=self.zoom, center=self.center)
        shapes = shapes_for(model.scenario)
        if self.renderer is None or self.renderer.scenario is not model.scenario:
            self.renderer = MapRenderer(model.scenario, shapes, self.view)
        else:
            self.renderer.view = self.view
        # top bar
        bh = s(36)
        by = (self.top_h - bh) // 2
        self.menu_button = self.button((s(8), by, s(76), bh), "Menu", "Game menu: save, load, settings, quit (Esc)")
        x = w - s(8)
        end_label = self._end_label()
        ew = max(s(170), self.fonts.size(end_label, 16, True)[0] + s(30))
        self.end_button = self.button((x - ew, by, ew, bh), end_label, self._end_tooltip(), "#end_quarter")
        x -= ew + s(8)
        self.top_buttons: dict[Any, str] = {}
        n_dec = len(self.session.pending_decisions())
        n_offers = self._offers_waiting()
        specs = [
            (
                "diplomacy",
                f"Diplomacy ({n_offers})" if n_offers else "Diplomacy",
                "Trust between nations, offers waiting for your answer, your deals and bloc applications (D)",
            ),
            ("report", "Report", "Last quarter: what became of your actions, your score and your money (R)"),
            ("business", "Business", "Your compute, price, contracts, customers and valuation (B)"),
            ("markets", "Markets", "Why prices are what they are: merit order and compute market (M)"),
            ("charts", "Charts", "Time series of every nation and firm, yours highlighted (C)"),
            ("news", "News", "Everything that happened, quarter by quarter (N)"),
        ]
        if self.session.seat is None or self.session.seat_kind(self.session.seat) == "nation":
            specs = [spec for spec in specs if spec[0] != "business"]  # a firm's screen
        if n_dec:
            specs.insert(0, ("decide", f"Decide ({n_dec})", "Events waiting for your decision (E)"))
        for key, lab, tip in reversed(specs):
            primary = key == "decide" or (key == "diplomacy" and n_offers > 0)
            bw = self.fonts.size(lab, 15, primary)[0] + s(28)
            b = self.button((x - bw, by, bw, bh), lab, tip, "@primary" if primary else None)
            self.top_buttons[b] = key
            x -= bw + s(6)
        self.top_text_right = x - s(8)
        # layer buttons over the map, top left (a drop-down when the map is small)
        self.layer_buttons: dict[Any, str] = {}
        self.layer_menu = None
        self.compact = self.map_rect.width < s(1000) or self.map_rect.height < s(700)
        lx, ly = self.map_rect.left + s(10), self.map_rect.top + s(10)
        lw, lh = s(150), s(28)
        if self.compact:
            labels = [f"{spec.hotkey}  {spec.label}" for spec in LAYERS]
            current = labels[[spec.key for spec in LAYERS].index(self.layer)]
            self.layer_menu = self.add(
                pygame_gui.elements.UIDropDownMenu(
                    labels, current, pygame.Rect(lx, ly, s(230), lh), self.manager, object_id=object_id_of("@layer")
                )
            )
            self.layer_menu.set_tooltip("Map layer (keys 1-8)") if hasattr(self.layer_menu, "set_tooltip") else None
            self.flows_button = self.button(
                (lx + s(238), ly, s(120), lh),
                "F  Flows " + ("on" if self.app.settings.show_flows else "off"),
                "Show or hide arcs: chips from fab regions to datacenters, compute from sellers to buyers (F)",
                "@layer",
            )
            if self.app.settings.show_flows:
                self.flows_button.select()
        for k, spec in enumerate(LAYERS if not self.compact else ()):
            b = self.button(
                (lx, ly + k * (lh + s(4)), lw, lh),
                f"{spec.hotkey}  {spec.short}",
                f"{spec.label}: {spec.description}",
                "@layer",
            )
            if spec.key == self.layer:
                b.select()
            self.layer_buttons[b] = spec.key
        if not self.compact:
            fy = ly + len(LAYERS) * (lh + s(4)) + s(6)
            self.flows_button = self.button(
                (lx, fy, lw, lh),
                "F  Flows " + ("on" if self.app.settings.show_flows else "off"),
                "Show or hide arcs: chips from fab regions to datacenters, compute from sellers to buyers (F)",
                "@layer",
            )
            if self.app.settings.show_flows:
                self.flows_button.select()
        # side panel
        self.panel = SidePanel(self, self.panel_rect)
        self.panel.build()
        if self.session.busy:
            self.end_button.disable()

    def teardown(self) -> None:
        """Kill widgets and any open action form (its state is rebuilt from attributes)."""
        if self.form is not None:
            self.form.kill()
            self.form = None
        super().teardown()
        if hasattr(self, "view"):
            self.zoom, self.center = self.view.zoom, self.view.center

    def on_enter(self) -> None:
        """Show the last quarter's report if this seat has not seen it; else ask pending decisions.

        First, a seat people play that has already lost (a game loaded after its loss) is put out.
        """
        from sovereign.ui.screens.loss import put_out_losers

        if not self.session.busy and put_out_losers(self.app, self.session.human_seats):
            return
        if self.app.unseen_report() and not self.session.busy:
            events.navigate("report")
            return
        self._maybe_ask_decisions()

    def _end_label(self) -> str:
        session = self.session
        if session.hot_seat and session.turn + 1 < len(session.human_seats):
            nxt = session.seat_name(session.human_seats[session.turn + 1])
            return f"End turn, then {nxt}"
        return "End quarter"

    def _end_tooltip(self) -> str:
        session = self.session
        if session.hot_seat:
            return "End your turn; the quarter is played after the last human seat ends theirs (Enter)"
        return f"Play {session.model.quarter_label}: AI seats decide, markets clear, builds progress (Enter)"

    # -- actions ----------------------------------------------------------------------------

    def set_tab(self, tab: str) -> None:
        """Switch the side panel tab."""
        if tab != self.panel_tab:
            self.panel_tab = tab
            self.rebuild()

    def select(self, region: str | None = None, seat: str | None = None) -> None:
        """Show a region or a firm in the side panel."""
        model = self.session.model
        if region is not None and region in model.region_ix:
            self.selection = region
        elif seat is not None and (seat in model.seats or seat in model.region_ix):
            self.selection = seat
        else:
            return
        self.panel.scroll = 0
        if self.panel_tab != "overview":
            self.set_tab("overview")

    def open_action(self, key: str, prefill: dict[str, Any] | None = None) -> None:
        """Open the action form over the side panel (prefilled when editing a queued command)."""
        if self.form is not None:
            self.form.kill()
        region = self.selection if self.selection in self.session.model.region_ix else None
        if prefill is not None and prefill.get("region") in self.session.model.region_ix:
            region = prefill["region"]
        # beside the panel, over the map's right edge: the action list stays visible next to it
        s = self.s
        width = min(s(470), self.map_rect.width - s(180))
        rect = pygame.Rect(
            self.panel_rect.left - width - s(6), self.panel_rect.top + s(6), width, self.panel_rect.height - s(12)
        )
        self.form = ActionForm(self.manager, rect, self.session, key, region, self.s, self.palette, prefill)
        for b, k in self.panel.action_buttons.items():
            b.select() if k == key else b.unselect()

    def withdraw(self, index: int, edit: bool = False) -> None:
        """Take back a queued command (through the session); to edit, re-open its form prefilled."""
        cmd = self.session.withdraw(index)
        if cmd is None:
            events.toast("That action can no longer be withdrawn", "bad")
            return
        self.panel._content_key = None
        self.rebuild()  # the queue, the money committed and the decisions badge change
        if not edit:
            events.toast(f"Withdrawn: {command_label(self.session.model, cmd)}", "info")
        elif isinstance(cmd, Decide):
            self.open_decisions()
        elif cmd.kind in ACTION_BY_KEY:
            self.open_action(cmd.kind, {k: v for k, v in command_to_dict(cmd).items() if k != "kind"})

    def toast_area(self) -> pygame.Rect:
        """The map left of an open action form: a toast must not cover the form's Confirm button."""
        area = self.map_rect.copy()
        if self.form is not None and self.form.alive():
            area.width = max(0, self.form.rect.left - area.left - self.s(6))
        return area

    def open_decisions(self) -> None:
        """Open a dialog for each pending decision of your seat (one at a time)."""
        decisions = self.session.pending_decisions()
        if not decisions:
            events.toast("No decision is waiting")
            return
        event_id, options = sorted(decisions.items())[0]
        headline, text = self.session.decision_headline(event_id, options)
        seat = self.session.seat
        effects = self.session.decision_effects(event_id)
        listed = "".join(f"<br><b>{opt}</b>: {eff}" for opt, eff in zip(options, effects, strict=False))
        body = (
            f"<b>{headline}</b><br>"
            + (f"{text}<br>" if text else "")
            + listed
            + "<br><br>How does "
            + f"{self.session.seat_name(seat or '')} respond? The choice is applied when the quarter is played."
        )
        choices = [(str(k), opt, f"Choose: {opt}", "@primary" if k == 0 else None) for k, opt in enumerate(options)]
        choices.append(("later", "Decide later", "Keep the question open this quarter", None))
        self.app.dialog(f"decision:{event_id}", "A decision is needed", body, choices, width=620)

    def _maybe_ask_decisions(self) -> None:
        seat = self.session.seat
        if seat is None or self.session.busy:
            return
        for event_id in self.session.pending_decisions():
            key = (seat, event_id)
            if key not in self._asked_decisions:
                self._asked_decisions.add(key)
                self.open_decisions()
                return

    def open_game_menu(self) -> None:
        """Esc: resume, save, load, settings, main menu, quit."""
        self.app.dialog(
            "game_menu",
            "Game menu",
            f"{self.session.model.scenario.meta.title} — {self.session.model.quarter_label}",
            [
                ("resume", "Resume", "Back to the map (Esc)", "@primary"),
                ("save", "Save game", "Save to the saves folder (Ctrl+S)", None),
                ("load", "Load game", "Open a saved game (Ctrl+O)", None),
                ("settings", "Settings", "Window, UI scale, palette", None),
                ("ahead", "What lies ahead?", "Possible futures of your key figures (V)", None),
                ("seats", "Who plays this seat", "Hand the seat selected on the map to a person or the AI", None),
                ("menu", "Main menu", "Leave this game (it stays open under Continue)", None),
                ("quit", "Quit", "Close Sovereign (asks to save first)", "@danger"),
            ],
            vertical=True,
            width=380,
        )

    def _selected_seat(self) -> str | None:
        """The seat shown in the side panel (a nation is its region), else the seat whose turn it is."""
        seats = self.session.model.seats
        return self.selection if self.selection in seats else self.session.seat

    def ask_hand_over(self) -> None:
        """Ask who should play the selected seat from the next quarter: a person or the AI."""
        session = self.session
        seat = self._selected_seat()
        if seat is None:
            events.toast("Select a nation on the map or a firm in the side panel first", "bad")
            return
        name = session.seat_name(seat)
        now = "a person" if seat in session.model.human_seats else f"the AI ({session.controller(seat)})"
        nxt = session.player_next_quarter(seat)
        later = ""
        if seat in session.handovers:
            later = f" From the next quarter on, {'a person' if nxt == 'human' else 'the AI'} will play it."
        self.app.dialog(
            f"hand:{seat}",
            f"Who plays {name}?",
            f"{name} is played by {now} this quarter.{later} A seat changes hands once this quarter has been "
            "played: the quarter is played as it has been decided. To hand over another seat, select it on the "
            "map or in the side panel first.",
            [
                ("human", "A person", f"From the next quarter, {name} takes its turn on this screen", "@primary"),
                ("ai", "The AI", f"From the next quarter, the AI decides for {name}", None),
                ("cancel", "Cancel", "Leave it as it is", None),
            ],
            width=560,
        )

    def hand_over(self, seat: str, player: str) -> None:
        """Hand a seat to a person or the AI from the next quarter (at least one seat stays with people)."""
        session = self.session
        if player == "ai":
            people = [s for s in session.model.seat_ids if s in session.model.seats and s != seat]
            if not any(session.player_next_quarter(s) == "human" for s in people):
                events.toast("At least one seat stays with a person: hand another seat to a person first", "bad")
                return
        refusal = session.hand_seat(seat, player)
        if refusal is not None:
            events.toast(f"Cannot hand it over: {refusal}", "bad")
            return
        who = "a person" if player == "human" else "the AI"
        events.toast(f"{session.seat_name(seat)}: played by {who} from the next quarter", "good")

    def open_news(self) -> None:
        """The news log: every headline, latest quarter first."""
        model = self.session.model
        by_q: dict[str, list[dict]] = {}
        for n in model.news:
            by_q.setdefault(n["quarter"], []).append(n)
        parts = []
        for q in sorted(by_q, reverse=True)[:12]:
            parts.append(f"<b>{q}</b>")
            for n in by_q[q]:
                extra = f" — <i>{n['text']}</i>" if n.get("text") else ""
                parts.append(f"• {n['headline']}{extra}")
        body = "<br>".join(parts) if parts else "Nothing has happened yet: end the first quarter."
        self.app.dialog("news", "News", body, [("close", "Close", "Back to the map", None)], width=760)

    def end_turn(self) -> None:
        """End the current seat's turn (the quarter when it is the last human seat)."""
        if self.session.busy or self.session.model.done:
            return
        if self.form is not None:
            self.form.kill()
            self.form = None
        result = self.session.end_turn()
        if result == "handover":
            events.navigate("handover", seat=self.session.seat)
        elif result == "stepping":
            self.end_button.disable()

    # -- events -----------------------------------------------------------------------------

    # C901: a flat dispatch on the event type (buttons, dialogs, map mouse, keys), in priority order.
    def process_events(self, event: pygame.event.Event) -> bool:  # noqa: C901
        """Buttons, dialogs, map mouse and keys."""
        et = event.type
        if et == pygame_gui.UI_BUTTON_PRESSED:
            el = event.ui_element
            if el is self.end_button:
                self.end_turn()
                return True
            if el is self.menu_button:
                self.open_game_menu()
                return True
            if el is self.flows_button:
                self.toggle_flows()
                return True
            if el in self.layer_buttons:
                self.set_layer(self.layer_buttons[el])
                return True
            if el in self.top_buttons:
                self._top_action(self.top_buttons[el])
                return True
        if et == SUBMIT:
            result = self.session.submit(event.command)
            events.post(COMMAND_RESULT, accepted=result.accepted, reason=result.reason, action=event.action)
            self.panel._content_key = None
            if result.accepted:
                events.toast(f"Queued: {command_label(self.session.model, event.command)}", "good")
                if self.form is not None:
                    self.form.kill()
                    self.form = None
                self.rebuild()  # the top bar and panel show the money now committed
            return True
        if et == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element is self.layer_menu:
            labels = [f"{spec.hotkey}  {spec.label}" for spec in LAYERS]
            if event.text in labels:
                self.set_layer(LAYERS[labels.index(event.text)].key)
            return True
        if et == events.SELECT:
            self.select(getattr(event, "region", None), getattr(event, "seat", None))
            return True
        if et == events.QUARTER_ENDED:
            self._quarter_ended(event)
            return True
        if et == events.DIALOG_RESULT:
            return self._dialog_result(event.dialog, event.choice)
        if self.panel.process_event(event):
            return True
        if et in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION, pygame.MOUSEWHEEL):
            return self._map_mouse(event)
        if et == pygame.KEYDOWN and not self.text_input_active():
            return self._key(event)
        if et == pygame.WINDOWLEAVE:
            self.hover_region = None
            self.hover_marker = None
        return False

    def _top_action(self, key: str) -> None:
        if key == "diplomacy":
            events.navigate("diplomacy")
        elif key == "report":
            events.navigate("report")
        elif key == "business":
            events.navigate("business")
        elif key == "markets":
            events.navigate(
                "markets", region=self.selection if self.selection in self.session.model.region_ix else None
            )
        elif key == "charts":
            events.navigate("charts")
        elif key == "news":
            self.open_news()
        elif key == "decide":
            self.open_decisions()

    def _dialog_result(self, dialog: str, choice: str) -> bool:
        if dialog == "game_menu":
            if choice == "save":
                events.post(events.SAVE_GAME)
            elif choice == "load":
                events.navigate("load")
            elif choice == "settings":
                events.navigate("settings")
            elif choice == "ahead":
                events.navigate("fan")
            elif choice == "seats":
                self.ask_hand_over()
            elif choice == "menu":
                events.navigate("menu")
            elif choice == "quit":
                events.post(events.QUIT_REQUEST)
            return True
        if dialog.startswith("hand:"):
            if choice in ("human", "ai"):
                self.hand_over(dialog.split(":", 1)[1], choice)
            return True
        if dialog.startswith("decision:"):
            if choice != "later" and choice != "cancel":
                event_id = int(dialog.split(":", 1)[1])
                result = self.session.submit(Decide(event_id=event_id, option=int(choice)))
                if result.accepted:
                    events.toast("Decision recorded: applied when the quarter is played", "good")
                else:
                    events.toast(f"Decision refused: {result.reason}", "bad")
                self.panel._content_key = None
                self.rebuild()  # the "Decide (n)" badge counts only decisions still open
            return True
        return dialog == "news"

    def _quarter_ended(self, event: pygame.event.Event) -> None:
        if self.layer == "dc_capacity" and len(self.session.model.metrics.nations) == len(
            self.session.model.scenario.regions
        ):
            pass  # keep the player's layer choice
        events.toast(f"{event.quarter} played in {event.seconds * 1000:.0f} ms", "info")
        self.panel._content_key = None
        self.rebuild()
        if self.app.unseen_report():
            events.navigate("report")  # the decisions are asked when the map is back
            return
        self._maybe_ask_decisions()

    def set_layer(self, key: str) -> None:
        """Colour the map by another layer."""
        if key in LAYER_BY_KEY and key != self.layer:
            self.layer = key
            for b, k in self.layer_buttons.items():
                b.select() if k == key else b.unselect()
            if self.layer_menu is not None:
                self.rebuild()  # the drop-down shows the new layer

    def toggle_flows(self) -> None:
        """Show or hide flow arcs (remembered in the settings)."""
        self.app.settings.show_flows = not self.app.settings.show_flows
        self.app._store_settings()
        on = self.app.settings.show_flows
        self.flows_button.set_text("F  Flows " + ("on" if on else "off"))
        self.flows_button.select() if on else self.flows_button.unselect()

    # C901: the key map: one short branch per key, a flat dispatch best read in one place.
    def _key(self, event: pygame.event.Event) -> bool:  # noqa: C901
        k = event.key
        if event.mod & pygame.KMOD_CTRL:
            return False
        if k in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.end_turn()
        elif k in LAYER_KEYS:
            self.set_layer(LAYER_KEYS[k])
        elif k == pygame.K_f:
            self.toggle_flows()
        elif k in (pygame.K_LEFT, pygame.K_a):
            self.view.pan_by(self.s(PAN_STEP), 0)
        elif k in (pygame.K_RIGHT,):
            self.view.pan_by(-self.s(PAN_STEP), 0)
        elif k in (pygame.K_UP, pygame.K_w):
            self.view.pan_by(0, self.s(PAN_STEP))
        elif k in (pygame.K_DOWN,):
            self.view.pan_by(0, -self.s(PAN_STEP))
        elif k in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
            self.view.zoom_at(*self.map_rect.center, ZOOM_STEP)
        elif k in (pygame.K_MINUS, pygame.K_KP_MINUS):
            self.view.zoom_at(*self.map_rect.center, 1 / ZOOM_STEP)
        elif k == pygame.K_HOME:
            self.view.zoom, self.view.center = 1.0, (0.0, 0.0)
            self.view.clamp()
        elif k == pygame.K_TAB:
            self.set_tab("actions" if self.panel_tab == "overview" else "overview")
        elif k == pygame.K_h:
            self.select(seat=self.session.seat) if self.session.seat else None
        elif k == pygame.K_m:
            self._top_action("markets")
        elif k == pygame.K_c:
            self._top_action("charts")
        elif k == pygame.K_n:
            self.open_news()
        elif k == pygame.K_d:
            self._top_action("diplomacy")
        elif k == pygame.K_r:
            self._top_action("report")
        elif k == pygame.K_b:
            self._top_action("business")
        elif k == pygame.K_g:
            events.navigate("goals")
        elif k == pygame.K_e:
            self.open_decisions()
        elif k == pygame.K_v:
            events.navigate("fan")
        elif k == pygame.K_ESCAPE:
            self.open_game_menu()
        else:
            return False
        return True

    def _map_mouse(self, event: pygame.event.Event) -> bool:
        et = event.type
        if et == pygame.MOUSEWHEEL:
            pos = pygame.mouse.get_pos()
            if self.map_rect.collidepoint(pos):
                self.view.zoom_at(pos[0], pos[1], ZOOM_STEP ** float(event.y))
                return True
            return False
        if et == pygame.MOUSEMOTION:
            self.mouse = event.pos
            if self._drag_from is not None and event.buttons[0]:
                dx, dy = event.pos[0] - self._drag_from[0], event.pos[1] - self._drag_from[1]
                if self._dragging or math.hypot(dx, dy) > self.s(4):
                    self._dragging = True
                    self.view.pan_by(dx, dy)
                    self._drag_from = event.pos
                return True
            self._update_hover(event.pos)
            return False
        if et == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.tracker.rect.collidepoint(event.pos):
            events.navigate("goals")  # the tracker card opens the goals view, like G
            return True
        if et == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.map_rect.collidepoint(event.pos):
            self._drag_from = event.pos
            self._dragging = False
            return True
        if et == pygame.MOUSEBUTTONUP and event.button == 1 and self._drag_from is not None:
            was_drag = self._dragging
            self._drag_from = None
            self._dragging = False
            if not was_drag and self.map_rect.collidepoint(event.pos):
                self.click_map(event.pos)
            return True
        return False

    def click_map(self, pos: tuple[int, int]) -> None:
        """Select what is under a map pixel (a marker's region, or the region itself)."""
        assert self.renderer is not None
        hit = self.renderer.marker_at(pos)
        region = hit.region if hit is not None else self.renderer.region_at(pos)
        if region is not None:
            self.select(region=region)

    def _update_hover(self, pos: tuple[int, int]) -> None:
        if self.renderer is None or not self.map_rect.collidepoint(pos) or self.tracker.rect.collidepoint(pos):
            self.hover_region, self.hover_marker = None, None  # the tracker card covers the map there
            return
        self.hover_marker = self.renderer.marker_at(pos)
        self.hover_region = self.hover_marker.region if self.hover_marker else self.renderer.region_at(pos)

    # -- per frame ------------------------------------------------------------------------------

    def update(self, dt: float) -> None:
        """Scroll the ticker; notice a closed action form."""
        self.ticker_x += dt * self.s(60)
        if self.form is not None and not self.form.alive():
            self.form = None
            for b in self.panel.action_buttons:
                b.unselect()

    def current_layer(self) -> Any:
        """The selected layer's data for this quarter (cached)."""
        return self.layers.get(self.session.model, self.layer, self.session.version, self.palette)

    def draw(self, surface: pygame.Surface) -> None:
        """Map, legend, top bar, panel and ticker (widgets are drawn on top by the app)."""
        session = self.session
        pal = self.palette
        surface.fill(pal.rgb("background"))
        assert self.renderer is not None
        if session.busy:
            # the model is being stepped on the worker: show the last frame of the map untouched
            if self.renderer._surface is not None:
                surface.blit(self.renderer._surface, self.map_rect.topleft, self.map_rect)
        else:
            layer = self.current_layer()
            own = self._own_region()
            self.renderer.draw(
                surface,
                session,
                layer,
                pal,
                self.fonts,
                self.s,
                selected=self.selection if self.selection in session.model.region_ix else None,
                own=own,
                show_flows=self.app.settings.show_flows,
            )
            if self.hover_region is not None and self.hover_region != self.selection and self.renderer.at_rest:
                self.renderer.draw_outline(
                    surface, self.hover_region, lerp_color(pal.rgb("hover"), pal.rgb("ocean"), 0.3), 1
                )
            legend = self._legend_surface(layer)
            surface.blit(
                legend, legend.get_rect(bottomleft=(self.map_rect.left + self.s(10), self.map_rect.bottom - self.s(10)))
            )
        self._draw_tracker(surface)
        if session.busy and getattr(self, "_frozen_bars", None) is not None:
            # the worker is changing the model: show the bars as they were, read nothing
            top, ticker = self._frozen_bars
            surface.blit(top, (0, 0))
            surface.blit(ticker, self.ticker_rect.topleft)
        else:
            self._draw_top_bar(surface)
            self._draw_ticker(surface)
            if not session.busy:
                bar = pygame.Rect(0, 0, surface.get_width(), self.top_h)
                self._frozen_bars = (surface.subsurface(bar).copy(), surface.subsurface(self.ticker_rect).copy())
        self.panel.draw(surface)

    def _legend_surface(self, layer: Any) -> pygame.Surface:
        """The legend box, drawn once per layer, quarter and palette (its ramp costs ~1 ms)."""
        session = self.session
        flows = self.app.settings.show_flows
        key = (layer.spec.key, session.version, self.palette.name, flows, self.fonts.scale, self.compact)
        cached = getattr(self, "_legend_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        chip_note = ""
        if flows and self.renderer is not None:
            snap = session.snapshots.get(list(session.snapshots)[-1]) if session.snapshots else None
            chip_note = self.renderer.flow_matrices(session.model, snap)[2]
        scratch = pygame.Surface((self.s(340), self.map_rect.height), pygame.SRCALPHA)
        rect = draw_legend(
            scratch,
            layer.legend,
            self.palette,
            self.fonts,
            self.s,
            (0, scratch.get_height()),
            show_flows=flows,
            chip_note=chip_note,
            compact=self.compact,
        )
        surf = scratch.subsurface(rect).copy()
        self._legend_cache = (key, surf)
        return surf

    def draw_overlay(self, surface: pygame.Surface) -> None:
        """The hover tooltip sits above everything else on the map."""
        session = self.session
        if session.busy or self.form is not None or self.app.modal_open():
            return
        if not self.map_rect.collidepoint(self.mouse):
            return
        pal = self.palette
        if self.hover_marker is not None:
            lines = [(self.hover_marker.lines[0], pal.rgb("text"), True)] + [
                (ln, pal.rgb("text_muted"), False) for ln in self.hover_marker.lines[1:]
            ]
        elif self.hover_region is not None:
            lines = region_tooltip_lines(
                session.model, self.hover_region, self.current_layer(), pal, self._own_region()
            )
        else:
            return
        draw.tooltip(surface, self.fonts, lines, self.mouse, pal.rgba("tooltip_bg"), pal.rgb("tooltip_edge"), self.s(8))

    def _own_region(self) -> str | None:
        seat = self.session.seat
        if seat is None:
            return None
        if seat in self.session.model.region_ix:
            return seat
        agent = self.session.model.seats.get(seat)
        return agent.state.get("home") if agent is not None else None

    def _draw_tracker(self, surface: pygame.Surface) -> None:
        """The objective tracker in the map's top-right corner (the zoom hint goes under it)."""
        s = self.s
        # right of the layer controls (a drop-down and the flows button when the map is small)
        controls = self.flows_button.rect.right if self.compact else self.map_rect.left + s(160)
        room = self.map_rect.right - s(10) - (controls + s(10))
        top = self.map_rect.top + s(10)
        if room < s(240):  # too narrow beside them: under them
            room, top = self.map_rect.width - s(20), self.flows_button.rect.bottom + s(10)
        width = min(s(320), room)
        if self.session.seat is None or (self.session.busy and self.tracker.rect.width == 0):
            self.tracker.rect = pygame.Rect(self.map_rect.right - s(10), top, 0, 0)
        else:
            self.tracker.draw(surface, self, (self.map_rect.right - s(10), top), width)
        if not self.session.busy:
            self._draw_zoom_hint(surface, self.tracker.rect.bottom)

    def _draw_zoom_hint(self, surface: pygame.Surface, below: int) -> None:
        if self.view.zoom > 1.01:
            draw.text(
                surface,
                self.fonts,
                f"zoom ×{self.view.zoom:.1f} · Home resets",
                (self.map_rect.right - self.s(10), below + self.s(8)),
                12,
                self.palette.rgb("text_muted"),
                anchor="topright",
            )

    def _draw_top_bar(self, surface: pygame.Surface) -> None:
        s, pal, f = self.s, self.palette, self.fonts
        session = self.session
        model = session.model
        w = surface.get_width()
        bar = pygame.Rect(0, 0, w, self.top_h)
        draw.box(surface, bar, pal.rgba("panel"))
        pygame.draw.line(surface, pal.rgb("panel_edge"), (0, self.top_h - 1), (w, self.top_h - 1))
        x = s(96)
        cy = self.top_h // 2
        total_q = model.end_q - model.start_q + 1
        played = model.quarter - model.start_q
        qlabel = model.quarter_label if not model.done else quarter_label(model.end_q)
        r = draw.text(surface, f, qlabel, (x, cy - s(9)), 20, pal.rgb("accent"), bold=True, anchor="midleft")
        draw.text(
            surface,
            f,
            f"quarter {min(played + 1, total_q)} of {total_q}",
            (x, cy + s(12)),
            12,
            pal.rgb("text_muted"),
            anchor="midleft",
        )
        x = max(r.right, x + f.size(f"quarter {total_q} of {total_q}", 12)[0]) + s(22)
        seat = session.seat
        if seat is None:
            draw.text(surface, f, "Watching the AI", (x, cy), 16, pal.rgb("text"), anchor="midleft")
            return
        agent = model.seats[seat]
        limit = self.top_text_right
        items: list[tuple[str, str, tuple[int, int, int] | None, float | None]] = []
        items.append(
            (
                agent.name,
                KIND_LABELS.get(agent.kind, agent.kind) + (" · hot seat" if session.hot_seat else ""),
                None,
                None,
            )
        )
        money_label = "Budget" if agent.kind == "nation" else "Cash"
        committed = session.committed_busd()
        items.append(
            (
                fmt.money(agent.cash_busd),
                f"{money_label}" + (f" · {fmt.money(committed)} committed" if committed > 0 else ""),
                None,
                None,
            )
        )
        score, trend, label = self._score(seat)
        if score is not None and trend is None:  # one quarter played: nothing to compare it with yet
            items.append((score, f"{label}, after the first quarter", None, None))
        elif score is not None:
            col = (
                pal.rgb("positive") if trend > 1e-4 else (pal.rgb("negative") if trend < -1e-4 else pal.rgb("neutral"))
            )
            change = fmt.signed(trend) if label == "Sovereignty index" else _trend_money(trend)
            items.append((score, f"{label}, {change} last quarter", col, trend))
        else:
            items.append(("–", label + " (after the first quarter)", None, None))
        for big, small, col, trend_v in items:
            icon_w = s(16) if trend_v is not None else 0
            bw = max(f.size(big, 17, True)[0] + icon_w, f.size(small, 12)[0])
            if x + bw > limit:
                break
            r = draw.text(surface, f, big, (x, cy - s(9)), 17, pal.rgb("text"), bold=True, anchor="midleft")
            if trend_v is not None and col is not None:
                draw.trend_icon(surface, (r.right + s(6), r.centery), trend_v, s(10), col, col, col)
            draw.text(surface, f, small, (x, cy + s(12)), 12, col or pal.rgb("text_muted"), anchor="midleft")
            x += bw + s(26)

    def _score(self, seat: str) -> tuple[str | None, float | None, str]:
        """Your score, its change since last quarter (None after the first), and its name."""
        model = self.session.model
        if seat in model.region_ix:
            rows = [r["sovereignty_index"] for r in model.metrics.nations if r["region"] == seat]
            if not rows:
                return None, 0.0, "Sovereignty index"
            trend = rows[-1] - rows[-2] if len(rows) >= 2 else None
            ranks = latest_rows(model)
            order = sorted(ranks, key=lambda k: -ranks[k]["sovereignty_index"])
            rank = order.index(seat) + 1 if seat in order else 0
            return f"{rows[-1]:.3f} (#{rank})", trend, "Sovereignty index"
        rows = [r["valuation_busd"] for r in model.metrics.firms if r["firm"] == seat]
        if not rows:
            return None, 0.0, "Valuation"
        trend = rows[-1] - rows[-2] if len(rows) >= 2 else None
        return fmt.money(rows[-1]), trend, "Valuation (firm score)"

    def _draw_ticker(self, surface: pygame.Surface) -> None:
        s, pal, f = self.s, self.palette, self.fonts
        rect = self.ticker_rect
        draw.box(surface, rect, pal.rgba("panel"))
        pygame.draw.line(surface, pal.rgb("panel_edge"), rect.topleft, rect.topright)
        model = self.session.model
        last_q = quarter_label(model.quarter - 1)
        items = [n["headline"] for n in model.news if n["quarter"] == last_q]
        label = f"NEWS {last_q}" if model.metrics.world else "NEWS"
        lr = draw.text(
            surface, f, label, (rect.left + s(12), rect.centery), 13, pal.rgb("accent"), bold=True, anchor="midleft"
        )
        hint = "N: all news"
        hr = draw.text(surface, f, hint, (rect.right - s(12), rect.centery), 12, pal.rgb("text_dim"), anchor="midright")
        text = "   •   ".join(items) if items else "Quiet quarter. Press Enter to play the next one."
        area = pygame.Rect(lr.right + s(16), rect.top, hr.left - lr.right - s(32), rect.height)
        surf = f.render(text, 14, pal.rgb("text"))
        old = surface.get_clip()
        surface.set_clip(area)
        if surf.get_width() <= area.width:
            surface.blit(surf, surf.get_rect(midleft=(area.left, area.centery)))
        else:
            span = surf.get_width() + s(120)
            off = self.ticker_x % span
            x0 = area.left - off
            surface.blit(surf, surf.get_rect(midleft=(x0, area.centery)))
            surface.blit(surf, surf.get_rect(midleft=(x0 + span, area.centery)))
        surface.set_clip(old)


def _trend_money(v: float) -> str:
    return ("+" if v >= 0 else "-") + fmt.money(abs(v))


def region_values(model: Any, key: str) -> np.ndarray:
    """Latest metric per region (for tests and benchmarks)."""
    rows = latest_rows(model)
    return np.array([rows.get(r.id, {}).get(key, np.nan) for r in model.scenario.regions], float)
