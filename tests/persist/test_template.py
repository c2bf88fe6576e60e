"""`ModelTemplate`: many fresh copies of one game, each the same game as a rebuilt one, none shared."""

from __future__ import annotations

import gc
import weakref

import pytest

from sovereign.persist import SaveError, model_from_state, model_to_state
from sovereign.persist.state import model_digest
from sovereign.persist.template import ModelTemplate

from .helpers import dump, metrics_json


def test_a_copy_is_the_rebuilt_game_and_plays_on_like_it(played):
    """A copy from the template of a state and the model rebuilt from that state are the same game,
    before and after playing on (every part of the state, every metric, bit for bit)."""
    state = model_to_state(played)
    template = ModelTemplate.of_state(state)
    copy, rebuilt = template.copy(), model_from_state(state)
    assert dump(copy) == dump(rebuilt) == dump(played)
    copy.human_seats = rebuilt.human_seats = set()  # AI in every seat, as in a fan
    copy.run(3)
    rebuilt.run(3)
    assert dump(copy) == dump(rebuilt)
    assert metrics_json(copy) == metrics_json(rebuilt)


def test_copies_share_nothing_with_each_other_or_the_original(played):
    """Playing one copy changes neither the next copy nor the model the template was made from."""
    before = model_digest(played)
    template = ModelTemplate(played)
    first = template.copy()
    first.human_seats = set()
    first.run(2)
    second = template.copy()
    assert model_digest(second) == before == model_digest(played)
    assert second is not first and second.world is not first.world and second.scenario is not first.scenario
    assert vars(second.game) is vars(second)  # the model and its game state still share their attributes


def test_the_template_is_taken_when_made(played):
    """Later changes to the original do not reach the template (it is pickled at once)."""
    state = model_to_state(played)
    original = model_from_state(state)
    template = ModelTemplate(original)
    original.human_seats = set()
    original.run(1)
    assert dump(template.copy()) == dump(model_from_state(state))


def test_a_released_game_is_freed_at_once(played):
    """`release()` breaks the game's reference cycles: reference counting frees it as the last
    reference goes, with Python's collector switched off (in a worker it would wait for a full
    collection)."""
    template = ModelTemplate(played)
    gc.disable()
    try:
        model = template.copy()
        model.human_seats = set()
        model.step()
        seat = next(iter(model.seats.values()))
        refs = [weakref.ref(model.game), weakref.ref(seat)]
        del seat
        model.release()
        assert vars(model) == {}
        del model
        assert [r() for r in refs] == [None, None]
    finally:
        gc.enable()


def test_a_bad_state_is_refused_when_the_template_is_made(played):
    """The state is checked once, when the template is made: a broken one is a SaveError, as a load."""
    state = model_to_state(played)
    state.pop("world")
    with pytest.raises(SaveError, match="missing parts: world"):
        ModelTemplate.of_state(state)
