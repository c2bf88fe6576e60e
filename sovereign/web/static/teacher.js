// The teacher's console: set up seats, run the quarters, watch teams and messages, export data.
// The secret key is the last part of this page's address; every call sends it in a header.
"use strict";

const adminKey = decodeURIComponent(location.pathname.split("/").pop());
const H = { "X-Admin-Key": adminKey };
let admin = null;

async function act(verb, body = {}, errorBox = "#play-error") {
  const res = await api("POST", `/api/admin/${verb}`, body, H);
  $(errorBox).textContent = res.ok ? "" : (res.data.error || `refused (${res.status})`);
  if (res.ok && verb === "pause" && admin) { admin.status.paused = body.on; updateStatus(admin.status); }
  return res;
}

function render(v) {
  admin = v;
  const st = v.status;
  $("#title").textContent = st.title;
  $("#room").textContent = v.room;
  $("#briefing").textContent = v.briefing || "";
  $("#debrief").textContent = v.debrief || "This scenario has no debrief questions.";
  updateStatus(st);
  $("#quarter-error").textContent = v.error ? `The last quarter could not be played: ${v.error}. Try again; the server's log has the details.` : "";
  $("#setup-box").classList.toggle("hidden", st.phase !== "setup");
  $("#play-box").classList.toggle("hidden", st.phase === "setup");
  $("#scenario").innerHTML = v.scenarios.map(s => `<option value="${esc(s.id)}"${s.id === v.scenario ? " selected" : ""}>${esc(s.title)}</option>`).join("");
  if (st.phase === "setup") {
    const roles = ["team", ...v.levels];
    $("#seats").innerHTML = `<tr><th>Seat</th><th>Kind</th><th>Played by</th><th>Team</th></tr>` + v.seats.map(s =>
      `<tr><td>${esc(s.name)}</td><td>${esc(s.kind)}</td><td><select data-seat="${esc(s.id)}">` +
      roles.map(r => `<option value="${r}"${r === s.role ? " selected" : ""}>${r === "team" ? "a team" : "AI, " + r}</option>`).join("") +
      `</select></td><td>${esc(s.team || "")}</td></tr>`).join("");
    for (const sel of $("#seats").querySelectorAll("select")) {
      sel.onchange = () => act("role", { seat: sel.dataset.seat, role: sel.value }, "#setup-error");
    }
  }
  $("#lock").checked = st.locked;
  $("#undo").disabled = !v.can_undo;
  if (document.activeElement !== $("#timer-s")) $("#timer-s").value = st.timer_s;
  const names = Object.fromEntries(v.teams.map(t => [t.id, t.name]));
  $("#teams").innerHTML = `<tr><th>Team</th><th>Seat</th><th>PIN</th><th>Devices</th><th>Orders</th><th>Turn</th><th>Played by</th><th></th></tr>` +
    v.teams.map(t => `<tr data-team="${esc(t.id)}"><td>${esc(t.name)}</td><td>${esc(t.seat)}</td><td>${esc(t.pin)}</td><td>${t.devices}</td><td>${t.orders}</td>` +
      (t.played_by && t.played_by.now === "ai" ? `<td><span class="pill">the AI decides</span></td>` :
        `<td><span class="pill ${t.submitted ? "in" : "wait"}">${t.submitted ? "in" : "deciding"}</span></td>`) +
      `<td>${playedBy(t.played_by)}</td>` +
      `<td class="row"><button data-move="${esc(t.id)}">Move device</button><button data-mute="${esc(t.id)}" data-muted="${t.muted}">${t.muted ? "Unmute" : "Mute"}</button>` +
      `<button data-hand="${esc(t.seat)}" data-to="${handTo(t.played_by)}">${handTo(t.played_by) === "ai" ? "Hand to the AI" : "Back to the team"}</button></td></tr>`).join("");
  for (const b of $("#teams").querySelectorAll("button[data-hand]")) {
    b.onclick = () => act("hand-seat", { seat: b.dataset.hand, player: b.dataset.to });
  }
  for (const b of $("#teams").querySelectorAll("button[data-move]")) {
    b.onclick = async () => {
      const res = await act("move", { team: b.dataset.move });
      if (res.ok) $("#team-note").textContent = `${names[b.dataset.move]}: the old devices are signed out; join again with PIN ${res.data.pin}.`;
    };
  }
  for (const b of $("#teams").querySelectorAll("button[data-mute]")) {
    b.onclick = () => act("mute", { team: b.dataset.mute, muted: b.dataset.muted !== "true" });
  }
  $("#injects").innerHTML = v.injects.map(j => `<li class="row"><span style="flex:1">${esc(j.quarter)} · ${esc(j.kind)}: ${esc(j.headline)}</span>` +
    `<button data-inject="${j.index}">Fire now</button></li>`).join("") || `<li class="muted">This scenario has no injects.</li>`;
  for (const b of $("#injects").querySelectorAll("button")) {
    b.onclick = () => act("inject", { index: Number(b.dataset.inject) }, "#inject-error");
  }
  $("#messages").innerHTML = v.messages.map(m => messageItem(m, names)).join("") || `<li class="muted">No messages yet.</li>`;
  const q = `?key=${encodeURIComponent(adminKey)}`;
  $("#export-zip").href = `/api/admin/export/lesson.zip${q}`;
  $("#exports").innerHTML = v.exports.map(t =>
    `<li>${t}: <a href="/api/admin/export/${t}.csv${q}">CSV</a> · <a href="/api/admin/export/${t}.parquet${q}">Parquet</a></li>`).join("");
}

// Who plays a team's seat: this quarter, and from the next one when a hand-over is waiting.
function playedBy(p) {
  if (!p) return "";
  const word = w => (w === "team" ? "the team" : "the AI");
  return p.now === p.next ? word(p.now) : `${word(p.now)}, then ${word(p.next)} from next quarter`;
}

// The hand-over the button offers: to the AI, unless the AI plays (or is about to play) the seat.
function handTo(p) { return p && p.next === "ai" ? "team" : "ai"; }

function updateStatus(st) {
  $("#quarter").textContent = st.quarter;
  setClock(st);
  $("#pause").textContent = st.paused ? "Resume" : "Pause";
  const banner = $("#banner");
  banner.className = "banner";
  if (st.stepping) { banner.textContent = "The quarter is being played…"; banner.classList.add("stepping"); }
  else if (st.paused) { banner.textContent = "Paused"; banner.classList.add("paused"); }
  else if (st.phase === "over") banner.textContent = "The game is over";
  else banner.classList.add("hidden");
}

$("#scenario").onchange = () => act("scenario", { id: $("#scenario").value }, "#setup-error");
$("#start").onclick = () => act("start", {}, "#setup-error");
$("#pause").onclick = () => act("pause", { on: !admin.status.paused });
$("#end-quarter").onclick = () => act("end-quarter");
$("#undo").onclick = () => { if (confirm("Go back to the start of the last quarter?")) act("undo"); };
$("#set-timer").onclick = () => act("timer", { seconds: Number($("#timer-s").value) });
const MEASURES = { sovereignty_index: "sovereignty index", valuation_busd: "valuation ($B)" };
$("#run-debrief").onclick = async () => {
  const btn = $("#run-debrief");
  btn.disabled = true;
  btn.textContent = "Playing the bots' games…";
  const res = await act("debrief", { runs: Number($("#debrief-runs").value) }, "#debrief-error");
  btn.disabled = false;
  btn.textContent = "Compare";
  if (!res.ok) return;
  const f = x => (x === null || x === undefined) ? "–" : Number(x).toLocaleString(undefined, { maximumFractionDigits: 3 });
  const rows = res.data.rows;
  $("#debrief-table").innerHTML = rows.length === 0 ? "" :
    `<tr><th>Team seat</th><th>Measure</th><th>Class</th><th>Bots' median</th><th>Bots 5–95%</th><th>Percentile</th></tr>` +
    rows.map(r => `<tr><td>${esc(r.name)}</td><td>${esc(MEASURES[r.column] || r.column.replaceAll("_", " "))} (${esc(r.quarter)})</td>` +
      `<td>${f(r.value)}</td><td>${f(r.median)}</td><td>${f(r.low)}–${f(r.high)}</td>` +
      `<td><b>${r.percentile === null ? "–" : Math.round(r.percentile)}</b></td></tr>`).join("");
};
$("#lock").onchange = () => act("lock", { on: $("#lock").checked });
$("#fire-headline").onclick = async () => {
  const res = await act("inject", { headline: $("#headline").value }, "#inject-error");
  if (res.ok) $("#headline").value = "";
};
$("#broadcast").onclick = async () => {
  const res = await act("broadcast", { text: $("#broadcast-text").value }, "#inject-error");
  if (res.ok) $("#broadcast-text").value = "";
};

(async () => {
  const info = await api("GET", "/api/lesson");
  if (info.ok) $("#join-url").textContent = info.data.join_url;
  const res = await api("GET", "/api/admin", undefined, H);
  if (res.ok) render(res.data);
  connect({ role: "admin", token: adminKey }, msg => {
    if (msg.type === "admin") render(msg.view);
    else if (msg.type === "status") { if (admin) admin.status = msg.status; updateStatus(msg.status); }
    else if (msg.type === "message" && admin) { admin.messages.push(msg.message); render(admin); }
  }, reason => { $("#play-error").textContent = reason; }, up => { $("#link").textContent = up ? "online" : "reconnecting"; });
  setInterval(() => { $("#timer").textContent = clockText(); }, 250);
})();
