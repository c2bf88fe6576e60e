"""Load scenario files: YAML with `file:line:column` errors, `extends:` inheritance and overrides.

A scenario is written by people (teachers, analysts, players), so a mistake in one must come back as
a list of precise, readable problems, all at once, never as a traceback. The loader therefore keeps,
for every value it reads, the place where that value was written, and translates each pydantic
error into `file:line:column: field.path: what was expected, what was found`.

Pipeline of `load_scenario`:

1. Parse each file with PyYAML's safe loader (libyaml's CSafeLoader when available) into a node
   tree, recording the start mark of every mapping key, mapping value and sequence item.
2. Resolve `extends: other.yaml` recursively and deep-merge the child onto its parent, keeping for
   each value the position of the file that wrote the effective value. A parent must be in the
   child's folder, a bundled scenario or a user scenario folder (`sovereign.scenario.catalog`):
   anything else is refused before it is opened.
3. Flatten into plain data plus a parallel `path -> position` table; apply `--set` overrides.
4. Validate the structure with the schema (cross-references skipped), then check the references
   with `Scenario.reference_problems()`, mapping every dotted path back to a position.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sovereign.scenario.catalog import ScenarioNotFoundError, extends_target
from sovereign.scenario.schema import Scenario

__all__ = [
    "Problem",
    "ScenarioError",
    "YamlDocument",
    "load_scenario",
    "raise_if_any",
    "read_yaml",
    "scenario_from_dict",
    "scenario_hash",
    "scenario_to_dict",
    "set_path",
    "show_value",
]

#: The pseudo file name of problems caused by `--set` overrides.
OVERRIDE_SOURCE = "--set"
#: Key of a list item in an extending file that deletes the inherited item with the same id.
REMOVE_KEY = "remove"
#: A scenario has a few thousand values (the 2026-2035 baseline: about 2,700). This bound (15
#: times that) stops alias bombs ("billion laughs") and huge lists while the tree is built, which
#: costs about 0.1 ms a value, so no accepted file takes more than a few seconds.
MAX_NODES = 40_000
#: Largest scenario file read (14 times the 72 KB baseline). Checked with `stat` before reading,
#: so a 13 MB file of 200,000 injects is refused in microseconds instead of after 20 s and 1.2 GB.
MAX_FILE_BYTES = 1024 * 1024

#: libyaml's SafeLoader when PyYAML was built with it (about 10x faster), else the pure-Python one.
#: Both construct only plain data; the C one also records the marks the messages need.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MISSING = object()

#: A path into scenario data: mapping keys and list indices.
KeyPath = tuple[Any, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located as precisely as the input allows.

    Attributes:
        file: File the problem is in (as the user named it), or a pseudo source such as ``--set``.
        line: 1-based line, or None when the source has no lines (a dict, an override).
        column: 1-based column, or None.
        path: Dotted field path inside the scenario, e.g. ``regions.3.pue`` ("" for the whole file).
        message: What was expected and what was found.
    """

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; `problems` lists every reason, and `str()` prints them one per line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[Problem]]]:
        # Rebuild from the problems (not the message) when sent between processes (Monte Carlo).
        return (ScenarioError, (self.problems,))


# --------------------------------------------------------------------------- positions and trees


class _Pos(NamedTuple):
    """Where a value was written. A tuple: a big scenario records tens of thousands of them."""

    file: str
    line: int | None = None
    column: int | None = None

    def problem(self, path: KeyPath | str, message: str) -> Problem:
        dotted = path if isinstance(path, str) else _dotted(path)
        return Problem(self.file, self.line, self.column, dotted, message)


@dataclass(slots=True)
class _Node:
    """A value read from YAML with where it (and its key, for mapping values) was written."""

    value: Any  # dict[Any, _Node] | list[_Node] | a scalar
    pos: _Pos
    key_pos: _Pos | None = None


def _dotted(path: Iterable[Any]) -> str:
    """`regions.3.pue`; odd keys (with dots, spaces, newlines, or not text) are quoted to stay readable."""

    def segment(key: Any) -> str:
        if isinstance(key, int) and not isinstance(key, bool):
            return str(key)
        if isinstance(key, str) and key and key.isprintable() and "." not in key and key.strip() == key:
            return key
        return repr(key)

    return ".".join(segment(p) for p in path)


def _mark_pos(label: str, mark: yaml.Mark | None) -> _Pos:
    if mark is None:
        return _Pos(label)
    return _Pos(label, mark.line + 1, mark.column + 1)


def _is_hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --------------------------------------------------------------------------- reading YAML


def _read_file(path: Path, label: str, problems: list[Problem]) -> str | None:
    """The file's text: a regular file only (a FIFO would block for ever), refused unread when oversized."""
    from sovereign.fileio import UnreadableFile, read_regular_file

    try:
        raw = read_regular_file(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        problems.append(_Pos(label).problem("", "cannot read the file: it does not exist"))
        return None
    except UnreadableFile as exc:
        problems.append(_Pos(label).problem("", f"cannot read the file: {exc.reason}"))
        return None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(_Pos(label).problem("", f"cannot read the file: {reason}"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(_Pos(label, line).problem("", "expected UTF-8 text, found bytes that are not UTF-8"))
        return None


def _reason(exc: BaseException) -> str:
    """A YAML exception's reason on one line (PyYAML's own str() spans several)."""
    reason = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    return " ".join(str(reason).split())


def _yaml_problem(label: str, text: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        message = " ".join((exc.problem or "invalid YAML").split())
        if exc.context:
            message = f"{' '.join(exc.context.split())}: {message}"
        return _mark_pos(label, mark).problem("", f"invalid YAML: {message}")
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return _Pos(label, line, column).problem("", f"invalid YAML: {exc.reason} (character {exc.character!r})")
    return _Pos(label).problem("", f"invalid YAML: {_reason(exc)}")


class _TreeBuilder:
    """Turns a composed YAML node graph into `_Node`s, constructing scalars with SafeLoader's rules."""

    def __init__(self, loader: yaml.SafeLoader, label: str, problems: list[Problem]) -> None:
        self.loader = loader
        self.label = label
        self.problems = problems
        self.count = 0
        self.active: set[int] = set()

    def pos(self, node: yaml.Node) -> _Pos:
        return _mark_pos(self.label, node.start_mark)

    def construct(self, node: yaml.Node, path: KeyPath) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problems.append(self.pos(node).problem(path, f"cannot read this value: {_reason(exc)}"))
        except (ValueError, TypeError, OverflowError) as exc:
            # e.g. a timestamp-looking scalar such as 2026-13-45 (SafeLoader raises ValueError).
            self.problems.append(self.pos(node).problem(path, f"cannot read this value: {_reason(exc)}"))
        return None

    def build(self, node: yaml.Node, path: KeyPath) -> _Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLargeError
        pos = self.pos(node)
        if id(node) in self.active:
            self.problems.append(pos.problem(path, "an alias refers to a value that contains it (endless nesting)"))
            return _Node(None, pos)
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
            self.active.add(id(node))
            try:
                return _Node(self.mapping(node, path), pos)
            finally:
                self.active.discard(id(node))
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
            self.active.add(id(node))
            try:
                return _Node([self.build(item, (*path, i)) for i, item in enumerate(node.value)], pos)
            finally:
                self.active.discard(id(node))
        # Scalars, and collections with explicit tags (!!set, !!omap): construct them whole.
        return _Node(self.construct(node, path), pos)

    def mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, _Node]:
        # Duplicate keys are silently collapsed by PyYAML; they are almost always a mistake, so report
        # them. Keys brought in by a `<<:` merge may legitimately be overridden, so check only own keys.
        first_seen: dict[Any, _Pos] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct(key_node, path)
            if not _is_hashable(key):
                continue
            kpos = self.pos(key_node)
            if key in first_seen:
                self.problems.append(
                    kpos.problem((*path, key), f"duplicate key {key!r} (first written at line {first_seen[key].line})")
                )
            else:
                first_seen[key] = kpos
        try:
            self.loader.flatten_mapping(node)
        except yaml.YAMLError as exc:
            self.problems.append(self.pos(node).problem(path, f"invalid merge (<<): {_reason(exc)}"))
            return {}
        out: dict[Any, _Node] = {}
        for key_node, value_node in node.value:
            kpos = self.pos(key_node)
            key = self.construct(key_node, path)
            if not _is_hashable(key):
                self.problems.append(kpos.problem(path, f"expected a plain key (a name), found {_show(key)}"))
                continue
            child = self.build(value_node, (*path, key))
            child.key_pos = kpos
            out[key] = child
        return out


class _TooLargeError(Exception):
    """Internal: the document expands to more than MAX_NODES values."""


def _parse_yaml(
    text: str, label: str, problems: list[Problem], expected: str = "a mapping of scenario sections"
) -> _Node | None:
    """Parse one YAML document; None (with problems appended) if it cannot be read at all.

    `expected` says what an empty file should have held (scenario sections, a policy script...).
    """
    try:
        loader = _SafeLoader(text)  # the reader rejects non-printable characters right here
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(label, text, exc))
        return None
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            problems.append(_yaml_problem(label, text, exc))
            return None
        if root is None:
            problems.append(_Pos(label, 1, 1).problem("", f"the file is empty: expected {expected}"))
            return None
        try:
            return _TreeBuilder(loader, label, problems).build(root, ())
        except _TooLargeError:
            problems.append(_Pos(label).problem("", f"the document expands to more than {MAX_NODES} values"))
            return None
    except RecursionError:
        problems.append(_Pos(label).problem("", "the document is nested too deeply"))
        return None
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- extends and merging


def _load_tree(path: Path, label: str, problems: list[Problem], chain: list[tuple[Path, str]]) -> _Node | None:
    """Read a file and, recursively, the file it extends; None if a fatal problem stops the load."""
    text = _read_file(path, label, problems)
    if text is None:
        return None
    tree = _parse_yaml(text, label, problems)
    if tree is None or not isinstance(tree.value, dict) or "extends" not in tree.value:
        return tree
    ext = tree.value.pop("extends")
    ext_pos = ext.pos
    if not isinstance(ext.value, str) or not ext.value.strip():
        problems.append(ext_pos.problem("extends", f"expected the name of a scenario file, found {_show(ext.value)}"))
        return None
    try:
        parent_path = extends_target(path, ext.value)
    except (PermissionError, ScenarioNotFoundError) as exc:
        problems.append(ext_pos.problem("extends", str(exc)))
        return None
    if parent_path.resolve().is_relative_to(path.parent.resolve()):
        # within the child's folder: named relative to the child's label, as the user wrote it
        parent_label = os.path.normpath(os.path.join(os.path.dirname(label), os.path.relpath(parent_path, path.parent)))
    else:
        parent_label = str(parent_path)
    resolved = parent_path.resolve()
    here = [*chain, (path.resolve(), label)]
    if any(resolved == seen for seen, _ in here):
        cycle = " -> ".join([*(name for _, name in here), parent_label])
        problems.append(ext_pos.problem("extends", f"extends cycle: {cycle}"))
        return None
    if not parent_path.is_file():
        problems.append(
            ext_pos.problem(
                "extends", f"expected an existing scenario file, found {ext.value!r} (no file {parent_label})"
            )
        )
        return None
    parent = _load_tree(parent_path, parent_label, problems, here)
    if parent is None:
        return None
    return _merge(parent, tree, problems, ())


def _is_id_list(items: list[_Node]) -> bool:
    return all(isinstance(item.value, dict) and "id" in item.value for item in items)


def _merge(base: _Node, over: _Node, problems: list[Problem], path: KeyPath) -> _Node:
    """Deep-merge `over` (the extending file) onto `base`; positions follow whoever wrote the value."""
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        merged = dict(base.value)
        for key, child in over.value.items():
            merged[key] = _merge(base.value[key], child, problems, (*path, key)) if key in base.value else child
        return _Node(merged, over.pos, over.key_pos)
    if (
        isinstance(base.value, list)
        and isinstance(over.value, list)
        and over.value
        and _is_id_list(base.value)
        and _is_id_list(over.value)
    ):
        return _Node(_merge_by_id(base.value, over.value, problems, path), over.pos, over.key_pos)
    return over


def _merge_by_id(base: list[_Node], over: list[_Node], problems: list[Problem], path: KeyPath) -> list[_Node]:
    """Lists of objects with ids: update items by id, append new ids, delete `{id: X, remove: true}`.

    Problems name items by id (``actors.tatva``), as `set_path` does: indices shift while merging.
    """
    result: list[_Node | None] = list(base)
    index = {item.value["id"].value: i for i, item in enumerate(base) if _is_hashable(item.value["id"].value)}
    for item in over:
        item_id = item.value["id"].value
        remove = item.value.get(REMOVE_KEY)
        if remove is not None:
            if not isinstance(remove.value, bool):
                message = f"expected true or false, found {_show(remove.value)}"
                problems.append(remove.pos.problem((*path, item_id, REMOVE_KEY), message))
                continue
            item = _Node({k: v for k, v in item.value.items() if k != REMOVE_KEY}, item.pos, item.key_pos)
            if remove.value:
                if _is_hashable(item_id) and item_id in index:
                    result[index.pop(item_id)] = None
                else:
                    message = f"cannot remove {item_id!r}: no inherited item has that id"
                    problems.append(item.pos.problem((*path, item_id), message))
                continue
        if _is_hashable(item_id) and item_id in index:
            i = index[item_id]
            # an id still in `index` was never removed, so its slot holds a node, not None
            result[i] = _merge(result[i], item, problems, (*path, item_id))  # type: ignore[arg-type]
        else:
            if _is_hashable(item_id):
                index[item_id] = len(result)
            result.append(item)
    return [item for item in result if item is not None]


# --------------------------------------------------------------------------- data and positions


class _Locator:
    """The parallel `path -> position` tables of a loaded scenario (empty for plain dicts)."""

    def __init__(self, default: _Pos) -> None:
        self.default = default
        self.values: dict[KeyPath, _Pos] = {}
        self.keys: dict[KeyPath, _Pos] = {}

    def flatten(self, node: _Node, path: KeyPath = ()) -> Any:
        """Turn a `_Node` tree into plain data, recording every position on the way."""
        self.values[path] = node.pos
        if node.key_pos is not None:
            self.keys[path] = node.key_pos
        if isinstance(node.value, dict):
            return {k: self.flatten(v, (*path, k)) for k, v in node.value.items()}
        if isinstance(node.value, list):
            return [self.flatten(v, (*path, i)) for i, v in enumerate(node.value)]
        return node.value

    def override(self, path: KeyPath, pos: _Pos) -> None:
        """The value at `path` (and everything under it) now comes from `pos`."""
        n = len(path)
        for table in (self.values, self.keys):
            for p in [p for p in table if p[:n] == path]:
                del table[p]
            table[path] = pos

    def nested(self, key: Any) -> _Locator:
        """The same positions for the data moved one level down, under `key` (``[...]`` -> ``{key: [...]}``)."""
        out = _Locator(self.default)
        out.values = {(key, *p): pos for p, pos in self.values.items()}
        out.keys = {(key, *p): pos for p, pos in self.keys.items()}
        return out

    def locate(self, path: KeyPath, prefer_key: bool) -> _Pos:
        """Position of the deepest recorded node on `path`; its key's position if `prefer_key`."""
        for n in range(len(path), -1, -1):
            p = path[:n]
            if (prefer_key or n < len(path)) and p in self.keys:
                return self.keys[p]
            if p in self.values:
                return self.values[p]
        return self.default


def _as_index(seg: Any) -> int | None:
    """A path segment as a list index, if it is one ("3"; not "³", which str.isdigit accepts)."""
    if isinstance(seg, str) and seg.isascii() and seg.isdigit():
        return int(seg)
    return None


def _find_key(mapping: dict[Any, Any], seg: Any) -> Any:
    """The key of `mapping` that `seg` names (tier keys are ints in YAML, strings in paths)."""
    if _is_hashable(seg) and seg in mapping:
        return seg
    for key in mapping:
        if str(key) == str(seg):
            return key
    return _MISSING


def _resolve(data: Any, segments: Iterable[Any]) -> tuple[KeyPath, Any, list[Any]]:
    """Walk `segments` into `data` as far as they exist: (resolved path, value there, remaining)."""
    resolved: list[Any] = []
    cur = data
    rest = list(segments)
    while rest:
        seg = rest[0]
        if isinstance(cur, dict):
            key = _find_key(cur, seg)
            if key is _MISSING:
                break
            resolved.append(key)
            cur = cur[key]
        elif isinstance(cur, (list, tuple)):
            idx = seg if isinstance(seg, int) else _as_index(seg)
            if idx is None or not 0 <= idx < len(cur):
                break
            resolved.append(idx)
            cur = cur[idx]
        else:
            break
        rest.pop(0)
    return tuple(resolved), cur, rest


# --------------------------------------------------------------------------- schema navigation


def unwrap_type(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] to the type that describes the value."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _model_of(tp: Any) -> type[BaseModel] | None:
    tp = unwrap_type(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _schema_child(tp: Any, seg: Any) -> tuple[Any, FieldInfo | None]:
    """Type (and field info, for model fields) of the value at `seg` inside a value of type `tp`."""
    model = _model_of(tp)
    if model is not None:
        field = model.model_fields.get(seg) if isinstance(seg, str) else None
        return (field.annotation, field) if field is not None else (None, None)
    tp = unwrap_type(tp)
    origin, args = get_origin(tp), get_args(tp)
    if origin is list and args:
        return args[0], None
    if origin is tuple and args:
        return args[0], None
    if origin is dict and len(args) == 2:
        return args[1], None
    return None, None


def schema_at(path: Iterable[Any], root: Any = Scenario) -> tuple[Any, FieldInfo | None]:
    """Type at `path` from `root` (the Scenario), and the nearest enclosing field's info (for its unit)."""
    tp: Any = root
    info: FieldInfo | None = None
    for seg in path:
        tp, field = _schema_child(tp, seg)
        info = field or info
        if tp is None:
            break
    return tp, info


def _unit(info: FieldInfo | None) -> str:
    extra = info.json_schema_extra if info is not None else None
    unit = extra.get("unit") if isinstance(extra, dict) else None
    return unit if isinstance(unit, str) and unit != "-" else ""


# --------------------------------------------------------------------------- messages


def _show(value: Any) -> str:
    """How a found value is quoted in a message, in YAML's terms."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (set, frozenset)):
        return "a set"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    return f"a {type(value).__name__}"


def show_value(value: Any) -> str:
    """How a found value is quoted in a message ("found ..."), in YAML's terms: ``'text'``, ``a list``."""
    return _show(value)


_PATTERNS = {
    r"^\d{4}Q[1-4]$": "a quarter like 2026Q1",
    r"^[a-z0-9_]+$": "an id of lower-case letters, digits and _",
    r"^[a-z0-9_\-]+$": "an id of lower-case letters, digits, _ and -",
    r"^[A-Z][A-Z0-9_]*$": "an id of capital letters, digits and _, starting with a letter",
}


#: What a pydantic error of a kind expected, for the kinds whose message needs no context but the
#: field's unit (``{in_unit}``).
_EXPECTED = {
    "float_type": "a number{in_unit}",
    "float_parsing": "a number{in_unit}",
    "finite_number": "a finite number{in_unit}",
    "int_type": "a whole number{in_unit}",
    "int_parsing": "a whole number{in_unit}",
    "int_from_float": "a whole number{in_unit}",
    "int_parsing_size": "a whole number{in_unit}",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
}


def _expected_found(err: Mapping[str, Any], unit: str) -> str:
    """Translate one pydantic error into 'expected ..., found ...'."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    found = _show(err.get("input"))
    in_unit = f" ({unit})" if unit else ""
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        return f"expected a number {bounds[kind]} {limit}{in_unit}, found {found}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind].format(in_unit=in_unit)}, found {found}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"expected {_PATTERNS.get(pattern, f'text matching {pattern}')}, found {found}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected', '?')}, found {found}"
    if kind in ("model_type", "model_attributes_type"):
        return f"expected a mapping of {ctx.get('class_name', 'fields')} fields, found {found}"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} item(s), found {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} item(s), found {ctx.get('actual_length')}"
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if kind in ("value_error", "assertion_error"):
        return msg
    return f"{msg[:1].lower()}{msg[1:]}, found {found}"


def _unknown_field(parent: KeyPath, key: Any, root: Any = Scenario) -> str:
    model = _model_of(schema_at(parent, root)[0])
    if model is None:
        return f"unknown field {key!r}"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    hint = f", did you mean {close[0]!r}?" if close else ""
    return f"unknown field {key!r}{hint} (allowed: {', '.join(allowed)})"


def _error_problem(
    err: Mapping[str, Any], data: Any, where: _Locator, root: Any = Scenario, at: KeyPath = ()
) -> Problem:
    """Map one pydantic error (its `loc`) to the position of the deepest node that exists.

    `root` is the type that was validated and `at` where its value sits in `data` (the error's
    `loc` is relative to it): a policy script validates each command on its own, for instance.
    """
    loc = (*at, *err["loc"])
    kind = err["type"]
    is_key = "[key]" in loc
    if is_key:
        loc = loc[: loc.index("[key]")]
    resolved, value, rest = _resolve(data, loc)
    shown = resolved
    if kind == "missing" and rest:
        shown = (*resolved, *rest)
    if kind == "extra_forbidden":
        message = _unknown_field(resolved[len(at) : -1], resolved[-1] if resolved else loc[-1], root)
    elif kind == "missing":
        message = "missing required field" if not rest or isinstance(rest[-1], str) else "missing value"
    else:
        # A key has no unit: the field's unit describes its values.
        message = _expected_found(err, "" if is_key else _unit(schema_at(resolved[len(at) :], root)[1]))
        if is_key:
            message = f"invalid key: {message}"
    prefer_key = is_key or kind == "extra_forbidden" or isinstance(value, (dict, list))
    return where.locate(resolved, prefer_key).problem(shown, message)


def _reference_problem(dotted: str, message: str, data: Any, where: _Locator) -> Problem:
    """Map a reference problem (a dotted path from `Scenario.reference_problems`) to a position."""
    resolved, value, _ = _resolve(data, dotted.split(".") if dotted else [])
    # Keys of free mappings (home_weights.XXX, accelerators.h100) are the reference: point at the key.
    parent_tp = unwrap_type(schema_at(resolved[:-1])[0]) if resolved else None
    key_is_reference = get_origin(parent_tp) is dict
    prefer_key = key_is_reference or isinstance(value, (dict, list))
    return where.locate(resolved, prefer_key).problem(dotted, message)


#: References between sections, checked on the raw data when the structure is invalid too, so
#: `validate` reports a bad region id in the same pass as a mistyped number (the schema's own
#: `Scenario.reference_problems` needs a structurally valid scenario). ``*`` is any list item;
#: ``<key>`` means the mapping's keys are the references. (path pattern, kind of id).
RAW_REFERENCES: tuple[tuple[str, str], ...] = (
    ("interconnectors.*.a", "region"),
    ("interconnectors.*.b", "region"),
    ("blocs.*.members.*", "region"),
    ("actors.*.home", "region"),
    ("actors.*.datacenters.*.region", "region"),
    ("actors.*.datacenters.*.supplier", "region"),
    ("actors.*.datacenters.*.accelerators.<key>", "accelerator"),
    ("actors.*.fabs.*.region", "region"),
    ("actors.*.fabs.*.accelerator", "accelerator"),
    ("actors.*.plants.*.region", "region"),
    ("startups.home_weights.<key>", "region"),
    ("injects.*.region", "region"),
    ("injects.*.actor", "actor"),
)


def _raw_matches(data: Any, pattern: list[str], path: KeyPath = ()) -> Iterable[tuple[KeyPath, Any]]:
    """(path, value) of every place `pattern` reaches in raw data; odd shapes are skipped."""
    if not pattern:
        yield path, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield from _raw_matches(item, rest, (*path, i))
    elif head == "<key>":
        if isinstance(data, dict):
            for key in data:
                yield (*path, key), key
    elif isinstance(data, dict) and head in data:
        yield from _raw_matches(data[head], rest, (*path, head))


def _raw_ids(data: Any, section: str) -> set[str] | None:
    items = data.get(section) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return {item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)}


def _raw_reference_problems(data: Any, already: set[str]) -> list[tuple[str, str]]:
    """Broken references in data whose structure did not validate (paths in `already` are skipped)."""
    known = {"region": _raw_ids(data, "regions"), "actor": _raw_ids(data, "actors"), "accelerator": None}
    known["accelerator"] = _raw_ids(data, "accelerators")
    out = []
    for pattern, kind in RAW_REFERENCES:
        ids = known[kind]
        if ids is None:
            continue  # the section itself is malformed: reported by the schema
        for path, value in _raw_matches(data, pattern.split(".")):
            dotted = _dotted(path)
            if value is None or not isinstance(value, str) or value in ids or dotted in already:
                continue
            out.append((dotted, f"{kind} {value!r} does not exist (known: {', '.join(sorted(ids))})"))
    return out


def _validate(data: Any, where: _Locator, problems: list[Problem]) -> Scenario | None:
    """Validate structure, then references; append every problem; the scenario if there were none."""
    try:
        scenario = Scenario.model_validate(data, context={"skip_references": True})
    except ValidationError as exc:
        structural = [_error_problem(err, data, where) for err in exc.errors(include_url=False)]
        problems.extend(structural)
        already = {p.path for p in structural}
        problems.extend(
            _reference_problem(path, msg, data, where) for path, msg in _raw_reference_problems(data, already)
        )
        return None
    problems.extend(_reference_problem(path, msg, data, where) for path, msg in scenario.reference_problems())
    return scenario


def raise_if_any(problems: list[Problem], error: type[ScenarioError] = ScenarioError) -> None:
    """Raise `error` with the problems, without duplicates and in file order, if there are any.

    Args:
        problems: Everything found wrong; nothing happens when it is empty.
        error: The exception class raised (a subclass of `ScenarioError`, such as a script's error).
    """
    if problems:
        unique = list(dict.fromkeys(problems))
        unique.sort(key=lambda p: (p.file, p.line or 0, p.column or 0))
        raise error(unique)


# --------------------------------------------------------------------------- public API


def load_scenario(path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load a scenario file, following `extends:`, applying overrides, validating everything.

    Args:
        path: The YAML file. Problems name it as given (relative paths stay relative).
        overrides: Dotted path -> value, applied after inheritance (the Monte Carlo `--set`).
            String values are parsed as YAML, so ``"0.5"`` is a number.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem found: YAML syntax, inheritance, overrides, fields and
            references, each located at the file, line and column where the value was written.
    """
    label = os.fspath(path)
    problems: list[Problem] = []
    tree = _load_tree(Path(label), label, problems, [])
    if tree is None:
        raise_if_any(problems)
        raise AssertionError("unreachable: a failed load always records a problem")  # pragma: no cover
    where = _Locator(_Pos(label))
    data = where.flatten(tree)
    for dotted, value in (overrides or {}).items():
        if not isinstance(data, dict):
            break  # the root is not a mapping: validation reports it
        try:
            resolved = _set_path(data, dotted, value)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        where.override(resolved, _Pos(OVERRIDE_SOURCE))
    scenario = _validate(data, where, problems)
    raise_if_any(problems)
    assert scenario is not None
    return scenario


def scenario_from_dict(data: Any, source: str = "<dict>") -> Scenario:
    """Validate scenario content that is already data (a save file embeds the full scenario).

    Args:
        data: The scenario as plain data, e.g. from `scenario_to_dict` or JSON.
        source: Name used as the file in problems (the save file's path, say).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem; positions have no line numbers.
    """
    problems: list[Problem] = []
    scenario = _validate(data, _Locator(_Pos(source)), problems)
    raise_if_any(problems)
    assert scenario is not None
    return scenario


class YamlDocument:
    """A YAML file read as plain data that remembers where each value was written.

    The scenario loader's reading and error reporting, for other files people write by hand (policy
    scripts): validate `data` with any pydantic type and turn the errors, or your own checks, into
    `Problem`s located at `file:line:column`, worded exactly as a scenario's are.

    Attributes:
        label: The file as the user named it (problems use it).
        data: The content as plain dicts, lists and scalars.
    """

    def __init__(self, label: str, data: Any, where: _Locator) -> None:
        self.label = label
        self.data = data
        self._where = where

    def nested(self, key: str) -> YamlDocument:
        """The same document with its content moved under `key` (a bare list read as ``{key: [...]}``)."""
        return YamlDocument(self.label, {key: self.data}, self._where.nested(key))

    def problem(self, path: KeyPath, message: str, at_key: bool = False) -> Problem:
        """A problem about the value at `path` (keys and list indices), at the deepest position known.

        Args:
            path: Where the value is in `data`, e.g. ``("commands", 3, "seat")``.
            message: What was expected and what was found.
            at_key: Point at the key that names the value rather than at the value itself.
        """
        resolved, _, _ = _resolve(self.data, path)
        return self._where.locate(resolved, at_key).problem(path, message)

    def line(self, path: KeyPath) -> int | None:
        """Line the value at `path` was written on (None for data that did not come from a file)."""
        resolved, _, _ = _resolve(self.data, path)
        return self._where.locate(resolved, prefer_key=False).line

    def validation_problems(self, exc: ValidationError, root: Any, at: KeyPath = ()) -> list[Problem]:
        """The problems of a pydantic validation of the value at `at` against the type `root`.

        Args:
            exc: What pydantic raised.
            root: The type (a model, ``list[Model]``...) the value was validated against: it names
                the allowed fields of an unknown one and gives units.
            at: Where the validated value sits in `data` (pydantic's error locations are relative to it).
        """
        return [_error_problem(err, self.data, self._where, root, at) for err in exc.errors(include_url=False)]

    @classmethod
    def from_data(cls, data: Any, label: str = "<dict>") -> YamlDocument:
        """Content that is already data (sent to a worker, embedded in a save): problems have no lines."""
        return cls(label, data, _Locator(_Pos(label)))


def read_yaml(path: str | os.PathLike[str], expected: str) -> YamlDocument:
    """Read one YAML file (no `extends:`) with the scenario loader's checks and positions.

    Args:
        path: The file; problems name it as given.
        expected: What the file should hold, for the message about an empty file
            (e.g. ``"a list of scripted commands"``).

    Returns:
        The file's content and positions.

    Raises:
        ScenarioError: The file cannot be read, is not UTF-8 or not YAML, is empty, has duplicate
            keys or unreadable values; every problem with its file:line:column.
    """
    label = os.fspath(path)
    problems: list[Problem] = []
    text = _read_file(Path(label), label, problems)
    tree = None if text is None else _parse_yaml(text, label, problems, expected)
    raise_if_any(problems)
    assert tree is not None
    where = _Locator(_Pos(label))
    return YamlDocument(label, where.flatten(tree), where)


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON-able data with every default filled in; `scenario_from_dict` inverts it."""
    return scenario.model_dump(mode="json")


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of the scenario's canonical JSON: the provenance tag of runs and saves.

    Canonical means sorted keys, no whitespace, ASCII escapes and defaults filled in, so the hash
    identifies the effective world, whatever the file layout, inheritance or process that produced it.
    """
    text = json.dumps(
        scenario_to_dict(scenario), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set one value of scenario data in place, addressed by a dotted path (the `--set` option).

    Segments name mapping keys, or list items by their `id` (``regions.IND.pue``) or index
    (``regions.0.pue``). A field the schema defines but the data leaves at its default may be set
    (``events.heatwave``); anything else that does not exist is an error, so a typo in a parameter
    sweep fails loudly instead of sweeping nothing.

    Args:
        data: Scenario data (plain dicts and lists), modified in place.
        dotted: Path such as ``economics.voll_usd_mwh`` or ``technologies.solar.capex_musd_per_mw``.
        value: The new value; a string is parsed as YAML (``"0.5"`` -> 0.5, ``"[1, 2]"`` -> a list).

    Raises:
        ScenarioError: The path does not exist (naming the nearest valid keys) or the value is not YAML.
    """
    _set_path(data, dotted, value)


# C901: one walk down the path with a precise message at each dead end; split up, every piece
# would need the walk's whole state (node, schema type, resolved keys, sections to create).
def _set_path(data: dict[str, Any], dotted: str, value: Any) -> KeyPath:  # noqa: C901
    """`set_path`, returning the resolved path (keys and list indices) that was set."""

    def fail(message: str) -> ScenarioError:
        shown = dotted if isinstance(dotted, str) and dotted.isprintable() else repr(dotted)
        return ScenarioError([Problem(OVERRIDE_SOURCE, None, None, shown, message)])

    segments = dotted.split(".") if isinstance(dotted, str) else []
    if not segments or any(not s.strip() for s in segments):
        raise fail("expected a dotted path such as economics.voll_usd_mwh")
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise fail(f"cannot read the value {value!r} as YAML ({_reason(exc)})") from None
        except (ValueError, TypeError, OverflowError) as exc:
            raise fail(f"cannot read the value {value!r} ({_reason(exc)})") from None

    cur: Any = data
    tp: Any = Scenario
    resolved: list[Any] = []
    pending: list[tuple[dict[Any, Any], Any, dict[Any, Any]]] = []  # sections to create on success
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        here = ".".join(segments[:i]) or "the scenario"
        child_tp: Any = None
        if isinstance(cur, dict):
            key = _find_key(cur, seg)
            child_tp, _ = _schema_child(tp, seg if key is _MISSING else key)
            if key is _MISSING:
                model, unwrapped = _model_of(tp), unwrap_type(tp)
                allowed = _allowed_keys(tp)
                candidates = [str(k) for k in cur] + [str(k) for k in allowed or ()]
                if model is not None:
                    creatable = child_tp is not None
                elif get_origin(unwrapped) is dict:
                    creatable = allowed is None or seg in map(str, allowed)
                else:
                    creatable = False
                if not creatable:
                    raise fail(f"no field {seg!r} in {here}{_nearest(seg, candidates)}")
                key = _dict_key(unwrapped, seg) if model is None else seg
                if not last:
                    if _model_of(child_tp) is None and get_origin(unwrap_type(child_tp)) is not dict:
                        raise fail(f"no field {seg!r} in {here}{_nearest(seg, candidates)}")
                    new: dict[Any, Any] = {}
                    pending.append((cur, key, new))
                    resolved.append(key)
                    cur, tp = new, child_tp
                    continue
        elif isinstance(cur, list):
            child_tp, _ = _schema_child(tp, 0)
            ids = [str(item.get("id")) for item in cur if isinstance(item, dict) and "id" in item]
            key = next(
                (j for j, item in enumerate(cur) if isinstance(item, dict) and str(item.get("id")) == seg), _MISSING
            )
            index = _as_index(seg)
            if key is _MISSING and index is not None and index < len(cur):
                key = index
            if key is _MISSING:
                raise fail(f"no item {seg!r} in {here} (items: {', '.join(ids) or f'0..{len(cur) - 1}'})")
        else:
            raise fail(f"{here} is a single value ({_show(cur)}), it has no field {seg!r}")
        resolved.append(key)
        if last:
            for parent, name, section in pending:
                parent[name] = section
            cur[key] = value
            return tuple(resolved)
        cur, tp = cur[key], child_tp
    raise AssertionError("unreachable")  # pragma: no cover


def _nearest(seg: str, candidates: list[str]) -> str:
    unique = list(dict.fromkeys(candidates))
    if not unique:
        return ""
    close = difflib.get_close_matches(seg, unique, n=3, cutoff=0.5)
    if close:
        return f" (nearest valid keys: {', '.join(close)})"
    return f" (valid keys: {', '.join(unique[:12])}{', ...' if len(unique) > 12 else ''})"


def _allowed_keys(tp: Any) -> list[Any] | None:
    """Keys a value of type `tp` may have: a model's fields, a Literal key type's values, else None (any)."""
    model = _model_of(tp)
    if model is not None:
        return list(model.model_fields)
    args = get_args(unwrap_type(tp))
    if get_origin(unwrap_type(tp)) is dict and args and get_origin(unwrap_type(args[0])) is Literal:
        return list(get_args(unwrap_type(args[0])))
    return None


def _dict_key(dict_tp: Any, seg: str) -> Any:
    """Key for a new entry of a free mapping: an int if the mapping's keys are ints (export tiers)."""
    args = get_args(dict_tp)
    if args and unwrap_type(args[0]) is int and _as_index(seg.removeprefix("-")) is not None:
        return int(seg)
    return seg
