"""The command log: every command submitted, refused, withdrawn or handed over, as JSON-ready lines.

A line is a dict (``quarter``, ``seat``, ``command`` (the command's JSON form), ``accepted``,
``reason``, ``stage``, ``origin``, and for some stages more), the form replays, saves, reports
and screens read. `CommandLog` is a read-only sequence of those lines with an append.

Why not a plain list: the AI submits some 300 commands a quarter, twelve thousand a game, and a
headless run (an ensemble's, a fan's) never reads its log. Building each submission's line as two
dicts cost a few per cent of such a run (the dicts themselves, and the garbage collector walking
every one of them as they age). A seat's submissions are kept as its commands and one record of the
batch (`CommandLog.add_submissions`), and each is made into its line the first time anyone reads
it, which then stays (so a line read twice is the same dict, and a change made to it stays, as in a
list). Every reader sees exactly the lines a list of dicts would hold.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from sovereign.sim.commands import command_to_dict

if TYPE_CHECKING:
    from sovereign.sim.commands import Command


def submission_line(quarter: str, seat: str, cmd: Command, reason: str | None, origin: str) -> dict[str, Any]:
    """The log's line for a submission (accepted when `reason` is None): one shape for all."""
    return {
        "quarter": quarter,
        "seat": seat,
        "command": command_to_dict(cmd),
        "accepted": reason is None,
        "reason": reason or "",
        "stage": "submit",
        "origin": origin,
    }


class CommandLog(Sequence[dict[str, Any]]):
    """An append-only sequence of log lines (dicts), submissions made into lines when first read.

    Compares equal to another log or a list with the same lines; saves write it as a list
    (`sovereign.persist.state`).
    """

    __slots__ = ("_batch_meta", "_batch_start", "_items", "_refused")

    def __init__(self, lines: Iterable[dict[str, Any]] = ()) -> None:
        # each item is a line (dict) or a submitted command whose line is not made yet; a command's
        # quarter, seat and origin are its batch's (the batch starting at the last index of
        # `_batch_start` at or before the command's), its refusal reason in `_refused` by index
        # (a batch's commands share all but their reason, so no tuple is made per command)
        self._items: list[dict[str, Any] | Command] = list(lines)
        self._batch_start: list[int] = []
        self._batch_meta: list[tuple[str, str, str]] = []
        self._refused: dict[int, str] = {}

    def append(self, line: dict[str, Any]) -> None:
        """Add a line as it is (withdrawals, hand-overs, refusals when applied)."""
        self._items.append(line)

    def add_submissions(
        self, quarter: str, seat: str, cmds: list[Command], refused: dict[int, str], origin: str
    ) -> None:
        """Add the lines of a seat's submissions in order (`submission_line`), made when first read.

        `refused` gives the reason of each command refused, by its place in `cmds`.
        """
        start = len(self._items)
        self._items.extend(cmds)
        self._batch_start.append(start)
        self._batch_meta.append((quarter, seat, origin))
        for i, reason in refused.items():
            self._refused[start + i] = reason

    def _line(self, i: int) -> dict[str, Any]:
        item = self._items[i]
        if type(item) is dict:
            return item
        quarter, seat, origin = self._batch_meta[bisect_right(self._batch_start, i) - 1]
        line = self._items[i] = submission_line(quarter, seat, item, self._refused.pop(i, None), origin)  # type: ignore[arg-type]
        return line

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        """A line, or a list of the lines of a slice (like a list's slice, a copy)."""
        if isinstance(index, slice):
            return [self._line(i) for i in range(*index.indices(len(self._items)))]
        n = len(self._items)
        if not -n <= index < n:
            raise IndexError("command log index out of range")
        return self._line(index % n if index < 0 else index)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        # the list walked directly, a line made only where a command still stands (a screen that
        # filters the whole log every frame pays little more than for a list); appends made while
        # iterating are seen, as in a list
        for i, item in enumerate(self._items):
            yield item if type(item) is dict else self._line(i)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CommandLog | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"CommandLog({list(self)!r})"
