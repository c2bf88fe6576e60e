"""Modal choice dialogs (quit confirmation, game menu, event decisions, messages).

A dialog is a blocking pygame_gui window with a text and a row or column of buttons. When a
button is pressed it posts ``DIALOG_RESULT`` with its own key and the chosen option's key and
closes itself; whoever opened it reacts to the event (widgets never call back into objects).
"""

from __future__ import annotations

from collections.abc import Sequence

import pygame
import pygame_gui

from sovereign.ui import events
from sovereign.ui.theme import Fonts, Scale


class ChoiceDialog(pygame_gui.elements.UIWindow):
    """A modal window asking the player to pick one of a few options.

    Args:
        manager: Widget manager.
        window_size: Size of the game window (the dialog is centred in it).
        s: UI scale.
        key: Identifies the dialog in the ``DIALOG_RESULT`` event.
        title: Window title.
        body: Text (pygame_gui HTML subset allowed: ``<b>``, ``<i>``, ``<br>``).
        choices: (choice key, button label, tooltip or None, theme class or None) per button.
        vertical: Stack the buttons (menus) instead of a row (confirmations).
        width: Design width of the dialog.
        cancel: Choice key reported when the window is closed with its X or Escape.
    """

    def __init__(
        self,
        manager: pygame_gui.UIManager,
        window_size: tuple[int, int],
        s: Scale,
        key: str,
        title: str,
        body: str,
        choices: Sequence[tuple[str, str, str | None, str | None]],
        *,
        vertical: bool = False,
        width: int = 520,
        cancel: str = "cancel",
    ) -> None:
        self.key = key
        self.cancel_choice = cancel
        self._answered = False
        pad, bh, gap = s(16), s(38), s(10)
        w = min(s(width), window_size[0] - s(40))
        inner_w = w - 2 * pad
        if not vertical and not _row_fits(choices, s, inner_w, gap):
            vertical = True  # long labels ("Ask allies for escorts") are stacked, never cut off
        text_h = s(24) * max(2, body.count("<br>") + 2 + len(body) // max(1, inner_w // s(8)))
        text_h = min(text_h, window_size[1] // 2)
        buttons_h = (bh + gap) * len(choices) if vertical else bh + gap
        h = s(32) + pad + text_h + gap + buttons_h + pad
        rect = pygame.Rect(0, 0, w, h)
        rect.center = (window_size[0] // 2, window_size[1] // 2)
        super().__init__(rect, manager, window_display_title=title, object_id="#dialog", draggable=False)
        self.set_blocking(True)
        cw = self.get_container().get_size()[0]
        inner_w = cw - 2 * pad
        self.body = pygame_gui.elements.UITextBox(
            body,
            pygame.Rect(pad, pad, inner_w, text_h),
            manager,
            container=self,
            object_id=pygame_gui.core.ObjectID(class_id="@plain_box"),
        )
        self.choice_buttons: dict[pygame_gui.elements.UIButton, str] = {}
        y = pad + text_h + gap
        if vertical:
            for ck, lab, tip, cls in choices:
                b = pygame_gui.elements.UIButton(
                    pygame.Rect(pad, y, inner_w, bh),
                    lab,
                    manager,
                    container=self,
                    tool_tip_text=tip,
                    object_id=pygame_gui.core.ObjectID(class_id=cls) if cls else None,
                )
                self.choice_buttons[b] = ck
                y += bh + gap
        else:
            n = len(choices)
            bw = (inner_w - gap * (n - 1)) // max(n, 1)  # `_row_fits` checked every label fits
            for i, (ck, lab, tip, cls) in enumerate(choices):
                b = pygame_gui.elements.UIButton(
                    pygame.Rect(pad + i * (bw + gap), y, bw, bh),
                    lab,
                    manager,
                    container=self,
                    tool_tip_text=tip,
                    object_id=pygame_gui.core.ObjectID(class_id=cls) if cls else None,
                )
                self.choice_buttons[b] = ck

    def answer(self, choice: str) -> None:
        """Report a choice and close (used by buttons, Escape and the close button)."""
        if self._answered:
            return
        self._answered = True
        events.post(events.DIALOG_RESULT, dialog=self.key, choice=choice)
        super().kill()

    def process_event(self, event: pygame.event.Event) -> bool:
        """Buttons answer; Escape cancels."""
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element in self.choice_buttons:
            self.answer(self.choice_buttons[event.ui_element])
            return True
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.answer(self.cancel_choice)
            return True
        return super().process_event(event)

    def on_close_window_button_pressed(self) -> None:
        """The title bar's X counts as cancel."""
        self.answer(self.cancel_choice)

    def button_for(self, choice: str) -> pygame_gui.elements.UIButton:
        """The button of a choice (tests click it)."""
        for b, ck in self.choice_buttons.items():
            if ck == choice:
                return b
        raise KeyError(choice)


def _row_fits(choices: Sequence[tuple[str, str, str | None, str | None]], s: Scale, inner_w: int, gap: int) -> bool:
    """Whether every label fits an equal share of one row of buttons (in the theme's button font).

    Widget text uses the same Noto Sans files as `Fonts`; a button's text needs its padding on
    both sides (``text_horiz_alignment_padding``, 8 design pixels) and its border.
    """
    fonts = Fonts(s.factor)
    n = max(len(choices), 1)
    share = (inner_w - gap * (n - 1)) // n
    for _, label, _, cls in choices:
        bold = cls == "@primary"
        if fonts.size(label, 15, bold)[0] + 2 * s(8) + 2 * s(1) > share:
            return False
    return True
