"""Write the fixture saves of every format under tests/persist/fixtures/ (run by hand, commit the result).

    python tests/persist/make_fixtures.py

Every fixture holds the same game: the tiny scenario, seed 7, people playing India and CloudCo
(`helpers.PLAN`), saved after 3 quarters with 2026Q4's commands queued and India's decision
pending. The current format's fixture is written by `save_game`. ``save_v0`` and ``save_v1``
were written by Sovereign 0.1, ``save_v2`` by 0.2, ``save_v3`` by 0.3, ``save_v4`` by 0.4, ``save_v5``
by 0.5, ``save_v6`` by 0.6, ``save_v7`` by 0.7, ``save_v8`` by 0.8, ``save_v9`` by 0.9, ``save_v10``
by 0.10, ``save_v11`` by 0.11, ``save_v12`` by 0.12, ``save_v13`` by 0.13, ``save_v14`` by 0.14,
``save_v15`` by 0.15, ``save_v16`` by 0.16, ``save_v17`` by 0.17, ``save_v18`` by 0.18, ``save_v19``
by 0.19, ``save_v20`` by 0.20, ``save_v21`` by 0.21, ``save_v22`` by 0.22 and ``save_v23`` by 0.23; they
are kept to test that games made under the older rules are refused with a reason.
Regenerate only when a format changes; old fixtures must keep loading.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def main() -> None:
    """Write the fixture of the current format (older fixtures stay as they were written)."""
    from sovereign.persist import FORMAT_VERSION, save_game
    from sovereign.scenario.loader import load_scenario
    from tests.persist.helpers import FIXTURES, TINY, new_game, play

    model = play(new_game(load_scenario(TINY)), 3)
    path = FIXTURES / f"save_v{FORMAT_VERSION}.json.gz"
    label = f"format {FORMAT_VERSION} fixture: tiny, seed 7, IND and cloudco played by people"
    save_game(model, path, label=label)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
