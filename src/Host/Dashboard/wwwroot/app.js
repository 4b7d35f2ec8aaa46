// ShapeStudy live dashboard: renders /api/state snapshots pushed by Server-Sent Events (/api/events).
// Every value is written with textContent (never innerHTML): failure reasons and file names are data, not markup.
"use strict";

const $ = (id) => document.getElementById(id);
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x)) ? "–" : (typeof x === "number" ? x.toFixed(d) : String(x));

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    if (c instanceof Node) { const td = document.createElement("td"); td.appendChild(c); tr.appendChild(td); }
    else if (typeof c === "number") tr.appendChild(el("td", c, "num"));
    else tr.appendChild(el("td", c));
  }
  return tr;
}

function fill(tbody, rows, emptyText, columns) {
  tbody.replaceChildren(...rows);
  if (rows.length === 0) {
    const td = el("td", emptyText, "none");
    td.colSpan = columns;
    const tr = document.createElement("tr");
    tr.appendChild(td);
    tbody.appendChild(tr);
  }
}

function duration(s) {
  if (s === null || s === undefined) return "–";
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function histogram(container, counts, labels) {
  const max = Math.max(1, ...counts);
  const cols = counts.map((c, i) => {
    const col = el("div", null, "col");
    col.title = `${labels[i]}: ${c}`;
    col.appendChild(el("div", c > 0 ? c : "", "t"));
    const b = el("div", null, "b");
    b.style.height = `${(100 * c / max).toFixed(1)}%`;
    if (c === 0) b.style.minHeight = "0";
    col.appendChild(b);
    return col;
  });
  container.replaceChildren(...cols);
  const axis = el("div", null, "hist-labels");
  for (const l of labels) axis.appendChild(el("span", l));
  if (container.nextSibling && container.nextSibling.className === "hist-labels") container.nextSibling.remove();
  container.after(axis);
}

let stageOrder = [];

function renderStudy(s) {
  $("study-id").textContent = `study ${s.studyId} → ${s.outputDir}`;
  const badge = $("study-state");
  badge.textContent = s.state;
  badge.className = `badge ${s.state}`;
  $("tasks-finished").textContent = s.finished;
  $("tasks-total").textContent = s.tasks;
  $("tasks-failed").textContent = s.failed;
  $("tasks-running").textContent = s.running;
  $("rate").textContent = fmt(s.tasksPerSecond, 2);
  $("elapsed").textContent = duration(s.elapsedSeconds);
  $("eta").textContent = s.state === "running" ? duration(s.etaSeconds) : "done";
  $("progress-bar").style.width = `${s.tasks > 0 ? (100 * s.finished / s.tasks).toFixed(1) : 0}%`;
  $("errors").replaceChildren(...s.errors.map((e) => el("li", e)));

  stageOrder = s.stages.map((g) => g.stage);
  fill($("stages").tBodies[0], s.stages.map((g) => {
    const bar = el("div", null, "bar");
    const f = el("div", null, "fill");
    f.style.width = `${g.total > 0 ? (100 * (g.done + g.cached + g.failed) / g.total).toFixed(1) : 0}%`;
    bar.appendChild(f);
    return row([g.stage, g.total, g.done, g.cached, g.failed, g.running, g.queued, fmt(g.perMinute, 1), g.retries, fmt(g.meanSeconds, 2), bar]);
  }), "no task planned yet", 11);

  renderCells(s.cells);
  renderProgress(s.progress || []);
  renderFailures(s.failures);
  renderScience(s.science);
}

function renderCells(cells) {
  const table = $("cells");
  const stages = stageOrder.filter((st) => cells.some((c) => c.stages[st]));
  const head = document.createElement("tr");
  head.appendChild(el("th", "cell"));
  for (const st of stages) head.appendChild(el("th", st));
  head.appendChild(el("th", "status"));
  table.tHead.replaceChildren(head);
  fill(table.tBodies[0], cells.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.cell = c.cell;
    tr.dataset.status = c.status;
    tr.appendChild(el("td", c.cell));
    for (const st of stages) {
      const td = document.createElement("td");
      const v = c.stages[st];
      if (v) {
        const sq = el("span", null, `sq ${v.status}`);
        sq.title = `${st}: ${v.finished}/${v.tasks} finished, ${v.running} running, ${v.failed} failed${v.error ? " — " + v.error : ""}${v.progress ? " — " + v.progress : ""}`;
        td.appendChild(sq);
        if (v.tasks > 1) td.appendChild(el("small", ` ${v.finished}/${v.tasks}`));
      }
      tr.appendChild(td);
    }
    const status = el("td", c.error ? `failed: ${c.error}` : c.status, c.error ? "reason" : null);
    tr.appendChild(status);
    return tr;
  }), "no cell yet", stages.length + 2);
}

function renderProgress(lines) {
  const list = $("task-progress");
  if (lines.length === 0) { list.replaceChildren(el("li", "none", "none")); return; }
  list.replaceChildren(...lines.map((p) => {
    const li = el("li");
    li.dataset.key = p.key;
    li.appendChild(el("b", `${p.stage} ${p.subject}`));
    li.appendChild(document.createTextNode(": "));
    li.appendChild(el("span", p.text, "text"));
    return li;
  }));
}

function renderFailures(failures) {
  const list = $("failures");
  if (failures.length === 0) { list.replaceChildren(el("li", "none", "none")); return; }
  list.replaceChildren(...failures.map((f) => {
    const li = el("li", null, f.kind);
    li.dataset.subject = f.subject;
    li.appendChild(el("span", f.kind, "kind"));
    li.appendChild(el("b", `${f.stage} ${f.subject}`));
    li.appendChild(document.createTextNode(` (attempt ${f.attempt}): `));
    li.appendChild(el("span", f.reason, "reason"));
    return li;
  }));
}

function renderScience(sci) {
  const m = sci.meshes;
  $("mesh-summary").textContent = m.meshes === 0 ? "no mesh yet"
    : `${m.meshes} meshes, ${m.watertight} watertight; smallest angle ${fmt(m.worstMinAngleDeg, 1)}°`;
  histogram($("mesh-hist"), m.minAngleHistogram, m.minAngleHistogram.map((_, i) => `${i * m.binDegrees}`));
  histogram($("angle-hist"), m.angleHistogram, m.angleHistogram.map((_, i) => `${i * 10}`));

  const v = sci.solver;
  $("solver").textContent = v.simulations === 0 ? "no simulation yet"
    : `${v.simulations} runs · steps mean ${fmt(v.meanSteps, 0)} (max ${v.maxSteps}) · linear iterations mean ${fmt(v.meanIterations, 0)} (max ${v.maxIterations}) · solve ${fmt(v.meanSolveSeconds, 2)} s mean, ${fmt(v.maxSolveSeconds, 2)} s max`
      + (v.femRuns > 0 ? ` · FEM: ${v.femRuns} runs, ${v.rejectedSteps} rejected steps, ${v.dtHalvings} dt halvings` : "");
  histogram($("iter-hist"), v.iterationsPerStepHistogram, v.iterationsPerStepEdges.map((e, i) => i === v.iterationsPerStepEdges.length - 1 ? `≥${e}` : `${e}`));

  fill($("fits").tBodies[0], sci.fits.map((f) => {
    const rhat = el("span", fmt(f.rHat, 3), f.rHat < 1.01 ? "ok" : "bad");
    return row([f.cell, f.parameter, `${fmt(f.mean, 4)} ± ${fmt(f.sd, 4)}`, fmt(f.trueValue, 4), rhat, fmt(f.essBulk, 0), fmt(f.essTail, 0), `${f.chains} × ${f.draws}`, fmt(f.acceptanceRate, 2)]);
  }), "no fit yet", 9);

  fill($("segmentation").tBodies[0], sci.segmentation.map((q) =>
    row([q.input, fmt(q.dice, 3), fmt(q.iou, 3), fmt(q.adaptedRandError, 3), fmt(q.voiSplit, 3), fmt(q.voiMerge, 3), `${q.predictedObjects} / ${q.groundTruthObjects}`])),
    "no input with ground truth", 7);
}

function render(state) {
  const studies = state.studies;
  const current = studies.filter((s) => s.state === "running").pop() || studies[studies.length - 1];
  if (current) renderStudy(current);

  fill($("members").tBodies[0], state.members.map((m) => {
    const tr = row([m.address, m.roles.join(", "), m.status, m.reachable ? "yes" : "NO",
      m.slots === null || m.slots === undefined ? "–" : `${m.busy} / ${m.slots}`]);
    tr.dataset.address = m.address;
    return tr;
  }), "not a cluster member yet", 5);

  const actors = [...state.actors].sort((a, b) => b.mailboxDepth - a.mailboxDepth || b.messagesPerSecond - a.messagesPerSecond);
  fill($("actors").tBodies[0], actors.map((a) => row([a.actorType, a.actors, a.mailboxDepth, fmt(a.messagesPerSecond, 1), a.enqueued])), "no actor yet", 5);
}

function connect() {
  const status = $("connection");
  const events = new EventSource("api/events");
  events.addEventListener("state", (e) => {
    status.textContent = `live · ${new Date().toLocaleTimeString()}`;
    status.className = "connection live";
    render(JSON.parse(e.data));
  });
  events.onerror = () => {
    status.textContent = "connection lost, retrying…";
    status.className = "connection lost";
  };
}

fetch("api/state").then((r) => r.ok ? r.json() : null).then((s) => { if (s) render(s); }).catch(() => {});
connect();
