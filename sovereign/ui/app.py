"""The desktop app: window, widget manager, screen stack and the main loop.

One loop drives everything (STYLE.md, pygame_gui's contract)::

    for each frame:
        for event in pygame.event.get():  app.handle(event)  -> manager, then the top screen
        app.update(dt)                   -> finish a quarter played on the worker, widgets, screen
        app.draw()                       -> screen, widgets, overlays (help, progress, toasts)

Screens never call each other: they post the events of :mod:`sovereign.ui.events` and the app
navigates, saves, loads and quits. The app owns the :class:`~sovereign.game.session.GameSession`,
the only object that changes the model (through commands and ``step``).

Nothing the player has not saved is thrown away without asking: quitting, starting a new game and
loading a save all offer to save a game with unsaved progress first, and quitting while a quarter
is being played waits for that quarter (and its autosave) to finish.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygame
import pygame_gui

from sovereign.game.report import QuarterReport, Snapshot, quarter_report, snapshot
from sovereign.game.session import GameSession, SaveUnavailable, load_model
from sovereign.ui import draw, events
from sovereign.ui.dialogs import ChoiceDialog
from sovereign.ui.screens.base import Screen
from sovereign.ui.settings import MIN_WINDOW, Settings, load_settings, save_settings
from sovereign.ui.theme import Fonts, Scale, gui_theme, load_palette, theme_font_sizes

#: Screen name -> "module:Class" (imported on first use so startup stays quick).
SCREENS: dict[str, str] = {
    "menu": "sovereign.ui.screens.menu:MainMenu",
    "new_game": "sovereign.ui.screens.new_game:NewGame",
    "handover": "sovereign.ui.screens.handover:Handover",
    "game": "sovereign.ui.screens.game:GameScreen",
    "charts": "sovereign.ui.screens.charts:ChartsScreen",
    "markets": "sovereign.ui.screens.markets:MarketsScreen",
    "diplomacy": "sovereign.ui.screens.diplomacy:DiplomacyScreen",
    "business": "sovereign.ui.screens.business:BusinessScreen",
    "report": "sovereign.ui.screens.report:ReportScreen",
    "fan": "sovereign.ui.screens.fan:FanScreen",
    "end": "sovereign.ui.screens.end:EndScreen",
    "goals": "sovereign.ui.screens.tracker:GoalsScreen",
    "loss": "sovereign.ui.screens.loss:LossScreen",
    "settings": "sovereign.ui.screens.settings:SettingsScreen",
    "load": "sovereign.ui.screens.load:LoadScreen",
}

#: Futures played by "What lies ahead?" (assumption: 100 gives a 5-95% band whose ends move by a
#: few percent of its width from one run of the fan to the next, and fills in well under a minute
#: on two cores, docs/benchmarks.md).
FAN_RUNS = 100
#: Quarters ahead it plays at most: five years (the horizon of issue 15's benchmark; further out the
#: band shows the model's assumptions more than the player's position).
FAN_QUARTERS = 20
#: Root seed of the futures: fixed, so two fans of the same game differ only by what was done.
FAN_SEED = 0
#: Worker processes of the fan: the machine's cores, at most 4 (they run below the game's priority).
FAN_WORKERS = max(1, min(4, os.cpu_count() or 1))

#: Keys that work on every screen, for the help overlay.
GLOBAL_KEYS: tuple[tuple[str, str], ...] = (
    ("F1", "show or hide this help"),
    ("F11", "toggle fullscreen"),
    ("Ctrl+S", "save the game"),
    ("Ctrl+O", "load a game"),
    ("Ctrl+Q", "quit (asks first if the game is not saved; waits for a quarter being played)"),
    ("Esc", "back / close a dialog / game menu"),
)


@dataclass
class Toast:
    """A short message at the bottom of the window."""

    text: str
    kind: str
    until: float


def _warm_up() -> None:
    """Import matplotlib and read the bundled scenarios before anyone asks (keeps first frames quick)."""
    from sovereign.ui.charts import warm_up
    from sovereign.ui.screens.new_game import scenarios

    try:
        warm_up()
        scenarios()
    except Exception:  # warming up is an optimisation; the screens do it themselves if needed
        pass


def _warm_up_fan() -> None:
    """Start the fan's fork server early, so the first futures of "What lies ahead?" come in quickly."""
    from sovereign.ensemble.foresight import warm_up_workers

    try:
        warm_up_workers()
    except Exception:  # an optimisation only: the fan starts the server itself if needed
        pass


def screen_class(name: str) -> type[Screen]:
    """The class registered under a screen name."""
    if name not in SCREENS:
        raise KeyError(f"unknown screen {name!r}; known: {', '.join(SCREENS)}")
    module, cls = SCREENS[name].split(":")
    return getattr(importlib.import_module(module), cls)


class App:
    """The game window and its screens.

    Args:
        settings: Player settings (default: read from the settings file).
        settings_file: Where settings are read and saved (default: the per-user file).
        size: Window size overriding the settings (``--size``), not saved.
        session: A game to start in (``sovereign play --scenario``); otherwise the main menu.
        save_dir: Folder for saves (default: the session's or the repository's ``saves/``).
        persist_settings: Write settings changes to disk (tests turn this off).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        settings_file: Path | None = None,
        *,
        size: tuple[int, int] | None = None,
        session: GameSession | None = None,
        save_dir: Path | None = None,
        persist_settings: bool = True,
    ) -> None:
        self.settings_file = settings_file
        problems: list[str] = []
        if settings is None:
            settings, problems = load_settings(settings_file)
            if problems and persist_settings:
                save_settings(settings, settings_file)
        self.settings = settings
        self.persist_settings = persist_settings
        self.size_override = size
        self.session: GameSession | None = session
        self.save_dir = save_dir
        if session is not None and save_dir is not None:
            session.save_dir = save_dir
        self.screens: list[Screen] = []
        #: The last quarter's report of each human seat, the reports already shown (seat, quarter),
        #: and each human seat's figures at the start of the quarter being decided (to compare with).
        self.reports: dict[str, QuarterReport] = {}
        self.reports_seen: set[tuple[str, str]] = set()
        self.report_before: dict[str, Snapshot] = {}
        #: Milliseconds the last quarter's reports took to build (the UI benchmark reports it).
        self.report_ms = 0.0
        self.toasts: list[Toast] = []
        #: Where the toasts were drawn in the last frame (tests check they cover no button).
        self.toast_rects: list[pygame.Rect] = []
        self.help_open = False
        self.running = True
        #: The futures of "What lies ahead?" being played on worker processes (see `fan_job_for`),
        #: what they were started from, whether the player's seat keeps its course in them, and
        #: jobs being stopped on background threads (waited for at exit: no worker outlives the app).
        self.fan_job: Any = None
        self._fan_key: tuple[Any, ...] | None = None
        self.fan_hold = False
        self._fan_stopping: list[threading.Thread] = []
        #: The player asked to quit while a quarter was being played: quit once it is done.
        self.quit_after_quarter = False
        #: A game waiting for the answer to "save the current game first?" (and its toast).
        self._replacement: tuple[GameSession, str | None] | None = None
        self.frame_ms = 0.0
        self.clock: pygame.time.Clock
        # display and fonts only: the game has no sound, and initialising the mixer on a machine
        # without an audio device prints ALSA errors and costs a second.
        pygame.display.init()
        pygame.font.init()
        pygame.display.set_caption("Sovereign")
        pygame.key.set_repeat(250, 35)  # held arrow keys keep panning the map
        self._apply_settings(initial=True)
        from sovereign.ui.screens.tutorial import TutorialPanel

        #: The tutorial's card and progress (sovereign.game.tutorial has the steps).
        self.tutorial = TutorialPanel(self)
        for p in problems:
            self.toast(f"Settings: {p}", "bad", seconds=8)
        self._warm = threading.Thread(target=_warm_up, name="sovereign-warm-up", daemon=True)
        self._warm.start()

    # ------------------------------------------------------------------------------------------
    # window and appearance

    def _window_size(self) -> tuple[int, int]:
        w, h = self.size_override or self.settings.window_size
        return max(w, MIN_WINDOW[0]), max(h, MIN_WINDOW[1])

    def _apply_settings(self, initial: bool = False) -> None:
        """(Re)create the window, the widget manager, fonts and palette from the settings."""
        size = self._window_size()
        if self.settings.fullscreen and os.environ.get("SDL_VIDEODRIVER") != "dummy":
            self.window = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            self.window = pygame.display.set_mode(size, pygame.RESIZABLE)
        self._make_manager()
        if initial:
            self.clock = pygame.time.Clock()

    def _make_manager(self) -> None:
        scale = self.settings.ui_scale
        self.s = Scale(scale)
        self.fonts = Fonts(scale)
        self.palette = load_palette(self.settings.palette)
        theme = gui_theme(scale, self.settings.palette)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pygame_gui warns about fonts it loads lazily
            self.manager = pygame_gui.UIManager(
                self.window.get_size(), theme_path=theme, enable_live_theme_updates=False
            )
            # text boxes use <b> and <i> at the body size: load every style once, up front
            sizes = sorted({size for name, size, _, _ in theme_font_sizes(theme) if name == "noto_sans"})
            self.manager.preload_fonts(
                [
                    {"name": "noto_sans", "point_size": size, "style": style}
                    for size in sizes
                    for style in ("regular", "bold", "italic", "bold_italic")
                ]
            )

    def rebuild_all(self) -> None:
        """Rebuild the widget manager and every screen's widgets (scale, palette or size changed)."""
        for sc in self.screens:
            sc.teardown()
        self._make_manager()
        if self.screens:
            self.screens[-1].build()

    def resize(self, size: tuple[int, int]) -> None:
        """The window was resized by the player: relayout everything."""
        w, h = max(size[0], MIN_WINDOW[0]), max(size[1], MIN_WINDOW[1])
        if (w, h) != self.window.get_size() and not self.settings.fullscreen:
            self.window = pygame.display.set_mode((w, h), pygame.RESIZABLE)
        self.rebuild_all()

    def toggle_fullscreen(self) -> None:
        """F11: switch between window and fullscreen and remember it."""
        self.settings.fullscreen = not self.settings.fullscreen
        self._store_settings()
        for sc in self.screens:
            sc.teardown()
        self._apply_settings()
        if self.screens:
            self.screens[-1].build()

    def _store_settings(self) -> None:
        if self.persist_settings:
            err = save_settings(self.settings, self.settings_file)
            if err:
                self.toast(err, "bad")

    def modal_open(self) -> bool:
        """Whether a choice dialog is open (it takes keys and clicks from the screen below)."""
        return any(isinstance(w, ChoiceDialog) and w.alive() for w in self.manager.get_window_stack().get_full_stack())

    def text_input_active(self) -> bool:
        """Whether a text entry has keyboard focus."""
        focus = self.manager.get_focus_set() or set()
        return any(isinstance(e, pygame_gui.elements.UITextEntryLine) for e in focus)

    # ------------------------------------------------------------------------------------------
    # screens

    @property
    def top(self) -> Screen | None:
        """The screen receiving input."""
        return self.screens[-1] if self.screens else None

    def open(self, name: str, replace: bool = False, **params: Any) -> Screen:
        """Put a screen on top of the stack (or instead of the top one)."""
        cls = screen_class(name)
        if cls.needs_session and self.session is None:
            raise RuntimeError(f"screen {name!r} needs a running game")
        if self.screens:
            old = self.screens[-1]
            old.teardown()
            if replace:
                self.screens.pop()
                old.on_exit()
        screen = cls(self, **params)
        self.screens.append(screen)
        screen.build()
        screen.on_enter()
        return screen

    def back(self) -> None:
        """Close the top screen and show the one below (the menu if none is left)."""
        if not self.screens:
            return
        old = self.screens.pop()
        old.teardown()
        old.on_exit()
        if not self.screens:
            self.open("menu")
            return
        self.screens[-1].build()
        self.screens[-1].on_enter()

    def reset_to(self, name: str, **params: Any) -> Screen:
        """Empty the stack and open one screen (new game, load, back to the menu)."""
        while self.screens:
            sc = self.screens.pop()
            sc.teardown()
            sc.on_exit()
        return self.open(name, **params)

    def start_session(self, session: GameSession) -> None:
        """Begin playing a game: hand-over first when several people share the screen."""
        if self.save_dir is not None:
            session.save_dir = self.save_dir
        session.autosave = self.settings.autosave
        self.session = session
        self.reports, self.reports_seen = {}, set()
        self._take_snapshots()
        if session.model.done:
            self.reset_to("end")
        elif session.hot_seat:
            self.reset_to("game")
            self.open("handover", seat=session.seat)
        else:
            self.reset_to("game")
        self.tutorial.on_session(session)

    def offer_session(self, session: GameSession, *, title: str, action: str, message: str | None = None) -> bool:
        """Play ``session`` instead of the current game, asking first when that has unsaved progress.

        Args:
            session: The new or loaded game.
            title: Title of the question ("Start a new game?").
            action: What replaces the game, in words for the question ("loading a save").
            message: Toast shown once the game has started.

        Returns:
            True when the game started at once; False when it waits for the player's answer
            (Save first / Discard / Cancel) or a quarter is still being played.
        """
        current = self.session
        if current is not None and current is not session and current.busy:
            self.toast("Wait until the quarter has been played", "bad")
            return False
        if current is None or current is session or not current.dirty:
            self._begin(session, message)
            return True
        self._replacement = (session, message)
        seat = current.seat
        who = f"{current.seat_name(seat)}, {current.model.quarter_label}" if seat else current.model.quarter_label
        self.dialog(
            "replace",
            title,
            f"The game you are playing ({who}) has progress since your last save"
            + (" (the autosave keeps the last quarter)" if self.settings.autosave else "")
            + f". Save it before {action}?",
            [
                ("save", "Save first", "Save the game you are playing, then go on", "@primary"),
                ("discard", "Discard", "Go on without saving the game you are playing", "@danger"),
                ("cancel", "Cancel", "Keep the game you are playing", None),
            ],
        )
        return False

    def _begin(self, session: GameSession, message: str | None) -> None:
        self.start_session(session)
        if message:
            self.toast(message, "good")
        if not session.human_seats:
            self.toast("This game has no human seat left; watching the AI", "info")

    def _answer_replace(self, choice: str) -> None:
        """The player answered "save the current game first?"."""
        pending, self._replacement = self._replacement, None
        if pending is None or choice == "cancel":
            return
        if choice == "save" and self.save_game() is None:
            return  # the toast says why; the current game stays
        self._begin(*pending)

    # ------------------------------------------------------------------------------------------
    # messages and dialogs

    def toast(self, text: str, kind: str = "info", seconds: float = 4.0) -> None:
        """Show a message for a few seconds (also echoed to stderr when it is an error)."""
        self.toasts.append(Toast(text, kind, time.monotonic() + seconds))
        self.toasts = self.toasts[-4:]
        if kind == "bad":
            print(f"sovereign: {text}", file=sys.stderr)

    def dialog(
        self,
        key: str,
        title: str,
        body: str,
        choices: list[tuple[str, str, str | None, str | None]],
        *,
        vertical: bool = False,
        width: int = 520,
    ) -> ChoiceDialog:
        """Open a modal choice dialog; the answer arrives as a ``DIALOG_RESULT`` event."""
        return ChoiceDialog(
            self.manager, self.window.get_size(), self.s, key, title, body, choices, vertical=vertical, width=width
        )

    def request_quit(self) -> None:
        """Quit, asking first when a game has unsaved progress.

        While a quarter is being played the app quits when it is done instead: the worker thread
        autosaves that quarter, and a daemon thread killed at exit would leave no autosave (or
        half a file) behind.
        """
        if self.session is not None and self.session.busy:
            self.quit_after_quarter = True
            return
        if self.session is not None and self.session.dirty:
            self.dialog(
                "quit",
                "Quit Sovereign?",
                "Progress since your last save will be lost"
                + (" (the autosave keeps the last quarter)." if self.settings.autosave else "."),
                [
                    ("save_quit", "Save and quit", "Save the game, then close the window", "@primary"),
                    ("quit", "Quit", "Close without saving", "@danger"),
                    ("cancel", "Cancel", "Keep playing", None),
                ],
            )
        else:
            self.running = False

    # ------------------------------------------------------------------------------------------
    # saving and loading

    def save_game(self, path: Path | None = None) -> Path | None:
        """Save the running game; report the outcome as a toast."""
        if self.session is None:
            self.toast("No game to save", "bad")
            return None
        try:
            written = self.session.save(path)
        except SaveUnavailable as exc:
            self.toast(str(exc), "bad", seconds=6)
            return None
        self.toast(f"Saved {written.name}", "good")
        return written

    def load_game(self, path: Path) -> bool:
        """Load a game and play it (after asking to save the current one); a bad file is reported.

        The file is read before asking, so a damaged save never costs the game being played.

        Returns:
            Whether the file could be read.
        """
        try:
            model = load_model(path)
        except SaveUnavailable as exc:
            self.toast(str(exc), "bad", seconds=8)
            return False
        session = GameSession(model=model, scenario_path=None, save_dir=self.save_dir or Path(path).parent)
        session.save_path = Path(path)
        self.offer_session(
            session,
            title="Load a saved game?",
            action=f"loading {Path(path).name}",
            message=f"Loaded {Path(path).name} at {model.quarter_label}",
        )
        return True

    # ------------------------------------------------------------------------------------------
    # the loop

    # C901: the event router: a flat dispatch on the event type, in priority order.
    def handle(self, event: pygame.event.Event) -> None:  # noqa: C901
        """Route one event: app-level keys and events first, then widgets, then the top screen."""
        et = event.type
        if et == pygame.QUIT:
            self.request_quit()
            return
        if et == pygame.VIDEORESIZE:
            self.resize((event.w, event.h))
            return
        if et in (pygame.KEYDOWN,):
            if event.key == pygame.K_F1:
                self.help_open = not self.help_open
                return
            if self.help_open and event.key in (pygame.K_ESCAPE, pygame.K_RETURN, pygame.K_SPACE):
                self.help_open = False
                return
            if event.key == pygame.K_F11:
                self.toggle_fullscreen()
                return
            ctrl = bool(event.mod & pygame.KMOD_CTRL)
            if ctrl and event.key == pygame.K_q:
                self.request_quit()
                return
            if ctrl and event.key == pygame.K_s and self.session is not None and not self.session.busy:
                self.save_game()
                return
            if ctrl and event.key in (pygame.K_o, pygame.K_l) and not (self.top and self.top.name == "load"):
                self.open("load")
                return
        if self.help_open and et in (pygame.MOUSEBUTTONDOWN, pygame.KEYDOWN):
            self.help_open = False
            return
        if et == events.TOGGLE_HELP:
            self.help_open = not self.help_open
            return
        if self._handle_app_event(event):
            return
        busy = self.session is not None and self.session.busy
        if busy and et in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.KEYDOWN, pygame.MOUSEWHEEL):
            return  # the quarter is being played: the progress overlay is modal
        consumed = self.manager.process_events(event)
        top = self.top
        if et in (pygame.KEYDOWN, pygame.MOUSEBUTTONDOWN, pygame.MOUSEWHEEL) and self.modal_open():
            return  # a dialog is up: keys and clicks are its alone
        if not consumed and self.tutorial.handle(event):
            return
        if top is not None and (not consumed or et >= pygame.USEREVENT):
            top.process_events(event)

    def _handle_app_event(self, event: pygame.event.Event) -> bool:
        et = event.type
        if et == events.NAVIGATE:
            self.open(event.screen, replace=getattr(event, "replace", False), **getattr(event, "params", {}))
            return True
        if et == events.BACK:
            self.back()
            return True
        if et == events.QUIT_REQUEST:
            self.request_quit()
            return True
        if et == events.TOAST:
            self.toast(event.text, getattr(event, "kind", "info"))
            return True
        if et == events.SAVE_GAME:
            self.save_game(getattr(event, "path", None))
            return True
        if et == events.LOAD_GAME:
            self.load_game(Path(event.path))
            return True
        if et == events.SETTINGS_CHANGED:
            self.session and setattr(self.session, "autosave", self.settings.autosave)
            self._store_settings()
            for sc in self.screens:
                sc.teardown()
            self._apply_settings()
            if self.screens:
                self.screens[-1].build()
            return True
        if et == events.DIALOG_RESULT and event.dialog == "replace":
            self._answer_replace(event.choice)
            return True
        if et == events.DIALOG_RESULT and event.dialog == "quit":
            if event.choice == "quit":
                self.running = False
            elif event.choice == "save_quit":
                if self.save_game() is not None:
                    self.running = False
            return True
        return False

    # ------------------------------------------------------------------------------------------
    # what lies ahead: the futures played in the background

    def fan_job_for(self, hold: bool) -> Any:
        """The futures of the game as it stands for the seat whose turn it is, started if needed.

        A job is kept while the game stays where it started (same game, quarter, orders and
        choice of course): leaving the view and coming back shows the same futures, further
        along. Anything else stops the old job and starts a new one.

        Raises:
            ForesightError: No seat to follow, or the game is over.
        """
        from sovereign.ensemble.foresight import FanJob, ForesightError

        session = self.session
        if session is None or session.seat is None:
            raise ForesightError("No seat is played by a person in this game, so there is no future of yours to show.")
        if session.busy:
            raise ForesightError("The quarter is being played; the futures start from the next one.")
        key = (id(session), session.seat, session.model.quarter, session.version, hold)
        if self.fan_job is not None and self._fan_key == key:
            return self.fan_job
        self.cancel_fan()
        left = session.model.end_q - session.model.quarter + 1
        self.fan_job = FanJob(
            session.model,
            session.seat,
            FAN_RUNS,
            quarters=min(left, FAN_QUARTERS),
            seed=FAN_SEED,
            workers=FAN_WORKERS,
            hold=hold,
        )
        self._fan_key = key
        return self.fan_job

    def cancel_fan(self, wait: bool = False) -> None:
        """Stop the futures being played (the quarter ends, the game is left or the app closes).

        Stopping terminates and waits for the worker processes, which takes a moment, so it is
        done on a background thread unless `wait` (at exit: every worker is gone before the app).
        """
        job, self.fan_job, self._fan_key = self.fan_job, None, None
        if job is not None:
            stopper = threading.Thread(target=job.cancel, name="sovereign-fan-stop", daemon=True)
            stopper.start()
            self._fan_stopping.append(stopper)
        self._fan_stopping = [t for t in self._fan_stopping if t.is_alive()]
        if wait:
            for t in self._fan_stopping:
                t.join(timeout=30.0)

    def _fan_still_current(self) -> bool:
        """Whether the running futures still start from where the game stands (same game and quarter)."""
        session, key = self.session, self._fan_key
        if session is None or key is None or session.busy:
            return False
        playing = any(sc.name == "game" for sc in self.screens)  # not back at the menu, say
        return playing and key[0] == id(session) and key[2] == session.model.quarter

    def update(self, dt: float) -> None:
        """Finish a played quarter, then advance widgets and the top screen."""
        if self.fan_job is not None and not self._fan_still_current():
            self.cancel_fan()  # the quarter is being played or the game was left: these futures are stale
        if self.session is not None:
            report = self.session.poll()
            if report is not None:
                self._quarter_done(report)
        self.manager.update(dt)
        self.tutorial.update(dt)
        if self.top is not None:
            self.top.update(dt)
        now = time.monotonic()
        self.toasts = [t for t in self.toasts if t.until > now]

    def _quarter_done(self, report: Any) -> None:
        session = self.session
        assert session is not None
        quitting, self.quit_after_quarter = self.quit_after_quarter, False
        if report.error:
            self.toast(f"The quarter could not be played: {report.error}", "bad", seconds=10)
            if quitting:
                self.request_quit()
            return
        if report.autosave and self.settings.autosave:
            self.toast(report.autosave, "bad", seconds=5)
        if quitting and session.autosave and report.autosave is None:
            self.running = False  # the autosave holds everything up to this moment
            return
        played_by_people = list(self.report_before)  # the seats people played in this quarter
        self._build_reports()
        events.post(events.QUARTER_ENDED, quarter=report.quarter, seconds=report.seconds)
        from sovereign.ui.screens.loss import put_out_losers

        if session.model.done:
            self.reset_to("end")
        elif not put_out_losers(self, played_by_people) and session.hot_seat:
            self.open("handover", seat=session.seat)
        if quitting:
            self.request_quit()  # not autosaved: ask, as quitting always does

    def _take_snapshots(self) -> None:
        """Each human seat's figures before the quarter is played, for its report afterwards."""
        session = self.session
        if session is None or session.model.done:
            self.report_before = {}
            return
        self.report_before = {seat: snapshot(session.model, seat) for seat in session.human_seats}

    def _build_reports(self) -> None:
        """After a quarter: each human seat's report (the map opens it), then the next snapshots."""
        session = self.session
        assert session is not None
        t0 = time.perf_counter()
        self.reports = {
            seat: quarter_report(session.model, seat, self.report_before.get(seat))
            for seat in session.human_seats
            if session.model.metrics.world
        }
        self._take_snapshots()
        self.report_ms = (time.perf_counter() - t0) * 1000.0

    def unseen_report(self) -> bool:
        """Whether the seat whose turn it is has a report of the last quarter it has not seen."""
        session = self.session
        seat = session.seat if session is not None else None
        report = self.reports.get(seat) if seat is not None else None
        return report is not None and (report.seat, report.quarter) not in self.reports_seen

    def draw(self) -> None:
        """Draw the top screen (and what shows through it), widgets and overlays."""
        surface = self.window
        stack = self.screens
        if stack:
            first = len(stack) - 1
            while first > 0 and stack[first].transparent:
                first -= 1
            for sc in stack[first:]:
                sc.draw(surface)
            self.tutorial.draw(surface)
        self.manager.draw_ui(surface)
        if stack:
            stack[-1].draw_overlay(surface)
        if self.session is not None and self.session.busy:
            self._draw_progress(surface)
        if self.help_open:
            self._draw_help(surface)
        self._draw_toasts(surface)

    def frame(self, dt: float | None = None, extra_events: Iterable[pygame.event.Event] = ()) -> bool:
        """One iteration of the loop; returns False once the app should close.

        Args:
            dt: Seconds since the last frame (default: measured by the clock, capped at 60 fps).
            extra_events: Events to handle before the queued ones (tests).
        """
        if dt is None:
            dt = self.clock.tick(60) / 1000.0
        t0 = time.perf_counter()
        for e in list(extra_events) + pygame.event.get():
            self.handle(e)
        self.update(dt)
        self.draw()
        pygame.display.flip()
        self.frame_ms = (time.perf_counter() - t0) * 1000.0
        return self.running

    def run(self, start: str | None = None) -> int:
        """Open the first screen and loop until the player quits."""
        if not self.screens:
            if self.session is not None:
                self.start_session(self.session)
            else:
                self.open(start or "menu")
        threading.Thread(target=_warm_up_fan, name="sovereign-fan-warm-up", daemon=True).start()
        while self.frame():
            pass
        self.cancel_fan(wait=True)
        self._warm.join(timeout=120.0)  # a quit in the first seconds: not while matplotlib loads
        pygame.quit()
        return 0

    # ------------------------------------------------------------------------------------------
    # overlays

    def _draw_progress(self, surface: pygame.Surface) -> None:
        """The modal 'playing the quarter' overlay with a spinner (drawn while the worker runs)."""
        s, pal = self.s, self.palette
        w, h = surface.get_size()
        draw.shade(surface, (0, 0, 0, 120))
        quitting = self.quit_after_quarter
        rect = pygame.Rect(0, 0, s(440), s(136) if quitting else s(110))
        rect.center = (w // 2, h // 2)
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("accent"), radius=s(8))
        assert self.session is not None
        q = self.session.model.quarter_label if not self.session.busy else None
        label = f"Playing the quarter{f' {q}' if q else ''}…"
        draw.text(
            surface,
            self.fonts,
            label,
            (rect.centerx, rect.top + s(28)),
            18,
            pal.rgb("text"),
            bold=True,
            anchor="center",
        )
        elapsed = self.session.step_elapsed
        draw.text(
            surface,
            self.fonts,
            f"AI seats decide, markets clear ({elapsed:.1f} s)",
            (rect.centerx, rect.top + s(58)),
            14,
            pal.rgb("text_muted"),
            anchor="center",
        )
        if quitting:
            draw.text(
                surface,
                self.fonts,
                "Sovereign closes when the quarter is played and autosaved"
                if self.session.autosave
                else "When the quarter is played you can save, then Sovereign closes",
                (rect.centerx, rect.top + s(84)),
                14,
                pal.rgb("accent"),
                anchor="center",
            )
        t = time.monotonic() * 6.0
        for i in range(8):
            a = t + i * 0.785
            r = s(9)
            cx = rect.centerx + round(r * 1.6 * pygame.math.Vector2(1, 0).rotate_rad(a).x)
            cy = rect.bottom - s(24) + round(r * 0.5 * pygame.math.Vector2(1, 0).rotate_rad(a).y)
            pygame.draw.circle(surface, pal.rgb("accent"), (cx, cy), max(1, s(2) + (i % 3)))

    def _draw_toasts(self, surface: pygame.Surface) -> None:
        """Toasts stacked up from the bottom centre of the top screen's toast area (never on a button)."""
        s, pal = self.s, self.palette
        w, h = surface.get_size()
        area = self.top.toast_area() if self.top is not None else pygame.Rect(0, 0, w, h - s(34))
        if area.width < s(160):  # too narrow to read: the window's bottom centre
            area = pygame.Rect(0, 0, w, h - s(34))
        y = area.bottom - s(14)
        self.toast_rects = []
        for t in reversed(self.toasts):
            color = {"good": pal.rgb("positive"), "bad": pal.rgb("negative")}.get(t.kind, pal.rgb("accent"))
            msg = self.fonts.ellipsize(t.text, 15, area.width - s(48))
            tw, th = self.fonts.size(msg, 15)
            rect = pygame.Rect(0, 0, tw + s(28), th + s(14))
            rect.midbottom = (area.centerx, y)
            draw.box(surface, rect, pal.rgba("tooltip_bg"), color, radius=s(6))
            draw.text(surface, self.fonts, msg, rect.center, 15, pal.rgb("text"), anchor="center")
            self.toast_rects.append(rect)
            y = rect.top - s(6)

    def _draw_help(self, surface: pygame.Surface) -> None:
        """F1: the help panel, laid out once per screen, size and palette, over a shaded frame."""
        w, h = surface.get_size()
        top = self.top
        key = (top.name if top else None, (w, h), self.palette.name, self.s.factor)
        cached = getattr(self, "_help_cache", None)
        if cached is None or cached[0] != key:
            layer = pygame.Surface((w, h), pygame.SRCALPHA)
            layer.fill(self.palette.rgba("shade"))  # shade and panel in one layer: one blit a frame
            self._layout_help(layer)
            cached = (key, layer)
            self._help_cache = cached
        surface.blit(cached[1], (0, 0))

    def _layout_help(self, surface: pygame.Surface) -> None:
        """What the current screen shows, then every key binding of every screen."""
        s, pal, f = self.s, self.palette, self.fonts
        w, h = surface.get_size()
        rect = pygame.Rect(0, 0, min(w - s(40), s(1480)), min(h - s(40), s(840)))
        rect.center = (w // 2, h // 2)
        draw.box(surface, rect, pal.rgba("panel"), pal.rgb("accent"), radius=s(10))
        top = self.top
        title = f"Help — {top.title}" if top else "Help"
        draw.text(surface, f, title, (rect.left + s(28), rect.top + s(18)), 24, pal.rgb("accent"), bold=True)
        draw.text(
            surface,
            f,
            "F1, Esc or a click closes this help",
            (rect.right - s(28), rect.top + s(28)),
            13,
            pal.rgb("text_muted"),
            anchor="topright",
        )
        gap = s(28)
        col_w = (rect.width - 2 * s(28) - 2 * gap) // 3
        xs = [rect.left + s(28) + k * (col_w + gap) for k in range(3)]
        y0 = rect.top + s(64)
        y = y0
        for line in f.wrap(top.help_text if top else "", 14, col_w):
            draw.text(surface, f, line, (xs[0], y), 14, pal.rgb("text"))
            y += f.line_height(14)
        y += s(10)
        if top is not None and top.keys:
            y = self._help_keys(surface, "Keys on this screen", top.keys, xs[0], y, col_w)
        # every other screen's keys, flowing over the next two columns
        sections: list[tuple[str, tuple[tuple[str, str], ...]]] = [("Everywhere", GLOBAL_KEYS)]
        for name in (
            "game",
            "diplomacy",
            "business",
            "report",
            "fan",
            "markets",
            "charts",
            "new_game",
            "load",
            "settings",
            "end",
            "handover",
            "menu",
        ):
            cls = screen_class(name)
            if top is not None and top.name == name:
                continue
            sections.append((cls.title, cls.keys))
        col, y = 1, y0
        bottom = rect.bottom - s(12)
        for heading, keys in sections:
            need = f.line_height(15, True) + sum(
                f.line_height(13) * len(f.wrap(what, 13, col_w - s(150))) for _, what in keys
            )
            if y + need > bottom:
                col, y = col + 1, y0
                if col > 2:
                    break
            y = self._help_keys(surface, heading, keys, xs[col], y, col_w) + s(8)
        # and what every screen is for
        if col <= 2:
            draw.text(surface, f, "Screens", (xs[col], y), 15, pal.rgb("accent"), bold=True)
            y += f.line_height(15, True)
            for name in SCREENS:
                cls = screen_class(name)
                lines = f.wrap(cls.summary, 13, col_w - s(150))
                if y + f.line_height(13) * len(lines) > bottom:
                    break
                draw.text(surface, f, cls.title, (xs[col], y), 13, pal.rgb("text"), bold=True)
                for line in lines:
                    draw.text(surface, f, line, (xs[col] + s(150), y), 13, pal.rgb("text_muted"))
                    y += f.line_height(13)

    def _help_keys(
        self, surface: pygame.Surface, heading: str, keys: Iterable[tuple[str, str]], x: int, y: int, width: int
    ) -> int:
        s, pal, f = self.s, self.palette, self.fonts
        draw.text(surface, f, heading, (x, y), 15, pal.rgb("accent"), bold=True)
        y += f.line_height(15, True)
        key_w = s(150)
        for key, what in keys:
            draw.text(surface, f, key, (x, y), 13, pal.rgb("text"), bold=True, max_width=key_w - s(8))
            for line in f.wrap(what, 13, width - key_w):
                draw.text(surface, f, line, (x + key_w, y), 13, pal.rgb("text_muted"))
                y += f.line_height(13)
        return y

    # ------------------------------------------------------------------------------------------
    # screenshots

    def screenshot(self, path: Path, frames: int = 3) -> Path:
        """Draw a few frames (so widgets settle and charts finish) and save the window to a PNG."""
        from sovereign.ui.charts import charts_pending

        for _ in range(frames):
            self.frame(dt=1 / 60)
        deadline = time.monotonic() + 60.0
        while charts_pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(2):
            self.frame(dt=1 / 60)
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.window, str(path))
        # no worker may still be inside matplotlib when the process exits (a segfault at
        # interpreter shutdown): the last frames may have started a chart again, and the warm-up
        # import builds matplotlib's font cache on a first run, which takes seconds
        deadline = time.monotonic() + 60.0
        while charts_pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        self._warm.join(timeout=120.0)
        return path
