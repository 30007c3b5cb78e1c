// Sorting for the leaderboard tables, the per-segment explorer and the A-vs-B view.
// Every piece of text from the runs enters the page through textContent or a Text node, never as
// markup, so a translation that contains "<script>" is shown as those characters.
// A pair's segments are embedded packed (bench/board/drilldown.py, pack.py) and
// decoded the first time a reader opens that pair's segments or its comparison.
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

  /** Clicking a head sorts the ranked rows by it: best first, reversed on the next click. Baselines
   * live in a second body and stay where they are, as reference lines under the ranked systems. */
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

  // ---- a pair's segments, decoded on demand ----------------------------------------------------

  // the 7-bit text of a segment block (bench/board/drilldown.py: as_text)
  const UNSAFE = [0, 13, 60];
  const PAIRED = 0x100;
  const LAST = 0x280;

  /** The ``size`` bytes behind a segment block's text: 7 bits a character. */
  function bytesOf(text, size) {
    const out = new Uint8Array(size);
    let held = 0;
    let bits = 0;
    let at = 0;
    const put = (value) => {
      held = ((held << 7) | value) & 0x7fff;
      bits += 7;
      if (bits >= 8) {
        bits -= 8;
        if (at < size) out[at++] = (held >> bits) & 0xff;
      }
    };
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x80) put(code);
      else if (code < LAST) { put(UNSAFE[(code - PAIRED) >> 7]); put(code & 0x7f); }
      else put(UNSAFE[code - LAST]);
    }
    return out;
  }

  async function inflated(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  /** A pair's three parts: the JSON head, the edit steps with the score planes, the steps' bits. */
  async function inflate(meta) {
    const text = document.getElementById(`segments-${meta.pair}`).textContent;
    const [headSize, stepsSize, bitsSize] = meta.bytes;
    const bytes = bytesOf(text, headSize + stepsSize + bitsSize);
    const head = JSON.parse(new TextDecoder().decode(await inflated(bytes.subarray(0, headSize))));
    const steps = await inflated(bytes.subarray(headSize, headSize + stepsSize));
    return { head, ops: steps.subarray(0, head.ops), planes: steps.subarray(head.ops),
      bits: bytes.subarray(headSize + stepsSize) };
  }

  // the edit steps (bench/board/pack.py); END is 0, the one step below REST
  const [REST, SOURCE, SAME, COPY, SKIP, REPLACE, INSERT] = [1, 2, 3, 4, 68, 71, 134];

  /** The references, then each column of further references and each system's outputs (in that
   * order, all as edits of the first reference), rebuilt from their edit steps. */
  function rebuild(meta, { head, ops, bits }) {
    let at = 0;
    let bit = 0;
    // the word of a REPLACE or INSERT step: its half octave, then the bits below them
    const word = (step) => {
      if (step === 0) return head.words[0];
      let number = 2 | ((step + 1) & 1);
      for (let k = ((step + 1) >> 1) - 1; k > 0; k--, bit++) {
        number = number * 2 + ((bits[bit >> 3] >> (7 - (bit & 7))) & 1);
      }
      return head.words[number - 1];
    };
    const varint = () => {
      let value = 0;
      let scale = 1;
      let byte;
      while ((byte = ops[at++]) & 0x80) { value += (byte & 0x7f) * scale; scale *= 128; }
      return value + byte * scale;
    };
    const edits = (ref) => {
      const out = [];
      let j = 0;
      let op;
      while ((op = ops[at++]) > REST) {
        if (op < SKIP) { out.push(...ref.slice(j, j + op - COPY + 1)); j += op - COPY + 1; }
        else if (op < REPLACE) j += op - SKIP + 1;
        else if (op < INSERT) { out.push(word(op - REPLACE)); j++; }
        else out.push(word(op - INSERT));
      }
      return op === REST ? out.concat(ref.slice(j)) : out;
    };
    const join = meta.spaced ? " " : "";
    const refs = head.ids.map(() => edits([]));
    const columns = [];
    for (let k = 0; k < meta.moreRefs + meta.systems.length; k++) {
      columns.push(refs.map((ref, i) => {
        const op = ops[at];
        if (op === SOURCE || op === SAME) {
          at++;
          return op === SOURCE ? head.sources[i] : columns[varint()][i];
        }
        return edits(ref).join(join);
      }));
    }
    return { references: refs.map((r) => r.join(join)), columns };
  }

  /** Each segment's second, third, ... reference: the first ``moreRefs`` columns, as many as it has. */
  function furtherReferences(meta, head, columns) {
    const counts = head.refCounts;
    const further = columns.slice(0, meta.moreRefs);
    return head.ids.map((_, i) => (counts ? further.map((c) => c[i]).slice(0, counts[i] - 1) : []));
  }

  /** Each scored system's segment scores from the byte planes: zigzag plus one, 0 for no score. */
  function segmentScores(meta, n, planes, widths) {
    const scores = meta.systems.map(() => ({}));
    let at = 0;
    for (const metric of meta.metrics) {
      const width = widths[metric.name];
      const plane = metric.systems.length * n;
      metric.systems.forEach((k, j) => {
        // no score for that segment (an unreadable judge answer): NaN here and a dash on the page
        scores[k][metric.name] = Float64Array.from({ length: n }, (_, i) => {
          let u = 0;
          for (let p = 0; p < width; p++) u = u * 256 + planes[at + p * plane + j * n + i];
          if (u === 0) return NaN;
          return (u % 2 ? (u - 1) / 2 : -u / 2) / metric.scale;
        });
      });
      at += width * plane;
    }
    return scores;
  }

  /** A pair's segments as columns per system. */
  function expand(meta, packed) {
    const doc = packed.head;
    const systems = meta.systems.map((s) => s.name);
    const n = doc.ids.length;
    const { references, columns } = rebuild(meta, packed);
    const moreRefs = furtherReferences(meta, doc, columns);
    const outputs = Object.fromEntries(systems.map((s, k) => [s, columns[meta.moreRefs + k]]));
    const sources = doc.sources;
    const perSystem = segmentScores(meta, n, packed.planes, doc.widths);
    const scores = Object.fromEntries(systems.map((s, k) => [s, perSystem[k]]));
    const offTarget = {};
    (doc.offTarget || []).forEach((flagged, i) => {
      for (const k of flagged) {
        const column = offTarget[systems[k]] || (offTarget[systems[k]] = new Uint8Array(n));
        column[i] = 1;
      }
    });
    // error spans: {metric: {system: [[start, end, severity, confidence], ...] per segment]}}
    const spans = {};
    for (const [metric, bySystem] of Object.entries(doc.spans || {})) {
      spans[metric] = Object.fromEntries(Object.entries(bySystem).map(([k, column]) => [systems[k], column]));
    }
    const roles = Object.fromEntries(meta.systems.map((s) => [s.name, s.role]));
    return { ...meta, systems, roles, ids: doc.ids, sources, references, moreRefs, outputs, scores, offTarget,
      spans };
  }

  const decoded = new Map();
  function load(meta) {
    if (!decoded.has(meta.pair)) decoded.set(meta.pair, inflate(meta).then((packed) => expand(meta, packed)));
    return decoded.get(meta.pair);
  }

  /** Build ``make(root, pair)`` into ``root`` the first time its fold-out is opened. */
  function onOpen(root, meta, make) {
    const details = root.closest("details");
    let started = false;
    const start = () => {
      if (started || !details.open) return;
      started = true;
      root.replaceChildren(el("p", { class: "loading" }, "Decoding segments…"));
      load(meta).then((pair) => make(root, pair)).catch((error) => {
        root.replaceChildren(el("p", { class: "warn" }, `Could not decode the segments: ${error}`));
      });
    };
    details.addEventListener("toggle", start);
    start();
  }

  // ---- shared by both views --------------------------------------------------------------------

  /** Larger is better, whatever the metric: a length ratio is judged by its distance to 1. */
  function goodness(metric, value) {
    if (metric.optimum !== null) return -Math.abs(value - metric.optimum);
    return metric.higherIsBetter ? value : -value;
  }

  function roleBadge(pair, system) {
    const role = pair.roles[system];
    return role === "system" ? null : el("span", { class: "badge" }, role === "baseline" ? "baseline" : "off-target");
  }

  const SEVERITIES = ["minor", "major", "critical"];

  /** An output with a metric's error spans marked; offsets count code points of its NFC form. */
  function marked(text, spans) {
    if (!spans || !spans.length) return [text];
    const chars = [...text.normalize("NFC")];
    const parts = [];
    let at = 0;
    for (const [start, end, severity, confidence] of [...spans].sort((a, b) => a[0] - b[0])) {
      if (start < at) continue; // overlapping spans: the first one wins
      parts.push(chars.slice(at, start).join(""));
      const sure = confidence === null ? "" : `, confidence ${confidence}`;
      parts.push(el("mark", { class: `span ${SEVERITIES[severity]}`, title: `${SEVERITIES[severity]} error${sure}` },
        chars.slice(start, end).join("")));
      at = end;
    }
    parts.push(chars.slice(at).join(""));
    return parts;
  }

  function texts(pair, i, outputs) {
    const further = pair.moreRefs[i].flatMap((ref, k) => [
      el("span", { class: "label" }, `reference ${k + 2}`), el("div", { lang: pair.tgtLang }, ref)]);
    return el("div", { class: "texts" },
      el("span", { class: "label" }, "source"), el("div", { lang: pair.srcLang }, pair.sources[i]),
      el("span", { class: "label" }, "reference"), el("div", { lang: pair.tgtLang }, pair.references[i]),
      further, outputs || []);
  }

  // ---- segment explorer ------------------------------------------------------------------------

  /**
   * Per metric and segment, over the systems: the mean score (shown), the mean goodness (sorted on),
   * the spread (max - min) and the range of goodness over all cells (for shading).
   */
  function summaries(pair) {
    const n = pair.ids.length;
    const out = {};
    for (const metric of pair.metrics) {
      const columns = pair.systems.map((s) => pair.scores[s][metric.name]).filter(Boolean);
      const mean = new Float64Array(n);
      const good = new Float64Array(n);
      const spread = new Float64Array(n);
      let low = Infinity;
      let high = -Infinity;
      for (let i = 0; i < n; i++) {
        const values = columns.map((c) => c[i]).filter((v) => !Number.isNaN(v));
        const goods = values.map((v) => goodness(metric, v));
        mean[i] = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
        good[i] = goods.length ? goods.reduce((a, b) => a + b, 0) / goods.length : NaN;
        spread[i] = values.length ? Math.max(...values) - Math.min(...values) : 0;
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
    if (!(range > 0) || Number.isNaN(value)) return;
    const bad = 1 - (goodness(summary.metric, value) - summary.low) / range;
    cell.style.backgroundColor = `rgba(214, 96, 40, ${(0.38 * bad).toFixed(3)})`;
  }

  function explorer(root, pair) {
    const stats = summaries(pair);
    const n = pair.ids.length;
    const hasMetrics = pair.metrics.length > 0;
    const flagged = (system, i) => Boolean((pair.offTarget[system] || [])[i]);

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
      const matches = (i) => !query || [pair.sources[i], pair.references[i], ...pair.moreRefs[i],
        ...pair.systems.map((s) => pair.outputs[s][i])].some((t) => t.toLowerCase().includes(query));
      const wanted = (i) => matches(i) && (!offOnly.checked || pair.systems.some((s) => flagged(s, i)));
      const indices = [...Array(n).keys()].filter(wanted);
      const how = orderSelect.value;
      if (how === "order") return indices;
      const s = stats[metricSelect.value];
      const key = how === "spread" ? s.spread : s.good;
      const sign = how === "worst" ? 1 : -1;
      // a segment no system has a score for goes last, whichever way
      const missing = (i) => Number.isNaN(key[i]);
      return indices.sort((a, b) => (missing(a) - missing(b)) || sign * (key[a] - key[b]) || a - b);
    }

    function scoreCell(system, metric, i) {
      const column = pair.scores[system][metric.name];
      if (!column) return el("td", { class: "num" }, "–");
      if (Number.isNaN(column[i])) return el("td", { class: "num", title: "no score for this segment" }, "–");
      const cell = el("td", { class: "num" }, column[i].toFixed(metric.digits));
      shade(cell, column[i], stats[metric.name]);
      return cell;
    }

    function card(i) {
      const summary = hasMetrics && orderSelect.value !== "order" ? stats[metricSelect.value] : null;
      const fixed = (v) => (Number.isNaN(v) ? "–" : v.toFixed(summary.metric.digits));
      const note = summary ? `mean ${summary.metric.name} ${fixed(summary.mean[i])}` +
        ` · spread ${fixed(summary.spread[i])}` : null;
      // the chosen metric's error spans, or else the first metric's that has any
      const spanMetric = pair.spans[metricSelect.value] ? metricSelect.value : Object.keys(pair.spans)[0];
      const rows = pair.systems.map((system) => {
        const text = pair.outputs[system][i];
        const spans = spanMetric && (pair.spans[spanMetric][system] || [])[i];
        return el("tr", {},
          el("th", { scope: "row" }, system, roleBadge(pair, system)),
          el("td", { class: "output", lang: pair.tgtLang },
            text ? marked(text, spans) : el("span", { class: "empty" }, "(empty)"),
            flagged(system, i)
              ? el("span", { class: "flag", title: "not in the target language" }, "off-target") : null),
          pair.metrics.map((m) => scoreCell(system, m, i)));
      });
      return el("article", { class: "segment" },
        el("div", { class: "segment-head" },
          el("span", { class: "position" }, `row ${i + 1}`), el("span", {}, pair.ids[i]),
          note ? el("span", { class: "summary" }, note) : null),
        texts(pair, i),
        el("div", { class: "scroll" }, el("table", { class: "outputs" },
          el("thead", {}, el("tr", {}, el("th", {}, "system"), el("th", {}, "output"),
            pair.metrics.map((m) => el("th", { class: "num" }, m.name)))),
          el("tbody", {}, rows))));
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
        pair.hasOffTarget ? el("label", {}, offOnly, "only segments with an off-target output") : null,
        count),
      list, more);
    reorder();
  }

  // ---- A vs B ----------------------------------------------------------------------------------

  const LENGTHS = [[0, 20, "< 20"], [20, 40, "20–39"], [40, 80, "40–79"], [80, Infinity, "≥ 80"]];
  const NUMBER = /\d+(?:[.,\u00a0\u202f ]\d+)*/g;

  /** The numbers of a text, separators dropped ("1,000", "1.000" and "1 000" all read 1000). */
  function numbers(text) {
    return (text.normalize("NFKC").match(NUMBER) || []).map((m) => m.replace(/\D/g, ""));
  }

  /** Whether every number of the source (as many times as it occurs) is in the output. */
  function keepsNumbers(source, output) {
    const left = new Map();
    for (const x of numbers(output)) left.set(x, (left.get(x) || 0) + 1);
    return numbers(source).every((x) => {
      const count = left.get(x) || 0;
      left.set(x, count - 1);
      return count > 0;
    });
  }

  function tokens(text, spaced) {
    return spaced ? text.split(/\s+/).filter(Boolean) : [...text.replace(/\s+/g, "")];
  }

  /** What a token is compared by: lower case, punctuation at its edges ignored. */
  function key(token) {
    return token.toLowerCase().replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, "") || token;
  }

  /**
   * A word-level diff of ``output`` against ``reference`` (longest common subsequence): each output
   * word is kept (also in the reference) or inserted, each missing reference word is deleted.
   */
  function diff(output, reference, spaced) {
    const out = tokens(output, spaced);
    const ref = tokens(reference, spaced);
    if (out.length * ref.length > 250000) return [el("span", {}, output)];
    const a = out.map(key);
    const b = ref.map(key);
    const lcs = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
    for (let i = a.length - 1; i >= 0; i--) {
      for (let j = b.length - 1; j >= 0; j--) {
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    const parts = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) {
        parts.push(el("span", { class: "same" }, out[i])); i++; j++;
      } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
        parts.push(el("del", { title: "in the reference, not in this output" }, ref[j])); j++;
      } else {
        parts.push(el("ins", { title: "in this output, not in the reference" }, out[i])); i++;
      }
    }
    return spaced ? parts.flatMap((p, k) => (k ? [" ", p] : [p])) : parts;
  }

  function versus(root, pair) {
    const n = pair.ids.length;
    // the best system against the next one that wrote something else
    const defaultA = pair.systems[0];
    const differs = (s) => pair.outputs[s].some((text, i) => text !== pair.outputs[defaultA][i]);
    const defaultB = pair.systems.find((s) => s !== defaultA && pair.roles[s] !== "baseline" && differs(s))
      || pair.systems[1];
    const pick = (label, chosen) => el("select", { "aria-label": label },
      pair.systems.map((s) => el("option", { value: s, selected: s === chosen },
        pair.roles[s] === "system" ? s : `${s} (${pair.roles[s]})`)));
    const selectA = pick("system A", defaultA);
    const selectB = pick("system B", defaultB);
    const metricSelect = el("select", { "aria-label": "metric for the deltas" },
      pair.metrics.map((m) => el("option", { value: m.name }, m.name)));
    const summary = el("div", { class: "versus-summary" });
    const list = el("div", { class: "segments" });
    const more = el("button", { type: "button", class: "more" }, `Show ${PAGE} more`);
    let shown = PAGE;
    let order = [];

    /** Per segment: +1 when A is better on ``metric``, -1 when B is, 0 for a tie. */
    function outcomes(metric, a, b) {
      const x = pair.scores[a][metric.name];
      const y = pair.scores[b][metric.name];
      if (!x || !y) return null;
      // NaN where either has no score: neither a win, a loss nor a tie
      return Float64Array.from(x, (v, i) => Math.sign(goodness(metric, v) - goodness(metric, y[i])));
    }

    function tally(metric, a, b, indices) {
      const won = outcomes(metric, a, b);
      if (!won) return null;
      const x = pair.scores[a][metric.name];
      const y = pair.scores[b][metric.name];
      const scored = indices.filter((i) => !Number.isNaN(won[i]));
      const mean = (c) => (scored.length ? scored.reduce((s, i) => s + c[i], 0) / scored.length : NaN);
      return { wins: indices.filter((i) => won[i] > 0).length, ties: indices.filter((i) => won[i] === 0).length,
        losses: indices.filter((i) => won[i] < 0).length, meanA: mean(x), meanB: mean(y) };
    }

    const HEAD = ["segments", "A better", "tie", "B better", "mean A", "mean B"];
    function countRow(label, metric, t, size) {
      if (!t) return el("tr", {}, el("th", { scope: "row" }, label), el("td", { class: "num", colspan: 6 }, "–"));
      return el("tr", {}, el("th", { scope: "row" }, label),
        [size, t.wins, t.ties, t.losses].map((v) => el("td", { class: "num" }, String(v))),
        [t.meanA, t.meanB].map((v) => el("td", { class: "num" }, Number.isNaN(v) ? "–" : v.toFixed(metric.digits))));
    }

    function countTable(caption, firstHead, rows) {
      return el("div", { class: "scroll" }, el("table", { class: "counts" },
        el("caption", {}, caption),
        el("thead", {}, el("tr", {}, el("th", {}, firstHead), HEAD.map((h) => el("th", { class: "num" }, h)))),
        el("tbody", {}, rows)));
    }

    function buckets(metric, a, b) {
      const all = [...Array(n).keys()];
      const byLength = LENGTHS.map(([low, high, label]) => {
        const inside = all.filter((i) => [...pair.sources[i]].length >= low && [...pair.sources[i]].length < high);
        return countRow(`${label} characters`, metric, tally(metric, a, b, inside), inside.length);
      });
      const groups = [["no numbers in the source", () => false],
        ["both keep every number", (ka, kb) => ka && kb], ["only A keeps every number", (ka, kb) => ka && !kb],
        ["only B keeps every number", (ka, kb) => !ka && kb], ["neither keeps every number", (ka, kb) => !ka && !kb]];
      const kept = all.map((i) => [numbers(pair.sources[i]).length > 0,
        keepsNumbers(pair.sources[i], pair.outputs[a][i]), keepsNumbers(pair.sources[i], pair.outputs[b][i])]);
      const byNumbers = groups.map(([label, test], g) => {
        const inside = all.filter((i) => (g === 0 ? !kept[i][0] : kept[i][0] && test(kept[i][1], kept[i][2])));
        return countRow(label, metric, tally(metric, a, b, inside), inside.length);
      });
      return [countTable(`${metric.name} by source length`, "source length", byLength),
        countTable(`${metric.name} by whether the source's numbers survived`, "numbers", byNumbers)];
    }

    function card(i, metric, a, b) {
      const x = pair.scores[a][metric.name][i];
      const y = pair.scores[b][metric.name][i];
      const delta = goodness(metric, x) - goodness(metric, y);
      const verdict = delta > 0 ? "A better" : delta < 0 ? "B better" : "tie";
      const line = (label, system, value) => [
        el("span", { class: "label" }, `${label} · ${value.toFixed(metric.digits)}`),
        el("div", { class: "diff", lang: pair.tgtLang, title: system },
          pair.outputs[system][i] ? diff(pair.outputs[system][i], pair.references[i], pair.spaced)
            : el("span", { class: "empty" }, "(empty)"))];
      return el("article", { class: "segment" },
        el("div", { class: "segment-head" },
          el("span", { class: "position" }, `row ${i + 1}`), el("span", {}, pair.ids[i]),
          el("span", { class: "summary" }, `${metric.name} Δ ${Math.abs(delta).toFixed(metric.digits)} (${verdict})`)),
        texts(pair, i, [...line("A", a, x), ...line("B", b, y)]));
    }

    function render() {
      const metric = pair.metrics.find((m) => m.name === metricSelect.value);
      const a = selectA.value;
      const b = selectB.value;
      list.replaceChildren(...order.slice(0, shown).map((i) => card(i, metric, a, b)));
      more.hidden = shown >= order.length;
    }

    function update() {
      const a = selectA.value;
      const b = selectB.value;
      const metric = pair.metrics.find((m) => m.name === metricSelect.value);
      const all = [...Array(n).keys()];
      const perMetric = pair.metrics.map((m) => countRow(m.name, m, tally(m, a, b, all), n));
      summary.replaceChildren(
        el("p", { class: "hint" }, `A = ${a}, B = ${b}. Segment scores are compared at the shown precision ` +
          "plus two digits; equal ones are ties. In the outputs, inserted words are not in the reference, " +
          "struck-through words are reference words the output lacks."),
        countTable("wins, ties and losses per metric", "metric", perMetric),
        ...(metric ? buckets(metric, a, b) : []));
      if (metric && pair.scores[a][metric.name] && pair.scores[b][metric.name]) {
        const x = pair.scores[a][metric.name];
        const y = pair.scores[b][metric.name];
        const size = (i) => Math.abs(goodness(metric, x[i]) - goodness(metric, y[i]));
        order = all.filter((i) => size(i) > 0).sort((i, j) => size(j) - size(i) || i - j);
      } else {
        order = [];
      }
      shown = PAGE;
      render();
    }

    [selectA, selectB, metricSelect].forEach((s) => s.addEventListener("change", update));
    more.addEventListener("click", () => { shown += PAGE; render(); });
    root.replaceChildren(
      el("div", { class: "controls" }, el("label", {}, "A", selectA), el("label", {}, "B", selectB),
        pair.metrics.length ? el("label", {}, "segments by", metricSelect) : null),
      summary, el("h4", {}, "Segments where they differ most"), list, more);
    update();
  }

  document.querySelectorAll("table.sortable").forEach(sortable);
  const byPair = new Map(data.pairs.map((p) => [p.pair, p]));
  document.querySelectorAll(".explorer").forEach((root) => {
    const meta = byPair.get(root.dataset.pair);
    if (meta) onOpen(root, meta, explorer);
  });
  document.querySelectorAll(".versus").forEach((root) => {
    const meta = byPair.get(root.dataset.pair);
    if (meta) onOpen(root, meta, versus);
  });
})();
