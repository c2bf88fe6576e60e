// The team's page: join, then the seat's dashboard, orders, "our turn is in", results, messages.
// The device keeps its team token in localStorage, so a reload or a dropped connection comes back
// to the same team with its queued orders (they are kept by the server, not by the page).
"use strict";

const KEY = "sovereign.token";
let token = localStorage.getItem(KEY);
let view = null;
let fields = [];
let socket = null;
let previewTimer = null;

const auth = () => ({ Authorization: `Bearer ${token}` });

function show(which) {
  $("#join-view").classList.toggle("hidden", which !== "join");
  $("#team-view").classList.toggle("hidden", which !== "team");
}

async function showJoin(reason) {
  show("join");
  $("#join-error").textContent = reason || "";
  const res = await api("GET", "/api/lesson");
  if (!res.ok) return;
  const seats = res.data.seats;
  $("#join-seat").innerHTML = `<option value="">(choose)</option>` +
    seats.map(s => `<option value="${esc(s.id)}">${esc(s.name)} (${esc(s.kind)})</option>`).join("");
  updateStatus(res.data.status);
}

$("#join-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const body = { room: $("#join-room").value.trim(), team: $("#join-team").value.trim() };
  const pin = $("#join-pin").value.trim();
  if (pin) body.pin = pin; else if ($("#join-seat").value) body.seat = $("#join-seat").value;
  const res = await api("POST", "/api/join", body);
  if (!res.ok) { $("#join-error").textContent = res.data.error || `refused (${res.status})`; return; }
  token = res.data.token;
  localStorage.setItem(KEY, token);
  start();
});

function forget(reason) {
  localStorage.removeItem(KEY);
  token = null;
  if (socket) socket.stop();
  showJoin(reason);
}

async function start() {
  if (!token) { showJoin(); return; }
  const res = await api("GET", "/api/team", undefined, auth());
  if (res.status === 403) { forget(res.data.error); return; }
  if (res.ok) render(res.data);
  show("team");
  socket = connect({ role: "team", token }, onPush, forget, up => {
    $("#link").textContent = up ? "online" : "reconnecting";
  });
}

// tutorial.js ticks its steps off by what the page shows: tell it whenever that changes
function tellTutorial() { if (view) document.dispatchEvent(new CustomEvent("sovereign:view", { detail: view })); }

function onPush(msg) {
  if (msg.type === "view") render(msg.view);
  else if (msg.type === "status") { updateStatus(msg.status); if (view) { view.status = msg.status; tellTutorial(); } }
  else if (msg.type === "queued" && view) { view.queued = msg.queued; view.committed = msg.committed; renderQueue(view); tellTutorial(); }
  else if (msg.type === "message" && view) { view.messages.push(msg.message); renderMessages(); }
}

function updateStatus(st) {
  $("#quarter").textContent = st.quarter;
  sharedRisk($("#risk"), st.shared_risk);
  setClock(st);
  const banner = $("#banner");
  banner.className = "banner";
  if (st.phase === "setup") { banner.textContent = "Waiting for the teacher to start the lesson"; }
  else if (st.stepping) { banner.textContent = "The quarter is being played…"; banner.classList.add("stepping"); }
  else if (st.paused) { banner.textContent = "Paused by the teacher"; banner.classList.add("paused"); }
  else if (st.phase === "over") { banner.textContent = "The game is over: time for the debrief"; }
  else if (view && view.played_by && view.played_by.now === "ai") {
    // the teacher handed the seat to the AI: say so, and when the team gets it back
    banner.textContent = view.played_by.next === "team"
      ? "The AI plays your seat this quarter; your team takes it back from the next one"
      : "The teacher has handed your seat to the AI: it decides for you until the teacher hands it back";
    banner.classList.add("paused");
  }
  else if (view && view.played_by && view.played_by.next === "ai") {
    banner.textContent = "This quarter is still yours; from the next one the AI plays your seat (the teacher's choice)";
  }
  else banner.classList.add("hidden");
  if (view) {
    const me = st.teams.find(t => t.id === view.team.id);
    if (me) setTurn(me.submitted);
    $("#others").innerHTML = st.teams.map(t =>
      `<span class="pill ${t.submitted ? "in" : "wait"}">${esc(t.name)} ${t.submitted ? "✓" : "…"}</span>`).join(" ");
  }
}

function setTurn(done) {
  view.submitted = done;
  // while the teacher has the AI play the seat, the team watches: nothing to queue or hand in
  const ai = Boolean(view.played_by && view.played_by.now === "ai");
  $("#turn-in").textContent = done ? "Take our turn back" : "Our turn is in";
  $("#turn-in").disabled = ai;
  $("#turn-state").textContent = ai ? "the AI decides" : done ? "our turn is in" : "still deciding";
  $("#turn-state").className = `pill ${done && !ai ? "in" : "wait"}`;
  $("#queue-btn").disabled = done || ai;
}

function render(v) {
  const firstRender = !view || !view.observation || (v.status && view.status && v.status.quarter !== view.status.quarter);
  view = v;
  $("#team-label").textContent = `${v.team.name} · ${v.seat_name || v.team.seat}`;
  $("#seat-title").textContent = `${v.team.name}: ${v.seat_name || v.team.seat}`;
  $("#pin-line").textContent = `Team PIN for a second device: ${v.team.pin}`;
  $("#briefing").textContent = v.briefing || "";
  $("#objectives").innerHTML = (v.objectives || []).map(o => `<li>${esc(o)}</li>`).join("");
  updateStatus(v.status);
  renderMessages();
  if (!v.observation) { $("#figures").innerHTML = `<p class="muted">${v.gone ? esc(v.gone) : "Waiting for the game…"}</p>`; return; }
  renderDashboard(v);
  renderQueue(v);
  renderDecisions(v);
  renderOffers(v);
  renderResults(v);
  if (firstRender || !$("#action").options.length) renderActions(v);
  tellTutorial();
}

function renderDashboard(v) {
  const priv = v.observation.private;
  const nation = v.observation.public.nations.find(n => n.region === v.team.seat);
  const figs = [[nation ? "Budget" : "Cash", money(priv.cash_busd)], ["Committed this quarter", v.committed]];
  if (nation) {
    figs.unshift(["Sovereignty index", pct(nation.sovereignty_index)]);
    figs.push(["Industrial power price", `$${Math.round(nation.retail_price_usd_mwh ?? 0)}/MWh`]);
  }
  const biz = v.business;
  if (biz) figs.unshift(["Valuation", biz.valuation]);
  figs.push(["Datacenters", String(priv.datacenters.length)], ["Projects", String(priv.projects.length)]);
  $("#business").classList.toggle("hidden", !biz);
  $("#business-lines").innerHTML = biz ? biz.lines.map(l => `<li>${esc(l)}</li>`).join("") : "";
  $("#business-valuation").textContent = biz && biz.valuation_cause ? `Why your valuation moved: ${biz.valuation_cause}` : "";
  $("#figures").innerHTML = figs.map(([k, val]) => `<div class="figure"><div class="muted">${esc(k)}</div><div class="v">${esc(val)}</div></div>`).join("");
  const pillars = [["compute_self_reliance", "Compute self-reliance"], ["power_adequacy", "Power adequacy"],
    ["chip_security", "Chip security"], ["data_governance", "Data governance"], ["cyber_resilience", "Cyber resilience"]];
  $("#pillars").innerHTML = nation ? pillars.map(([k, label]) =>
    `<label>${label}: ${pct(nation[k])}</label><div class="bar-track"><div class="bar-fill" style="width:${Math.round((nation[k] || 0) * 100)}%"></div></div>`).join("")
    : "";
  const key = v.kind === "nation" ? "sovereignty_index" : "cash_busd";
  $("#history").innerHTML = `<p class="muted">${v.kind === "nation" ? "Sovereignty index" : "Cash"}</p>` +
    sparkline(v.history || [], key, v.kind === "nation" ? 0 : null, v.kind === "nation" ? 1 : null);
  const news = v.observation.public.news || [];
  $("#news").innerHTML = news.length ? news.map(n => `<li><b>${esc(n.headline)}</b> <span class="muted">${esc(n.text || "")}</span></li>`).join("")
    : `<li class="muted">No news last quarter.</li>`;
}

function renderQueue(v) {
  $("#queued").innerHTML = v.queued.length ? v.queued.map(q => `<li>${esc(q.text)}</li>`).join("") : `<li class="muted">Nothing queued yet.</li>`;
  $("#committed").textContent = `(${v.committed} committed)`;
}

function renderDecisions(v) {
  $("#decisions-box").classList.toggle("hidden", !v.decisions.length);
  $("#decisions").innerHTML = v.decisions.map(d => `<p><b>${esc(d.headline)}</b></p>` +
    `<ul class="effects">` + d.options.map((o, i) => `<li><b>${esc(o)}</b>: ${esc((d.effects || [])[i] || "")}</li>`).join("") + `</ul>` +
    `<div class="row">` +
    d.options.map((o, i) => `<button data-event="${d.event_id}" data-option="${i}">${esc(o)}</button>`).join("") + `</div>`).join("");
  for (const b of $("#decisions").querySelectorAll("button")) {
    b.onclick = () => sendOrder({ command: { kind: "decide", event_id: Number(b.dataset.event), option: Number(b.dataset.option) } });
  }
}

function renderOffers(v) {
  const offers = v.offers || [];
  $("#offers-box").classList.toggle("hidden", !offers.length);
  $("#offers").innerHTML = offers.map(o => `<p><b>From ${esc(o.from)}</b>: ${esc(o.text)}</p>` +
    `<div class="row"><button data-deal="${o.deal}" data-accept="1">Accept</button>` +
    `<button data-deal="${o.deal}" data-accept="0">Reject</button></div>`).join("");
  for (const b of $("#offers").querySelectorAll("button")) {
    b.onclick = () => sendOrder({ command: { kind: "answer_deal", deal: Number(b.dataset.deal), accept: b.dataset.accept === "1" } });
  }
}

const LABELS = {
  cash_busd: "Cash", sovereignty_index: "Sovereignty index", compute_self_reliance: "Compute self-reliance",
  power_adequacy: "Power adequacy", chip_security: "Chip security", data_governance: "Data governance",
  cyber_resilience: "Cyber resilience", revenue_busd: "Revenue", valuation_busd: "Valuation", market_share: "Market share",
};

function renderResults(v) {
  const r = v.results;
  $("#results-box").classList.toggle("hidden", !r);
  if (!r) return;
  $("#results-quarter").textContent = r.quarter;
  const rows = Object.entries(r.figures).map(([k, f]) => {
    const fmt = k.endsWith("_busd") ? money : pct;
    const label = k === "cash_busd" && v.kind === "nation" ? "Budget" : (LABELS[k] || k.replaceAll("_", " "));
    return `<tr><td>${esc(label)}</td><td>${fmt(f.before)}</td><td>→ ${fmt(f.after)}</td></tr>`;
  }).join("");
  const applied = r.applied.map(a => `<li class="${a.accepted ? "good" : "error"}">${esc(a.text)}${a.accepted ? "" : ": " + esc(a.reason)}</li>`).join("");
  $("#results").innerHTML = `<table>${rows}</table><ul class="plain">${applied || "<li class='muted'>No orders were played.</li>"}</ul>`;
}

function renderActions(v) {
  $("#action").innerHTML = v.actions.map(a => `<option value="${esc(a.key)}">${esc(a.label)}</option>`).join("");
  loadForm();
}

$("#action").addEventListener("change", () => loadForm());

// The form being shown: a load or a preview that a newer load has overtaken is dropped, and an
// order for an action whose form is still loading is sent once it is in (a click while the new
// quarter's form loaded sent the new action with the old form's values, which the server refused
// as missing fields).
let formSeq = 0;
let formReady = false;
let formAction = null;  // the action the fields on the page belong to
let orderWaiting = false;

async function loadForm(region) {
  const seq = ++formSeq;
  formReady = false;
  $("#preview").innerHTML = "";  // the last form's verdict says nothing about this one
  const action = $("#action").value;
  const a = view.actions.find(x => x.key === action);
  $("#action-help").textContent = a ? a.tooltip : "";
  let q = `/api/team/form?action=${encodeURIComponent(action)}`;
  if (region) q += `&region=${encodeURIComponent(region)}`;
  const res = await api("GET", q, undefined, auth());
  if (seq !== formSeq) return;
  if (!res.ok) { $("#fields").innerHTML = `<p class="error">${esc(res.data.error)}</p>`; return; }
  const keep = region ? currentValues() : {};
  fields = res.data.fields;
  $("#fields").innerHTML = fields.map((f, i) => fieldHtml(f, i, keep[f.name])).join("");
  fields.forEach((f, i) => {
    const el = $(`#f-${i}`);
    el.addEventListener("input", () => {
      if (f.kind === "number") $(`#fv-${i}`).textContent = numberText(f, Number(el.value));
      if (f.name === "region") loadForm(el.value === "" ? null : f.choices[Number(el.value)][0]); else schedulePreview();
    });
  });
  formReady = true;
  formAction = action;
  schedulePreview();
  if (orderWaiting) { orderWaiting = false; queueOrder(); }
}

function numberText(f, x) { return f.none_at_max && x >= f.hi ? "unlimited" : String(x); }

function fieldHtml(f, i, keep) {
  const tip = f.tooltip ? ` title="${esc(f.tooltip)}"` : "";
  if (f.kind === "number") {
    const v = keep ?? f.default ?? f.lo;
    const val = v === null ? f.hi : v;
    return `<label for="f-${i}"${tip}>${esc(f.label)}: <b id="fv-${i}">${esc(numberText(f, val))}</b> <span class="muted">(${esc(f.lo_text)} – ${esc(f.hi_text)})</span></label>` +
      `<input id="f-${i}" name="${esc(f.name)}" type="range" min="${f.lo}" max="${f.hi}" step="${f.step}" value="${val}">`;
  }
  // a yes/no field shows the form's own words for each answer when it has them ("Own on-site gas")
  const choices = f.kind === "bool" && !(f.choices && f.choices.length) ? [[true, "yes"], [false, "no"]] : f.choices;
  if (f.kind === "bool") f.choices = choices;
  const cur = keep !== undefined ? keep : f.default;
  const opts = choices.map((c, j) => `<option value="${j}"${JSON.stringify(c[0]) === JSON.stringify(cur) ? " selected" : ""}>${esc(c[1])}</option>`).join("");
  return `<label for="f-${i}"${tip}>${esc(f.label)}</label><select id="f-${i}" name="${esc(f.name)}">${opts}</select>`;
}

function currentValues() {
  const out = {};
  fields.forEach((f, i) => {
    const el = $(`#f-${i}`);
    if (!el) return;
    if (f.kind === "number") { const x = Number(el.value); out[f.name] = f.none_at_max && x >= f.hi ? null : x; }
    else out[f.name] = f.choices[Number(el.value)][0];
  });
  return out;
}

function schedulePreview() { clearTimeout(previewTimer); previewTimer = setTimeout(runPreview, 150); }

async function runPreview() {
  if (!formReady) return;  // the form it would judge is still loading; its own preview follows
  const seq = formSeq;
  const res = await api("POST", "/api/team/preview", { action: $("#action").value, values: currentValues() }, auth());
  if (seq !== formSeq) return;
  const box = $("#preview");
  if (!res.ok) { box.innerHTML = `<span class="error">${esc(res.data.error)}</span>`; return; }
  const p = res.data;
  box.innerHTML = `<div>Cost <b>${esc(p.cost)}</b>, subsidy ${esc(p.subsidy)}, you pay <b>${esc(p.net_cost)}</b></div>` +
    (p.quarters !== null ? `<div>Ready in ${p.quarters} quarters (${esc(p.ready)})</div>` : "") +
    `<ul>${p.effects.map(e => `<li>${esc(e)}</li>`).join("")}</ul>` +
    `<div id="verdict" class="${p.verdict ? "error" : "good"}">${p.verdict ? esc(p.verdict) : "The order can be given."}</div>`;
}

async function sendOrder(body) {
  const res = await api("POST", "/api/team/orders", body, auth());
  const out = $("#order-result");
  if (res.status === 403) { forget(res.data.error); return; }
  if (res.ok) {
    out.className = "good"; out.textContent = "Queued.";
    view.queued = res.data.queued; view.committed = res.data.committed; renderQueue(view);
    tellTutorial();
  }
  else { out.className = "error"; out.textContent = res.data.reason || res.data.error || `refused (${res.status})`; }
}

function queueOrder() {
  const action = $("#action").value;
  if (action !== formAction) {  // its form is loading: the order goes when it is in
    orderWaiting = true;
    const out = $("#order-result");
    out.className = "muted"; out.textContent = "One moment: the form is loading.";
    return;
  }
  sendOrder({ action, values: currentValues() });
}

$("#queue-btn").addEventListener("click", queueOrder);

$("#turn-in").addEventListener("click", async () => {
  const res = await api("POST", "/api/team/done", { done: !view.submitted }, auth());
  if (res.ok) { setTurn(res.data.submitted); $("#turn-error").textContent = ""; }
  else $("#turn-error").textContent = res.data.error;
});

function renderMessages() {
  const names = Object.fromEntries(view.teams.map(t => [t.id, t.name]));
  names[view.team.id] = view.team.name;
  const list = $("#messages");
  list.innerHTML = view.messages.map(m => messageItem(m, names)).join("") || `<li class="muted">No messages yet.</li>`;
  list.scrollTop = list.scrollHeight;
  const sel = $("#msg-to"), cur = sel.value;
  sel.innerHTML = `<option value="all">Everyone</option>` + view.teams.map(t => `<option value="${esc(t.id)}">${esc(t.name)}</option>`).join("");
  if (cur) sel.value = cur;
}

$("#msg-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const text = $("#msg-text").value.trim();
  if (!text) return;
  const res = await api("POST", "/api/team/messages", { to: $("#msg-to").value, text }, auth());
  if (res.ok) { $("#msg-text").value = ""; $("#msg-error").textContent = ""; }
  else $("#msg-error").textContent = res.data.error;
});

setInterval(() => { $("#timer").textContent = clockText(); }, 250);
start();
