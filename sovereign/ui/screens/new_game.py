"""New game: pick a scenario (title and briefing), your role, who else plays, difficulty and seed.

Any nation or named firm can be played. Other seats are AI unless switched to Human: several
human seats play hot-seat at this screen, each in turn, with a hand-over screen between them.
The model takes one difficulty for all AI seats, so difficulty is chosen once here.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pygame
import pygame_gui

from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import header
from sovereign.ui.session import ScenarioInfo, find_scenarios, new_session

DIFFICULTIES = ("easy", "normal", "hard")
DIFFICULTY_TIPS = {
    "easy": "AI reads prices two quarters late, misjudges returns by up to 30% and invests half as much",
    "normal": "AI reads last quarter's prices, misjudges returns by about 10% and uses every lever",
    "hard": "AI judges returns exactly, looks three years ahead, invests 20% more and protects its datacenters",
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


class NewGame(Screen):
    """Choose what to play."""

    name = "new_game"
    title = "New game"
    summary = "scenario and briefing, your role, human or AI seats, difficulty, seed"
    help_text = (
        "Pick a scenario on the left (its briefing is shown in the middle), then your role on the right: any "
        "nation or firm. Switch other seats to Human to play hot-seat with friends at this screen; everyone "
        "else is played by the AI at the chosen difficulty. The seed fixes the random events: the same seed "
        "and the same decisions replay the same game."
    )
    keys = (("Enter", "start the game"), ("Esc", "back to the main menu"))

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        found, self.problems = scenarios()
        self.infos = found
        self.scenario_ix = 0
        self.seat: str | None = None
        self.humans: set[str] = set()
        self.difficulty: str | None = None
        self.seed = 0
        self.seat_filter = "all"
        self.seat_scroll = 0.0
        if self.infos:
            self._pick_scenario(0)

    def _pick_scenario(self, i: int) -> None:
        self.scenario_ix = i
        self.seat_scroll = 0.0
        info = self.infos[i]
        seats = [sid for sid, _, _ in info.seats()]
        self.seat = "IND" if "IND" in seats else seats[0]
        self.humans = set()
        self.difficulty = info.scenario.seats.difficulty

    @property
    def info(self) -> ScenarioInfo:
        """The chosen scenario."""
        return self.infos[self.scenario_ix]

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
        if not self.infos:
            self.label((pad, top, w - 2 * pad, s(30)), "No scenario found in scenarios/.", "@heading")
            self.back_button = self.button((pad, h - s(60), s(160), s(44)), "Back", "Main menu (Esc)")
            self.start_button = None
            return
        # column 1: scenarios, difficulty, seed
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
        self.label((col1.left, y, col1.width, s(26)), "AI difficulty", "@heading")
        y += s(30)
        self.difficulty_buttons: dict[Any, str] = {}
        bw = (col1.width - s(16)) // 3
        for k, d in enumerate(DIFFICULTIES):
            b = self.button((col1.left + k * (bw + s(8)), y, bw, s(36)), d.capitalize(), DIFFICULTY_TIPS[d], "@tab")
            if d == self.difficulty:
                b.select()
            self.difficulty_buttons[b] = d
        y += s(50)
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
        self.role_buttons: dict[Any, str] = {}
        self.human_buttons: dict[Any, str] = {}
        rows = [r for r in self.info.seats() if self._shown(r[2])]
        rh = s(34)
        inner_w = col3.width - s(24)
        for k, (sid, name, kind) in enumerate(rows):
            yy = k * (rh + s(4))
            mine = sid == self.seat
            role = pygame_gui.elements.UIButton(
                pygame.Rect(0, yy, inner_w - s(110), rh),
                f"{name}  ·  {KIND_NAMES.get(kind, kind)}" + ("   (you)" if mine else ""),
                self.manager,
                container=self.seat_container,
                tool_tip_text=f"Play {name} ({KIND_NAMES.get(kind, kind)})",
                object_id=pygame_gui.core.ObjectID(object_id=f"#role_{sid}", class_id="@tab"),
            )
            if mine:
                role.select()
            self.role_buttons[role] = sid
            human = sid == self.seat or sid in self.humans
            hb = pygame_gui.elements.UIButton(
                pygame.Rect(inner_w - s(104), yy, s(104), rh),
                "You" if mine else ("Human" if human else "AI"),
                self.manager,
                container=self.seat_container,
                tool_tip_text="Your seat" if mine else "Switch between a human player (hot seat) and the AI",
                object_id=pygame_gui.core.ObjectID(object_id=f"#human_{sid}", class_id="@small"),
            )
            if mine:
                hb.disable()
            elif human:
                hb.select()
            self.human_buttons[hb] = sid
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
        mine = [o for o in sc.objectives if o.seat == seat]
        parts += ["", f"<b>Your objectives as {escape(self._seat_name(seat))}</b>"]
        if mine:
            for o in mine:
                parts.append("• " + escape(objective_text(o, sc.time.end)))
        elif seat in {r.id for r in sc.regions}:
            parts.append("• Raise your sovereignty index and finish high in the ranking of nations")
        else:
            parts.append("• Grow your valuation and market share; finish high in the ranking of firms")
        if self.humans:
            names = ", ".join(self._seat_name(x) for x in sorted(self.humans))
            parts += ["", f"<b>Hot seat:</b> also played by people: {escape(names)}"]
        if self.problems:
            parts += ["", "<b>Scenarios that could not be read:</b>"] + [escape(p) for p in self.problems]
        return "<br>".join(parts)

    def _seat_name(self, seat: str | None) -> str:
        for sid, name, _ in self.info.seats():
            if sid == seat:
                return name
        return seat or "?"

    # -- events -------------------------------------------------------------------------------

    def process_events(self, event: pygame.event.Event) -> bool:
        """Lists, toggles and the bottom buttons."""
        et = event.type
        if (
            et == pygame_gui.UI_SELECTION_LIST_NEW_SELECTION
            and getattr(self, "scenario_list", None) is event.ui_element
        ):
            titles = self._titles()
            if event.text in titles:
                self._pick_scenario(titles.index(event.text))
                self.rebuild()
            return True
        if et == pygame_gui.UI_BUTTON_PRESSED:
            el = event.ui_element
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
            if el in getattr(self, "difficulty_buttons", {}):
                self.difficulty = self.difficulty_buttons[el]
                self._keep_seed()
                self.rebuild()
                return True
            if el in getattr(self, "filter_buttons", {}):
                self.seat_filter = self.filter_buttons[el]
                self._keep_seed()
                self.rebuild()
                if self.seat_container.vert_scroll_bar is not None:
                    self.seat_container.vert_scroll_bar.set_scroll_from_start_percentage(0.0)
                return True
            if el in getattr(self, "role_buttons", {}):
                self.choose_role(self.role_buttons[el])
                return True
            if el in getattr(self, "human_buttons", {}):
                self.toggle_human(self.human_buttons[el])
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
        super().teardown()

    def _keep_seed(self) -> None:
        text = self.seed_entry.get_text() if hasattr(self, "seed_entry") else ""
        if text.isdigit():
            self.seed = int(text)

    def choose_role(self, seat: str) -> None:
        """Play this seat (it leaves the list of extra human seats)."""
        self._keep_seed()
        self.seat = seat
        self.humans.discard(seat)
        self.rebuild()

    def toggle_human(self, seat: str) -> None:
        """Switch another seat between human (hot seat) and AI."""
        if seat == self.seat:
            return
        self._keep_seed()
        self.humans ^= {seat}
        self.rebuild()

    def start(self) -> None:
        """Create the game and hand it to the app."""
        if not self.infos or self.seat is None:
            return
        self._keep_seed()
        info = self.info
        humans = [self.seat, *sorted(self.humans)]
        session = new_session(
            info.scenario,
            humans,
            seed=self.seed,
            difficulty=self.difficulty,
            scenario_path=Path(info.path),
            autosave=self.app.settings.autosave,
        )
        self.app.start_session(session)

    def draw(self, surface: pygame.Surface) -> None:
        """Header and a summary line above the start button."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        header(surface, f, pal, s, "New game", "choose a scenario and your role")
        if not self.infos:
            return
        w, h = surface.get_size()
        n_h = 1 + len(self.humans)
        summary = (
            f"{self.info.title} · you play {self._seat_name(self.seat)} · "
            f"{n_h} human seat{'s' if n_h > 1 else ''}, the rest AI ({self.difficulty}) · seed {self.seed}"
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


def objective_text(obj: Any, end: str) -> str:
    """An objective in words (the scenario's own text when it has one)."""
    if obj.text:
        return obj.text
    metric = obj.metric.replace("_", " ")
    if obj.threshold is not None:
        return f"{metric} at least {obj.threshold:g} by {obj.by or end}"
    return f"rank {obj.rank} or better by {metric} at the end"
