// Shared helpers of the classroom pages: JSON calls, a reconnecting websocket, small renderers.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// A JSON request; resolves to {ok, status, data} and never throws on an HTTP error,
// so every page can show the server's refusal reason as it is.
// A "one moment" answer (the quarter being saved) carries retry_ms: try again, waiting a little
// longer each time (a save on a busy school laptop can take seconds), for about half a minute.
async function api(method, path, body, headers = {}, tries = 20, wait = 0) {
  const res = await request(method, path, body, headers);
  if (res.status === 409 && res.data.retry_ms && tries > 1) {
    const next = Math.min(Math.max(wait * 1.5, res.data.retry_ms), 2000);
    await new Promise(ok => setTimeout(ok, next));
    return api(method, path, body, headers, tries - 1, next);
  }
  return res;
}

async function request(method, path, body, headers) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    const res = await fetch(path, init);
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    return { ok: res.ok, status: res.status, data };
  } catch (e) {
    return { ok: false, status: 0, data: { error: "the server cannot be reached; retrying" } };
  }
}

// A websocket that says who it is first and reconnects after a drop (a phone going to sleep).
// onForbidden is called instead of reconnecting when the server refuses us (close code 4403).
function connect(hello, onMessage, onForbidden, onState) {
  let stopped = false;
  let delay = 500;
  function open() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/ws`);
    ws.onopen = () => { delay = 500; ws.send(JSON.stringify(hello)); onState && onState(true); };
    ws.onmessage = ev => { const msg = JSON.parse(ev.data); if (msg.type === "error") return; onMessage(msg); };
    ws.onclose = ev => {
      onState && onState(false);
      if (ev.code === 4403) { stopped = true; onForbidden && onForbidden(ev.reason || "refused"); return; }
      if (!stopped) setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
  }
  open();
  return { stop() { stopped = true; } };
}

// The quarter's clock: the server sends the seconds left; the page counts down between updates.
const clock = { remaining: null, at: 0, paused: false };
function setClock(status) {
  clock.remaining = status.remaining; clock.at = performance.now(); clock.paused = status.paused;
}
function clockText() {
  if (clock.remaining === null || clock.remaining === undefined) return "no timer";
  const left = clock.paused ? clock.remaining : Math.max(0, clock.remaining - (performance.now() - clock.at) / 1000);
  const s = Math.ceil(left);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}${clock.paused ? " (paused)" : ""}`;
}

function pct(v) { return v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`; }
function money(b) {
  if (b === null || b === undefined) return "–";
  const a = Math.abs(b), sign = b < 0 ? "-" : "";
  if (a >= 1000) return `${sign}$${(a / 1000).toFixed(2)}T`;
  if (a >= 10) return `${sign}$${a.toFixed(0)}B`;
  if (a >= 0.995) return `${sign}$${a.toFixed(1)}B`;
  return `${sign}$${(a * 1000).toFixed(0)}M`;
}

// A small line chart of one series (values in [lo, hi]); labels the first and last quarter.
function sparkline(points, key, lo = null, hi = null) {
  const vals = points.map(p => p[key]).filter(v => v !== null && v !== undefined);
  if (vals.length < 2) return `<p class="muted">The chart starts after the first quarter.</p>`;
  const mn = lo ?? Math.min(...vals), mx = hi ?? Math.max(...vals), span = (mx - mn) || 1;
  const w = 300, h = 60;
  const xy = vals.map((v, i) => `${(i / (vals.length - 1)) * w},${h - ((v - mn) / span) * (h - 6) - 3}`).join(" ");
  return `<svg class="spark" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none">` +
    `<polyline fill="none" stroke="#4fb3ff" stroke-width="2" points="${xy}"/></svg>` +
    `<div class="row muted"><span>${esc(points[0].quarter)}</span><span style="flex:1"></span><span>${esc(points[points.length - 1].quarter)}</span></div>`;
}

function sharedRisk(el, risk) {
  // the scenario's shared risk (e.g. tech-war tension): everyone loses at the threshold
  el.classList.toggle("hidden", !risk);
  if (!risk) return;
  const share = Math.min(risk.value / risk.threshold, 1);
  el.classList.toggle("high", share >= 0.75);
  el.innerHTML = `${esc(risk.name)}: <b>${risk.value.toFixed(2)}</b> of ${risk.threshold}` +
    (risk.lost ? " · everyone has lost" : "") +
    `<span class="bar-track"><span class="bar-fill" style="width:${Math.round(share * 100)}%"></span></span>`;
}

function messageItem(m, teamNames) {
  const to = m.to === "all" ? "everyone" : (teamNames[m.to] || m.to);
  return `<li class="msg ${esc(m.kind)}"><span class="who">${esc(m.sender_name)}</span> <span class="muted">→ ${esc(to)} · ${esc(m.quarter)}</span><br>${esc(m.text)}</li>`;
}
