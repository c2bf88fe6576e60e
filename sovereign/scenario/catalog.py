"""Find scenarios by name or path: the one resolver every command uses, and what `extends:` may reach.

A scenario is named on the command line either by a path (``my/lesson.yaml``) or by a name
(``baseline``, ``taiwan_strait``, ``my_lesson``). A path that exists is always taken as given;
otherwise a name is looked up, in this order, in the user's scenario folders
(`sovereign.data.user_scenario_folders`: ``SOVEREIGN_SCENARIO_PATH`` or the per-user data folder)
and then among the scenarios bundled with the package, then the bundled lessons (``lessons/``:
scenarios with a ``lesson:`` section, such as ``export_controls`` and ``taiwan_strait``). User
folders come first so that a user can keep a modified copy of a bundled scenario under the same
name; `list_scenarios` shows which file each name reaches.

`extends:` is confined for the same reason a browser confines a web page: a scenario is a file
people download and share, and one that said ``extends: /etc/passwd`` or ``../../../.ssh/key``
would otherwise make the loader read an unrelated file and echo parts of it in its error messages.
A parent must be a YAML file in the extending file's own folder (or below it), a bundled scenario
(by name), or a file in one of the user's scenario folders; anything else is refused before it is
opened.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sovereign.data import SCENARIO_PATH_ENV, bundled_scenarios_folder, user_scenario_folders
from sovereign.fileio import file_kind

#: File name endings of scenario files.
SCENARIO_SUFFIXES = (".yaml", ".yml")
#: Folder of the bundled scenarios that holds the classroom lessons (scenarios with a `lesson:`).
LESSONS_FOLDER = "lessons"


class ScenarioNotFoundError(LookupError):
    """A scenario name or path that leads to no file; the message says what was tried."""


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file that a name reaches.

    Attributes:
        name: The name it is found by (the file name without ``.yaml``).
        path: The file.
        origin: ``bundled``, ``user`` (a user scenario folder) or ``file`` (named by its path).
    """

    name: str
    path: Path
    origin: str


def is_scenario_name(ref: str) -> bool:
    """Whether `ref` is a bare name (``baseline``, ``baseline.yaml``) rather than a path."""
    return bool(ref) and "/" not in ref and os.sep not in ref and not ref.startswith(".") and ":" not in ref


def _candidates(name: str) -> list[str]:
    return [name] if name.endswith(SCENARIO_SUFFIXES) else [name + suffix for suffix in SCENARIO_SUFFIXES]


def _find_in(folders: Iterable[Path], name: str) -> Path | None:
    for folder in folders:
        for candidate in _candidates(name):
            path = folder / candidate
            if path.is_file():
                return path
    return None


def bundled_folders() -> list[Path]:
    """Folders of the bundled scenarios, in resolution order: the scenarios, then the lessons."""
    folder = bundled_scenarios_folder()
    return [folder, folder / LESSONS_FOLDER]


def bundled_names() -> list[str]:
    """Names of the bundled scenarios and lessons, sorted."""
    return sorted({p.stem for folder in bundled_folders() for p in _files_in(folder)})


def bundled_lessons() -> list[Path]:
    """The bundled lesson files, sorted by name."""
    return _files_in(bundled_scenarios_folder() / LESSONS_FOLDER)


def resolve_scenario(ref: str | os.PathLike[str]) -> Path:
    """The scenario file that a command-line argument names.

    Args:
        ref: A path to a scenario file, or the name of a user or bundled scenario (with or without
            ``.yaml``).

    Returns:
        The file: `ref` itself if it is an existing file, else the first match of the name in the
        user's scenario folders, then the bundled scenarios.

    Raises:
        ScenarioNotFoundError: Nothing matches; the message lists the bundled names and where user
            scenarios are looked for.
    """
    text = os.fspath(ref)
    path = Path(text)
    if path.is_file():
        return path
    if path.is_dir():
        raise ScenarioNotFoundError(f"{text}: is a folder; expected a scenario file or the name of a scenario")
    if path.exists():  # a FIFO, a device, a socket: never opened (a FIFO would block the read)
        kind = file_kind(path.stat().st_mode)
        raise ScenarioNotFoundError(f"{text}: {kind}, not a regular file; expected a scenario file or name")
    if is_scenario_name(text):
        found = _find_in([*user_scenario_folders(), *bundled_folders()], text)
        if found is not None:
            return found
    raise ScenarioNotFoundError(f"{text}: no such file, and no scenario of that name. {where_scenarios_are()}")


def where_scenarios_are() -> str:
    """One sentence naming the bundled scenarios and the user's scenario folders (for messages)."""
    folders = ", ".join(str(f) for f in user_scenario_folders()) or "(none)"
    return (
        f"Bundled scenarios: {', '.join(bundled_names())}; your own scenarios are found by name in {folders} "
        f"(set {SCENARIO_PATH_ENV} to use other folders); `sovereign scenarios` lists them."
    )


def list_scenarios(extra: Iterable[Path] = ()) -> list[ScenarioFile]:
    """Every scenario a name can reach, bundled first, then the user's, then `extra` files.

    A name found in several places is listed once per file, in resolution order, so the first
    entry of a name is the file that name reaches.

    Args:
        extra: Scenario files named on the command line (``--scenario FILE``), listed as given.
    """
    out = [ScenarioFile(p.stem, p, "bundled") for folder in bundled_folders() for p in _files_in(folder)]
    users = [ScenarioFile(p.stem, p, "user") for folder in user_scenario_folders() for p in _files_in(folder)]
    # resolution order puts user folders first: a user file shadows a bundled one of the same name
    shadowing = {s.name for s in users}
    out = [s for s in out if s.name not in shadowing] + users + [s for s in out if s.name in shadowing]
    out += [ScenarioFile(Path(p).stem, Path(p), "file") for p in extra]
    return out


def _files_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in SCENARIO_SUFFIXES and p.is_file())


# --------------------------------------------------------------------------- extends


def allowed_parent_folders(child: Path) -> list[Path]:
    """Folders whose files a scenario at `child` may extend: its own folder, the user's, the bundled one."""
    return [child.parent, *user_scenario_folders(), *bundled_folders()]


def extends_target(child: Path, value: str) -> Path:
    """The parent file that ``extends: value`` in the file `child` names, checked before it is read.

    A bare name is looked for in the child's own folder, then the user's scenario folders, then
    the bundled scenarios (``.yaml`` may be left out). A relative path is taken from the child's
    folder; an absolute path as is. Either way the file, with symbolic links followed, must be a
    ``.yaml``/``.yml`` file inside one of `allowed_parent_folders`.

    Args:
        child: The extending file.
        value: What its ``extends:`` says.

    Returns:
        The parent file (it may not exist when it is in an allowed place: the caller reports that).

    Raises:
        PermissionError: The target is outside the allowed places or not a YAML file; the message
            names the value as written (never anything read from the target).
        ScenarioNotFoundError: A bare name that no allowed folder holds.
    """
    folders = allowed_parent_folders(child)
    if is_scenario_name(value):
        target = _find_in(folders, value)
        if target is None:
            raise ScenarioNotFoundError(
                f"expected an existing scenario file, found {value!r} (no file {child.parent / value}, "
                "and no user or bundled scenario of that name)"
            )
    else:
        target = child.parent / value
    resolved = target.resolve()
    inside = any(resolved.is_relative_to(folder.resolve()) for folder in folders)
    if not inside or resolved.suffix not in SCENARIO_SUFFIXES:
        raise PermissionError(
            f"refused {value!r}: a scenario may only extend a .yaml file in its own folder, a bundled scenario "
            f"by name ({', '.join(bundled_names())}), or a file in a folder of {SCENARIO_PATH_ENV}"
        )
    return target
