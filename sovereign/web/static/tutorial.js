// The tutorial card of the team page: the steps of sovereign/game/tutorial.py that apply to a team
// (served by /api/tutorial), one at a time, each ticked off by what this page sees: an order in the
// queue, a new quarter, the results, the dashboard or the news scrolled into view, a decision
// answered. Progress is this browser's (localStorage), never the lesson's: skipping, dismissing and
// resuming survive a reload. student.js tells it what it renders with "sovereign:view" events.
"use strict";

const TUTORIAL_KEY = "sovereign.tutorial";
// How long a done step shows its tick before the next one, in ms (the desktop's 1.2 s).
const TICK_MS = 1200;
// A section counts as read when half of it, or this many pixels of it, are on screen.
const SEEN_PX = 200;

const tutorial = {
  steps: [],
  view: null,
  seen: new Set(),      // ids of the watched sections on screen now
  state: null,
  ticking: null,
};

function tutorialLoad() {
  let s = null;
  try { s = JSON.parse(localStorage.getItem(TUTORIAL_KEY) || "null"); } catch (e) { s = null; }
  const keys = tutorial.steps.map(x => x.key);
  if (!s || typeof s !== "object" || !["active", "skipped", "finished"].includes(s.status)) {
    s = { status: "active", current: keys[0], done: [], skipped: [], hidden: false, mark: null };
  }
  if (s.status === "active" && !keys.includes(s.current)) s.current = keys[0];
  s.done = Array.isArray(s.done) ? s.done : [];
  s.skipped = Array.isArray(s.skipped) ? s.skipped : [];
  tutorial.state = s;
}

function tutorialSave() { localStorage.setItem(TUTORIAL_KEY, JSON.stringify(tutorial.state)); }

function tutorialQuarter() { return tutorial.view && tutorial.view.status ? tutorial.view.status.quarter : null; }

function tutorialStep() { return tutorial.steps.find(x => x.key === tutorial.state.current) || null; }

// one function per check name of tutorial.py's WEB_CHECKS
const TUTORIAL_CHECKS = {
  order_queued: v => (v.queued || []).some(q => !q.command || q.command.kind !== "decide"),
  quarter_played: v => tutorial.state.mark !== null && v.status && v.status.quarter !== tutorial.state.mark,
  results_seen: v => !!v.results && tutorial.seen.has("results-box"),
  dashboard_seen: v => !!v.observation && tutorial.seen.has("dashboard"),
  news_seen: v => !!v.observation && tutorial.seen.has("news-box"),
  decision_answered: v => (v.queued || []).some(q => q.command && q.command.kind === "decide"),
};

function tutorialNext(from) {
  const s = tutorial.state;
  const keys = tutorial.steps.map(x => x.key);
  const later = keys.slice(keys.indexOf(from) + 1).filter(k => !s.done.includes(k) && !s.skipped.includes(k));
  if (later.length) { s.current = later[0]; s.mark = tutorialQuarter(); }
  else { s.current = null; s.status = "finished"; }
}

function tutorialCheck() {
  const s = tutorial.state;
  if (!s || s.status !== "active" || !tutorial.view) return;
  const step = tutorialStep();
  if (!step) return;
  if (s.mark === null || s.mark === undefined) { s.mark = tutorialQuarter(); tutorialSave(); }
  const check = TUTORIAL_CHECKS[step.check];
  if (!check || !check(tutorial.view)) return;
  if (!s.done.includes(step.key)) s.done.push(step.key);
  tutorialNext(step.key);
  tutorialSave();
  tutorial.ticking = step.key;
  tutorialRender();
  setTimeout(() => {
    if (tutorial.ticking === step.key) tutorial.ticking = null;
    tutorialRender();
    tutorialCheck();  // the next step may be done already
  }, TICK_MS);
}

function tutorialRender() {
  const s = tutorial.state;
  const card = $("#tutorial-card");
  const open = $("#tutorial-open");
  if (!s || !tutorial.steps.length) { card.classList.add("hidden"); open.classList.add("hidden"); return; }
  const ticked = tutorial.ticking ? tutorial.steps.find(x => x.key === tutorial.ticking) : null;
  const step = ticked || tutorialStep();
  // while the teacher has the AI play the seat there is nothing to practise: the tutorial waits
  const v = tutorial.view;
  const aiPlays = Boolean(v && v.played_by && v.played_by.now === "ai");
  const showing = !aiPlays && !s.hidden && step && (s.status === "active" || ticked);
  card.classList.toggle("hidden", !showing);
  open.classList.toggle("hidden", !!showing || aiPlays);
  if (!showing) return;
  const n = tutorial.steps.indexOf(step) + 1;
  $("#tutorial-count").textContent = `Tutorial · step ${n} of ${tutorial.steps.length}`;
  $("#tutorial-title").textContent = step.title;
  $("#tutorial-tick").classList.toggle("hidden", !ticked);
  $("#tutorial-text").textContent = step.instruction;
  card.classList.toggle("done", !!ticked);
}

function tutorialOnView(v) {
  tutorial.view = v;
  tutorialRender();  // who plays the seat may have changed (the card waits while the AI plays)
  tutorialCheck();
}

$("#tutorial-skip").addEventListener("click", () => {
  const s = tutorial.state;
  if (s.status !== "active" || !s.current) return;
  if (!s.skipped.includes(s.current)) s.skipped.push(s.current);
  tutorial.ticking = null;
  tutorialNext(s.current);
  tutorialSave();
  tutorialRender();
  tutorialCheck();
});

$("#tutorial-skip-all").addEventListener("click", () => {
  tutorial.state.status = "skipped";
  tutorial.ticking = null;
  tutorialSave();
  tutorialRender();
});

$("#tutorial-close").addEventListener("click", () => {
  tutorial.state.hidden = true;
  tutorialSave();
  tutorialRender();
});

// the header's Tutorial button: show the card again, or start again once skipped or finished
$("#tutorial-open").addEventListener("click", () => {
  const s = tutorial.state;
  if (s.status !== "active") {
    tutorial.state = { status: "active", current: tutorial.steps[0].key, done: [], skipped: [], hidden: false, mark: tutorialQuarter() };
  } else s.hidden = false;
  tutorialSave();
  tutorialRender();
  tutorialCheck();
});

const tutorialWatch = new IntersectionObserver(entries => {
  for (const e of entries) {
    const half = e.intersectionRatio >= 0.5 || e.intersectionRect.height >= SEEN_PX;
    if (e.isIntersecting && half) tutorial.seen.add(e.target.id); else tutorial.seen.delete(e.target.id);
  }
  tutorialCheck();
}, { threshold: [0, 0.25, 0.5, 0.75, 1] });

document.addEventListener("sovereign:view", ev => tutorialOnView(ev.detail));

(async () => {
  const res = await api("GET", "/api/tutorial");
  if (!res.ok) return;
  tutorial.steps = res.data.steps;
  tutorialLoad();
  for (const id of ["results-box", "dashboard", "news-box"]) { const el = $(`#${id}`); if (el) tutorialWatch.observe(el); }
  tutorialRender();
  if (view) tutorialOnView(view);
})();
