// Renders /openapi.json as a readable list of endpoints: the offline replacement for Swagger UI.
"use strict";
(async () => {
  const box = document.getElementById("endpoints");
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  let spec;
  try {
    spec = await (await fetch("/openapi.json")).json();
  } catch (e) {
    box.textContent = "could not load /openapi.json: " + e;
    return;
  }
  box.replaceChildren(el("h2", "", `Endpoints (OpenAPI ${spec.openapi}, ${spec.info.title} ${spec.info.version})`));
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const card = el("section", "endpoint");
      card.id = `${method}-${path}`.replace(/[^a-z0-9]+/gi, "-");
      const h = el("h3");
      h.append(el("span", "method " + method, method.toUpperCase()), document.createTextNode(path));
      card.append(h);
      if (op.summary) card.append(el("p", "", op.summary));
      const params = op.parameters || [];
      if (params.length) {
        const t = el("table");
        const head = el("tr");
        head.append(el("th", "", "parameter"), el("th", "", "in"), el("th", "", "description"));
        t.append(head);
        for (const p of params) {
          const tr = el("tr");
          const schema = p.schema || {};
          const extra = schema.pattern ? ` (${schema.pattern})` : schema.default !== undefined ? ` (default ${schema.default})` : "";
          tr.append(el("td", "", p.name), el("td", "", p.in), el("td", "", (p.description || "") + extra));
          t.append(tr);
        }
        card.append(t);
      }
      const body = op.requestBody && op.requestBody.content;
      if (body) {
        const types = Object.keys(body).join(", ");
        const ref = Object.values(body)[0].schema && Object.values(body)[0].schema.$ref;
        card.append(el("p", "", `Body: ${types}` + (ref ? ` (${ref.split("/").pop()})` : "")));
        if (ref) {
          const d = el("details");
          d.append(el("summary", "", "schema"));
          d.append(el("pre", "", JSON.stringify(spec.components.schemas[ref.split("/").pop()], null, 2)));
          card.append(d);
        }
      }
      const codes = Object.entries(op.responses || {}).map(([c, r]) => `${c} ${r.description || ""}`);
      card.append(el("p", "", "Responses: " + codes.join("; ")));
      box.append(card);
    }
  }
})();
