// The mapwright playground page. Every call to the engine goes through
// `engine` below: a WebAssembly build of the library could answer the same
// three calls in place of the server without the page changing.
"use strict";

const engine = {
  async integrations() {
    const r = await fetch("api/integrations");
    return (await r.json()).integrations;
  },
  run(request, signal) { return post("api/run", request, signal); },
  explain(request, signal) { return post("api/explain", request, signal); },
  // Only for a mapping the server was started with `-m MAPPING --write`.
  save(integration, mapping) { return post("api/save", { integration, mapping }); },
};

// The answer's JSON with its status; a refused request is {error: {code, message}}.
async function post(path, request, signal) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(request),
    signal,
  });
  const body = await r.json();
  return { status: r.status, body };
}

const $ = (id) => document.getElementById(id);
const ui = {
  integration: $("integration"), mapping: $("mapping"), input: $("input"),
  inputName: $("input-name"), outputFormat: $("output-format"), params: $("params"),
  status: $("status"), diagnostics: $("diagnostics"), errors: $("errors"),
  counts: $("counts"), rejections: $("rejections"), skipped: $("skipped"),
  output: $("output"), record: $("record"), traceText: $("trace-text"),
  cursor: $("cursor"),
};
let integrations = [];
let secretParams = [];
let writable = false;

function status(text, isError) {
  ui.status.textContent = text;
  ui.status.className = isError ? "error" : "";
}

function item(list, className, parts, onClick) {
  const li = document.createElement("li");
  li.className = className;
  for (const [cls, text] of parts) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    li.append(span, " ");
  }
  if (onClick) {
    li.classList.add("clickable");
    li.tabIndex = 0;
    li.addEventListener("click", onClick);
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") onClick(); });
  }
  list.append(li);
}

// The request the page's fields describe (params that are not a JSON object: an error).
function request() {
  let params;
  try {
    params = JSON.parse(ui.params.value || "{}");
  } catch (e) {
    throw new Error("the params are not JSON: " + e.message);
  }
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new Error("the params must be a JSON object of name: value");
  }
  return {
    integration: ui.integration.value || null,
    mapping: ui.mapping.value,
    input: ui.input.value,
    input_name: ui.inputName.value,
    params,
    output_format: ui.outputFormat.value || null,
  };
}

// Where the editor's cursor is, as diagnostics name places.
function showCursor() {
  const before = ui.mapping.value.slice(0, ui.mapping.selectionStart).split("\n");
  ui.cursor.textContent = `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

// Move the editor's cursor to a 1-based line and column, and show it.
function moveCursor(line, column) {
  const lines = ui.mapping.value.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
  offset += Math.max(0, column - 1);
  ui.mapping.focus();
  ui.mapping.setSelectionRange(offset, offset);
  const lineHeight = parseFloat(getComputedStyle(ui.mapping).lineHeight) || 18;
  ui.mapping.scrollTop = Math.max(0, (line - 1) * lineHeight - ui.mapping.clientHeight / 3);
  showCursor();
}

function showDiagnostics(diagnostics) {
  ui.diagnostics.replaceChildren();
  for (const d of diagnostics || []) {
    const where = d.in_mapping ? `line ${d.line}, column ${d.column}` : `${d.file}:${d.line}:${d.column}`;
    const text = d.help ? `${d.message} (${d.help})` : d.message;
    item(ui.diagnostics, `diagnostic ${d.severity}`, [["where", where], ["code", d.code], ["message", text]],
      d.in_mapping && d.line > 0 ? () => moveCursor(d.line, d.column) : null);
  }
}

// The input line a rejection or skip names, for its trace.
const lineOf = (entry) => (Array.isArray(entry.input) ? entry.input[0] : entry.input);
// JSON and XML documents number their records; NDJSON and CSV name a line.
const whereOf = (n) => (/\.(json|xml)$/i.test(ui.inputName.value) ? `record ${n}` : `line ${n}`);

function showRun(answer) {
  // The mapping as edited may declare secret params its file did not: the
  // link leaves those out too.
  for (const name of answer.secret_params || []) {
    if (!secretParams.includes(name)) secretParams = secretParams.concat([name]);
  }
  showDiagnostics(answer.diagnostics);
  ui.errors.replaceChildren();
  for (const e of answer.errors || []) item(ui.errors, "error", [["message", e]]);
  const c = answer.counts;
  ui.counts.textContent = c
    ? `${c.input_records} input records, ${c.units} units: ${c.accepted} accepted, ${c.rejected} rejected, ${c.skipped} skipped`
    : "nothing ran";
  ui.rejections.replaceChildren();
  for (const r of answer.rejections || []) {
    const line = lineOf(r);
    for (const e of r.errors) {
      item(ui.rejections, "rejection", [["where", whereOf(line)], ["rule", e.rule], ["where", e.path], ["message", e.message]],
        () => explain(line));
    }
  }
  ui.skipped.replaceChildren();
  for (const s of answer.skipped || []) {
    const line = lineOf(s);
    item(ui.skipped, "skip", [["where", whereOf(line)], ["message", s.reason]], () => explain(line));
  }
  // Exactly what `convert` writes (parsing would lose 25.00's places).
  ui.output.textContent = answer.output || "";
}

// The request of the page's state, or null once the status line says why
// there is none (params that are no JSON, say).
function requestOrSay() {
  try {
    return request();
  } catch (e) {
    status(e.message, true);
    return null;
  }
}

let inFlight = null;
let sequence = 0;

// Run the page's mapping over its input; an answer overtaken by a newer run is dropped.
async function run() {
  const req = requestOrSay();
  if (!req) return;
  if (inFlight) inFlight.abort();
  inFlight = new AbortController();
  const mine = ++sequence;
  const started = performance.now();
  status("running…");
  try {
    const { status: code, body } = await engine.run(req, inFlight.signal);
    if (mine !== sequence) return;
    if (body.error) {
      status(`${body.error.code}: ${body.error.message}`, true);
      return;
    }
    showRun(body);
    const failed = (body.diagnostics || []).some((d) => d.severity === "error") || (body.errors || []).length > 0;
    status(failed ? "the mapping did not run" : `done in ${Math.round(performance.now() - started)} ms`, failed || code !== 200);
  } catch (e) {
    if (e.name !== "AbortError" && mine === sequence) status("the server did not answer: " + e.message, true);
  }
  saveState();
}

async function explain(line) {
  if (line) ui.record.value = line;
  const req = requestOrSay();
  if (!req) return;
  // The number a rejection names: the line of an NDJSON record or a CSV
  // row (its unit), the index of a record in JSON or XML documents.
  req.record = Number(ui.record.value) || 1;
  delete req.output_format;
  ui.traceText.textContent = "explaining…";
  const { body } = await engine.explain(req);
  if (body.error) ui.traceText.textContent = `${body.error.code}: ${body.error.message}`;
  else if ((body.errors || []).length) ui.traceText.textContent = body.errors.join("\n");
  else ui.traceText.textContent = body.text;
}

// Write the mapping back to its file (serve --write), then say so.
async function save() {
  const { body } = await engine.save(ui.integration.value, ui.mapping.value);
  if (body.error) status(`${body.error.code}: ${body.error.message}`, true);
  else ui.status.textContent += ` · saved to ${body.saved}`;
}

let timer = null;
function runSoon(edited) {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    await run();
    if (edited === "mapping" && writable) await save();
  }, 400);
}

function load(integration) {
  ui.mapping.value = integration.mapping;
  ui.input.value = integration.input;
  ui.inputName.value = integration.input_name;
  ui.params.value = JSON.stringify(integration.params, null, 2);
  ui.outputFormat.value = integration.output_format || "";
  secretParams = integration.secret_params || [];
  writable = Boolean(integration.writable);
}

// The page's state in the URL fragment, compressed where the browser can;
// the integration's secret params are left out.
async function saveState() {
  let params = {};
  try { params = JSON.parse(ui.params.value || "{}"); } catch (_) { /* kept out */ }
  for (const name of secretParams) delete params[name];
  const state = JSON.stringify({
    i: ui.integration.value, m: ui.mapping.value, n: ui.inputName.value,
    d: ui.input.value, p: params, o: ui.outputFormat.value,
  });
  const bytes = new TextEncoder().encode(state);
  const packed = window.CompressionStream ? await squeeze(bytes, "CompressionStream") : bytes;
  const tag = window.CompressionStream ? "z" : "j";
  history.replaceState(null, "", "#" + tag + "=" + toBase64(packed));
}

async function squeeze(bytes, kind) {
  const stream = new Blob([bytes]).stream().pipeThrough(new window[kind]("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function restoreState() {
  const m = /^#([zj])=(.+)$/.exec(location.hash);
  if (!m) return false;
  let bytes = fromBase64(m[2]);
  if (m[1] === "z") bytes = await squeeze(bytes, "DecompressionStream");
  const state = JSON.parse(new TextDecoder().decode(bytes));
  ui.integration.value = state.i || "";
  const known = integrations.find((x) => x.id === state.i);
  secretParams = known ? known.secret_params : [];
  writable = Boolean(known && known.writable);
  ui.mapping.value = state.m || "";
  ui.inputName.value = state.n || "";
  ui.input.value = state.d || "";
  ui.params.value = JSON.stringify(state.p || {}, null, 2);
  ui.outputFormat.value = state.o || "";
  return true;
}

async function start() {
  integrations = await engine.integrations();
  for (const i of integrations) {
    const option = document.createElement("option");
    option.value = i.id;
    option.textContent = i.name;
    ui.integration.append(option);
  }
  let restored = false;
  try {
    restored = await restoreState();
  } catch (e) {
    status("the link's state could not be read: " + e.message, true);
  }
  if (!restored && integrations.length) {
    ui.integration.value = integrations[0].id;
    load(integrations[0]);
  }
  ui.integration.addEventListener("change", () => {
    const chosen = integrations.find((x) => x.id === ui.integration.value);
    if (chosen) load(chosen);
    else writable = false;
    run();
  });
  ui.mapping.addEventListener("input", () => runSoon("mapping"));
  for (const event of ["keyup", "click", "select", "input"]) ui.mapping.addEventListener(event, showCursor);
  for (const field of [ui.input, ui.params, ui.inputName]) field.addEventListener("input", () => runSoon());
  ui.outputFormat.addEventListener("change", run);
  $("run").addEventListener("click", run);
  $("trace").addEventListener("click", () => explain());
  $("share").addEventListener("click", async () => {
    await saveState();
    try {
      await navigator.clipboard.writeText(location.href);
      status("link copied (secret params left out)");
    } catch (_) {
      status("the link is in the address bar (secret params left out)");
    }
  });
  run();
}

start().catch((e) => status("the playground could not start: " + e.message, true));
