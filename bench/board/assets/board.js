// Sorting for the leaderboard tables and the per-segment explorer.
// Every piece of text from the runs enters the page through textContent or a Text node, never as
// markup, so a translation that contains "<script>" is shown as those characters.
"use strict";
(() => {
  const PAGE = 10;
  const data = JSON.parse(document.getElementById("board-data").textContent);

  /** A DOM element whose string children become Text nodes (never parsed as markup). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  // ---- sortable tables -------------------------------------------------------------------------

  /** Clicking a head sorts by it: best values first on the first click, reversed on the next. */
  function sortable(table) {
    const heads = [...table.tHead.rows[0].cells];
    const body = table.tBodies[0];
    [...body.rows].forEach((row, i) => { row.dataset.order = String(i); });
    heads.forEach((th, column) => {
      th.querySelector("button").addEventListener("click", () => {
        const optimum = th.dataset.optimum === undefined ? null : Number(th.dataset.optimum);
        // numbers are compared as goodness (larger is better) when the column has an optimum
        const first = th.dataset.better === "higher" || optimum !== null ? "descending" : "ascending";
        const flipped = first === "ascending" ? "descending" : "ascending";
        const direction = th.getAttribute("aria-sort") === first ? flipped : first;
        heads.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", direction);
        const sign = direction === "ascending" ? 1 : -1;
        const key = (row) => {
          const cell = row.cells[column];
          if (th.dataset.type !== "number") return cell.textContent.trim();
          if (cell.dataset.value === undefined) return null;
          const value = Number(cell.dataset.value);
          return optimum === null ? value : -Math.abs(value - optimum);
        };
        const rows = [...body.rows].map((row) => ({ row, key: key(row), order: Number(row.dataset.order) }));
        rows.sort((a, b) => {
          const missing = (a.key === null) - (b.key === null); // empty cells last, either way
          if (a.key === null || b.key === null) return missing || a.order - b.order;
          const c = typeof a.key === "number" ? a.key - b.key : a.key.localeCompare(b.key);
          return sign * c || a.order - b.order;
        });
        body.append(...rows.map((r) => r.row));
      });
    });
  }

  // ---- segment explorer ------------------------------------------------------------------------

  /** Larger is better, whatever the metric: a length ratio is judged by its distance to 1. */
  function goodness(metric, value) {
    if (metric.optimum !== null) return -Math.abs(value - metric.optimum);
    return metric.higherIsBetter ? value : -value;
  }

  /**
   * Per metric and segment, over the systems: the mean score (shown), the mean goodness (sorted on),
   * the spread (max - min) and the range of goodness over all cells (for shading).
   */
  function summaries(pair) {
    const n = pair.ids.length;
    const out = {};
    for (const metric of pair.metrics) {
      const columns = pair.systems.map((s) => (pair.scores[s] || {})[metric.name]).filter(Boolean);
      const mean = new Float64Array(n);
      const good = new Float64Array(n);
      const spread = new Float64Array(n);
      let low = Infinity;
      let high = -Infinity;
      for (let i = 0; i < n; i++) {
        const values = columns.map((c) => c[i]);
        const goods = values.map((v) => goodness(metric, v));
        mean[i] = values.reduce((a, b) => a + b, 0) / values.length;
        good[i] = goods.reduce((a, b) => a + b, 0) / goods.length;
        spread[i] = Math.max(...values) - Math.min(...values);
        low = Math.min(low, ...goods);
        high = Math.max(high, ...goods);
      }
      out[metric.name] = { mean, good, spread, low, high, metric };
    }
    return out;
  }

  /** Background of a segment score cell: the worse the score within the metric's range, the warmer. */
  function shade(cell, value, summary) {
    const range = summary.high - summary.low;
    if (!(range > 0)) return;
    const bad = 1 - (goodness(summary.metric, value) - summary.low) / range;
    cell.style.backgroundColor = `rgba(214, 96, 40, ${(0.38 * bad).toFixed(3)})`;
  }

  function explorer(root, pair) {
    const stats = summaries(pair);
    const n = pair.ids.length;
    const hasMetrics = pair.metrics.length > 0;
    const flagged = (system, i) => Boolean((pair.offTarget[system] || [])[i]);
    const anyFlag = Object.keys(pair.offTarget).length > 0;

    const metricSelect = el("select", { "aria-label": "metric" },
      pair.metrics.map((m) => el("option", { value: m.name }, m.name)));
    const orders = [["worst", "worst first (mean over systems)"], ["best", "best first (mean over systems)"],
      ["spread", "systems disagree most"]];
    const orderSelect = el("select", { "aria-label": "order" },
      [...(hasMetrics ? orders : []), ["order", "test-set order"]]
        .map(([value, label]) => el("option", { value }, label)));
    const search = el("input", { type: "search", placeholder: "find text in source, reference or output",
      "aria-label": "find text" });
    const offOnly = el("input", { type: "checkbox" });
    const count = el("span", { class: "count" });
    const list = el("div", { class: "segments" });
    const more = el("button", { type: "button", class: "more" }, `Show ${PAGE} more`);
    let shown = PAGE;
    let order = [];

    function sortedIndices() {
      const query = search.value.trim().toLowerCase();
      const matches = (i) => !query || [pair.sources[i], pair.references[i],
        ...pair.systems.map((s) => pair.outputs[s][i])].some((t) => t.toLowerCase().includes(query));
      const wanted = (i) => matches(i) && (!offOnly.checked || pair.systems.some((s) => flagged(s, i)));
      const indices = [...Array(n).keys()].filter(wanted);
      const how = orderSelect.value;
      if (how === "order") return indices;
      const s = stats[metricSelect.value];
      const key = how === "spread" ? s.spread : s.good;
      const sign = how === "worst" ? 1 : -1;
      return indices.sort((a, b) => sign * (key[a] - key[b]) || a - b);
    }

    function scoreCell(system, metric, i) {
      const column = (pair.scores[system] || {})[metric.name];
      if (!column) return el("td", { class: "num" }, "–");
      const cell = el("td", { class: "num" }, column[i].toFixed(metric.digits));
      shade(cell, column[i], stats[metric.name]);
      return cell;
    }

    function card(i) {
      const summary = hasMetrics && orderSelect.value !== "order" ? stats[metricSelect.value] : null;
      const note = summary ? `mean ${summary.metric.name} ${summary.mean[i].toFixed(summary.metric.digits)}` +
        ` · spread ${summary.spread[i].toFixed(summary.metric.digits)}` : null;
      const rows = pair.systems.map((system) => {
        const text = pair.outputs[system][i];
        return el("tr", {},
          el("th", { scope: "row" }, system),
          el("td", { class: "output", lang: pair.tgtLang },
            text ? text : el("span", { class: "empty" }, "(empty)"),
            flagged(system, i)
              ? el("span", { class: "flag", title: "not in the target language" }, "off-target") : null),
          pair.metrics.map((m) => scoreCell(system, m, i)));
      });
      return el("article", { class: "segment" },
        el("div", { class: "segment-head" },
          el("span", { class: "position" }, `row ${i + 1}`), el("span", {}, pair.ids[i]),
          note ? el("span", { class: "summary" }, note) : null),
        el("div", { class: "texts" },
          el("span", { class: "label" }, "source"), el("div", { lang: pair.srcLang }, pair.sources[i]),
          el("span", { class: "label" }, "reference"), el("div", { lang: pair.tgtLang }, pair.references[i])),
        el("table", { class: "outputs" },
          el("thead", {}, el("tr", {}, el("th", {}, "system"), el("th", {}, "output"),
            pair.metrics.map((m) => el("th", { class: "num" }, m.name)))),
          el("tbody", {}, rows)));
    }

    function render() {
      list.replaceChildren(...order.slice(0, shown).map(card));
      count.textContent = `${Math.min(shown, order.length)} of ${order.length} segments`;
      more.hidden = shown >= order.length;
    }

    function reorder() {
      order = sortedIndices();
      shown = PAGE;
      render();
    }

    metricSelect.addEventListener("change", reorder);
    orderSelect.addEventListener("change", reorder);
    search.addEventListener("input", reorder);
    offOnly.addEventListener("change", reorder);
    more.addEventListener("click", () => { shown += PAGE; render(); });

    root.replaceChildren(
      el("div", { class: "controls" },
        hasMetrics ? el("label", {}, "metric", metricSelect) : null,
        el("label", {}, "order", orderSelect),
        search,
        anyFlag ? el("label", {}, offOnly, "only segments with an off-target output") : null,
        count),
      pair.notes.map((text) => el("p", { class: "warn" }, text)),
      list, more);
    reorder();
  }

  document.querySelectorAll("table.sortable").forEach(sortable);
  const byPair = new Map(data.pairs.map((p) => [p.pair, p]));
  document.querySelectorAll(".explorer").forEach((root) => {
    const pair = byPair.get(root.dataset.pair);
    if (pair) explorer(root, pair);
  });
})();
