// The graph explorer: a cluster, an account or an entity drawn with sigma.js (WebGL) over a graphology graph, laid
// out by ForceAtlas2 in a web worker, expanded on demand through the explorer API, filtered, traced and saved into
// a case. Every string from telemetry reaches the page through textContent (never innerHTML) or sigma's canvas.
import Graph from "graphology";
import Sigma from "sigma";
import { toBlob } from "@sigma/export-image";
import { Layout } from "./layout.js";

const FAMILY = {
  payment_instrument: "payment", billing_address: "payment", billing_name: "payment",
  device: "device", client_fingerprint: "device", ip: "network", email_domain: "identity",
  organization: "identity", template: "content",
};
const KIND_LABEL = {
  payment_instrument: "card", billing_address: "billing address", billing_name: "billing name", device: "device",
  client_fingerprint: "client build", ip: "IP", email_domain: "email domain", organization: "organisation",
  template: "prompt template",
};
const FAMILY_COLOUR = {
  payment: "#c2410c", device: "#7c3aed", network: "#0369a1", identity: "#047857", content: "#b45309",
};
const CLUSTER_PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f",
  "#7c2d12", "#1e40af", "#a21caf", "#0f766e"];
const FLAG_FLAGGED = 1;
const FLAG_NEW = 2;
const FLAG_REPLACEMENT = 4;
const MAX_NODES = 40000; // the browser holds at most this many nodes: memory stays bounded
const DAY = 86400000;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function short(text, n = 28) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

function fmt(n) {
  return Number(n).toLocaleString("en-GB");
}

function day(ms) {
  return ms == null ? "—" : new Date(ms).toISOString().slice(0, 10);
}

function hashIndex(text, n) {
  let h = 0;
  for (let i = 0; i < text.length; i += 1) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h % n;
}

function scoreColour(score) {
  const s = Math.max(0, Math.min(1, score ?? 0));
  const r = Math.round(37 + s * (220 - 37));
  const g = Math.round(99 + s * (38 - 99));
  const b = Math.round(235 + s * (38 - 235));
  return `rgb(${r},${g},${b})`;
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

class Explorer {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.graph = new Graph({ type: "undirected", multi: false });
    this.clusters = new Map(); // key -> {score, flagged}
    this.undoStack = [];
    this.selected = [];
    this.pathNodes = new Set();
    this.pathEdges = new Set();
    this.visible = null; // Set of node keys shown under the filters (null: all)
    this.filters = { families: new Set(Object.values(FAMILY)), statuses: new Set(), from: null, to: null };
    this.colourBy = "cluster";
    this.sizeByExchanges = true;
    this.pages = new Map(); // entity key -> next offset when more accounts remain
    this.span = [Infinity, -Infinity];
    this.build();
  }

  // --- page -------------------------------------------------------------------------------------------------

  build() {
    const c = this.config;
    this.status = el("span", { class: "ex-status", "data-testid": "explorer-status", text: "Loading…" });
    this.progress = el("progress", { class: "ex-progress", max: "100", value: "0" });
    const familyBoxes = Object.keys(FAMILY_COLOUR).map((f) =>
      el("label", { class: "ex-check" },
        el("input", { type: "checkbox", checked: "", "data-family": f, onchange: () => this.onFilter() }), ` ${f}`));
    const statusBoxes = [["banned", "banned"], ["replacement", "replacement"], ["new", "new since last run"],
      ["flagged", "flagged"]].map(([s, label]) =>
      el("label", { class: "ex-check" },
        el("input", { type: "checkbox", "data-status": s, onchange: () => this.onFilter() }), ` ${label}`));
    this.fromInput = el("input", { type: "range", min: "0", max: "0", value: "0", "aria-label": "from",
      "data-testid": "time-from", oninput: () => this.onFilter() });
    this.toInput = el("input", { type: "range", min: "0", max: "0", value: "0", "aria-label": "to",
      "data-testid": "time-to", oninput: () => this.onFilter() });
    this.windowLabel = el("span", { class: "muted ex-window" });
    this.colourSelect = el("select", { "aria-label": "colour", onchange: () => { this.colourBy = this.colourSelect.value; this.refresh(); } },
      el("option", { value: "cluster", text: "cluster" }), el("option", { value: "score", text: "campaign-likeness score" }));
    const sizeBox = el("input", { type: "checkbox", checked: "", onchange: (e) => { this.sizeByExchanges = e.target.checked; this.resize(); } });
    this.undoButton = el("button", { type: "button", disabled: "", onclick: () => this.undo(), text: "Undo" });
    this.layoutButton = el("button", { type: "button", onclick: () => this.toggleLayout(), text: "Layout" });
    this.traceButton = el("button", { type: "button", disabled: "", "data-testid": "trace", onclick: () => this.trace(), text: "Why linked?" });
    this.hiddenButton = el("button", { type: "button", disabled: "", onclick: () => this.showHidden(), text: "Show hidden" });
    const tools = [this.layoutButton, this.undoButton, this.hiddenButton, this.traceButton];
    if (c.can_save) tools.push(el("button", { type: "button", "data-testid": "save-view", onclick: () => this.openSave(), text: "Save to case" }));
    if (c.fullscreen_url) tools.push(el("a", { href: c.fullscreen_url, class: "button", text: "Full screen" }));
    this.panel = el("aside", { class: "ex-panel", "data-testid": "explorer-panel" },
      el("p", { class: "muted", text: "Click a node to see it and expand it; shift-click a second account, then “Why linked?”." }));
    this.stage = el("div", { class: "ex-stage", "data-testid": "explorer-stage" });
    this.dialog = el("dialog", { class: "ex-dialog" });
    const bar = el("div", { class: "ex-bar" },
      el("div", { class: "ex-group" }, ...tools, this.status, this.progress),
      el("div", { class: "ex-group" }, el("strong", { text: "Kinds" }), ...familyBoxes),
      el("div", { class: "ex-group" }, el("strong", { text: "Members" }), ...statusBoxes),
      el("div", { class: "ex-group" }, el("strong", { text: "Active" }), this.fromInput, this.toInput, this.windowLabel),
      el("div", { class: "ex-group" }, el("strong", { text: "Colour" }), this.colourSelect,
        el("label", { class: "ex-check" }, sizeBox, " size by exchanges")));
    this.root.replaceChildren(bar, el("div", { class: "ex-body" }, this.stage, this.panel), this.dialog);
    try {
      this.createRenderer();
    } catch (error) {
      this.stage.replaceChildren(el("p", { class: "empty", text: `The explorer needs WebGL, which this browser refused: ${error.message}` }));
      this.root.dataset.state = "error";
      throw error;
    }
    this.layout = new Layout(this.graph, c.worker_url, (running) => {
      this.layoutButton.textContent = running ? "Stop layout" : "Layout";
      this.root.dataset.layout = running ? "running" : "stopped";
    });
    window.explorer = this; // tests and the console reach the instance here
  }

  createRenderer() {
    this.renderer = new Sigma(this.graph, this.stage, {
      renderEdgeLabels: false,
      hideEdgesOnMove: true,
      hideLabelsOnMove: true,
      labelRenderedSizeThreshold: 9,
      zIndex: true,
      nodeReducer: (node, data) => this.nodeReducer(node, data),
      edgeReducer: (edge, data) => this.edgeReducer(edge, data),
    });
    this.renderer.on("clickNode", ({ node, event }) => this.select(node, event.original.shiftKey));
    this.renderer.on("clickStage", () => this.select(null, false));
    this.renderer.on("doubleClickNode", ({ node, preventSigmaDefault }) => { preventSigmaDefault(); this.expand(node); });
  }

  setProgress(text, fraction) {
    this.status.textContent = text;
    if (fraction == null) this.progress.removeAttribute("value");
    else this.progress.value = Math.round(fraction * 100);
    this.progress.hidden = fraction === 1;
  }

  async fetchJSON(url, options = {}) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, ...options });
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
      throw new Error(detail);
    }
    return response.json();
  }

  // --- loading ----------------------------------------------------------------------------------------------

  async start() {
    const s = this.config.source;
    const started = performance.now();
    try {
      if (s.type === "cluster") {
        this.setProgress(`Loading cluster ${s.key}…`, null);
        this.loadCluster(await this.fetchJSON(s.url));
      } else if (s.type === "account") {
        this.setProgress("Loading account…", null);
        this.addAccountExpansion(await this.fetchJSON(s.url), null);
      } else if (s.type === "entity") {
        this.setProgress("Loading entity…", null);
        this.addEntityExpansion(await this.fetchJSON(s.url), null);
      } else if (s.type === "view") {
        this.setProgress("Loading the saved view…", null);
        this.restore(await this.fetchJSON(s.url));
      }
    } catch (error) {
      this.setProgress(`Could not load: ${error.message}`, 1);
      this.root.dataset.state = "error";
      return;
    }
    this.undoStack = [];
    this.updateTimeRange();
    this.onFilter();
    this.renderer.refresh();
    this.root.dataset.openMs = String(Math.round(performance.now() - started));
    this.root.dataset.readyAt = String(Math.round(performance.now())); // since the page's navigation began
    this.root.dataset.state = "ready";
    if (s.type !== "view") this.layout.start(this.graph.order > 5000 ? 20 : 8);
  }

  registerClusters(rows) {
    return rows.map(([key, score, flagged]) => {
      if (!this.clusters.has(key)) this.clusters.set(key, { score, flagged });
      return key;
    });
  }

  accountAttributes(row, clusterKeys, x, y) {
    const [id, exchanges, status, created, last, flags, cluster] = row;
    if (created != null) this.span[0] = Math.min(this.span[0], created);
    if ((last ?? created) != null) this.span[1] = Math.max(this.span[1], last ?? created);
    return {
      kind: "account", label: short(id, 24), full: id, exchanges, status, created, last, flags,
      cluster: cluster >= 0 ? clusterKeys[cluster] : null, x, y, size: 3,
    };
  }

  entityAttributes(row, x, y) {
    const [key, kind, members, degree, aggregate] = row;
    const id = key.slice(kind.length + 1);
    const name = `${KIND_LABEL[kind] || kind} ${short(id, 22)}`;
    return {
      kind, family: FAMILY[kind] || "other", full: id, members, degree, aggregate,
      label: aggregate ? `${name} · ${fmt(degree)} accounts` : name, x, y, size: 4,
    };
  }

  addNodeIfMissing(key, attrs, added) {
    if (this.graph.hasNode(key)) return false;
    if (this.graph.order >= MAX_NODES) throw new Error(`the explorer holds at most ${fmt(MAX_NODES)} nodes; collapse or hide some first`);
    this.graph.addNode(key, attrs);
    if (added) added.nodes.push(key);
    return true;
  }

  addEdgeIfMissing(a, b, weight, added) {
    if (!this.graph.hasNode(a) || !this.graph.hasNode(b) || this.graph.hasEdge(a, b)) return;
    const edge = this.graph.addEdge(a, b, { weight, size: 0.6 });
    if (added) added.edges.push([a, b]);
    return edge;
  }

  loadCluster(data) {
    if (data.mode === "groups") {
      this.loadGroups(data);
      return;
    }
    const keys = this.registerClusters(data.clusters);
    const n = data.entities.length;
    const radius = 40 * Math.sqrt(data.accounts.length + n);
    // Entities on a spiral, each account next to the first entity it holds: a readable start the layout refines.
    const anchor = new Map();
    data.entities.forEach((row, i) => {
      const angle = i * 2.399963;
      const r = radius * Math.sqrt((i + 0.5) / Math.max(1, n));
      this.graph.addNode(row[0], this.entityAttributes(row, r * Math.cos(angle), r * Math.sin(angle)));
    });
    const firstEntity = new Map();
    for (let i = 0; i < data.edges.length; i += 2) {
      if (!firstEntity.has(data.edges[i])) firstEntity.set(data.edges[i], data.edges[i + 1]);
    }
    data.accounts.forEach((row, i) => {
      const e = firstEntity.has(i) ? data.entities[firstEntity.get(i)][0] : null;
      const base = e ? this.graph.getNodeAttributes(e) : { x: 0, y: 0 };
      const jitter = e ? 25 : radius * 1.2;
      const angle = Math.random() * Math.PI * 2;
      const r = jitter * Math.sqrt(Math.random());
      this.graph.addNode(`account|${row[0]}`, this.accountAttributes(row, keys, base.x + r * Math.cos(angle), base.y + r * Math.sin(angle)));
      anchor.set(i, `account|${row[0]}`);
    });
    for (let i = 0; i < data.edges.length; i += 2) {
      const entity = data.entities[data.edges[i + 1]];
      this.graph.addEdge(anchor.get(data.edges[i]), entity[0], { weight: 1 / Math.log2(1 + entity[3]), size: 0.6 });
    }
    this.title = `cluster ${data.cluster.key}`;
    const shown = data.truncated ? ` (the ${fmt(data.accounts.length)} busiest of ${fmt(data.cluster.size)})` : "";
    this.setProgress(`${fmt(data.accounts.length)} accounts${shown}, ${fmt(n)} shared entities, ${fmt(data.edges.length / 2)} ties`, 1);
  }

  // A big cluster opens aggregated: one node per group of members sharing an entity, tied by shared members.
  loadGroups(data) {
    this.registerClusters(data.clusters);
    const n = data.entities.length;
    const radius = 60 * Math.sqrt(n);
    data.entities.forEach((row, i) => {
      const angle = i * 2.399963;
      const r = radius * Math.sqrt((i + 0.5) / Math.max(1, n));
      const attrs = this.entityAttributes(row, r * Math.cos(angle), r * Math.sin(angle));
      attrs.group = true;
      attrs.label = `${attrs.label.split(" · ")[0]} · ${fmt(row[2])} members`;
      this.graph.addNode(row[0], attrs);
    });
    const ge = data.group_edges;
    for (let i = 0; i < ge.length; i += 3) {
      this.graph.addEdge(data.entities[ge[i]][0], data.entities[ge[i + 1]][0], { weight: Math.log2(1 + ge[i + 2]), size: 0.4 + Math.log10(1 + ge[i + 2]), shared: ge[i + 2] });
    }
    this.title = `cluster ${data.cluster.key}`;
    this.setProgress(`${fmt(data.cluster.size)} accounts, opened as ${fmt(n)} groups by what they share (${fmt(ge.length / 3)} ties); expand a group to see its accounts`, 1);
  }

  placeNear(center, i, total) {
    const c = center && this.graph.hasNode(center) ? this.graph.getNodeAttributes(center) : { x: 0, y: 0 };
    const angle = (i / Math.max(1, total)) * Math.PI * 2;
    const r = 30 + 6 * Math.sqrt(total);
    return [c.x + r * Math.cos(angle), c.y + r * Math.sin(angle)];
  }

  addAccountExpansion(data, added) {
    const keys = this.registerClusters(data.clusters);
    const accountKey = `account|${data.account[0]}`;
    if (!this.graph.hasNode(accountKey)) {
      this.addNodeIfMissing(accountKey, this.accountAttributes(data.account, keys, 0, 0), added);
    }
    data.entities.forEach((row, i) => {
      const [x, y] = this.placeNear(accountKey, i, data.entities.length);
      this.addNodeIfMissing(row[0], this.entityAttributes(row, x, y), added);
      this.addEdgeIfMissing(accountKey, row[0], 1 / Math.log2(1 + row[3]), added);
    });
    this.setProgress(`${data.account[0]}: ${fmt(data.entities.length)} entities`, 1);
  }

  addEntityExpansion(data, added) {
    const keys = this.registerClusters(data.clusters);
    const entityKey = data.entity[0];
    if (!this.graph.hasNode(entityKey)) this.addNodeIfMissing(entityKey, this.entityAttributes(data.entity, 0, 0), added);
    const weight = 1 / Math.log2(1 + data.total);
    data.accounts.forEach((row, i) => {
      const key = `account|${row[0]}`;
      const [x, y] = this.placeNear(entityKey, i + data.offset, Math.min(data.total, data.offset + data.accounts.length));
      this.addNodeIfMissing(key, this.accountAttributes(row, keys, x, y), added);
      this.addEdgeIfMissing(key, entityKey, weight, added);
    });
    if (data.next_offset != null) this.pages.set(entityKey, data.next_offset);
    else this.pages.delete(entityKey);
    const shown = data.offset + data.accounts.length;
    this.setProgress(`${short(data.entity[0], 40)}: ${fmt(shown)} of ${fmt(data.total)} accounts shown`, 1);
  }

  // --- expansion, collapse, pin, hide, undo --------------------------------------------------------------

  async expand(node, { confirmed = false, offset = 0 } = {}) {
    const attrs = this.graph.getNodeAttributes(node);
    const added = { op: "expand", node, nodes: [], edges: [] };
    try {
      if (attrs.kind === "account") {
        this.setProgress("Expanding…", null);
        const data = await this.fetchJSON(`${this.config.api.account}${encodeURIComponent(attrs.full)}/?run=${this.config.run || ""}`);
        this.layout.stop();
        this.addAccountExpansion(data, added);
      } else {
        if (!confirmed && offset === 0 && attrs.degree > this.config.supernode) {
          this.guard(node, attrs);
          return;
        }
        this.setProgress("Expanding…", null);
        const url = `${this.config.api.entity}${encodeURIComponent(attrs.kind)}/${encodeURIComponent(attrs.full)}/`
          + `?offset=${offset}&limit=${this.config.expand_page}&run=${this.config.run || ""}`;
        const data = await this.fetchJSON(url);
        this.layout.stop();
        this.addEntityExpansion(data, added);
      }
    } catch (error) {
      this.setProgress(`Could not expand: ${error.message}`, 1);
      return;
    }
    for (const key of added.nodes) this.graph.setNodeAttribute(key, "addedBy", node);
    this.push(added);
    this.afterChange();
    this.select(node, false);
  }

  guard(node, attrs) {
    const page = this.config.expand_page;
    this.dialog.replaceChildren(
      el("p", { text: `This ${KIND_LABEL[attrs.kind] || attrs.kind} is held by ${fmt(attrs.degree)} accounts.` }),
      el("p", { class: "muted", text: `Expanding draws them ${fmt(page)} at a time; “More” in the side panel pages through the rest.` }),
      el("div", { class: "ex-actions" },
        el("button", { type: "button", "data-testid": "guard-expand", text: `Expand the first ${fmt(page)}`,
          onclick: () => { this.dialog.close(); this.expand(node, { confirmed: true }); } }),
        el("button", { type: "button", text: "Cancel", onclick: () => this.dialog.close() })));
    this.dialog.dataset.kind = "supernode";
    this.dialog.showModal();
  }

  collapse(node) {
    const removed = { op: "collapse", node, nodes: [], edges: [] };
    this.layout.stop();
    this.graph.forEachNode((key, attrs) => {
      if (attrs.addedBy === node && !this.selected.includes(key) && !attrs.fixed) {
        const others = this.graph.neighbors(key).filter((n) => n !== node);
        if (others.length === 0) removed.nodes.push([key, { ...attrs }]);
      }
    });
    for (const [key] of removed.nodes) {
      this.graph.forEachEdge(key, (edge, attrs, s, t) => removed.edges.push([s, t, { ...attrs }]));
      this.graph.dropNode(key);
    }
    this.pages.delete(node);
    this.push(removed);
    this.afterChange();
  }

  togglePin(node) {
    const fixed = !this.graph.getNodeAttribute(node, "fixed");
    this.graph.setNodeAttribute(node, "fixed", fixed);
    this.push({ op: "pin", node, fixed });
    this.refresh();
    this.showNode(node);
  }

  hide(node) {
    this.graph.setNodeAttribute(node, "hidden", true);
    this.push({ op: "hide", node });
    this.select(null, false);
    this.afterChange();
  }

  showHidden() {
    const nodes = this.graph.filterNodes((n, a) => a.hidden);
    nodes.forEach((n) => this.graph.setNodeAttribute(n, "hidden", false));
    this.push({ op: "unhide", nodes });
    this.afterChange();
  }

  push(entry) {
    this.undoStack.push(entry);
    if (this.undoStack.length > 100) this.undoStack.shift();
    this.undoButton.disabled = false;
  }

  undo() {
    const entry = this.undoStack.pop();
    this.undoButton.disabled = this.undoStack.length === 0;
    if (!entry) return;
    this.layout.stop();
    if (entry.op === "expand") {
      for (const [a, b] of entry.edges) if (this.graph.hasEdge(a, b)) this.graph.dropEdge(a, b);
      for (const key of entry.nodes) if (this.graph.hasNode(key)) this.graph.dropNode(key);
      this.pages.delete(entry.node);
    } else if (entry.op === "collapse") {
      for (const [key, attrs] of entry.nodes) if (!this.graph.hasNode(key)) this.graph.addNode(key, attrs);
      for (const [s, t, attrs] of entry.edges) if (!this.graph.hasEdge(s, t)) this.graph.addEdge(s, t, attrs);
    } else if (entry.op === "pin") {
      if (this.graph.hasNode(entry.node)) this.graph.setNodeAttribute(entry.node, "fixed", !entry.fixed);
    } else if (entry.op === "hide") {
      if (this.graph.hasNode(entry.node)) this.graph.setNodeAttribute(entry.node, "hidden", false);
    } else if (entry.op === "unhide") {
      entry.nodes.forEach((n) => this.graph.hasNode(n) && this.graph.setNodeAttribute(n, "hidden", true));
    }
    this.selected = this.selected.filter((n) => this.graph.hasNode(n));
    this.afterChange();
  }

  afterChange() {
    this.updateTimeRange();
    this.onFilter();
    const hidden = this.graph.filterNodes((n, a) => a.hidden).length;
    this.hiddenButton.disabled = hidden === 0;
    this.hiddenButton.textContent = hidden ? `Show hidden (${hidden})` : "Show hidden";
    this.root.dataset.nodes = String(this.graph.order);
  }

  toggleLayout() {
    if (this.layout.running) this.layout.stop();
    else this.layout.start(15);
  }

  // --- filters, colour, size ---------------------------------------------------------------------------

  updateTimeRange() {
    if (!Number.isFinite(this.span[0])) return;
    const days = Math.max(0, Math.floor((this.span[1] - this.span[0]) / DAY)); // day d covers [span0 + d, span0 + d + 1)
    const atEnd = Number(this.toInput.value) === Number(this.toInput.max) || this.toInput.max === "0";
    this.fromInput.max = String(days);
    this.toInput.max = String(days);
    if (atEnd) this.toInput.value = String(days);
  }

  onFilter() {
    this.filters.families = new Set([...this.root.querySelectorAll("[data-family]")].filter((i) => i.checked).map((i) => i.dataset.family));
    this.filters.statuses = new Set([...this.root.querySelectorAll("[data-status]")].filter((i) => i.checked).map((i) => i.dataset.status));
    const lo = Number(this.fromInput.value);
    const hi = Number(this.toInput.value);
    const full = lo === 0 && hi === Number(this.toInput.max);
    this.filters.from = full || !Number.isFinite(this.span[0]) ? null : this.span[0] + Math.min(lo, hi) * DAY;
    this.filters.to = full || !Number.isFinite(this.span[0]) ? null : this.span[0] + (Math.max(lo, hi) + 1) * DAY;
    this.windowLabel.textContent = Number.isFinite(this.span[0])
      ? `${day(this.filters.from ?? this.span[0])} – ${day((this.filters.to ?? this.span[1] + DAY) - DAY)}` : "";
    this.computeVisible();
    this.resize();
  }

  accountPasses(a) {
    const f = this.filters;
    if (f.statuses.size) {
      const ok = (f.statuses.has("banned") && a.status === "banned")
        || (f.statuses.has("replacement") && a.flags & FLAG_REPLACEMENT)
        || (f.statuses.has("new") && a.flags & FLAG_NEW)
        || (f.statuses.has("flagged") && a.flags & FLAG_FLAGGED);
      if (!ok) return false;
    }
    if (f.from != null) {
      const start = a.created ?? a.last;
      const end = a.last ?? a.created;
      if (start == null || end < f.from || start >= f.to) return false;
    }
    return true;
  }

  computeVisible() {
    const visible = new Set();
    this.graph.forEachNode((key, a) => {
      if (!a.hidden && a.kind === "account" && this.accountPasses(a)) visible.add(key);
    });
    // An entity is shown when its family is and it ties a shown account (an aggregate stands alone).
    this.graph.forEachNode((key, a) => {
      if (a.hidden || a.kind === "account" || !this.filters.families.has(a.family)) return;
      if (a.group || (a.aggregate && this.graph.degree(key) === 0)) visible.add(key);
      else if (this.graph.someNeighbor(key, (n) => visible.has(n))) visible.add(key);
      else if (this.graph.degree(key) === 0) visible.add(key);
    });
    this.visible = visible;
    const accounts = [...visible].filter((k) => k.startsWith("account|")).length;
    this.root.dataset.visibleAccounts = String(accounts);
    this.root.dataset.visibleEntities = String(visible.size - accounts);
  }

  resize() {
    this.graph.updateEachNodeAttributes((key, a) => {
      if (a.kind === "account") a.size = this.sizeByExchanges ? 2 + 1.6 * Math.log10(1 + a.exchanges) : 3;
      else if (a.group) a.size = 3 + 1.5 * Math.log2(1 + a.members);
      else a.size = a.aggregate ? 7 + Math.log2(1 + a.degree) : 3 + 1.2 * Math.log2(1 + a.members);
      return a;
    }); // no hints: sigma's partial repaint fails on nodes the filters hide
    this.refresh();
  }

  refresh() {
    this.renderer.refresh();
  }

  colourOf(a) {
    if (a.kind !== "account") return a.aggregate ? "#94a3b8" : FAMILY_COLOUR[a.family] || "#64748b";
    if (this.colourBy === "score") return a.cluster ? scoreColour(this.clusters.get(a.cluster).score) : "#cbd5e1";
    return a.cluster ? CLUSTER_PALETTE[hashIndex(a.cluster, CLUSTER_PALETTE.length)] : "#cbd5e1";
  }

  nodeReducer(node, data) {
    const res = { ...data, color: this.colourOf(data) };
    if (this.visible && !this.visible.has(node)) res.hidden = true;
    if (data.fixed) res.label = `📌 ${data.label}`;
    if (this.selected.includes(node) || this.pathNodes.has(node)) {
      res.highlighted = true;
      res.zIndex = 2;
      res.forceLabel = true;
    } else if (this.pathNodes.size) {
      res.color = "#e2e8f0";
      res.label = "";
    }
    return res;
  }

  edgeReducer(edge, data) {
    const res = { ...data, color: "#cbd5e1" };
    if (this.pathEdges.has(edge)) {
      res.color = "#dc2626";
      res.size = 3;
      res.zIndex = 2;
    } else if (this.pathEdges.size) res.hidden = true;
    return res;
  }

  // --- selection and the side panel ------------------------------------------------------------------

  select(node, add) {
    if (node && add && this.selected.length && !this.selected.includes(node)) this.selected = [this.selected[this.selected.length - 1], node];
    else this.selected = node ? [node] : [];
    if (!add) { this.pathNodes.clear(); this.pathEdges.clear(); }
    const accounts = this.selected.filter((n) => n.startsWith("account|"));
    this.traceButton.disabled = accounts.length !== 2;
    this.refresh();
    if (node) this.showNode(node);
  }

  showNode(node) {
    const a = this.graph.getNodeAttributes(node);
    const rows = [];
    const link = a.kind === "account"
      ? `${this.config.pages.account}${encodeURIComponent(a.full)}/`
      : `${this.config.pages.entity}${encodeURIComponent(a.kind)}/${encodeURIComponent(a.full)}/`;
    if (a.kind === "account") {
      rows.push(["Account", a.full], ["Status", a.status || "—"], ["Exchanges", fmt(a.exchanges)],
        ["Signed up", day(a.created)], ["Last active", day(a.last)], ["Cluster", a.cluster || "none in this run"]);
      if (a.cluster) rows.push(["Cluster score", this.clusters.get(a.cluster).score.toFixed(2)]);
      const flags = [];
      if (a.flags & FLAG_FLAGGED) flags.push("flagged");
      if (a.flags & FLAG_NEW) flags.push("new since last run");
      if (a.flags & FLAG_REPLACEMENT) flags.push("replacement");
      rows.push(["Marks", flags.join(", ") || "—"]);
    } else {
      rows.push(["Kind", KIND_LABEL[a.kind] || a.kind], ["Id", a.full], ["Accounts (graph)", fmt(a.degree)]);
      if (a.group) rows.push(["Cluster members holding it", fmt(a.members)]);
      else if (a.members) rows.push(["Accounts drawn", fmt(a.members)]);
      if (a.group && a.aggregate) rows.push(["Drawn as", "one group without ties (over half the members hold it)"]);
      else if (a.aggregate) rows.push(["Drawn as", "one aggregate node (too widely shared to draw its ties)"]);
    }
    const table = el("table", { class: "ex-facts" }, ...rows.map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: String(v) }))));
    const actions = el("div", { class: "ex-actions" },
      el("button", { type: "button", "data-testid": "expand", text: "Expand", onclick: () => this.expand(node) }));
    if (this.pages.has(node)) {
      actions.append(el("button", { type: "button", "data-testid": "more", text: `More (from ${fmt(this.pages.get(node))})`,
        onclick: () => this.expand(node, { confirmed: true, offset: this.pages.get(node) }) }));
    }
    actions.append(
      el("button", { type: "button", "data-testid": "collapse", text: "Collapse", onclick: () => this.collapse(node) }),
      el("button", { type: "button", "data-testid": "pin", text: a.fixed ? "Unpin" : "Pin", onclick: () => this.togglePin(node) }),
      el("button", { type: "button", "data-testid": "hide", text: "Hide", onclick: () => this.hide(node) }),
      el("a", { href: link, text: "Open page" }));
    const selection = this.selected.length === 2
      ? el("p", { class: "muted", text: `Selected: ${this.selected.map((n) => this.graph.getNodeAttribute(n, "full")).join(" and ")}` }) : null;
    this.panel.replaceChildren(...[table, actions, selection].filter(Boolean));
  }

  // --- why are these two linked? ---------------------------------------------------------------------

  async trace() {
    const [a, b] = this.selected.map((n) => this.graph.getNodeAttribute(n, "full"));
    this.setProgress("Tracing…", null);
    let data;
    try {
      data = await this.fetchJSON(`${this.config.api.path}?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}&run=${this.config.run || ""}`);
    } catch (error) {
      this.setProgress(`Could not trace: ${error.message}`, 1);
      return;
    }
    this.layout.stop();
    const added = { op: "expand", node: this.selected[0], nodes: [], edges: [] };
    const keys = this.registerClusters(data.clusters);
    const accountRows = new Map(data.accounts.map((r) => [`account|${r[0]}`, r]));
    const entityRows = new Map(data.entities.map((r) => [r[0], r]));
    this.pathNodes = new Set();
    this.pathEdges = new Set();
    for (const path of data.paths) {
      path.nodes.forEach((key, i) => {
        const prev = i > 0 ? path.nodes[i - 1] : null;
        const [x, y] = this.placeNear(prev, i, path.nodes.length);
        if (key.startsWith("account|")) this.addNodeIfMissing(key, this.accountAttributes(accountRows.get(key), keys, x, y), added);
        else this.addNodeIfMissing(key, this.entityAttributes(entityRows.get(key), x, y), added);
        this.pathNodes.add(key);
        if (prev) {
          this.addEdgeIfMissing(prev, key, 1, added);
          this.pathEdges.add(this.graph.edge(prev, key));
        }
      });
    }
    if (added.nodes.length) this.push(added);
    this.afterChange();
    const list = el("ol", { class: "ex-paths", "data-testid": "paths" });
    for (const path of data.paths) {
      const hops = [];
      for (let i = 1; i < path.nodes.length; i += 2) {
        const e = entityRows.get(path.nodes[i]);
        hops.push(`${KIND_LABEL[e[1]] || e[1]} ${short(e[0].slice(e[1].length + 1), 24)} (shared by ${fmt(e[3])})`);
      }
      list.append(el("li", { text: `${path.hops} hop${path.hops === 1 ? "" : "s"}: ${hops.join(" → ")}` }));
    }
    const heading = data.paths.length
      ? `Why ${a} and ${b} are linked (rarest ties first):`
      : `No link within ${data.searched.max_hops} hops through entities held by at most ${fmt(this.config.path_max_degree)} accounts.`;
    this.panel.replaceChildren(el("p", { text: heading }), list);
    this.setProgress(`${data.paths.length} path(s) found`, 1);
    this.renderer.getCamera().animatedReset({ duration: 300 }); // the whole picture, the path in red
    this.root.dataset.paths = String(data.paths.length);
  }

  // --- save to a case and reopen ---------------------------------------------------------------------

  state() {
    const nodes = [];
    this.graph.forEachNode((key, a) => nodes.push([key, Math.round(a.x * 100) / 100, Math.round(a.y * 100) / 100,
      a.kind === "account" ? [a.exchanges, a.status, a.created, a.last, a.flags, a.cluster] : [a.members, a.degree, a.aggregate, a.group ? 1 : 0],
      a.fixed ? 1 : 0, a.hidden ? 1 : 0]));
    const edges = [];
    this.graph.forEachEdge((e, attrs, s, t) => edges.push([s, t, Math.round((attrs.weight || 1) * 1000) / 1000]));
    return {
      version: 1,
      source: this.config.source.type === "view" ? this.savedSource : { type: this.config.source.type, key: this.config.source.key },
      nodes, edges,
      clusters: [...this.clusters.entries()].map(([k, v]) => [k, v.score, v.flagged]),
      filters: {
        families: [...this.filters.families], statuses: [...this.filters.statuses],
        from: Number(this.fromInput.value), to: Number(this.toInput.value),
      },
      colour: this.colourBy, size_by_exchanges: this.sizeByExchanges,
      camera: this.renderer.getCamera().getState(),
      span: Number.isFinite(this.span[0]) ? this.span : null,
    };
  }

  restore(view) {
    const s = view.state;
    this.savedSource = s.source;
    for (const [k, score, flagged] of s.clusters) this.clusters.set(k, { score, flagged });
    for (const [key, x, y, facts, fixed, hidden] of s.nodes) {
      let attrs;
      if (key.startsWith("account|")) {
        const [exchanges, status, created, last, flags, cluster] = facts;
        attrs = this.accountAttributes([key.slice(8), exchanges, status, created, last, flags, -1], [], x, y);
        attrs.cluster = cluster;
      } else {
        const kind = key.split("|", 1)[0];
        attrs = this.entityAttributes([key, kind, facts[0], facts[1], facts[2]], x, y);
        if (facts[3]) {
          attrs.group = true;
          attrs.label = `${attrs.label.split(" · ")[0]} · ${fmt(facts[0])} members`;
        }
      }
      attrs.fixed = !!fixed;
      attrs.hidden = !!hidden;
      this.graph.addNode(key, attrs);
    }
    for (const [a, b, weight] of s.edges) this.addEdgeIfMissing(a, b, weight, null);
    if (s.span) this.span = s.span;
    this.updateTimeRange();
    this.root.querySelectorAll("[data-family]").forEach((i) => { i.checked = s.filters.families.includes(i.dataset.family); });
    this.root.querySelectorAll("[data-status]").forEach((i) => { i.checked = s.filters.statuses.includes(i.dataset.status); });
    this.fromInput.value = String(s.filters.from);
    this.toInput.value = String(s.filters.to);
    this.colourBy = s.colour;
    this.colourSelect.value = s.colour;
    this.sizeByExchanges = s.size_by_exchanges;
    this.title = view.title;
    this.renderer.getCamera().setState(s.camera);
    this.setProgress(`Saved view “${view.title}” of case #${view.case} (${fmt(s.nodes.length)} nodes)`, 1);
  }

  openSave() {
    const cases = this.config.cases || [];
    if (!cases.length) {
      this.dialog.replaceChildren(el("p", { text: "No open case to save into: open a case first." }),
        el("button", { type: "button", text: "Close", onclick: () => this.dialog.close() }));
      this.dialog.showModal();
      return;
    }
    const select = el("select", { name: "case", "data-testid": "save-case" },
      ...cases.map(([id, title]) => el("option", { value: String(id), text: `#${id} ${title}` })));
    const title = el("input", { type: "text", name: "title", maxlength: "200", "data-testid": "save-title", value: `Explorer: ${this.title || ""}` });
    const message = el("p", { class: "muted" });
    this.dialog.replaceChildren(
      el("h3", { text: "Save this view to a case" }),
      el("label", {}, "Case ", select), el("label", {}, "Title ", title), message,
      el("div", { class: "ex-actions" },
        el("button", { type: "button", "data-testid": "save-confirm", text: "Save",
          onclick: async () => { message.textContent = "Saving…"; message.textContent = await this.save(select.value, title.value); } }),
        el("button", { type: "button", text: "Close", onclick: () => this.dialog.close() })));
    this.dialog.dataset.kind = "save";
    this.dialog.showModal();
  }

  async save(caseId, title) {
    const form = new FormData();
    form.append("case", caseId);
    form.append("title", title);
    form.append("state", JSON.stringify(this.state()));
    try {
      const png = await toBlob(this.renderer, { format: "png", backgroundColor: "#ffffff", width: 1200, height: 800 });
      form.append("image", png, "explorer.png");
      const response = await fetch(this.config.api.views, {
        method: "POST", body: form, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      const data = await response.json();
      if (!response.ok) return `Not saved: ${data.detail || JSON.stringify(data)}`;
      this.root.dataset.savedView = String(data.id);
      return `Saved as view #${data.id} in case #${data.case}.`;
    } catch (error) {
      return `Not saved: ${error.message}`;
    }
  }
}

function boot() {
  const root = document.getElementById("explorer");
  const configNode = document.getElementById("explorer-config");
  if (!root || !configNode) return;
  let explorer;
  try {
    explorer = new Explorer(root, JSON.parse(configNode.textContent));
  } catch (error) {
    return; // said on the page
  }
  explorer.start();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
