"""The game menu's "Who plays this seat": hand a rival to a person (hot seat from the next quarter) and back."""

from __future__ import annotations

import pygame

from sovereign.game.session import new_session
from sovereign.ui.dialogs import ChoiceDialog


def _answer(app, drive, key: str, choice: str) -> None:
    dialogs = [w for w in app.manager.get_window_stack().get_full_stack() if isinstance(w, ChoiceDialog)]
    mine = [w for w in dialogs if w.key == key]
    assert mine, [w.key for w in dialogs]
    mine[0].answer(choice)
    drive.frames(3)


def test_a_seat_handed_to_a_person_takes_its_turn_from_the_next_quarter(tiny_scenario, tmp_path, make_app):
    session = new_session(tiny_scenario, ["IND"], seed=2, save_dir=tmp_path, autosave=False)
    app, drive = make_app(session)
    app.start_session(session)
    drive.close_dialogs()
    game = app.top
    game.select(region="CHN")
    drive.key(pygame.K_ESCAPE)  # the game menu
    _answer(app, drive, "game_menu", "seats")
    _answer(app, drive, "hand:CHN", "human")
    assert session.handovers == {"CHN": "human"}
    assert session.model.human_seats == {"IND"}  # this quarter is played as decided
    drive.key(pygame.K_RETURN)
    drive.wait_quarter()
    assert session.model.human_seats == {"IND", "CHN"}
    assert app.top.name == "handover"  # two people share the screen now
    # the last person's seat cannot go to the AI while nobody else is to play
    game = next(sc for sc in app.screens if sc.name == "game")
    game.hand_over("CHN", "ai")
    game.hand_over("IND", "ai")
    assert session.handovers == {"CHN": "ai"}
    drive.frames(2)
    assert any("At least one seat stays with a person" in t.text for t in app.toasts)
