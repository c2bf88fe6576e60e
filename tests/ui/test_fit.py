"""Text fits its widgets: dialogs with long choices, and the main screens at UI scales 1 and 1.25.

pygame_gui cuts a label that is wider than its button ("Ask allies for escorte"); these tests
read every visible button's and label's own font and rect (see `clipped_text` in conftest).
"""

from __future__ import annotations

import pygame
import pytest


def test_long_decision_choices_are_stacked_not_cut(make_app, clipped):
    """An event's options can be long sentences: the dialog stacks them instead of cutting them."""
    app, ui = make_app(size=(1280, 720))
    dialog = app.dialog(
        "decision:7",
        "A decision is needed",
        "<b>Tankers attacked in the strait</b><br>How does India respond?",
        [
            ("0", "Ask allies for escorts through the strait", "Choose", "@primary"),
            ("1", "Reroute shipments around the cape at a higher cost", "Choose", None),
            ("later", "Decide later", "Keep the question open", None),
        ],
        width=620,
    )
    ui.frames(2)
    assert clipped(app.manager) == []
    tops = sorted(b.rect.top for b in dialog.choice_buttons)
    assert len(set(tops)) == 3, "long labels are stacked, one button a row"
    short = app.dialog("quit", "Quit?", "Sure?", [("a", "Save", None, None), ("b", "Quit", None, None)])
    ui.frames(2)
    assert len({b.rect.top for b in short.choice_buttons}) == 1, "short labels stay on one row"


@pytest.mark.parametrize("scale", [1.0, 1.25])
def test_diplomacy_screen_fits_1280x720(scale, make_app, diplomatic_session, clipped, monkeypatch):
    """Every text of the Diplomacy screen stays in its column and every button shows its whole label,
    scrolled to each position of the cards, with the offer form open too."""
    from sovereign.ui import draw
    from sovereign.ui.settings import Settings

    drawn: list[tuple[str, pygame.Rect]] = []
    real = draw.text

    def record(surface, fonts, text, *a, **k):
        rect = real(surface, fonts, text, *a, **k)
        drawn.append((str(text), rect))
        return rect

    monkeypatch.setattr(draw, "text", record)
    s = diplomatic_session
    app, ui = make_app(session=s, settings=Settings(autosave=False, ui_scale=scale), size=(1280, 720))
    app.start_session(s)
    ui.key(pygame.K_RETURN)  # the hand-over
    ui.close_dialogs()
    assert clipped(app.manager) == [], "the map's top bar with its Diplomacy button"
    ui.key(pygame.K_d)
    screen = app.top
    assert screen.name == "diplomacy"
    window = pygame.Rect((0, 0), app.window.get_size())
    positions = range(screen._last_first_block() + 1)
    assert len(positions) > 1, "at 1280x720 the cards need scrolling: every position is checked"
    for first in positions:
        screen.first_block = first
        drawn.clear()
        screen.rebuild()
        ui.frames(2)
        assert clipped(app.manager) == [], first
        assert drawn, "the screen drew"
        for text, rect in drawn:
            if rect.bottom <= screen.top_h:  # the header: title and subtitle, left of its buttons
                assert rect.right <= screen.offer_button.rect.left, text
            else:
                assert screen.left_rect.contains(rect) or screen.right_rect.contains(rect), (text, rect)
            assert window.contains(rect), (text, rect)
    ui.click(screen.offer_button)
    form = screen.form
    assert form is not None
    assert clipped(app.manager) == [], "the offer form"
    assert form.page_buttons is not None or scale == 1.0, "at 1.25 the offer's eight fields are paged"
    if form.page_buttons is not None:  # its fields do not all fit: they are paged, every page fits
        while form.page_buttons[1].is_enabled:
            first = form.first_field
            ui.click(form.page_buttons[1])
            assert form.first_field > first
            assert clipped(app.manager) == [], f"the offer form from field {form.first_field + 1}"
        assert form.confirm.rect.bottom <= form.rect.bottom
