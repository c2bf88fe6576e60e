"""Many fresh copies of one game, quickly: `ModelTemplate`.

An outcome fan plays hundreds of continuations of one game state, each from its own copy.
Rebuilding every copy from the saved state (`model_from_state`: the embedded scenario validated
again, every part decoded and checked against it) cost 35 ms on this project's 2-core machine,
a fifth of a 20-quarter continuation (docs/benchmarks.md, session 28). The state is checked once
instead: the model is built from it once, kept as one pickle, and each copy is unpickled from it
(about 6 ms: pickle's C loader rebuilds the objects without checking them again).

Why a pickle and not `copy.deepcopy`: the deep copy walks the objects in Python (21 ms against
6 ms). Why nothing is shared between copies (not even the scenario, which never changes in
play): a copy must not be able to change another, whatever a future rule writes; sharing it
would save about a millisecond.

The pickle never leaves the process that made it (a worker makes its own from the state it is
sent): it is never written to a file or read from anywhere else, so unpickling it runs no code
that is not this game's own.
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sovereign.sim.model import SovereignModel


class ModelTemplate:
    """A game kept as bytes; `copy()` gives a fresh model in exactly that state, every time.

    A copy plays on bit for bit like the model the template was made from (and like
    `model_from_state` of that model's state): the model and its `GameState` keep sharing their
    attributes through an unpickling (`sovereign.sim.gamestate.share_parts`), and every random
    generator's position is part of the pickle. Copies share no object with each other or with
    the original.

    Args:
        model: The game to copy; it is not changed, and later changes to it do not reach the
            template (it is pickled at once).
    """

    def __init__(self, model: SovereignModel) -> None:
        self._blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def of_state(cls, state: dict[str, Any], source: str | None = None) -> ModelTemplate:
        """The template of a saved state (`model_to_state` layout), checked once.

        Raises:
            SaveError: The state is malformed or does not fit its scenario (`model_from_state`).
        """
        from sovereign.persist.state import model_from_state

        return cls(model_from_state(state, source))

    def copy(self) -> SovereignModel:
        """A new model in the template's state, sharing nothing with any other."""
        model: SovereignModel = pickle.loads(self._blob)  # our own bytes, made in this process
        return model
