// The room's screen: the world coloured by each nation's sovereignty index, the news ticker,
// the quarter's clock and which teams have submitted. Public information only.
"use strict";

let world = null;
let view = null;
// The map's layer: chosen on this screen, remembered by this browser.
let layer = new URLSearchParams(location.search).get("layer") || localStorage.getItem("sovereign.layer") || "sovereignty_index";

$("#layer").addEventListener("change", () => {
  layer = $("#layer").value;
  localStorage.setItem("sovereign.layer", layer);
  drawMap();
});

function colour(v) {
  if (v === null || v === undefined) return "#26384a";
  const stops = [[0, [122, 43, 43]], [0.5, [184, 134, 43]], [1, [47, 155, 106]]];
  const x = Math.max(0, Math.min(1, v));
  const [a, b] = x <= 0.5 ? [stops[0], stops[1]] : [stops[1], stops[2]];
  const t = (x - a[0]) / (b[0] - a[0]);
  const c = a[1].map((ch, i) => Math.round(ch + (b[1][i] - ch) * t));
  return `rgb(${c.join(",")})`;
}

function ringPath(ring) {
  return "M" + ring.map(([lon, lat]) => `${lon},${-lat}`).join("L") + "Z";
}

function drawMap() {
  if (!world || !view) return;
  const layers = view.layers || [];
  if (!layers.some(([k]) => k === layer) && layers.length) layer = layers[0][0];
  $("#layer").innerHTML = layers.map(([k, label]) => `<option value="${esc(k)}"${k === layer ? " selected" : ""}>${esc(label)}</option>`).join("");
  const current = layers.find(([k]) => k === layer);
  $("#layer-title").textContent = current ? current[1] : "";
  const values = view.values[layer] || {};
  const byIso = {};
  for (const r of view.regions) for (const iso of r.iso3) byIso[iso] = r;
  const paths = world.features.map(f => {
    const g = f.geometry;
    if (!g) return "";
    const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    const d = polys.map(p => p.map(ringPath).join("")).join("");
    const region = byIso[f.properties.iso3];
    const v = region ? values[region.id] : null;
    const tip = region ? `${region.name}: ${v === null || v === undefined ? "–" : Math.round(v * 100) + "%"}` : f.properties.name;
    return `<path d="${d}" fill="${colour(region ? v : null)}" stroke="#0b1a2a" stroke-width="0.2"><title>${esc(tip)}</title></path>`;
  });
  $("#map").innerHTML = paths.join("");
}

function updateStatus(st) {
  $("#quarter").textContent = st.quarter;
  sharedRisk($("#risk"), st.shared_risk);
  $("#title").textContent = st.title;
  $("#room").textContent = st.room;
  setClock(st);
  $("#teams").innerHTML = st.teams.map(t => `<span class="pill ${t.submitted ? "in" : "wait"} big">${esc(t.name)} ${t.submitted ? "✓" : "…"}</span>`).join(" ");
  const banner = $("#banner");
  banner.className = "banner";
  if (st.stepping) { banner.textContent = "The quarter is being played…"; banner.classList.add("stepping"); }
  else if (st.paused) { banner.textContent = "Paused"; banner.classList.add("paused"); }
  else if (st.phase === "setup") banner.textContent = "Join now: the lesson starts soon";
  else banner.classList.add("hidden");
}

function render(v) {
  view = v;
  updateStatus(v.status);
  const items = (v.news || []).map(n => `${n.quarter}: ${n.headline}`);
  $("#ticker").textContent = items.length ? items.join("   ·   ") : "No news yet";
  drawMap();
}

(async () => {
  const info = await api("GET", "/api/lesson");
  if (info.ok) $("#join-url").textContent = info.data.join_url;
  const res = await api("GET", "/api/projector");
  if (res.ok) render(res.data);
  const geo = await fetch("/world.geojson");
  if (geo.ok) { world = await geo.json(); drawMap(); }
  connect({ role: "projector" }, msg => {
    if (msg.type === "projector") render(msg.view);
    else if (msg.type === "status") updateStatus(msg.status);
    else if (msg.type === "message" && view) {
      view.news = [...(view.news || []), { quarter: msg.message.quarter, headline: msg.message.text }];
      render(view);
    }
  });
  setInterval(() => { $("#timer").textContent = clockText(); }, 250);
})();
