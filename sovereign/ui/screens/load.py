"""Load a saved game: the saves folder newest first, with what each save holds; bad files explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygame
import pygame_gui

from sovereign.game.session import SAVE_DIR, list_saves
from sovereign.persist import is_autosave
from sovereign.ui import events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import header


class LoadScreen(Screen):
    """Pick a save and continue it."""

    name = "load"
    title = "Load game"
    summary = "saves and autosaves, newest first"
    help_text = (
        "Saves in the saves folder, newest first, with their scenario, quarter, human seats and when they were "
        "written. Autosaves are made after every quarter. A damaged or unknown file is listed with the reason it "
        "cannot be loaded; Browse opens a file anywhere."
    )
    keys = (("Up / Down", "choose a save"), ("Enter", "load it"), ("Esc", "back"))

    def __init__(self, app: Any, **params: Any) -> None:
        super().__init__(app, **params)
        self.folder: Path = app.save_dir or (app.session.save_dir if app.session else SAVE_DIR)
        self.entries: list[Any] = list_saves(self.folder)
        self.index = 0
        self.file_dialog: Any = None

    def _label(self, e: Any) -> str:
        if hasattr(e, "scenario_title"):
            seats = ", ".join(e.human_seats) or "AI only"
            when = e.saved_at.replace("T", " ")[:16]
            kind = "Autosave" if is_autosave(e.path) else "Saved"
            return f"{kind}  ·  {e.quarter}  ·  {e.scenario_title}  ·  {seats}  ·  {when}"
        return f"(cannot load) {Path(getattr(e, 'path', '') or '?').name}"

    def build(self) -> None:
        """The list, a details box and the buttons."""
        s = self.s
        w, h = self.size
        pad = s(24)
        top = s(64) + s(20)
        list_w = min(s(860), w - 2 * pad - s(380))
        self.items = [self._label(e) for e in self.entries]
        # selection lists need unique strings
        seen: dict[str, int] = {}
        for k, it in enumerate(self.items):
            if it in seen:
                seen[it] += 1
                self.items[k] = f"{it} ({seen[it]})"
            else:
                seen[it] = 0
        default = self.items[self.index] if self.items else None
        self.list = self.add(
            pygame_gui.elements.UISelectionList(
                pygame.Rect(pad, top, list_w, h - top - s(100)), self.items, self.manager, default_selection=default
            )
        )
        self.details = self.add(
            pygame_gui.elements.UITextBox(
                self._details_html(),
                pygame.Rect(pad + list_w + s(16), top, w - 2 * pad - list_w - s(16), h - top - s(100)),
                self.manager,
            )
        )
        self.back_button = self.button((pad, h - s(72), s(160), s(44)), "Back", "Return (Esc)")
        self.browse_button = self.button(
            (pad + s(176), h - s(72), s(180), s(44)), "Browse…", "Open a save file from any folder"
        )
        self.load_button = self.button(
            (pad + list_w - s(220), h - s(72), s(220), s(44)), "Load", "Load the selected save (Enter)", "#menu@primary"
        )
        if not self.entries:
            self.load_button.disable()

    def _details_html(self) -> str:
        if not self.entries:
            return (
                f"No saves in {self.folder} yet.<br><br>Save from the game menu (Esc) or with Ctrl+S; "
                "autosaves appear here after each quarter."
            )
        e = self.entries[self.index]
        if hasattr(e, "scenario_title"):
            return "<br>".join(
                [
                    f"<b>{e.scenario_title}</b>",
                    f"Quarter: {e.quarter} ({e.quarters_played} played)",
                    f"Human seats: {', '.join(e.human_seats) or 'none'}",
                    f"Saved: {e.saved_at}",
                    f"Label: {e.label or '–'}",
                    "Kind: "
                    + (
                        "autosave (written after each quarter; the newest few of a game are kept)"
                        if is_autosave(e.path)
                        else "a save you made"
                    ),
                    f"File: {e.path.name}",
                    f"Format {e.format_version}, Sovereign {e.package_version}",
                ]
            )
        return f"<b>This file cannot be loaded</b><br><br>{e}"

    def selected_path(self) -> Path | None:
        """The file of the chosen entry (None when it cannot be loaded)."""
        if not self.entries:
            return None
        e = self.entries[self.index]
        return Path(e.path) if hasattr(e, "scenario_title") else None

    def load_selected(self) -> None:
        """Ask the app to load the chosen save."""
        path = self.selected_path()
        if path is None:
            events.toast("This file cannot be loaded (see the details)", "bad")
            return
        events.post(events.LOAD_GAME, path=str(path))

    def process_events(self, event: pygame.event.Event) -> bool:
        """List selection, buttons, file dialog, keys."""
        et = event.type
        if et == pygame_gui.UI_SELECTION_LIST_NEW_SELECTION and event.ui_element is self.list:
            if event.text in self.items:
                self.index = self.items.index(event.text)
                self.details.set_text(self._details_html())
            return True
        if et == pygame_gui.UI_SELECTION_LIST_DOUBLE_CLICKED_SELECTION and event.ui_element is self.list:
            self.load_selected()
            return True
        if et == pygame_gui.UI_BUTTON_PRESSED:
            if event.ui_element is self.back_button:
                events.post(events.BACK)
                return True
            if event.ui_element is self.load_button:
                self.load_selected()
                return True
            if event.ui_element is self.browse_button:
                rect = pygame.Rect(
                    0, 0, min(self.size[0] - self.s(40), self.s(800)), min(self.size[1] - self.s(40), self.s(560))
                )
                rect.center = (self.size[0] // 2, self.size[1] // 2)
                self.file_dialog = pygame_gui.windows.UIFileDialog(
                    rect,
                    self.manager,
                    "Open a save",
                    initial_file_path=str(self.folder),
                    allow_picking_directories=False,
                )
                return True
        if et == pygame_gui.UI_FILE_DIALOG_PATH_PICKED:
            events.post(events.LOAD_GAME, path=event.text)
            return True
        dialog_open = self.file_dialog is not None and self.file_dialog.alive()
        if et == pygame.KEYDOWN and not dialog_open and not self.text_input_active():
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.load_selected()
                return True
            if event.key == pygame.K_ESCAPE:
                events.post(events.BACK)
                return True
            if event.key in (pygame.K_UP, pygame.K_DOWN) and self.entries:
                step = -1 if event.key == pygame.K_UP else 1
                self.index = (self.index + step) % len(self.entries)
                self.rebuild()
                return True
        return False

    def draw(self, surface: pygame.Surface) -> None:
        """Header with the folder."""
        pal, s, f = self.palette, self.s, self.fonts
        surface.fill(pal.rgb("background"))
        header(surface, f, pal, s, "Load game", str(self.folder))
