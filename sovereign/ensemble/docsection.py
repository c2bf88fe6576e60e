"""Write one generated section of a markdown document, leaving the rest of the file as it is.

Several validation tools (the baseline's stylized facts, the chip market's, later power and
geopolitics) report into the same ``docs/validation.md``. Each owns one section between
``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` markers, so re-running one tool never
clobbers another's figures or the hand-written text around them.
"""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The begin and end marker lines of section ``name``."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_section(path: Path, name: str, text: str) -> None:
    """Replace section ``name`` of ``path`` with ``text`` (appended at the end if the file lacks it).

    Raises:
        ValueError: the file has the begin marker without the end marker after it (a hand edit
            went wrong): refusing beats silently deleting the rest of the file.
    """
    begin, end = markers(name)
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start = old.find(begin)
    if start < 0:
        sep = "" if not old or old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
        path.write_text(old + sep + block, encoding="utf-8")
        return
    stop = old.find(end, start)
    if stop < 0:
        raise ValueError(f"{path}: section {name!r} has {begin} but no {end} after it")
    after = old[stop + len(end) :].lstrip("\n")
    path.write_text(old[:start] + block + ("\n" + after if after else ""), encoding="utf-8")
