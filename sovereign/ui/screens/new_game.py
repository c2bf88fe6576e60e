"""New game: pick a scenario (title and briefing), your role, who plays every other seat, and a seed.

Any nation or named firm can be played. Every other seat is played by the AI unless you make it
Human: several human seats play hot-seat at this screen, each in turn, with a hand-over screen
between them. Each AI seat can have its own difficulty (a rival superpower on hard next to easy
neighbours); the default difficulty on the left applies to every AI seat not set individually.

A seat's button cycles AI (default) -> Human -> AI easy -> AI normal -> AI hard (right-click goes
back). Those clicks change the rows in place instead of rebuilding the screen: the baseline has
64 seats and building their buttons takes most of a second.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pygame
import pygame_gui

from sovereign.game.session import ScenarioInfo, find_scenarios, new_session
from sovereign.game.words import objective_text
from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import header

DIFFICULTIES = ("easy", "normal", "hard")
#: What each level means for an AI seat (tooltips of the difficulty and seat buttons).
DIFFICULTY_TIPS = {
    "easy": "reads prices two quarters late, misjudges returns by up to 30% and invests half as much",
    "normal": "reads last quarter's prices, misjudges returns by about 10% and uses every lever",
    "hard": "judges returns exactly, looks three years ahead, invests 20% more and protects its datacenters",
}
KIND_NAMES = {
    "nation": "nation",
    "conglomerate": "conglomerate",
    "cloud": "cloud provider",
    "fab": "chip fab",
    "lab": "AI lab",
}

_SCENARIOS: tuple[list[ScenarioInfo], list[str]] | None = None


def scenarios() -> tuple[list[ScenarioInfo], list[str]]:
    """Bundled scenarios, loaded once per process (validating a scenario takes a few tenths of a second)."""
    global _SCENARIOS
    if _SCENARIOS is None:
        _SCENARIOS = find_scenarios()
    return _SCENARIOS


#: What a seat's button cycles through on a left click ("default": AI at the default difficulty).
SEAT_CYCLE = ("default", "human", "easy", "normal", "hard")


class NewGame(Screen):
    """Choose what to play.

    Params (all optional, for ``sovereign play`` and screenshots): ``scenario`` (path of a bundled
    scenario), ``seat`` (your role), ``humans`` (other human seats), ``levels`` (seat -> AI
    difficulty), ``difficulty`` (the default level) and ``seed``.
    """

    name = "new_game"
    title = "New game"
    summary = "scenario and briefing, your role, human or AI (easy, normal, hard) for every other seat, seed"
    help_text = (
        "Pick a scenario on the left (its briefing is shown in the middle), then your role on the right: any "
        "nation or firm. The button next to every other seat says who plays it; click it to cycle AI (at the "
        "default difficulty) -> Human -> AI easy -> AI normal -> AI hard, right-click to go back. Human seats "
        "play hot-seat with friends at this screen; the default difficulty on the left applies to every AI seat "
        "you have not set. The seed fixes the random events: the same seed and the same decisions replay the "
        "same game."
    )
    keys = (("Enter", "start the game"), ("Esc", "back to the main menu"), ("right-click a seat", "previous choice"))

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        found, self.problems = scenarios()
        self.infos = found
        self.scenario_ix = 0
        self.seat: str | None = None
        self.humans: set[str] = set()
        self.levels: dict[str, str] = {}  # AI seats with their own difficulty
        self.difficulty: str | None = None  # the default for every other AI seat
        self.seed = 0
        self.seat_filter = "all"
        self.seat_scroll = 0.0
        self.seat_buttons: dict[Any, str] = {}
        self.role_buttons: dict[Any, str] = {}
        if self.infos:
            wanted = params.get("scenario")
            paths = [Path(i.path).resolve() for i in self.infos]
            ix = paths.index(Path(wanted).resolve()) if wanted and Path(wanted).resolve() in paths else 0
            self._pick_scenario(ix)
            self._preset(params)

    def _pick_scenario(self, i: int) -> None:
        self.scenario_ix = i
        self.seat_scroll = 0.0
        info = self.infos[i]
        seats = [sid for sid, _, _ in info.seats()]
        self.seat = "IND" if "IND" in seats else seats[0]
        self.humans = set()
        self.levels = {}
        self.difficulty = info.scenario.seats.difficulty

    def _preset(self, params: dict[str, Any]) -> None:
        """Apply choices passed in by the command line (unknown seats are ignored)."""
        ids = {sid for sid, _, _ in self.info.seats()}
        if params.get("seat") in ids:
            self.seat = params["seat"]
        if params.get("difficulty") in DIFFICULTIES:
            self.difficulty = params["difficulty"]
        self.humans = {s for s in params.get("humans", ()) if s in ids and s != self.seat}
        self.levels = {
            s: lvl
            for s, lvl in dict(params.get("levels", {})).items()
            if s in ids and s != self.seat and s not in self.humans and lvl in DIFFICULTIES
        }
        if isinstance(params.get("seed"), int):
            self.seed = params["seed"]

    @property
    def info(self) -> ScenarioInfo:
        """The chosen scenario."""
        return self.infos[self.scenario_ix]

    # -- who plays each seat ------------------------------------------------------------------

    def choice(self, seat: str) -> str:
        """``you``, ``human``, ``default`` (AI at the default level) or the seat's own AI level."""
        if seat == self.seat:
            return "you"
        if seat in self.humans:
            return "human"
        return self.levels.get(seat, "default")

    def set_choice(self, seat: str, choice: str) -> None:
        """Make another seat human, AI at the default level, or AI at its own level."""
        if seat == self.seat or choice not in SEAT_CYCLE:
            return
        self.humans.discard(seat)
        self.levels.pop(seat, None)
        if choice == "human":
            self.humans.add(seat)
        elif choice != "default":
            self.levels[seat] = choice
        self._keep_seed()
        self._refresh()

    def cycle_seat(self, seat: str, step: int = 1) -> None:
        """Next (``step=1``) or previous (``-1``) choice for a seat, as its button does."""
        current = self.choice(seat)
        if current == "you":
            return
        k = SEAT_CYCLE.index(current)
        self.set_choice(seat, SEAT_CYCLE[(k + step) % len(SEAT_CYCLE)])

    def toggle_human(self, seat: str) -> None:
        """Switch another seat between human (hot seat) and AI at the default level."""
        self.set_choice(seat, "default" if seat in self.humans else "human")

    def _choice_label(self, choice: str) -> str:
        return {
            "you": "You",
            "human": "Human",
            "default": f"AI ({self.difficulty})",
        }.get(choice, f"AI · {choice}")

    def _choice_words(self, choice: str) -> str:
        if choice == "human":
            return "a human player (hot seat)"
        if choice == "default":
            return f"the AI at the default difficulty ({self.difficulty})"
        return f"the AI on {choice}"

    def _choice_tip(self, choice: str) -> str:
        if choice == "you":
            return "Your seat"
        k = SEAT_CYCLE.index(choice)
        nxt, prev = SEAT_CYCLE[(k + 1) % len(SEAT_CYCLE)], SEAT_CYCLE[k - 1]
        level = self.difficulty if choice == "default" else choice
        what = f"Played by {self._choice_words(choice)}"
        if level in DIFFICULTY_TIPS and choice != "human":
            what += f": it {DIFFICULTY_TIPS[level]}"
        return f"{what}. Click: {self._choice_words(nxt)}; right-click: {self._choice_words(prev)}"

    # -- widgets ------------------------------------------------------------------------------

    def build(self) -> None:
        """Three columns: scenarios and options, briefing, roles and seats."""
        s = self.s
        w, h = self.size
        top = s(64) + s(16)
        pad = s(20)
        bottom = h - s(76)
        col1 = pygame.Rect(pad, top, s(360), bottom - top)
        col3 = pygame.Rect(w - pad - s(470), top, s(470), bottom - top)
        col2 = pygame.Rect(col1.right + pad, top, col3.left - col1.right - 2 * pad, bottom - top)
        self.cols = (col1, col2, col3)
        self.seat_buttons = {}
        self.role_buttons = {}
        self._tips: dict[str, str] = {}  # tooltip each seat button has now
        self._role_width = 0
        if not self.infos:
            self.label(
                (pad, top, w - 2 * pad, s(30)),
                "No scenario found: the bundled scenarios are missing from this install.",
                "@heading",
            )
            self.back_button = self.button((pad, h - s(60), s(160), s(44)), "Back", "Main menu (Esc)")
            self.start_button = None
            return
        # column 1: scenarios, default difficulty, seed, how the seat buttons work
        self.label((col1.left, col1.top, col1.width, s(26)), "Scenario", "@heading")
        items = self._titles()
        self.scenario_list = self.add(
            pygame_gui.elements.UISelectionList(
                pygame.Rect(col1.left, col1.top + s(30), col1.width, s(190)),
                items,
                self.manager,
                default_selection=items[self.scenario_ix],
            )
        )
        y = col1.top + s(236)
        self.label((col1.left, y, col1.width, s(26)), "Default AI difficulty", "@heading")
        y += s(30)
        self.difficulty_buttons: dict[Any, str] = {}
        bw = (col1.width - s(16)) // 3
        for k, d in enumerate(DIFFICULTIES):
            b = self.button(
                (col1.left + k * (bw + s(8)), y, bw, s(36)),
                d.capitalize(),
                f"The AI {DIFFICULTY_TIPS[d]}. Applies to every AI seat you have not set on the right",
                "@tab",
            )
            if d == self.difficulty:
                b.select()
            self.difficulty_buttons[b] = d
        y += s(40)
        self.label((col1.left, y, col1.width, s(22)), "for every AI seat not set on the right", "@muted")
        y += s(38)
        self.label((col1.left, y, col1.width, s(26)), "Random seed", "@heading")
        y += s(30)
        self.seed_entry = self.add(
            pygame_gui.elements.UITextEntryLine(pygame.Rect(col1.left, y, s(160), s(36)), self.manager)
        )
        self.seed_entry.set_allowed_characters("numbers")
        self.seed_entry.set_text(str(self.seed))
        self.seed_entry.set_tooltip("Same seed + same decisions = the same game (random events included)")
        self.random_seed = self.button(
            (col1.left + s(170), y, s(120), s(36)), "New seed", "Pick a random seed for a fresh game"
        )
        # how the seat buttons work, as much as fits above the bottom bar (F1 and tooltips say it too)
        y += s(58)
        room = col1.bottom - y - s(30) - s(40)
        if room >= s(34):
            self.label((col1.left, y, col1.width, s(26)), "Other seats", "@heading")
            y += s(30)
        if room >= s(100):
            box_h = min(s(124), room)
            self.add(
                pygame_gui.elements.UITextBox(
                    "Click the button next to a seat to go round <b>AI</b> (default level), <b>Human</b>, "
                    "<b>AI easy</b>, <b>AI normal</b> and <b>AI hard</b>. Right-click goes back. Human "
                    "seats play hot seat, in turn, at this screen.",
                    pygame.Rect(col1.left, y, col1.width, box_h),
                    self.manager,
                    object_id=pygame_gui.core.ObjectID(class_id="@plain_box"),
                )
            )
            y += box_h + s(6)
        self.reset_seats = self.button(
            (col1.left, min(y, col1.bottom - s(34)), s(200), s(34)),
            "All seats to default",
            "Every other seat back to the AI at the default difficulty",
            "@small",
        )
        # column 2: briefing (drawn text box)
        self.briefing = self.add(pygame_gui.elements.UITextBox(self._briefing_html(), pygame.Rect(col2), self.manager))
        # column 3: role and seats
        self.label((col3.left, col3.top, col3.width, s(26)), "Your role and the other seats", "@heading")
        fy = col3.top + s(30)
        self.filter_buttons: dict[Any, str] = {}
        fw = (col3.width - s(16)) // 3
        for k, (key, lab) in enumerate((("all", "All"), ("nation", "Nations"), ("firm", "Firms"))):
            b = self.button((col3.left + k * (fw + s(8)), fy, fw, s(30)), lab, f"Show {lab.lower()}", "@tab")
            if key == self.seat_filter:
                b.select()
            self.filter_buttons[b] = key
        list_top = fy + s(38)
        self.seat_container = self.add(
            pygame_gui.elements.UIScrollingContainer(
                pygame.Rect(col3.left, list_top, col3.width, col3.bottom - list_top),
                self.manager,
                allow_scroll_x=False,
            )
        )
        rows = [r for r in self.info.seats() if self._shown(r[2])]
        rh = s(34)
        inner_w = col3.width - s(24)
        seat_w = s(116)
        self._role_width = inner_w - seat_w - s(6)
        for k, (sid, name, kind) in enumerate(rows):
            yy = k * (rh + s(4))
            role = pygame_gui.elements.UIButton(
                pygame.Rect(0, yy, self._role_width, rh),
                self._role_label(sid, name, kind),
                self.manager,
                container=self.seat_container,
                tool_tip_text=f"Play {name} ({KIND_NAMES.get(kind, kind)})",
                object_id=pygame_gui.core.ObjectID(object_id=f"#role_{sid}", class_id="@tab"),
            )
            self.role_buttons[role] = sid
            hb = pygame_gui.elements.UIButton(
                pygame.Rect(inner_w - seat_w, yy, seat_w, rh),
                "",
                self.manager,
                container=self.seat_container,
                object_id=pygame_gui.core.ObjectID(object_id=f"#seat_{sid}", class_id="@small"),
                generate_click_events_from=(pygame.BUTTON_LEFT, pygame.BUTTON_RIGHT),
            )
            self.seat_buttons[hb] = sid
        self._names = {sid: (name, kind) for sid, name, kind in rows}
        self._refresh(briefing=False)
        self.seat_container.set_scrollable_area_dimensions((inner_w, len(rows) * (rh + s(4))))
        bar = self.seat_container.vert_scroll_bar
        if bar is not None and self.seat_scroll > 0:
            bar.set_scroll_from_start_percentage(self.seat_scroll)  # stay where the player was
        # bottom bar
        self.back_button = self.button((pad, h - s(60), s(160), s(44)), "Back", "Main menu (Esc)")
        self.start_button = self.button(
            (w - pad - s(240), h - s(60), s(240), s(44)),
            "Start game",
            "Begin the first quarter with these choices (Enter)",
            "#menu@primary",
        )

    def _role_label(self, sid: str, name: str, kind: str) -> str:
        """Name, kind and "(you)"; a long name drops the kind (its tooltip has it) or is shortened."""
        you = "   (you)" if sid == self.seat else ""
        room = self._role_width - self.s(20)
        label = f"{name}  ·  {KIND_NAMES.get(kind, kind)}{you}"
        if self.fonts.size(label, 15)[0] <= room:
            return label
        return self.fonts.ellipsize(name, 15, room - self.fonts.size(you, 15)[0]) + you

    def _refresh(self, briefing: bool = True) -> None:
        """Bring the seat rows, difficulty buttons and briefing up to date, in place.

        Only widgets whose text or state changed are touched (re-rendering 128 buttons would
        make every click lag).
        """
        for role, sid in self.role_buttons.items():
            name, kind = self._names[sid]
            label = self._role_label(sid, name, kind)
            if role.text != label:
                role.set_text(label)
            _set_selected(role, sid == self.seat)
        for hb, sid in self.seat_buttons.items():
            choice = self.choice(sid)
            label = self._choice_label(choice)
            if hb.text != label:
                hb.set_text(label)
            tip = self._choice_tip(choice)
            if self._tips.get(sid) != tip:
                hb.set_tooltip(tip)
                self._tips[sid] = tip
            if choice == "you":
                _set_selected(hb, False)
                if hb.is_enabled:
                    hb.disable()
            else:
                if not hb.is_enabled:
                    hb.enable()
                _set_selected(hb, choice != "default")
        for b, d in getattr(self, "difficulty_buttons", {}).items():
            _set_selected(b, d == self.difficulty)
        reset = getattr(self, "reset_seats", None)
        if reset is not None:
            if self.humans or self.levels:
                reset.enable()
            else:
                reset.disable()
        box = getattr(self, "briefing", None)
        if briefing and box is not None and box.alive():
            box.set_text(self._briefing_html())

    def _titles(self) -> list[str]:
        """Short, unique list labels (the full title is in the briefing)."""
        out: list[str] = []
        for info in self.infos:
            short = info.title.split(":")[0].strip() or info.title
            while short in out:
                short += " "
            out.append(short)
        return out

    def _shown(self, kind: str) -> bool:
        if self.seat_filter == "all":
            return True
        return (kind == "nation") == (self.seat_filter == "nation")

    def _briefing_html(self) -> str:
        sc = self.info.scenario
        seat = self.seat
        parts = [
            f"<font size=5><b>{escape(sc.meta.title)}</b></font>",
            f"<i>{sc.time.start} to {sc.time.end} · {len(sc.regions)} regions · {len(sc.actors)} firms · "
            f"{len(sc.accelerators)} accelerator classes</i>",
            "",
            escape(sc.meta.briefing).replace("\n\n", "<br><br>").replace("\n", " "),
        ]
        mine = [o for o in sc.objectives if o.seat in (seat, "all")]
        parts += ["", f"<b>Your objectives as {escape(self._seat_name(seat))}</b>"]
        if mine:
            for o in mine:
                parts.append("• " + escape(objective_text(o, sc.time.end)))
        elif seat in {r.id for r in sc.regions}:
            parts.append("• Raise your sovereignty index and finish high in the ranking of nations")
        else:
            parts.append("• Grow your valuation and market share; finish high in the ranking of firms")
        parts += ["", "<b>The other seats</b>"]
        order = [sid for sid, _, _ in self.info.seats()]
        if self.humans:
            names = ", ".join(self._seat_name(x) for x in order if x in self.humans)
            parts.append(f"• Hot seat, also played by people: {escape(names)}")
        for level in DIFFICULTIES:
            named = [self._seat_name(x) for x in order if self.levels.get(x) == level]
            if named:
                parts.append(f"• AI on {level}: {escape(', '.join(named))}")
        rest = "all other seats" if self.humans or self.levels else "all of them"
        parts.append(f"• AI on {self.difficulty} (the default): {rest}")
        if self.problems:
            parts += ["", "<b>Scenarios that could not be read:</b>"] + [escape(p) for p in self.problems]
        return "<br>".join(parts)

    def _seat_name(self, seat: str | None) -> str:
        for sid, name, _ in self.info.seats():
            if sid == seat:
                return name
        return seat or "?"

    # -- events -------------------------------------------------------------------------------

    # C901: a flat dispatch on the event type (lists, toggles, buttons), in priority order.
    def process_events(self, event: pygame.event.Event) -> bool:  # noqa: C901
        """Lists, toggles and the bottom buttons."""
        et = event.type
        if (
            et == pygame_gui.UI_SELECTION_LIST_NEW_SELECTION
            and getattr(self, "scenario_list", None) is event.ui_element
        ):
            titles = self._titles()
            if event.text in titles:
                self._keep_seed()
                self._pick_scenario(titles.index(event.text))
                self.rebuild()
            return True
        if et == pygame_gui.UI_BUTTON_PRESSED:
            el = event.ui_element
            if el in self.seat_buttons:
                step = -1 if getattr(event, "mouse_button", pygame.BUTTON_LEFT) == pygame.BUTTON_RIGHT else 1
                self.cycle_seat(self.seat_buttons[el], step)
                return True
            if getattr(event, "mouse_button", pygame.BUTTON_LEFT) != pygame.BUTTON_LEFT:
                return True  # right-clicks only cycle seats
            if el is self.back_button:
                events.post(events.BACK)
                return True
            if el is self.start_button:
                self.start()
                return True
            if el is getattr(self, "random_seed", None):
                import random

                self.seed = random.randrange(1, 10**6)
                self.seed_entry.set_text(str(self.seed))
                return True
            if el is getattr(self, "reset_seats", None):
                self.humans.clear()
                self.levels.clear()
                self._keep_seed()
                self._refresh()
                return True
            if el in getattr(self, "difficulty_buttons", {}):
                self.difficulty = self.difficulty_buttons[el]
                self._keep_seed()
                self._refresh()
                return True
            if el in getattr(self, "filter_buttons", {}):
                self.seat_filter = self.filter_buttons[el]
                self._keep_seed()
                self.rebuild()
                if self.seat_container.vert_scroll_bar is not None:
                    self.seat_container.vert_scroll_bar.set_scroll_from_start_percentage(0.0)
                return True
            if el in self.role_buttons:
                self.choose_role(self.role_buttons[el])
                return True
        if et == pygame.KEYDOWN and not self.text_input_active():
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.start()
                return True
            if event.key == pygame.K_ESCAPE:
                events.post(events.BACK)
                return True
        return False

    def teardown(self) -> None:
        """Remember how far the seat list was scrolled, then kill the widgets."""
        container = getattr(self, "seat_container", None)
        bar = container.vert_scroll_bar if container is not None else None
        if bar is not None and container.alive():
            self.seat_scroll = float(bar.start_percentage)
        self.seat_buttons = {}
        self.role_buttons = {}
        super().teardown()

    def _keep_seed(self) -> None:
        text = self.seed_entry.get_text() if hasattr(self, "seed_entry") and self.seed_entry.alive() else ""
        if text.isdigit():
            self.seed = int(text)

    def choose_role(self, seat: str) -> None:
        """Play this seat (it leaves the extra human seats and the AI levels)."""
        self._keep_seed()
        self.seat = seat
        self.humans.discard(seat)
        self.levels.pop(seat, None)
        self._refresh()

    def start(self) -> None:
        """Create the game and offer it to the app (which asks to save a game in progress first)."""
        if not self.infos or self.seat is None:
            return
        self._keep_seed()
        info = self.info
        humans = [self.seat, *[sid for sid, _, _ in info.seats() if sid in self.humans]]
        session = new_session(
            info.scenario,
            humans,
            seed=self.seed,
            difficulty=self.difficulty,
            seat_difficulty={s: lvl for s, lvl in self.levels.items() if s not in humans},
            scenario_path=Path(info.path),
            autosave=self.app.settings.autosave,
        )
        self.app.offer_session(session, title="Start a new game?", action="starting a new game")

    def draw(self, surface: pygame.Surface) -> None:
        """Header and a summary line above the start button."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        header(surface, f, pal, s, "New game", "choose a scenario, your role and who plays the other seats")
        if not self.infos:
            return
        w, h = surface.get_size()
        n_h = 1 + len(self.humans)
        n_own = len(self.levels)
        own = ""
        if n_own:
            own = f", {n_own} AI seats at their own level" if n_own > 1 else ", 1 AI seat at its own level"
        summary = (
            f"you play {self._seat_name(self.seat)} · "
            f"{n_h} human seat{'s' if n_h > 1 else ''}{own}, the rest AI ({self.difficulty}) · seed {self.seed}"
        )
        draw.text(
            surface,
            f,
            summary,
            (w - s(280), h - s(38)),
            14,
            pal.rgb("text_muted"),
            anchor="midright",
            max_width=w - s(520),
        )


def _set_selected(button: pygame_gui.elements.UIButton, selected: bool) -> None:
    """Select or unselect a button only when that changes it (each change redraws the button)."""
    if selected and not button.is_selected:
        button.select()
    elif not selected and button.is_selected:
        button.unselect()
