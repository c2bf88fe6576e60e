"""The loss screen: a seat played by people is out of the game, and why.

After each quarter the app asks `put_out_losers` which of the seats people played have lost
(`sovereign.game.outcome`: a budget crisis, an index collapse, a bankruptcy or a takeover). Those
seats go to the AI from the next quarter and this screen says why, with the figures. In a hot-seat
game the others play on (the hand-over screen comes next); when nobody is left, the end screen.
The scenario's shared loss ends the whole game and goes straight to the end screen.
"""

from __future__ import annotations

from typing import Any

import pygame

from sovereign.game.outcome import Loss, hand_over_losses, score
from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import backdrop, continue_pressed


def put_out_losers(app: Any, seats: list[str]) -> list[Loss]:
    """Hand the seats people played in the last quarter that have lost to the AI; open the loss screen.

    Called by the app once a quarter has been played (and the reports built), before the hand-over
    or end screen; also when a game is loaded in which a seat people play has already lost.

    Args:
        app: The app (its session is read and its screens opened).
        seats: The seats people played in that quarter.

    Returns:
        The losses (empty: nothing happened, nothing was opened).
    """
    session = app.session
    if session is None or session.busy or session.model.done:
        return []
    lost = hand_over_losses(session.model, seats)
    if not lost:
        return []
    session.dirty = True  # the hand-over is logged after the autosave was written
    session.version += 1
    session.turn = 0
    if session.hot_seat:
        app.open("handover", seat=session.seat)  # under the loss screen: next after it
    app.open("loss", losses=lost)
    return lost


class LossScreen(Screen):
    """One or more seats people played are out: what happened, and who plays on."""

    name = "loss"
    title = "Out of the game"
    summary = "a seat you played has lost: why, and who plays on"
    needs_session = True
    help_text = (
        "A seat you played broke one of the ways to lose (the goals view, G, lists them with their limits). "
        "The AI plays it from now on. If other people play in this game they carry on; if nobody is left, "
        "Continue shows the end of the game."
    )
    keys = (("Enter / Space", "continue"),)

    @property
    def losses(self) -> list[Loss]:
        """The losses this screen reports."""
        return list(self.params.get("losses") or [])

    def build(self) -> None:
        """The Continue button: to the next player, or to the end screen when nobody is left."""
        w, h = self.size
        s = self.s
        rect = pygame.Rect(0, 0, s(360), s(52))
        rect.midbottom = (w // 2, h - s(60))
        left = self.session.human_seats
        if left:
            label = f"Continue: {self.session.seat_name(left[0])} plays on" if len(left) == 1 else "Continue"
            tip = "The other people in this game play on"
        else:
            label, tip = "See the end of the game", "Nobody is left to play: the results so far"
        self.continue_button = self.button(rect, label, tip + " (Enter)", "#menu@primary")

    def process_events(self, event: pygame.event.Event) -> bool:
        """Continue on the button, Enter or Space."""
        if continue_pressed(event, self.continue_button):
            self.done()
            return True
        return False

    def done(self) -> None:
        """Back to the game (or its hand-over), or the end screen when no person plays any more."""
        if self.session.human_seats:
            events.post(events.BACK)
        else:
            self.app.reset_to("end")

    def draw(self, surface: pygame.Surface) -> None:
        """Each seat out, its rule, the reason with its figures, and its score so far."""
        pal, s, f = self.palette, self.s, self.fonts
        w, h = surface.get_size()
        surface.blit(backdrop((w, h), pal), (0, 0))
        draw.shade(surface, (0, 0, 0, 170))
        width = min(w - s(80), s(760))
        x = (w - width) // 2
        y = s(90)
        model = self.session.model
        for loss in self.losses:
            name = self.session.seat_name(loss.seat)
            draw.text(surface, f, f"{name} is out", (w // 2, y), 36, pal.rgb("negative"), bold=True, anchor="midtop")
            y += f.line_height(36, True) + s(6)
            draw.text(
                surface,
                f,
                f"{loss.title}, {loss.quarter}",
                (w // 2, y),
                20,
                pal.rgb("accent"),
                bold=True,
                anchor="midtop",
            )
            y += f.line_height(20, True) + s(14)
            for line in f.wrap(loss.reason + ".", 17, width):
                draw.text(surface, f, line, (w // 2, y), 17, pal.rgb("text"), anchor="midtop")
                y += f.line_height(17)
            y += s(10)
            total = score(model, loss.seat).total
            line = f"The AI plays {name} from now on. Score up to the loss: {total:.0f} points."
            for part in f.wrap(line, 15, width):
                draw.text(surface, f, part, (w // 2, y), 15, pal.rgb("text_muted"), anchor="midtop")
                y += f.line_height(15)
            y += s(28)
        left = self.session.human_seats
        if left:
            who = ", ".join(self.session.seat_name(x) for x in left)
            tail = f"Still playing: {who}."
        else:
            tail = "Nobody is left to play this game."
        for part in f.wrap(tail, 15, width):
            draw.text(surface, f, part, (x + width // 2, y), 15, pal.rgb("text_muted"), anchor="midtop")
            y += f.line_height(15)
