"""Settings: window size, fullscreen, UI scale (fractional too), colour-blind-safe palette, autosave.

Changes are previewed in the screen's own state and applied (window recreated, widgets rebuilt,
settings file written) when the player presses Apply.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pygame
import pygame_gui

from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import header
from sovereign.ui.settings import MAX_SCALE, MIN_SCALE, PALETTES, UI_SCALES, WINDOW_SIZES, settings_path

PALETTE_NAMES = {"standard": "Standard", "colourblind": "Colour-blind safe"}


class SettingsScreen(Screen):
    """Change how the game looks; saved for the next session."""

    name = "settings"
    title = "Settings"
    summary = "window, fullscreen, UI scale, colour-blind palette, autosave"
    help_text = (
        "Window size and fullscreen; UI scale multiplies every font and widget (fractional values such as 1.25 "
        "work); the colour-blind-safe palette replaces red/green pairs with blue/orange and uses viridis-like "
        "ramps on the map. Apply saves the settings for the next session."
    )
    keys = (("Enter", "apply and save"), ("Esc", "back without applying"))

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        self.draft = dataclasses.replace(app.settings)

    def build(self) -> None:
        """One row per setting, then Apply and Back."""
        s = self.s
        w, _ = self.size
        x0 = max(s(40), w // 2 - s(360))
        lw, cw = s(220), s(480)
        y = s(64) + s(40)
        row = s(64)
        d = self.draft

        def label(text: str, yy: int) -> None:
            self.label((x0, yy, lw, s(36)), text, "@heading")

        label("Window size", y)
        sizes = [f"{a}x{b}" for a, b in WINDOW_SIZES]
        cur = f"{d.window_size[0]}x{d.window_size[1]}"
        if cur not in sizes:
            sizes.append(cur)
        self.size_menu = self.add(
            pygame_gui.elements.UIDropDownMenu(sizes, cur, pygame.Rect(x0 + lw, y, s(220), s(36)), self.manager)
        )
        y += row
        label("Fullscreen", y)
        self.fullscreen = self.button(
            (x0 + lw, y, s(220), s(36)),
            "On" if d.fullscreen else "Off",
            "Use the whole screen at its own resolution (F11 toggles it anywhere)",
            "@tab",
        )
        if d.fullscreen:
            self.fullscreen.select()
        y += row
        label("UI scale", y)
        self.scale_slider = self.add(
            pygame_gui.elements.UIHorizontalSlider(
                pygame.Rect(x0 + lw, y, s(300), s(32)),
                start_value=d.ui_scale,
                value_range=(MIN_SCALE, MAX_SCALE),
                manager=self.manager,
                click_increment=0.05,
            )
        )
        self.scale_buttons: dict[Any, float] = {}
        y += s(40)
        bw = (cw - s(7) * 7) // 8
        for k, v in enumerate(UI_SCALES):
            b = self.button((x0 + lw + k * (bw + s(7)), y, bw, s(30)), f"{v:g}", f"UI scale {v:g}", "@small")
            if abs(v - d.ui_scale) < 1e-9:
                b.select()
            self.scale_buttons[b] = v
        y += row
        label("Palette", y)
        self.palette_buttons: dict[Any, str] = {}
        for k, p in enumerate(PALETTES):
            tip = (
                "Okabe-Ito colours and viridis-like ramps; no red/green pairs"
                if p == "colourblind"
                else "The game's default colours"
            )
            b = self.button((x0 + lw + k * s(240), y, s(230), s(36)), PALETTE_NAMES[p], tip, "@tab")
            if p == d.palette:
                b.select()
            self.palette_buttons[b] = p
        y += row
        label("Autosave", y)
        self.autosave = self.button(
            (x0 + lw, y, s(220), s(36)),
            "After every quarter" if d.autosave else "Off",
            "Save automatically after each quarter (the last five autosaves of a game are kept)",
            "@tab",
        )
        if d.autosave:
            self.autosave.select()
        y += row + s(20)
        self.apply_button = self.button(
            (x0 + lw, y, s(220), s(44)), "Apply and save", "Use these settings now and next time (Enter)", "@primary"
        )
        self.back_button = self.button((x0, y, s(200), s(44)), "Back", "Leave without applying (Esc)")
        self.defaults_button = self.button(
            (x0 + lw + s(240), y, s(220), s(44)), "Defaults", "Reset every setting to its default"
        )
        self.note_y = y + s(64)
        self.x0 = x0

    def process_events(self, event: pygame.event.Event) -> bool:
        """Update the draft; Apply posts SETTINGS_CHANGED."""
        d = self.draft
        et = event.type
        if et == pygame_gui.UI_DROP_DOWN_MENU_CHANGED and event.ui_element is self.size_menu:
            a, b = event.text.split("x")
            d.window_size = (int(a), int(b))
            return True
        if et == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and event.ui_element is self.scale_slider:
            d.ui_scale = round(float(event.value) / 0.05) * 0.05
            d.ui_scale = round(min(max(d.ui_scale, MIN_SCALE), MAX_SCALE), 2)
            return True
        if et == pygame_gui.UI_BUTTON_PRESSED:
            el = event.ui_element
            if el is self.fullscreen:
                d.fullscreen = not d.fullscreen
                self.rebuild()
            elif el is self.autosave:
                d.autosave = not d.autosave
                self.rebuild()
            elif el in self.scale_buttons:
                d.ui_scale = self.scale_buttons[el]
                self.rebuild()
            elif el in self.palette_buttons:
                d.palette = self.palette_buttons[el]
                self.rebuild()
            elif el is self.apply_button:
                self.apply()
            elif el is self.back_button:
                events.post(events.BACK)
            elif el is self.defaults_button:
                from sovereign.ui.settings import Settings

                self.draft = Settings(extra=d.extra)
                self.rebuild()
            else:
                return False
            return True
        if et == pygame.KEYDOWN:
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.apply()
                return True
            if event.key == pygame.K_ESCAPE:
                events.post(events.BACK)
                return True
        return False

    def apply(self) -> None:
        """Make the draft the settings and ask the app to rebuild everything."""
        self.app.settings = dataclasses.replace(self.draft)
        events.post(events.SETTINGS_CHANGED)
        events.toast("Settings saved", "good")

    def draw(self, surface: pygame.Surface) -> None:
        """Header, the current scale value and where the file lives."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        header(surface, f, pal, s, "Settings", "saved for your next session")
        d = self.draft
        sx = self.scale_slider.get_abs_rect()
        draw.text(
            surface,
            f,
            f"{d.ui_scale:.2f}",
            (sx.right + s(14), sx.centery),
            16,
            pal.rgb("accent"),
            bold=True,
            anchor="midleft",
        )
        where = self.app.settings_file or settings_path()
        draw.text(surface, f, f"Settings file: {where}", (self.x0, self.note_y), 13, pal.rgb("text_muted"))
        surface.blit(self._swatch(d.palette), (self.x0, self.note_y + s(30)))

    def _swatch(self, name: str) -> pygame.Surface:
        """A preview of a palette's map ramps and tier colours (drawn once per palette)."""
        import numpy as np

        from sovereign.ui.theme import load_palette

        s = self.s
        key = (name, s.factor)
        cached = getattr(self, "_swatch_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        p = load_palette(name)
        surf = pygame.Surface((s(600), s(40)), pygame.SRCALPHA)
        width = s(240)
        for k, ramp in enumerate(("index", "sequential")):
            cols = p.ramp_many(ramp, np.linspace(0.0, 1.0, width))
            for i in range(width):
                pygame.draw.line(surf, tuple(int(v) for v in cols[i]), (i, k * s(22)), (i, k * s(22) + s(14)))
        for k in (1, 2, 3):
            pygame.draw.rect(surf, p.tiers[k], (s(260) + (k - 1) * s(34), 0, s(28), s(36)))
        draw.text(surf, self.fonts, "map colours of this palette", (s(380), s(10)), 13, self.palette.rgb("text_muted"))
        self._swatch_cache = (key, surf)
        return surf
