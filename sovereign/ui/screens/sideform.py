"""Screens with one action form at their right edge (Diplomacy, Business).

Why one home: both open the map's action form over their right column, keep the toast area clear of
its Confirm button, queue what it submits the same way (a toast in words, the form closed and the
screen rebuilt), and answer offers and withdraw queued commands from their cards the same way; a
fix to one must reach the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pygame
import pygame_gui

from sovereign.game.words import command_label, seat_name
from sovereign.sim.commands import AnswerDeal
from sovereign.sim.phases import diplomacy
from sovereign.ui import events
from sovereign.ui.screens.action_form import COMMAND_RESULT, SUBMIT, ActionForm
from sovereign.ui.screens.base import Screen


class SideFormScreen(Screen):
    """A screen whose actions open an `ActionForm` at its right edge."""

    form: ActionForm | None = None
    #: offers whose answer was refused, by deal id: the reason, shown on the offer's card
    refused: dict[int, str]

    def place_form(self, key: str, prefill: dict[str, Any] | None, column_width: int) -> None:
        """Open the form for action `key` over the right column (at most 470 px wide, scaled)."""
        if self.form is not None:
            self.form.kill()
        s = self.s
        w, h = self.size
        width = min(s(470), column_width)
        rect = pygame.Rect(w - s(20) - width, s(8), width, h - s(16))
        self.form = ActionForm(self.manager, rect, self.session, key, None, s, self.palette, prefill)

    def header_action_button(self, label: str, tip: str) -> Any:
        """The screen's main action, in the header left of its Back button (`top_h`, `back_button` set)."""
        s = self.s
        bh = s(36)
        width = self.fonts.size(label, 15, True)[0] + s(32)
        rect = (self.back_button.rect.left - s(10) - width, (self.top_h - bh) // 2, width, bh)
        return self.button(rect, label, tip, "@primary")

    def toast_area(self) -> pygame.Rect:
        """Left of an open form, so a message never covers its Confirm button."""
        area = super().toast_area()
        if self.form is not None and self.form.alive():
            area.width = max(0, self.form.rect.left - self.s(6))
        return area

    def _form_open(self) -> bool:
        return self.form is not None and self.form.alive()

    def submit_from_form(self, event: pygame.event.Event) -> bool:
        """Queue what the form submitted; on success say so, close the form and rebuild the screen."""
        if event.type != SUBMIT:
            return False
        result = self.session.submit(event.command)
        events.post(COMMAND_RESULT, accepted=result.accepted, reason=result.reason, action=event.action)
        if result.accepted:
            events.toast(f"Queued: {command_label(self.session.model, event.command)}", "good")
            if self.form is not None:
                self.form.kill()
                self.form = None
            self.rebuild()
        return True

    def open_form(self, key: str, prefill: dict[str, Any] | None = None) -> None:
        """Open the form for action `key` (each screen says when it may, and how wide)."""
        raise NotImplementedError

    # -- what the cards' buttons do ---------------------------------------------------------------

    def _answer(self, deal_id: int, accept: bool) -> Callable[[], None]:
        return lambda: self.answer(deal_id, accept)

    def _withdraw(self, index: int) -> Callable[[], None]:
        return lambda: self.withdraw(index)

    def _open(self, key: str, prefill: dict[str, Any]) -> Callable[[], None]:
        return lambda: self.open_form(key, prefill)

    def answer(self, deal_id: int, accept: bool) -> None:
        """Queue an answer to an offer through the session; a refusal shows its reason on the card."""
        model = self.session.model
        deal = diplomacy.find_deal(model, deal_id)
        result = self.session.submit(AnswerDeal(deal=deal_id, accept=accept))
        if result.accepted:
            self.refused.pop(deal_id, None)
            what = diplomacy.DEAL_WORDS.get(deal["kind"], "deal") if deal is not None else "deal"
            who = seat_name(model, deal["proposer"]) if deal is not None else "them"
            verb = "accept" if accept else "reject"
            events.toast(f"Queued: you {verb} the {what} with {who} (applied when the quarter is played)", "good")
        else:
            self.refused[deal_id] = result.reason
            events.toast(f"Refused: {result.reason}", "bad")
        self.rebuild()

    def withdraw(self, index: int) -> None:
        """Take back a queued command (an answer, an offer, a vote, a break)."""
        if self.session.withdraw(index) is None:
            events.toast("That can no longer be withdrawn", "bad")
        else:
            events.toast("Withdrawn", "info")
        self.rebuild()

    # -- events -----------------------------------------------------------------------------------

    def button_actions(self) -> dict[object, Callable[[], None]]:
        """The screen's own header buttons and what each does (the cards' buttons are `actions`)."""
        return {}

    def key_actions(self) -> dict[int, Callable[[], None]]:
        """The screen's keys (without Ctrl) and what each does; Escape always goes back."""
        return {}

    def _scroll(self, steps: int) -> bool:
        """Scroll the column under the mouse by `steps`; whether anything scrolled."""
        raise NotImplementedError

    def process_events(self, event: pygame.event.Event) -> bool:
        """Buttons, the form's Confirm, the wheel and keys."""
        et = event.type
        if et == pygame_gui.UI_BUTTON_PRESSED:
            el = event.ui_element
            if el is self.back_button:
                events.post(events.BACK)
                return True
            action = self.button_actions().get(el) or self.actions.get(el)
            if action is not None:
                action()
                return True
        if et == SUBMIT:
            return self.submit_from_form(event)
        if et == pygame.MOUSEMOTION:
            self.mouse = event.pos
            return False
        if et == pygame.MOUSEWHEEL and not self._form_open():
            return self._scroll(-int(event.y))
        if et == pygame.KEYDOWN and not self._form_open() and not self.text_input_active():
            if event.key == pygame.K_ESCAPE:
                events.post(events.BACK)
                return True
            if event.mod & pygame.KMOD_CTRL:
                return False
            action = self.key_actions().get(event.key)
            if action is not None:
                action()
                return True
        return False
