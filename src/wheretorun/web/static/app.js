// wheretorun page: the seven questions (or a workload file) -> POST /v1/view -> recommendation, trace,
// costs and charts. No framework, nothing from the internet. The state lives in the URL so a result
// can be shared: the form's non-default answers in the query string, a pasted file in the hash.
"use strict";
(() => {
  const $ = (sel, el = document) => el.querySelector(sel);
  const form = $("#questions");
  const fileForm = $("#file-form");
  const text = $("#workload-text");
  const NUMBERS = new Set([
    "requests_per_month", "input_tokens", "output_tokens", "peak_to_mean", "duration_s", "params_b",
    "context_tokens", "duration_p99_s", "memory_gb", "p99_latency_ms", "engineer_hourly_usd", "growth_pct",
    "mc_low", "mc_high",
  ]);
  const NOTICE_MS = 5000;
  const DEBOUNCE_MS = 350;
  let mode = "questions";
  let timer = null;
  let controller = null;
  let seq = 0;
  let chartsShown = false; // charts take seconds to render: asked for only when shown

  function values() {
    const v = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      v[el.name] = el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value.trim();
    }
    return v;
  }
  const defaults = values();

  function num(raw) {
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw; // a non-number goes to the server, which names the field
  }

  function put(obj, key, value) {
    if (value !== undefined && value !== "") obj[key] = value;
  }

  // The form's answers as a workload file (the same fields as YAML; see `wheretorun schema`).
  function buildWorkload(v) {
    const w = { name: v.name || "my-workload", role: v.role, traffic: v.traffic, gpu: v.gpu, trigger: v.trigger };
    for (const key of ["requests_per_month", "input_tokens", "output_tokens", "peak_to_mean", "duration_s",
      "duration_p99_s", "memory_gb", "p99_latency_ms"]) put(w, key, num(v[key]));
    if (v.data_must_stay_in_vpc === "1") w.data_must_stay_in_vpc = true;
    if (v.privatelink_ok === "0") w.privatelink_ok = false;
    if (v.weights !== "" && v.role !== "glue") {
      const m = { weights: v.weights };
      put(m, "id", v.model);
      put(m, "params_b", num(v.params_b));
      put(m, "precision", v.precision);
      put(m, "context_tokens", num(v.context_tokens));
      if (v.custom === "1") m.custom = true;
      w.model = m;
    }
    const team = { ops_capacity: v.ops_capacity };
    put(team, "engineer_hourly_usd", num(v.engineer_hourly_usd));
    const file = { region: v.region || "us-east-1", team, workloads: [w] };
    if (v.growth_pct !== "") file.growth = `${v.growth_pct}%/month`;
    if (v.monte_carlo === "1") file.uncertainty = { volume: [num(v.mc_low), num(v.mc_high)] };
    return file;
  }

  // ------------------------------------------------------------------ URL state
  function b64encode(str) {
    const bytes = new TextEncoder().encode(str);
    let bin = "";
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function b64decode(s) {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  }

  function saveState() {
    const params = new URLSearchParams();
    let hash = "";
    if (mode === "file") {
      params.set("mode", "file");
      if (text.value) hash = "#file=" + b64encode(text.value);
    } else {
      const v = values();
      for (const [k, val] of Object.entries(v)) if (val !== defaults[k]) params.set(k, val);
    }
    const qs = params.toString();
    history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + hash);
  }

  function loadState() {
    const params = new URLSearchParams(location.search);
    for (const el of form.elements) {
      if (!el.name || !params.has(el.name)) continue;
      const val = params.get(el.name);
      if (el.type === "checkbox") el.checked = val === "1";
      else if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === val)) el.add(new Option(val, val, true, true));
      else el.value = val;
    }
    const m = /(?:^#|&)file=([^&]*)/.exec(location.hash);
    if (m) {
      try { text.value = b64decode(m[1]); } catch (e) { showProblems([{ path: "", message: "the link's file could not be decoded" }]); }
    }
    setMode(params.get("mode") === "file" ? "file" : "questions", false);
  }

  // ------------------------------------------------------------------ requests
  async function call(url, body, contentType, signal) {
    const r = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body, signal });
    if (!r.ok) {
      let detail = { error: `HTTP ${r.status}`, problems: [] };
      try { detail = await r.json(); } catch (e) { /* not JSON: keep the status */ }
      const err = new Error(detail.error || `HTTP ${r.status}`);
      err.problems = detail.problems && detail.problems.length ? detail.problems : [{ path: "", message: err.message }];
      throw err;
    }
    return r;
  }

  async function currentWorkload(signal) {
    if (mode === "questions") return buildWorkload(values());
    if (!text.value.trim()) {
      const err = new Error("empty");
      err.problems = [{ path: "", message: "paste or upload a workload file (YAML or JSON)" }];
      throw err;
    }
    return (await (await call("/v1/parse", text.value, "application/yaml; charset=utf-8", signal)).json()).workload;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, DEBOUNCE_MS);
    tokensHint();
  }

  async function update() {
    saveState();
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    setBusy(true, "updating...");
    try {
      const workload = await currentWorkload(controller.signal);
      const url = `/v1/view?charts=${chartsShown ? "true" : "false"}`;
      const r = await call(url, JSON.stringify(workload), "application/json", controller.signal);
      const res = await r.json();
      if (mine !== seq) return;
      showProblems([]);
      render(res);
      setStale(false);
      setBusy(false, "");
    } catch (e) {
      if (e.name === "AbortError" || mine !== seq) return;
      showProblems(e.problems || [{ path: "", message: String(e.message || e) }]);
      setStale(true);
      setBusy(false, "not updated: fix the input");
    }
  }

  // A result that no longer matches the input is dimmed and says so, never shown at full strength.
  function setStale(stale) {
    $("#result").classList.toggle("stale", stale);
    $("#stale-note").hidden = !stale;
  }

  // Short-lived messages ("link copied") each get their own line and time: an update's status
  // never overwrites them, nor they each other.
  function notify(msg) {
    const note = el("span", "notice", msg);
    $("#notices").append(note);
    setTimeout(() => note.remove(), NOTICE_MS);
  }

  function setBusy(busy, msg) {
    $("#result").setAttribute("aria-busy", busy ? "true" : "false");
    $("#status").textContent = msg;
  }

  // ------------------------------------------------------------------ rendering
  function money(x) {
    return "$" + Number(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function el(tag, cls, content) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content !== undefined) e.textContent = content;
    return e;
  }

  function render(res) {
    const summary = $("#summary");
    summary.replaceChildren();
    const cards = el("div", "cards");
    for (const w of res.report.workloads) {
      const r = w.recommendation;
      const card = el("div", "card recommendation");
      card.dataset.workload = w.name;
      card.append(el("h2", "", w.name));
      let where = r.platform + (r.instance_type ? ` (${r.instance_type})` : "");
      if (r.model_platform) where += ` + model on ${r.model_platform}` + (r.model_instance_type ? ` (${r.model_instance_type})` : "");
      card.append(el("div", "where", where));
      card.append(el("div", "pattern", r.pattern));
      if (r.monthly_cost_usd) {
        const c = r.monthly_cost_usd;
        card.append(el("div", "cost", `${money(c.total)}/month = ${money(c.infra)} infrastructure + ${money(c.ops)} engineering`));
      }
      cards.append(card);
    }
    summary.append(cards);
    summary.append(el("p", "total", `System total: ${money(res.report.total_monthly_cost_usd)}/month (catalog as of ${res.report.catalog.as_of}, ${res.report.catalog.region})`));
    // Server-rendered report body: every value in it is HTML-escaped by wheretorun.report.html.
    $("#report").innerHTML = res.html;
  }

  const FIELD_FOR = [
    [/^workloads\[\d+\]\.model\.id$/, "model"],
    [/^workloads\[\d+\]\.model\.(\w+)$/, null],
    [/^workloads\[\d+\]\.(\w+)$/, null],
    [/^team\.(\w+)$/, null],
    [/^(region)$/, null],
  ];
  function fieldFor(path) {
    for (const [re, fixed] of FIELD_FOR) {
      const m = re.exec(path || "");
      if (m) return form.elements.namedItem(fixed || m[1]);
    }
    return null;
  }

  function showProblems(problems) {
    for (const e of form.querySelectorAll(".invalid")) e.classList.remove("invalid");
    for (const e of form.querySelectorAll(".field-error")) e.remove();
    const box = $("#problems");
    box.replaceChildren();
    if (!problems.length) { box.hidden = true; return; }
    const ul = el("ul");
    for (const p of problems) {
      ul.append(el("li", "", (p.path ? p.path + ": " : "") + p.message));
      const input = mode === "questions" ? fieldFor(p.path) : null;
      if (input && input.classList) {
        input.classList.add("invalid");
        input.insertAdjacentElement("afterend", el("p", "field-error", p.message));
      }
    }
    box.append(el("strong", "", "The input needs a fix:"), ul);
    box.hidden = false;
  }

  function tokensHint() {
    const v = values();
    const req = Number(v.requests_per_month), tin = Number(v.input_tokens || 0), tout = Number(v.output_tokens || 0);
    const hint = $("#tokens-hint");
    if (mode !== "questions" || !Number.isFinite(req) || !(tin + tout)) { hint.textContent = ""; return; }
    const tokens = req * (tin + tout);
    const fmt = tokens >= 1e9 ? (tokens / 1e9).toFixed(2) + "B" : (tokens / 1e6).toFixed(1) + "M";
    hint.textContent = `${fmt} tokens/month (the playbook's guideline: under 100M Bedrock wins, over 1B self-hosting starts to pay; the answer follows the computed totals)`;
  }

  // ------------------------------------------------------------------ actions
  function setMode(m, refresh = true) {
    mode = m;
    $("#tab-questions").setAttribute("aria-selected", String(m === "questions"));
    $("#tab-file").setAttribute("aria-selected", String(m === "file"));
    form.hidden = m !== "questions";
    fileForm.hidden = m !== "file";
    if (refresh) schedule();
  }

  async function download(format) {
    setBusy(true, "preparing download...");
    try {
      const workload = await currentWorkload();
      const r = await call(`/v1/render?format=${format}`, JSON.stringify(workload), "application/json");
      const blob = await r.blob();
      const m = /filename="([^"]+)"/.exec(r.headers.get("content-disposition") || "");
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = m ? m[1] : `wheretorun.${format === "markdown" ? "md" : "html"}`;
      document.body.append(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 2000);
      setBusy(false, "");
      notify("downloaded " + a.download);
    } catch (e) {
      showProblems(e.problems || [{ path: "", message: String(e.message || e) }]);
      setBusy(false, "");
      notify("download failed: see the problems above");
    }
  }

  async function copyLink() {
    saveState();
    try {
      await navigator.clipboard.writeText(location.href);
      notify("link copied");
    } catch (e) {
      notify("copy this link: " + location.href);
    }
  }

  async function loadChoices() {
    try {
      const r = await fetch("/v1/choices");
      const c = await r.json();
      const list = $("#model-ids");
      for (const id of c.models) list.append(new Option(id, id));
      const region = form.elements.namedItem("region");
      region.replaceChildren(...c.regions.map((x) => new Option(x, x, x === "us-east-1", x === "us-east-1")));
    } catch (e) { /* the form still works with the built-in defaults */ }
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (e) => { e.preventDefault(); update(); });
  text.addEventListener("input", schedule);
  $("#upload").addEventListener("change", async (e) => {
    const f = e.target.files[0];
    if (!f) return;
    if (f.size > 5 * 1024 * 1024) { showProblems([{ path: "", message: `${f.name} is over 5 MB` }]); return; }
    text.value = await f.text();
    schedule();
  });
  $("#tab-questions").addEventListener("click", () => setMode("questions"));
  $("#tab-file").addEventListener("click", () => setMode("file"));
  $("#dl-md").addEventListener("click", () => download("markdown"));
  $("#dl-html").addEventListener("click", () => download("html"));
  $("#copy-link").addEventListener("click", copyLink);
  $("#show-charts").addEventListener("click", (e) => {
    chartsShown = !chartsShown;
    e.target.setAttribute("aria-pressed", String(chartsShown));
    e.target.textContent = chartsShown ? "Hide charts" : "Show charts";
    update();
  });

  loadChoices().then(() => { loadState(); tokensHint(); update(); });
})();
