"""Where Sovereign's files are: packaged data inside the package, and the user's own folders.

Everything the program needs at run time (scenarios, map geometry, themes) ships inside the
package, under ``sovereign/scenarios`` and ``sovereign/assets``, and is found with
`importlib.resources`, never relative to a repository: a wheel, ``pip install .`` and an editable
install of a clone all find the same files. The user's own files live in per-user folders chosen
by platformdirs (``~/.local/share/sovereign`` on Linux), except that a clone of the repository
keeps its saves in the clone's ``saves/`` folder, as developers expect.

Environment:
    SOVEREIGN_SCENARIO_PATH: Folders of the user's scenarios, separated by ``os.pathsep`` (``:``
        on Linux and macOS); default the ``scenarios`` folder of the user data folder. Scenarios
        there are found by name (``sovereign run my_lesson``) and may be the target of ``extends:``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from importlib import resources
from pathlib import Path

import platformdirs

#: Environment variable listing the user's scenario folders (see the module docstring).
SCENARIO_PATH_ENV = "SOVEREIGN_SCENARIO_PATH"
#: Name of the application for platformdirs.
APP_NAME = "sovereign"

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def packaged_folder(name: str) -> Path:
    """A data folder shipped inside the package, as a real directory on disk.

    Why a real directory: the scenario loader follows ``extends:`` between files and the UI hands
    file names to pygame, both of which need paths. A normal install (wheel, sdist, editable)
    already keeps package files on disk; only an exotic loader (a zip import) needs the files
    extracted, which `importlib.resources.as_file` does once per process.

    Args:
        name: The folder inside the ``sovereign`` package, ``"scenarios"`` or ``"assets"``.

    Returns:
        The folder.
    """
    traversable = resources.files("sovereign").joinpath(name)
    if isinstance(traversable, Path):
        return traversable
    return _extracted.enter_context(resources.as_file(traversable))  # pragma: no cover - zip imports


def bundled_scenarios_folder() -> Path:
    """The folder of the scenarios that ship with Sovereign (``baseline``; lessons in ``lessons/``)."""
    return packaged_folder("scenarios")


def asset(name: str) -> Path:
    """A file shipped in ``sovereign/assets`` (map geometry, palettes, themes).

    Args:
        name: File name inside the assets folder, e.g. ``"world.geojson"``.

    Returns:
        Its path (the caller reports a missing file with this path in the message).
    """
    return packaged_folder("assets") / name


def user_data_folder() -> Path:
    """The per-user data folder (``~/.local/share/sovereign`` on Linux; ``XDG_DATA_HOME`` respected)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_scenario_folders() -> list[Path]:
    """The folders of the user's own scenarios, in search order.

    ``SOVEREIGN_SCENARIO_PATH`` when set (empty entries skipped), else ``scenarios`` in the user
    data folder. The folders need not exist.
    """
    raw = os.environ.get(SCENARIO_PATH_ENV)
    if raw is not None:
        return [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()]
    return [user_data_folder() / "scenarios"]


def repository_root() -> Path | None:
    """The clone this package runs from, or None for an installed package.

    A clone is recognised by the package's parent folder holding both ``pyproject.toml`` and
    ``.git`` (a folder in a clone, a file in a git worktree): an editable install of a clone
    answers the clone, a wheel in site-packages answers None.
    """
    parent = Path(__file__).resolve().parent.parent
    if (parent / "pyproject.toml").is_file() and (parent / ".git").exists():
        return parent
    return None


def default_saves_folder() -> Path:
    """Where saves and autosaves go unless the user says otherwise.

    In a clone: its ``saves/`` folder, as before packaging (developers find their saves beside the
    code). Installed: ``saves`` in the per-user data folder, never the current directory, so that
    playing from any folder keeps every save in one place.
    """
    root = repository_root()
    if root is not None:
        return root / "saves"
    return user_data_folder() / "saves"
