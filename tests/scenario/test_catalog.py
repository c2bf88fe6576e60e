"""Scenarios by name, the user's scenario folders, and where `extends:` may reach."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sovereign.data import SCENARIO_PATH_ENV, bundled_scenarios_folder, user_scenario_folders
from sovereign.scenario import load_scenario
from sovereign.scenario.catalog import (
    ScenarioNotFoundError,
    bundled_lessons,
    bundled_names,
    list_scenarios,
    resolve_scenario,
)

from .helpers import MINI_TEXT, problems_of, write

SECRET = "correct-horse-battery-staple-4711"


@pytest.fixture
def user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user scenario folder named by SOVEREIGN_SCENARIO_PATH."""
    folder = tmp_path / "my-scenarios"
    folder.mkdir()
    monkeypatch.setenv(SCENARIO_PATH_ENV, str(folder))
    return folder


# --------------------------------------------------------------------------- resolving names


def test_bundled_scenarios_ship_inside_the_package() -> None:
    folder = bundled_scenarios_folder()
    assert folder.parent.name == "sovereign" and folder.name == "scenarios"
    assert {"baseline", "taiwan_strait"} <= set(bundled_names())


def test_a_name_reaches_the_bundled_scenario_with_or_without_suffix(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # an empty folder: nothing named baseline here
    assert resolve_scenario("baseline") == bundled_scenarios_folder() / "baseline.yaml"
    assert resolve_scenario("taiwan_strait.yaml") == bundled_scenarios_folder() / "lessons" / "taiwan_strait.yaml"


def test_an_existing_path_is_taken_as_given(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").write_text(MINI_TEXT)  # a file literally called baseline wins over the name
    assert resolve_scenario("baseline") == Path("baseline")
    path = write(tmp_path, "lesson.yaml", MINI_TEXT)
    assert resolve_scenario(path) == path


def test_the_default_user_folder_is_in_the_user_data_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert user_scenario_folders() == [tmp_path / "xdg" / "sovereign" / "scenarios"]
    folder = user_scenario_folders()[0]
    folder.mkdir(parents=True)
    write(folder, "lesson.yaml", MINI_TEXT)
    assert resolve_scenario("lesson") == folder / "lesson.yaml"


def test_user_folders_come_before_bundled_scenarios(user_folder: Path) -> None:
    mine = write(user_folder, "baseline.yaml", MINI_TEXT)
    assert resolve_scenario("baseline") == mine
    entries = [(e.name, e.origin) for e in list_scenarios() if e.name == "baseline"]
    assert entries == [("baseline", "user"), ("baseline", "bundled")], "the first entry is what the name reaches"


def test_several_user_folders_in_order(tmp_path: Path, monkeypatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    write(b, "lesson.yaml", MINI_TEXT)
    monkeypatch.setenv(SCENARIO_PATH_ENV, os.pathsep.join([str(a), "", str(b)]))
    assert user_scenario_folders() == [a, b]
    assert resolve_scenario("lesson") == b / "lesson.yaml"
    write(a, "lesson.yaml", MINI_TEXT)
    assert resolve_scenario("lesson") == a / "lesson.yaml"


def test_an_unknown_name_says_what_exists(tmp_path: Path, monkeypatch, user_folder: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioNotFoundError) as info:
        resolve_scenario("baseilne")
    message = str(info.value)
    assert message.startswith("baseilne: no such file, and no scenario of that name.")
    assert f"Bundled scenarios: {', '.join(bundled_names())};" in message and str(user_folder) in message
    assert "baseline, " in message and "taiwan_strait" in message
    with pytest.raises(ScenarioNotFoundError, match="no such file"):
        resolve_scenario("nowhere/lesson.yaml")  # a path is never looked up by name
    with pytest.raises(ScenarioNotFoundError, match="is a folder"):
        resolve_scenario(tmp_path)


def test_list_scenarios_bundled_user_and_extra_files(user_folder: Path, tmp_path: Path) -> None:
    write(user_folder, "lesson.yaml", MINI_TEXT)
    (user_folder / "notes.txt").write_text("not a scenario")
    extra = write(tmp_path, "other.yaml", MINI_TEXT)
    listed = [(e.name, e.origin) for e in list_scenarios([extra])]
    lessons = [(p.stem, "bundled") for p in bundled_lessons()]  # the bundled lessons, after the scenarios
    assert {("export_controls", "bundled"), ("taiwan_strait", "bundled")} <= set(lessons)
    assert listed == [("baseline", "bundled"), *lessons, ("lesson", "user"), ("other", "file")]


# --------------------------------------------------------------------------- extends: what it may reach


def test_extends_a_bundled_scenario_by_name(tmp_path: Path) -> None:
    child = write(tmp_path, "crisis.yaml", "extends: baseline\nmeta: {id: crisis, title: My crisis}\n")
    scenario = load_scenario(child)
    baseline = load_scenario(bundled_scenarios_folder() / "baseline.yaml")
    assert scenario.meta.title == "My crisis"
    assert scenario.regions == baseline.regions


def test_bundled_taiwan_strait_extends_the_bundled_baseline() -> None:
    scenario = load_scenario(resolve_scenario("taiwan_strait"))
    assert scenario.meta.id == "taiwan_strait"


def test_extends_a_file_of_a_user_folder_by_name_and_by_path(tmp_path: Path, user_folder: Path) -> None:
    write(user_folder, "world.yaml", MINI_TEXT)
    elsewhere = tmp_path / "lessons"
    elsewhere.mkdir()
    by_name = write(elsewhere, "a.yaml", "extends: world\nmeta: {title: By name}\n")
    by_path = write(elsewhere, "b.yaml", f"extends: {user_folder / 'world.yaml'}\nmeta: {{title: By path}}\n")
    assert load_scenario(by_name).meta.title == "By name"
    assert load_scenario(by_path).meta.title == "By path"


def test_the_own_folder_comes_first_for_a_name(tmp_path: Path, user_folder: Path) -> None:
    write(user_folder, "world.yaml", MINI_TEXT.replace("title:", "title: User", 1))
    write(tmp_path, "world.yaml", MINI_TEXT)
    child = write(tmp_path, "child.yaml", "extends: world\n")
    assert load_scenario(child).meta.title == load_scenario(tmp_path / "world.yaml").meta.title


def _refusal(child: Path, value: str) -> str:
    (problem,) = problems_of(child)
    assert (problem.file, problem.line, problem.path) == (str(child), 1, "extends")
    assert problem.message.startswith(f"refused {value!r}: a scenario may only extend a .yaml file in its own folder")
    assert "SOVEREIGN_SCENARIO_PATH" in problem.message
    return str(problem)


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_extends_etc_passwd_is_refused_without_reading_it(tmp_path: Path) -> None:
    child = write(tmp_path, "evil.yaml", "extends: /etc/passwd\n")
    message = _refusal(child, "/etc/passwd")
    assert "root:" not in message


def test_extends_up_the_tree_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    child = write(deep, "evil.yaml", "extends: ../../../etc/passwd\n")
    _refusal(child, "../../../etc/passwd")
    # even a YAML file next door, one folder up, is out of reach; its content is never shown
    (tmp_path / "a" / "secret.yaml").write_text(f"meta: {{title: {SECRET}}}\nregions: [{SECRET}]\n")
    child = write(deep, "sneaky.yaml", "extends: ../../secret.yaml\n")
    assert SECRET not in _refusal(child, "../../secret.yaml")


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_extends_proc_self_environ_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOVEREIGN_TEST_CANARY", SECRET)
    child = write(tmp_path, "evil.yaml", "extends: /proc/self/environ\n")
    assert SECRET not in _refusal(child, "/proc/self/environ")


def test_a_symlink_in_the_own_folder_cannot_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"meta: {{title: {SECRET}}}\n")
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "parent.yaml").symlink_to(outside / "secret.yaml")
    child = write(inside, "child.yaml", "extends: parent.yaml\n")
    assert SECRET not in _refusal(child, "parent.yaml")


def test_only_yaml_files_in_the_own_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text(f"{SECRET}: 1\n")
    child = write(tmp_path, "child.yaml", "extends: ./notes.txt\n")
    assert SECRET not in _refusal(child, "./notes.txt")


def test_a_subfolder_of_the_own_folder_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    write(tmp_path, "parts/world.yaml", MINI_TEXT)
    child = write(tmp_path, "child.yaml", "extends: parts/world.yaml\nmeta: {title: Sub}\n")
    assert load_scenario(child).meta.title == "Sub"
