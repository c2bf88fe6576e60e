"""The tutorial panel of the desktop game: the current step, its goal, a tick when done, and skips.

Not a screen and not a modal: a compact card over the map's top left, under the layer buttons, so
the player can do what it asks. The app owns one :class:`TutorialPanel` for the whole run and calls
it from its loop (``handle`` before the screen gets an event, ``update`` every frame, ``draw``
before the widgets), because a step can be done on any screen (the quarter report, Markets).

The steps and their checks live in :mod:`sovereign.game.tutorial`; this module only fills their
:class:`~sovereign.game.tutorial.Facts` from what is on screen, draws, and keeps the player's
progress in the settings file (``Settings.tutorial``) so skipping and resuming survive a restart.

Where it goes: the card needs ``CARD_W`` design pixels left of an open action form; when the form
leaves less (a 1280x720 window at UI scale 1.25), the card folds into one line over the news
ticker, which no form reaches, so it never covers a form's Confirm button.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pygame

from sovereign.game.tutorial import STEPS, Facts, Progress, check_step, progress_from_json, step_applies
from sovereign.ui import draw, events

if TYPE_CHECKING:
    from sovereign.game.session import GameSession
    from sovereign.ui.app import App

#: Start the tutorial (the main menu's Tutorial): again from the first step, in the game being
#: played or else in a new game of the baseline as India.
START_TUTORIAL = pygame.event.custom_type()
#: Width of the card in design pixels: room for about 40 characters a line at the body size.
CARD_W = 330
#: How long a done step stays on the card with its tick before the next one shows, in seconds
#: (long enough to see; the next step is checked meanwhile, so nobody waits for it; a design choice).
TICK_HOLD_S = 1.2
#: The key that shows and hides the panel (free on the map: see GameScreen.keys).
TOGGLE_KEY = pygame.K_t


def visible_rect(window: Any) -> pygame.Rect:
    """A pygame_gui window's rect without its drop shadow (the part a player sees and clicks)."""
    shadow = int(getattr(window, "shadow_width", 0) or 0)
    rect: pygame.Rect = window.rect
    return rect.inflate(-2 * shadow, -2 * shadow)


class TutorialPanel:
    """The tutorial's state on the desktop, its card on the map, and its buttons.

    Args:
        app: The app (read for the session, screens, settings, fonts; told to save settings).
    """

    def __init__(self, app: App) -> None:
        self.app = app
        try:
            self.progress = progress_from_json(app.settings.tutorial) if app.settings.tutorial else Progress()
        except ValueError:  # the settings loader already reported a bad value
            self.progress = Progress()
        #: Offer the tutorial on the first new game (only when the answer can be remembered).
        self.offer = app.persist_settings
        self.start_quarter = 0
        self.mark_quarter = 0
        #: (key of a step just done, seconds it still shows with its tick).
        self.ticked: tuple[str, float] | None = None
        self.rect: pygame.Rect | None = None
        self.buttons: dict[str, pygame.Rect] = {}
        self.folded = False

    # -- progress -------------------------------------------------------------------------------

    def _save(self) -> None:
        self.app.settings.tutorial = self.progress.to_json()
        self.app._store_settings()

    def _mark(self) -> None:
        session = self.app.session
        self.mark_quarter = session.model.quarter if session is not None else 0

    def start(self) -> None:
        """Start from the first step: in the game being played, else in a new tutorial game."""
        from sovereign.game.tutorial import tutorial_session

        self.progress.start()
        self.ticked = None
        self._save()
        session = self.app.session
        if session is not None and not session.model.done and not session.busy:
            self.on_session(session)
            self.app.reset_to("game")
        else:
            new = tutorial_session(save_dir=self.app.save_dir, autosave=self.app.settings.autosave)
            self.app.offer_session(new, title="Start the tutorial?", action="starting the tutorial")
        self.app.toast("Tutorial: do what the card says; T hides it", "info", seconds=5)

    def on_session(self, session: GameSession) -> None:
        """A game starts or is loaded: steps count from here; offer the tutorial on a first game."""
        self.start_quarter = self.mark_quarter = session.model.quarter
        if self.progress.status == "new" and self.offer and len(session.human_seats) == 1:
            self.app.dialog(
                "tutorial_offer",
                "New to Sovereign?",
                "A short tutorial of ten steps teaches you this game as you play it: the map, a first "
                "datacenter, the quarter report, the markets and a decision. Skip it whenever you like; "
                "Tutorial in the main menu starts it again.",
                [
                    ("start", "Start the tutorial", "Play this game with the tutorial's steps", "@primary"),
                    ("cancel", "No thanks", "Play without the tutorial", None),
                ],
            )

    def skip_step(self) -> None:
        """Leave the current step and show the next one."""
        self.progress.skip_step()
        self.ticked = None
        self._mark()
        self._save()

    def skip_all(self) -> None:
        """Leave the tutorial."""
        self.progress.skip_all()
        self.ticked = None
        self._save()
        self.app.toast("Tutorial skipped: Tutorial in the main menu starts it again", "info", seconds=5)

    # -- the loop ---------------------------------------------------------------------------------

    def facts(self) -> Facts | None:
        """What the checks read: the game and what is on screen (None while a quarter is played)."""
        from sovereign.ui.dialogs import ChoiceDialog

        app = self.app
        session = app.session
        if session is None or session.busy:
            return None
        top = app.top
        game = next((sc for sc in reversed(app.screens) if sc.name == "game"), None)
        news = any(
            isinstance(w, ChoiceDialog) and w.key == "news" and bool(w.alive())  # type: ignore[no-untyped-call]
            for w in app.manager.get_window_stack().get_full_stack()
        )
        return Facts(
            model=session.model,
            seat=session.seat,
            screen=top.name if top is not None else None,
            selection=getattr(game, "selection", None),
            panel_tab=getattr(game, "panel_tab", None),
            layer=getattr(game, "layer", None),
            news_open=news,
            mark_quarter=self.mark_quarter,
            start_quarter=self.start_quarter,
        )

    def update(self, dt: float) -> None:
        """Count down a tick; check the current step against what the player has done."""
        if self.ticked is not None:  # the next step is checked meanwhile: a quick player never waits
            key, left = self.ticked
            self.ticked = (key, left - dt) if left - dt > 0 else None
        if not self.progress.active:
            return
        step = self.progress.step
        facts = self.facts()
        if step is None or facts is None:
            return
        if not step_applies(step, facts):
            self.progress.skip_step()  # cannot be done in this game: passed over, not failed
            self._mark()
            self._save()
            return
        if check_step(step, facts):
            self.progress.complete(step.key)
            self.ticked = (step.key, TICK_HOLD_S)
            self._mark()
            self._save()
            if self.progress.status == "finished":
                self.app.toast("Tutorial complete: you know the basics. Good luck!", "good", seconds=6)

    def visible(self) -> bool:
        """Whether the card shows: a running (or just finished) tutorial, on the map, not hidden."""
        top = self.app.top
        running = self.progress.active or (self.progress.status == "finished" and self.ticked is not None)
        return running and not self.progress.hidden and top is not None and top.name == "game"

    def handle(self, event: pygame.event.Event) -> bool:
        """The panel's buttons, key T and the menu's Start; True when the event was the panel's."""
        et = event.type
        if et == START_TUTORIAL:
            self.start()
            return True
        if et == events.DIALOG_RESULT and getattr(event, "dialog", None) == "tutorial_offer":
            if event.choice == "start":
                self.progress.start()
                if self.app.session is not None:
                    self.on_session(self.app.session)
            else:
                self.progress.skip_all()
            self._save()
            return True
        top = self.app.top
        on_map = top is not None and top.name == "game"
        if et == pygame.KEYDOWN and event.key == TOGGLE_KEY and on_map and not (event.mod & pygame.KMOD_CTRL):
            if not self.app.text_input_active():
                self.toggle()
                return True
        if et == pygame.MOUSEMOTION and self.visible() and self.rect is not None and top is not None:
            if self.rect.collidepoint(event.pos) and not any(getattr(event, "buttons", ())):
                # over the card the map below shows no tooltip: for the map the mouse has left it
                top.process_events(pygame.event.Event(pygame.WINDOWLEAVE))
                return True
            return False
        if et in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP) and self.visible() and self.rect is not None:
            if getattr(event, "button", 1) != 1 or not self.rect.collidepoint(event.pos):
                return False
            if et == pygame.MOUSEBUTTONUP:
                for key, rect in self.buttons.items():
                    if rect.collidepoint(event.pos):
                        self.press(key)
                        break
            return True  # a click on the card is the card's, not the map's
        return False

    def press(self, key: str) -> None:
        """A button of the card."""
        if key == "skip_step":
            self.skip_step()
        elif key == "skip_all":
            self.skip_all()
        elif key == "hide":
            self.toggle()

    def toggle(self) -> None:
        """Key T: show or hide the card (a tutorial that is not running says how to start it)."""
        if not self.progress.active:
            self.app.toast("The tutorial is not running: Tutorial in the main menu starts it", "info")
            return
        self.progress.hidden = not self.progress.hidden
        self._save()

    # -- layout and drawing -------------------------------------------------------------------------

    def _shown_step(self) -> tuple[Any, bool]:
        """The step on the card and whether it is ticked (a done step shows a moment with its tick)."""
        if self.ticked is not None:
            from sovereign.game.tutorial import STEP_BY_KEY

            return STEP_BY_KEY[self.ticked[0]], True
        return self.progress.step, False

    def layout(self) -> pygame.Rect | None:
        """Place the card (or the folded line) for the map screen on top; None when hidden."""
        self.rect, self.buttons = None, {}
        if not self.visible():
            return None
        game: Any = self.app.top
        s, f = self.app.s, self.app.fonts
        step, _ = self._shown_step()
        if step is None:
            return None
        map_rect: pygame.Rect = game.map_rect
        below = getattr(game, "flows_button", None)
        top = (below.rect.bottom if below is not None else map_rect.top) + s(12)
        left = map_rect.left + s(10)
        width = s(CARD_W)
        form = getattr(game, "form", None)
        form_rect = visible_rect(form) if form is not None and form.alive() else None
        pad = s(12)
        lines = f.wrap(step.instruction, 14, width - 2 * pad)
        bw_skip = f.size("Skip step", 13)[0] + s(20)
        bw_all = f.size("Skip tutorial", 13)[0] + s(20)
        bh = f.line_height(13) + s(10)
        height = (
            pad
            + f.line_height(12, True)
            + s(4)
            + f.line_height(16, True)
            + s(4)
            + len(lines) * f.line_height(14)
            + s(10)
            + bh
            + pad
        )
        card = pygame.Rect(left, top, width, height)
        tracker = getattr(getattr(game, "tracker", None), "rect", None)  # the objectives card, top right
        if isinstance(tracker, pygame.Rect) and tracker.width and card.colliderect(tracker):
            card.top = tracker.bottom + s(8)  # a narrow window: below it rather than over it
        self.folded = form_rect is not None and card.colliderect(form_rect.inflate(s(8), s(8)))
        if self.folded:
            # one line over the news ticker, which no form reaches
            ticker = game.ticker_rect
            card = pygame.Rect(ticker.left, ticker.top, ticker.width, ticker.height)
            by = card.top + (card.height - bh) // 2
            x = card.right - s(8) - bw_all
            self.buttons["skip_all"] = pygame.Rect(x, by, bw_all, bh)
            self.buttons["skip_step"] = pygame.Rect(x - s(6) - bw_skip, by, bw_skip, bh)
        else:
            by = card.bottom - pad - bh
            self.buttons["skip_step"] = pygame.Rect(card.left + pad, by, bw_skip, bh)
            self.buttons["skip_all"] = pygame.Rect(card.left + pad + bw_skip + s(8), by, bw_all, bh)
            hide_w = f.size("Hide (T)", 12)[0] + s(12)
            self.buttons["hide"] = pygame.Rect(card.right - pad - hide_w, card.top + pad - s(3), hide_w, bh - s(4))
        self.rect = card
        return card

    def draw(self, surface: pygame.Surface) -> None:
        """The card (before the widgets: an opened drop-down menu stays above it)."""
        if self.layout() is None or self.rect is None:
            return
        pal, s, f = self.app.palette, self.app.s, self.app.fonts
        step, ticked = self._shown_step()
        card = self.rect
        pad = s(12)
        n = [st.key for st in STEPS].index(step.key) + 1
        head = f"Tutorial · step {n} of {len(STEPS)}"
        col = pal.rgb("positive") if ticked else pal.rgb("accent")
        if self.folded:
            draw.box(surface, card, pal.rgba("panel"), col, radius=0)
            x = card.left + s(12)
            r = draw.text(surface, f, head, (x, card.centery), 12, pal.rgb("accent"), bold=True, anchor="midleft")
            x = r.right + s(10)
            if ticked:
                x = self._tick(surface, (x + s(8), card.centery), pal.rgb("positive")) + s(6)
            room = self.buttons["skip_step"].left - s(10) - x
            draw.text(
                surface,
                f,
                step.title,
                (x, card.centery),
                14,
                pal.rgb("text"),
                bold=True,
                anchor="midleft",
                max_width=room,
            )
        else:
            draw.box(surface, card, pal.rgba("panel"), col, radius=s(8), width=max(1, s(2)))
            y = card.top + pad
            draw.text(surface, f, head, (card.left + pad, y), 12, pal.rgb("accent"), bold=True)
            y += f.line_height(12, True) + s(4)
            x = card.left + pad
            if ticked:
                x = self._tick(surface, (x + s(8), y + f.line_height(16, True) // 2), pal.rgb("positive")) + s(6)
            title_w = card.right - pad - x
            draw.text(
                surface, f, step.title, (x, y), 16, col if ticked else pal.rgb("text"), bold=True, max_width=title_w
            )
            y += f.line_height(16, True) + s(4)
            for line in f.wrap(step.instruction, 14, card.width - 2 * pad):
                draw.text(surface, f, line, (card.left + pad, y), 14, pal.rgb("text_muted"))
                y += f.line_height(14)
        labels = {"skip_step": ("Skip step", 13), "skip_all": ("Skip tutorial", 13), "hide": ("Hide (T)", 12)}
        mouse = pygame.mouse.get_pos()
        for key, rect in self.buttons.items():
            text, size = labels[key]
            hot = rect.collidepoint(mouse)
            draw.box(
                surface, rect, pal.rgba("panel_alt"), pal.rgb("hover") if hot else pal.rgb("panel_edge"), radius=s(4)
            )
            draw.text(surface, f, text, rect.center, size, pal.rgb("text"), anchor="center")

    def _tick(self, surface: pygame.Surface, center: tuple[int, int], color: tuple[int, int, int]) -> int:
        """A drawn tick (no font needed for the glyph); returns its right edge."""
        s = self.app.s
        cx, cy = center
        pts = [(cx - s(7), cy), (cx - s(2), cy + s(5)), (cx + s(7), cy - s(6))]
        pygame.draw.lines(surface, color, False, pts, max(2, s(3)))
        return cx + s(8)
