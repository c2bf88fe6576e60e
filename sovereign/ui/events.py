"""The game's own pygame event types: how screens and widgets talk to the app.

Following pygame_gui's contract, a widget or screen never reaches into another object: it posts
one of these events and whoever owns the matter (the app for navigation, the session for the
model) reacts when the event comes round. Every event carries its data as attributes.
"""

from __future__ import annotations

from typing import Any

import pygame

#: Open a screen: ``screen`` (name) and optional ``params`` (dict); ``replace`` drops the current one.
NAVIGATE = pygame.event.custom_type()
#: Close the current screen and return to the one below it.
BACK = pygame.event.custom_type()
#: The player asked to end their turn (the quarter, once every human seat has ended theirs).
END_TURN = pygame.event.custom_type()
#: A quarter finished: ``quarter`` (label of the quarter just played), ``seconds`` (step time).
QUARTER_ENDED = pygame.event.custom_type()
#: Select a region (``region``) or a seat (``seat``) on the map and side panel.
SELECT = pygame.event.custom_type()
#: Show a transient message: ``text`` and ``kind`` ("info", "good", "bad").
TOAST = pygame.event.custom_type()
#: Ask to leave (window close or Quit): the app confirms when a game would be lost.
QUIT_REQUEST = pygame.event.custom_type()
#: Save the running game (``path`` optional: default is a new file in the save folder).
SAVE_GAME = pygame.event.custom_type()
#: Load a game from ``path``.
LOAD_GAME = pygame.event.custom_type()
#: Settings were changed and saved: the app rebuilds its window and widgets.
SETTINGS_CHANGED = pygame.event.custom_type()
#: Toggle the F1 help overlay.
TOGGLE_HELP = pygame.event.custom_type()
#: A choice dialog was answered: ``dialog`` (its key), ``choice`` (the chosen key).
DIALOG_RESULT = pygame.event.custom_type()

NAMES = {
    NAVIGATE: "NAVIGATE",
    BACK: "BACK",
    END_TURN: "END_TURN",
    QUARTER_ENDED: "QUARTER_ENDED",
    SELECT: "SELECT",
    TOAST: "TOAST",
    QUIT_REQUEST: "QUIT_REQUEST",
    SAVE_GAME: "SAVE_GAME",
    LOAD_GAME: "LOAD_GAME",
    SETTINGS_CHANGED: "SETTINGS_CHANGED",
    TOGGLE_HELP: "TOGGLE_HELP",
    DIALOG_RESULT: "DIALOG_RESULT",
}


def post(event_type: int, **data: Any) -> None:
    """Post one of the game's events with its data as attributes."""
    pygame.event.post(pygame.event.Event(event_type, data))


def navigate(screen: str, replace: bool = False, **params: Any) -> None:
    """Ask the app to open ``screen`` (on top of the current one unless ``replace``)."""
    post(NAVIGATE, screen=screen, replace=replace, params=params)


def toast(text: str, kind: str = "info") -> None:
    """Show a short message at the bottom of the window."""
    post(TOAST, text=text, kind=kind)
