"""The screen contract: ``process_events(event)``, ``update(dt)``, ``draw(surface)`` (STYLE.md).

A screen owns the pygame_gui widgets it creates in :meth:`Screen.build` and kills them in
:meth:`Screen.teardown`. Widgets are rebuilt from the screen's plain attributes whenever the
window size, UI scale or palette changes, or the screen comes back to the top of the stack, so
screen state must live in attributes, never only inside widgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pygame
import pygame_gui

from sovereign.ui.theme import Fonts, Palette, Scale

if TYPE_CHECKING:
    from sovereign.game.session import GameSession
    from sovereign.ui.app import App


def object_id_of(spec: str | None) -> pygame_gui.core.ObjectID | None:
    """Theme ids from a compact spec: ``"#id"``, ``"@class"`` or ``"#id@class"`` (both)."""
    if not spec:
        return None
    oid, _, cls = spec.partition("@")
    return pygame_gui.core.ObjectID(object_id=oid or None, class_id=f"@{cls}" if cls else None)


class Screen:
    """Base class of every screen.

    Attributes:
        name: Registry name (``sovereign play --screen NAME``).
        title: Shown in the help overlay.
        help_text: What the screen shows, for the help overlay.
        keys: (key, action) pairs for the help overlay.
        transparent: Draw the screen below first (dialog-like screens).
        needs_session: The screen reads a game; the app refuses to open it without one.
    """

    name = "screen"
    title = "Screen"
    help_text = ""
    keys: tuple[tuple[str, str], ...] = ()
    summary = ""
    transparent = False
    needs_session = False

    def __init__(self, app: App, **params: Any) -> None:
        self.app = app
        self.params = params
        self.elements: list[pygame_gui.core.UIElement] = []

    # -- shortcuts -------------------------------------------------------------------------

    @property
    def manager(self) -> pygame_gui.UIManager:
        """The app's widget manager."""
        return self.app.manager

    @property
    def fonts(self) -> Fonts:
        """Fonts at the current UI scale."""
        return self.app.fonts

    @property
    def palette(self) -> Palette:
        """Map and chart colours."""
        return self.app.palette

    @property
    def s(self) -> Scale:
        """Design pixels to real pixels."""
        return self.app.s

    @property
    def session(self) -> GameSession:
        """The running game (screens with ``needs_session`` only)."""
        assert self.app.session is not None, f"screen {self.name} needs a game"
        return self.app.session

    @property
    def size(self) -> tuple[int, int]:
        """Window size in pixels."""
        return self.app.window.get_size()

    def add(self, element: Any) -> Any:
        """Register a widget so :meth:`teardown` kills it."""
        self.elements.append(element)
        return element

    # -- lifecycle -------------------------------------------------------------------------

    def build(self) -> None:
        """Create the widgets for the current window size (state comes from attributes)."""

    def teardown(self) -> None:
        """Kill every widget this screen created."""
        for e in self.elements:
            e.kill()
        self.elements.clear()

    def rebuild(self) -> None:
        """Tear down and build again (after a resize or a change of state that moves widgets)."""
        self.teardown()
        self.build()

    def on_enter(self) -> None:
        """Called when the screen becomes the top of the stack (after build)."""

    def on_exit(self) -> None:
        """Called when the screen is popped for good."""

    # -- the loop contract -------------------------------------------------------------------

    def process_events(self, event: pygame.event.Event) -> bool:
        """React to one event; return True to consume it."""
        return False

    def update(self, dt: float) -> None:
        """Advance animations by ``dt`` seconds."""

    def draw(self, surface: pygame.Surface) -> None:
        """Draw everything that is not a widget (widgets are drawn by the app afterwards)."""
        surface.fill(self.palette.rgb("background"))

    def toast_area(self) -> pygame.Rect:
        """Where toasts may go (stacked up from its bottom centre): by default the whole window.

        Screens with widgets near the bottom centre narrow it, so a message never covers a button.
        """
        w, h = self.size
        return pygame.Rect(0, 0, w, h - self.s(34))

    def draw_overlay(self, surface: pygame.Surface) -> None:
        """Draw what must sit above the widgets (hover tooltips); called after the widgets."""

    # -- helpers for subclasses -----------------------------------------------------------------

    def header_back_button(self, tooltip: str = "Return to the map (Esc)") -> pygame_gui.elements.UIButton:
        """The "Back to map" button at the right end of the header bar (`common.header`).

        Every full-screen view places it there; a screen's own buttons go to its left.
        """
        s, w = self.s, self.size[0]
        bh = s(36)
        back_w = self.fonts.size("Back to map", 15)[0] + s(32)
        return self.button((w - s(20) - back_w, (s(64) - bh) // 2, back_w, bh), "Back to map", tooltip)

    def button(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        label: str,
        tooltip: str | None = None,
        object_id: str | None = None,
        container: Any = None,
    ) -> pygame_gui.elements.UIButton:
        """A button registered with this screen, with an optional tooltip and theme id."""
        oid = object_id_of(object_id)
        return self.add(
            pygame_gui.elements.UIButton(
                relative_rect=pygame.Rect(rect),
                text=label,
                manager=self.manager,
                tool_tip_text=tooltip,
                object_id=oid,
                container=container,
            )
        )

    def label(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        content: str,
        class_id: str | None = None,
        container: Any = None,
    ) -> pygame_gui.elements.UILabel:
        """A label registered with this screen."""
        oid = pygame_gui.core.ObjectID(class_id=class_id) if class_id else None
        return self.add(
            pygame_gui.elements.UILabel(
                pygame.Rect(rect), content, manager=self.manager, object_id=oid, container=container
            )
        )

    def text_input_active(self) -> bool:
        """Whether a text field has the keyboard (then single-key shortcuts must not fire)."""
        return self.app.text_input_active()
