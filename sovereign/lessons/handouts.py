"""Printable handouts of a lesson: one role sheet per team and the teacher notes, as HTML.

Every page is a single self-contained file (the style sheet is inline, there are no images,
scripts or fonts to fetch), because classrooms may have no internet. A print style sheet sets A4
margins, black on white, and keeps sections from splitting across pages, so a role sheet prints
from any browser (Ctrl-P) as one or two pages.

    write_handouts(scenario, folder)  ->  index.html, teacher-notes.html, role-USA.html, ...

Everything shown comes from the scenario's `lesson:` section, objectives and injects, escaped
(a scenario is a file people share: its text is never trusted as HTML).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from sovereign.game.words import objective_text, option_effects
from sovereign.lessons.calibrate import RATE_RANGE
from sovereign.scenario.schema import Inject, Lesson, Objective, RoleSheet, Scenario

__all__ = ["Handout", "render_handouts", "role_sheet_html", "teacher_notes_html", "write_handouts"]

#: One style sheet for every page: readable on screen, plain on paper.
STYLE = """
:root { --ink: #1b1f24; --muted: #57606a; --rule: #d0d7de; --accent: #0b5cad; --secret: #8a1c1c; }
* { box-sizing: border-box; }
body { font: 11.5pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: #f6f8fa; margin: 0; }
main { max-width: 52rem; margin: 1.5rem auto; background: #fff; padding: 2rem 2.5rem;
       border: 1px solid var(--rule); border-radius: 6px; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; }
h2 { font-size: 1.15rem; margin: 1.4rem 0 .4rem; padding-bottom: .2rem; border-bottom: 2px solid var(--accent);
     text-transform: uppercase; letter-spacing: .04em; color: var(--accent); }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
.kicker { color: var(--muted); margin: 0 0 1rem; }
.seat { display: inline-block; border: 2px solid var(--ink); border-radius: 4px; padding: .05rem .5rem;
        font-weight: 700; letter-spacing: .06em; margin-right: .5rem; }
ul { margin: .3rem 0 .6rem 1.2rem; padding: 0; }
li { margin: .15rem 0; }
section { break-inside: avoid; page-break-inside: avoid; }
.objective { border-left: 4px solid var(--accent); padding: .3rem .7rem; margin: .4rem 0; background: #eef5fc; }
.objective.shared { border-left-color: #2f7d32; background: #eef7ee; }
.secret { border: 2px dashed var(--secret); padding: .4rem .8rem; border-radius: 4px; }
.secret h2 { color: var(--secret); border-bottom-color: var(--secret); }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; font-size: .95em; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--rule); padding: .25rem .4rem; }
th { background: #f0f3f6; }
td.num, th.num { text-align: right; white-space: nowrap; }
.ok { color: #2f7d32; font-weight: 600; } .out { color: var(--secret); font-weight: 600; }
code { font: .92em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f0f3f6;
       padding: .05rem .25rem; border-radius: 3px; }
nav { margin-bottom: 1rem; font-size: .9em; } nav a { color: var(--accent); }
footer { margin-top: 1.5rem; color: var(--muted); font-size: .85em; }
@page { size: A4; margin: 14mm 14mm 16mm; }
@media print {
  body { background: #fff; font-size: 10pt; line-height: 1.35; }
  h1 { font-size: 1.45rem; }
  h2 { font-size: 1rem; margin: .9rem 0 .25rem; }
  main { max-width: none; margin: 0; padding: 0; border: 0; }
  nav, .no-print { display: none; }
  h2 { color: #000; border-bottom-color: #000; }
  .objective, .objective.shared { background: none; border-left-color: #000; }
  a { color: inherit; text-decoration: none; }
  .page-break { break-before: page; page-break-before: always; }
}
"""


@dataclass(frozen=True)
class Handout:
    """One page of a lesson's handouts: its file name, title and HTML."""

    filename: str
    title: str
    html: str


def _page(title: str, body: str, nav: bool = True) -> str:
    links = '<nav class="no-print"><a href="index.html">All handouts</a></nav>' if nav else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{links}\n{body}\n"
        "<footer>Sovereign: a game of the race for sovereign AI infrastructure. Print with Ctrl-P "
        "(A4, no headers).</footer>\n</main>\n</body>\n</html>\n"
    )


def _level(value: float) -> str:
    """A risk level as people write it: 0.235, 1.0."""
    return f"{value:.1f}" if float(value).is_integer() else f"{value:g}"


def _items(values: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(v)}</li>" for v in values) + "</ul>"


def _section(heading: str, inner: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<section{cls}><h2>{escape(heading)}</h2>{inner}</section>\n"


def _seat_names(scenario: Scenario) -> dict[str, str]:
    names = {r.id: r.name for r in scenario.regions}
    names.update({a.id: a.name for a in scenario.actors})
    return names


def _objectives_of(scenario: Scenario, seat: str) -> tuple[list[Objective], list[Objective]]:
    """(the seat's own objectives, the cooperative ones every seat shares)."""
    own = [o for o in scenario.objectives if o.seat == seat]
    shared = [o for o in scenario.objectives if o.seat == "all"]
    return own, shared


def _decisions_for(scenario: Scenario, seat: str) -> list[Inject]:
    return [inj for inj in scenario.injects if inj.decision and seat in (inj.region, inj.actor)]


def _lesson(scenario: Scenario) -> Lesson:
    if scenario.lesson is None:
        raise ValueError(f"{scenario.meta.id} is not a lesson: it has no lesson: section")
    return scenario.lesson


def _badge(scenario: Scenario, seat: str, name: str) -> str:
    """The sheet's badge: a nation's code (USA, IND), a firm's name (ids like ``tata`` are not for print)."""
    return seat if seat in {r.id for r in scenario.regions} else name


def role_sheet_html(scenario: Scenario, team: RoleSheet) -> str:
    """The printable role sheet of one team: objectives, goals, levers, what it knows, its secrets."""
    end = scenario.time.end
    name = _seat_names(scenario).get(team.seat, team.seat)
    own, shared = _objectives_of(scenario, team.seat)
    body = [
        f'<h1><span class="seat">{escape(_badge(scenario, team.seat, name))}</span>{escape(team.role)}</h1>',
        f'<p class="kicker">{escape(scenario.meta.title)} · you play {escape(name)}, '
        f"{escape(scenario.time.start)} to {escape(end)}</p>",
    ]
    objectives = "".join(f'<p class="objective">{escape(objective_text(o, end))}</p>' for o in own)
    objectives += "".join(f'<p class="objective shared">{escape(objective_text(o, end))}</p>' for o in shared)
    if shared and scenario.shared_risk is not None:
        risk = scenario.shared_risk
        objectives += (
            f"<p>{escape(risk.name)} starts at {_level(risk.initial)}. If it reaches {_level(risk.threshold)} the game "
            "ends and every team loses, whatever it reached.</p>"
        )
    body.append(_section("Your objectives", objectives))
    body.append(_section("What you want", _items(team.goals)))
    body.append(_section("Your levers", _items(team.levers)))
    if team.knows:
        body.append(_section("What you know", _items(team.knows)))
    decisions = _decisions_for(scenario, team.seat)
    if decisions:
        rows = "".join(
            f"<li><b>{escape(inj.quarter)}</b>: {escape(inj.headline)} <i>({escape(' / '.join(inj.labels))})</i></li>"
            for inj in decisions
        )
        body.append(_section("Questions you will be asked", f"<ul>{rows}</ul>"))
    if team.secrets:
        body.append(_section("Secret: for your team only", _items(team.secrets), "secret"))
    body.append(_section("The situation", f"<p>{escape(scenario.meta.briefing)}</p>"))
    return _page(f"{team.role}: role sheet", "\n".join(body))


def _timing_table(lesson: Lesson) -> str:
    out = []
    for form in lesson.forms:
        seconds = round(form.minutes_per_quarter * 60)
        rows = "".join(f'<tr><td class="num">{s.minute}</td><td>{escape(s.what)}</td></tr>' for s in form.timing)
        out.append(
            f"<h3>{form.minutes} minutes: {form.quarters} quarters of {form.minutes_per_quarter:g} min "
            f"(<code>--timer {seconds}</code>)</h3>"
            f'<table><tr><th class="num">minute</th><th>what happens</th></tr>{rows}</table>'
        )
    return "".join(out)


def _injects_table(scenario: Scenario) -> str:
    names = _seat_names(scenario)
    rows = []
    for inj in scenario.injects:
        who = inj.region or inj.actor
        decides = escape(names.get(who, who)) if inj.decision and who else "–"
        options = "".join(
            f"<li><b>{escape(o.label)}</b>: {escape(option_effects(scenario, o))}</li>" for o in inj.decision
        )
        rows.append(
            f"<tr><td>{escape(inj.quarter)}</td><td>{escape(inj.headline)}"
            f"{f'<ul>{options}</ul>' if options else ''}</td><td>{decides}</td></tr>"
        )
    return f"<table><tr><th>quarter</th><th>inject</th><th>decides</th></tr>{''.join(rows)}</table>"


def _objectives_table(scenario: Scenario, lesson: Lesson) -> str:
    cal = lesson.calibration
    rows = []
    for i, o in enumerate(scenario.objectives):
        if cal is not None and i < len(cal.rates):
            rate = cal.rates[i]
            css = "ok" if RATE_RANGE[0] <= rate <= RATE_RANGE[1] else "out"
            shown = f'<span class="{css}">{rate:.0%}</span>'
        else:
            shown = "not measured"
        kind = "cooperative" if o.seat == "all" else "competitive"
        rows.append(
            f"<tr><td>{escape(o.seat)}</td><td>{escape(objective_text(o, scenario.time.end))}</td>"
            f'<td>{kind}</td><td class="num">{shown}</td></tr>'
        )
    note = (
        f"<p>AI-only success rate: how often the AI, playing every seat, met the objective in "
        f"{cal.seeds} games (difficulty {escape(cal.difficulty)}; {escape(cal.measured)}). A lesson's "
        f"objectives are set so that it is {RATE_RANGE[0]:.0%}-{RATE_RANGE[1]:.0%}: a team must play better than "
        "the AI to be sure of it, and can fail.</p>"
        if cal is not None
        else "<p>Not calibrated yet: run <code>python tools/calibrate_lesson.py</code>.</p>"
    )
    table = (
        '<table><tr><th>seat</th><th>objective</th><th>kind</th><th class="num">AI alone</th></tr>'
        f"{''.join(rows)}</table>"
    )
    return table + note


def teacher_notes_html(scenario: Scenario) -> str:
    """The teacher notes: NetLogo Info-tab headings, the timings, injects, objectives and debrief."""
    lesson = _lesson(scenario)
    notes = lesson.notes
    names = _seat_names(scenario)
    teams = "".join(
        f"<tr><td>{escape(t.seat)}</td><td>{escape(names.get(t.seat, t.seat))}</td><td>{escape(t.role)}</td>"
        f'<td><a href="{_role_file(t)}">role sheet</a></td></tr>'
        for t in lesson.teams
    )
    forms = " or ".join(f"{f.minutes} minutes" for f in lesson.forms)
    debrief = "".join(
        f"<li><b>{escape(q.question)}</b><br>Where to look: {escape(q.where)}</li>" for q in lesson.debrief
    )
    body = [
        f"<h1>{escape(scenario.meta.title)}</h1>",
        f'<p class="kicker">Teacher notes · {escape(lesson.topic)} · {len(lesson.teams)} teams · {forms} · '
        f"<code>sovereign classroom {escape(scenario.meta.id)}</code></p>",
        _section("What is it?", f"<p>{escape(notes.what_it_is)}</p><p><b>It teaches:</b> {escape(lesson.teaches)}</p>"),
        _section("How it works", f"<p>{escape(notes.how_it_works)}</p>"),
        _section(
            "How to use it",
            f"<p>{escape(notes.how_to_use_it)}</p><table><tr><th>seat</th><th>plays</th><th>role</th><th></th></tr>"
            f"{teams}</table>",
        ),
        _section("Timings, minute by minute", _timing_table(lesson)),
        _section("Injects and decisions", _injects_table(scenario)),
        _section("Objectives: winnable and losable", _objectives_table(scenario, lesson)),
        _section("Things to notice", _items(notes.things_to_notice)),
        _section("Things to try", _items(notes.things_to_try)),
        _section("Extending the model", _items(notes.extending_it)),
        _section("Debrief guide", f"<ol>{debrief}</ol>"),
        _section("Credits and references", _items(notes.credits_and_sources or [scenario.meta.source])),
    ]
    return _page(f"{scenario.meta.title}: teacher notes", "\n".join(body))


def _role_file(team: RoleSheet) -> str:
    return f"role-{team.seat}.html"


def render_handouts(scenario: Scenario) -> list[Handout]:
    """Every page of a lesson's handouts: the index, the teacher notes, then one role sheet per team.

    Raises:
        ValueError: The scenario has no `lesson:` section.
    """
    lesson = _lesson(scenario)
    pages = [Handout("teacher-notes.html", "Teacher notes", teacher_notes_html(scenario))]
    pages += [Handout(_role_file(t), t.role, role_sheet_html(scenario, t)) for t in lesson.teams]
    links = "".join(f'<li><a href="{p.filename}">{escape(p.title)}</a></li>' for p in pages)
    index = _page(
        f"{scenario.meta.title}: handouts",
        f"<h1>{escape(scenario.meta.title)}</h1><p class='kicker'>Handouts: print each role sheet for its team "
        f"and keep the teacher notes.</p><ul>{links}</ul>",
        nav=False,
    )
    return [Handout("index.html", "Handouts", index), *pages]


def write_handouts(scenario: Scenario, folder: Path) -> list[Path]:
    """Write the handouts into `folder` (created if needed); return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for page in render_handouts(scenario):
        path = folder / page.filename
        path.write_text(page.html, encoding="utf-8")
        written.append(path)
    return written
