"""Hot-seat hand-over: a blank screen between two human seats.

It hides everything (map, panel, budgets) so the next player cannot read the previous seat's
private information, and waits until the right person is at the keyboard. It lists who plays:
the people in turn order and how hard the AI seats play (public knowledge, not private figures).
"""

from __future__ import annotations

import pygame

from sovereign.game.session import GameSession
from sovereign.ui import draw, events
from sovereign.ui.screens.base import Screen
from sovereign.ui.screens.common import backdrop, continue_pressed

#: Easy first, so the AI line reads from the weakest to the strongest rivals.
LEVEL_ORDER = {"easy": 0, "normal": 1, "hard": 2}


class Handover(Screen):
    """Pass the keyboard to the next human seat."""

    name = "handover"
    title = "Hand-over"
    summary = "hides the last player's seat between hot-seat turns"
    needs_session = True
    help_text = (
        "Several people play at this screen (hot seat). Each plays their seat in turn; the quarter is played "
        "when the last one ends their turn. This screen hides the previous player's private information: "
        "pass the keyboard, then continue."
    )
    keys = (("Enter / Space", "I am ready: show my seat"),)

    def build(self) -> None:
        """One big 'ready' button."""
        w, h = self.size
        s = self.s
        rect = pygame.Rect(0, 0, s(360), s(56))
        rect.midtop = (w // 2, h // 2 + s(60))
        seat = self.params.get("seat") or self.session.seat
        name = self.session.seat_name(seat) if seat else "the next player"
        self.ready = self.button(rect, f"I am {name} — continue", "Show the map for this seat (Enter)", "#menu@primary")

    def process_events(self, event: pygame.event.Event) -> bool:
        """Continue on the button, Enter or Space."""
        if continue_pressed(event, self.ready):
            self.done()
            return True
        return False

    def done(self) -> None:
        """Back to the map, now showing the new seat."""
        events.post(events.BACK)

    def draw(self, surface: pygame.Surface) -> None:
        """Backdrop and whose turn it is; nothing about any seat's private state."""
        pal, s, f = self.palette, self.s, self.fonts
        w, h = surface.get_size()
        surface.blit(backdrop((w, h), pal), (0, 0))
        draw.shade(surface, (0, 0, 0, 150))
        seat = self.params.get("seat") or self.session.seat
        name = self.session.seat_name(seat) if seat else "?"
        model = self.session.model
        draw.text(surface, f, "Hand over", (w // 2, h // 2 - s(120)), 40, pal.rgb("accent"), bold=True, anchor="center")
        draw.text(
            surface,
            f,
            f"{model.quarter_label}: it is {name}'s turn",
            (w // 2, h // 2 - s(60)),
            22,
            pal.rgb("text"),
            anchor="center",
        )
        draw.text(
            surface,
            f,
            "Pass the keyboard and mouse. The previous player's figures stay hidden.",
            (w // 2, h // 2 - s(20)),
            15,
            pal.rgb("text_muted"),
            anchor="center",
        )
        for k, line in enumerate(seats_lines(self.session, seat)):
            draw.text(
                surface,
                f,
                line,
                (w // 2, h // 2 + s(10) + k * f.line_height(14)),
                14,
                pal.rgb("text_muted"),
                anchor="center",
                max_width=w - s(80),
            )


def seats_lines(session: GameSession, current: str | None) -> list[str]:
    """Who plays: the people in turn order (the one up next marked), then the AI seats by level.

    A level with a few seats names them; a crowded one (the default, usually) gives a count.
    """
    people = [session.seat_name(x) + (" (now)" if x == current else "") for x in session.human_seats]
    groups = session.ai_levels()
    ai = []
    for level in sorted(groups, key=lambda lvl: LEVEL_ORDER.get(lvl, len(LEVEL_ORDER))):
        names = [session.seat_name(x) for x in groups[level]]
        ai.append(f"{', '.join(names) if len(names) <= 4 else len(names)} on {level}")
    return [f"Players in turn: {', then '.join(people)}", "AI seats: " + " · ".join(ai) if ai else "No AI seats"]
