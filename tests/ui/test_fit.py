"""Text fits its widgets: dialogs with long choices, and the main screens at UI scales 1 and 1.25.

pygame_gui cuts a label that is wider than its button ("Ask allies for escorte"); these tests
read every visible button's and label's own font and rect (see `clipped_text` in conftest).
"""

from __future__ import annotations


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
