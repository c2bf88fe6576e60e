"""Main menu: New game, Continue, Tutorial, Load, Settings, Quit."""

from __future__ import annotations

import pygame
import pygame_gui

from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import backdrop
from sovereign.ui.screens.tutorial import START_TUTORIAL


class MainMenu(Screen):
    """The first screen: start or load a game, change settings, quit."""

    name = "menu"
    title = "Main menu"
    summary = "start, continue or load a game; settings; quit"
    help_text = (
        "Sovereign is a strategy game of the race for sovereign AI infrastructure. Play a nation or a firm "
        "quarter by quarter against AI rivals: build datacenters, power and fabs, buy chips, set policy, and "
        "watch the markets decide who gets compute."
    )
    keys = (
        ("N", "new game"),
        ("C", "continue the current game"),
        ("T", "tutorial: learn by playing (a new game as India, or the game being played)"),
        ("L", "load a saved game"),
        ("S", "settings"),
        ("Q / Esc", "quit"),
    )

    def build(self) -> None:
        """Centre a column of large buttons."""
        w, h = self.size
        s = self.s
        bw, bh, gap = s(320), s(54), s(14)
        items = [
            ("new", "New game", "Choose a scenario and your role (N)", "#menu@primary"),
        ]
        if self.app.session is not None:
            items.append(("continue", "Continue", "Back to the game in progress (C)", None))
        items += [
            ("tutorial", "Tutorial", "Learn by playing, one short step at a time (T)", None),
            ("load", "Load game", "Open a saved game (L)", None),
            ("settings", "Settings", "Window size, fullscreen, UI scale, colour-blind palette (S)", None),
            ("quit", "Quit", "Close Sovereign (Q)", "#menu@danger"),
        ]
        y = h // 2 - s(10)
        bottom = h - s(40)  # above the footer line
        if y + len(items) * (bh + gap) - gap > bottom:
            # six items in a 720-pixel window: tighter buttons, started higher, still under the tagline
            bh, gap = s(46), s(8)
            y = max(h // 2 - s(60), min(y, bottom - len(items) * (bh + gap) + gap))
            bh = max(s(36), min(bh, (bottom - y - (len(items) - 1) * gap) // len(items)))
        self.buttons: dict[pygame_gui.elements.UIButton, str] = {}
        for key, lab, tip, cls in items:
            rect = pygame.Rect(0, 0, bw, bh)
            rect.midtop = (w // 2, y)
            b = self.button(rect, lab, tip, cls or "#menu")
            self.buttons[b] = key
            y += bh + gap

    def activate(self, key: str) -> None:
        """Do what a menu item does."""
        if key == "new":
            events.navigate("new_game")
        elif key == "continue" and self.app.session is not None:
            if len(self.app.screens) > 1:
                events.post(events.BACK)  # the game is right below the menu
            else:
                events.navigate("game", replace=True)
        elif key == "tutorial":
            events.post(START_TUTORIAL)
        elif key == "load":
            events.navigate("load")
        elif key == "settings":
            events.navigate("settings")
        elif key == "quit":
            events.post(events.QUIT_REQUEST)

    def process_events(self, event: pygame.event.Event) -> bool:
        """Buttons and single-key shortcuts."""
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.buttons:
            self.activate(self.buttons[event.ui_element])
            return True
        if event.type == pygame.KEYDOWN:
            keymap = {
                pygame.K_n: "new",
                pygame.K_c: "continue",
                pygame.K_l: "load",
                pygame.K_t: "tutorial",
                pygame.K_s: "settings",
                pygame.K_q: "quit",
                pygame.K_ESCAPE: "quit",
            }
            if event.key in keymap and not (event.mod & pygame.KMOD_CTRL):
                self.activate(keymap[event.key])
                return True
        return False

    def draw(self, surface: pygame.Surface) -> None:
        """World backdrop, title and tagline."""
        pal, s, f = self.palette, self.s, self.fonts
        w, h = surface.get_size()
        surface.blit(backdrop((w, h), pal), (0, 0))
        draw.shade(surface, (0, 0, 0, 90))
        draw.text(surface, f, "SOVEREIGN", (w // 2, h // 2 - s(170)), 64, pal.rgb("accent"), bold=True, anchor="center")
        draw.text(
            surface,
            f,
            "The race for sovereign AI infrastructure",
            (w // 2, h // 2 - s(108)),
            20,
            pal.rgb("text"),
            anchor="center",
        )
        draw.text(
            surface,
            f,
            "Power · datacenters · chips · compute · policy — quarter by quarter, 2026 to 2035",
            (w // 2, h // 2 - s(76)),
            15,
            pal.rgb("text_muted"),
            anchor="center",
        )
        draw.text(
            surface,
            f,
            "F1 help anywhere  ·  map: Natural Earth (public domain)",
            (w // 2, h - s(24)),
            13,
            pal.rgb("text_dim"),
            anchor="center",
        )
