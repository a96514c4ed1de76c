// cnnviz figure: draws the plotly subset our figures use (heatmaps, PNG images, outline and handle
// scatters, curves with a horizontal legend, bars, shapes, annotations, colour bars; linear, log and
// category axes) as one SVG, in the page (no iframe, no plotly.js).
// plotly.js costs a first visit 0.6-1 s of module start on a 2-core machine before it draws anything;
// this draws the same figure JSON in milliseconds. cnnviz.figures.heatmaps.drawn_json() decides which
// figures come here; anything else still goes to st.plotly_chart.

const SVG = "http://www.w3.org/2000/svg";
const TICK_COLOUR = "#808495";
const TEXT_COLOUR = "#31333f";
const MINUS = "\u2212";
let uid = 0;

export default function ({ parentElement, data, setTriggerValue }) {
  let host = parentElement.querySelector(".cnnviz-figure");
  if (!host) {
    host = document.createElement("div");
    host.className = "cnnviz-figure";
    parentElement.appendChild(host);
  }
  const fig = JSON.parse(data.figure);
  fig.data.forEach((trace) => Object.keys(trace).forEach((key) => { trace[key] = decode(trace[key]); }));
  host.cnnviz = { fig, filename: data.filename, pick: setTriggerValue };
  draw(host);
  if (!host.cnnvizObserver) {
    let width = host.clientWidth;
    host.cnnvizObserver = new ResizeObserver(() => {
      if (host.clientWidth !== width) {
        width = host.clientWidth;
        draw(host);
      }
    });
    host.cnnvizObserver.observe(host);
  }
  return () => {
    host.cnnvizObserver?.disconnect();
    host.cnnvizObserver = undefined;
  };
}

// ---- small helpers -------------------------------------------------------------------------------

const TYPED = {
  f8: Float64Array, f4: Float32Array, i8: BigInt64Array, u8: BigUint64Array, i4: Int32Array, u4: Uint32Array,
  i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array,
};

const decoded = new Map();  // bdata -> arrays: an unchanged grid is decoded (and rasterised) once
const DECODED_KEPT = 64;

function decode(value) {
  // plotly.py sends numpy arrays as {dtype, bdata (base64), shape}: back to (nested) arrays, NaN as null
  if (!value || typeof value !== "object" || typeof value.bdata !== "string") return value;
  const Kind = TYPED[value.dtype];
  if (!Kind) return value;
  const key = `${value.dtype}|${value.shape}|${value.bdata}`;
  if (decoded.has(key)) return decoded.get(key);
  const chars = atob(value.bdata);
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
  const numbers = new Kind(bytes.buffer);
  const flat = new Array(numbers.length);
  for (let i = 0; i < numbers.length; i++) {
    const v = Number(numbers[i]);
    flat[i] = Number.isNaN(v) ? null : v;
  }
  const shape = String(value.shape || flat.length).split(",").map(Number);
  const nest = (start, dims) => {
    if (dims.length === 1) return flat.slice(start, start + dims[0]);
    const step = dims.slice(1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[0] }, (_, i) => nest(start + i * step, dims.slice(1)));
  };
  const out = nest(0, shape);
  if (decoded.size >= DECODED_KEPT) decoded.delete(decoded.keys().next().value);
  decoded.set(key, out);
  return out;
}

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function text(parent, x, y, content, size, attrs = {}, down = false) {
  // plotly's text: <br> breaks lines (centred on y, or the first on y with `down`), other tags dropped
  const node = el("text", { x, y, "font-size": size, ...attrs }, parent);
  const lines = String(content).split(/<br\s*\/?>/i).map((l) => l.replace(/<[^>]*>/g, ""));
  if (lines.length === 1) node.textContent = lines[0];
  else
    lines.forEach((line, k) => {
      const first = down ? "0" : `${-(lines.length - 1) * 0.6}em`;
      const span = el("tspan", { x, dy: k === 0 ? first : "1.2em" }, node);
      span.textContent = line;
    });
  return node;
}

const colourCache = new Map();
function rgba(colour) {
  // any CSS colour as [r, g, b, a]: the canvas parses it, as plotly.js's tinycolor would
  if (colourCache.has(colour)) return colourCache.get(colour);
  const ctx = rgba.ctx || (rgba.ctx = document.createElement("canvas").getContext("2d"));
  ctx.fillStyle = "#000";
  ctx.fillStyle = colour;
  const s = ctx.fillStyle;
  let out;
  if (s.startsWith("#")) out = [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16)).concat(1);
  else out = s.match(/[\d.]+/g).map(Number).concat(1).slice(0, 4);
  colourCache.set(colour, out);
  return out;
}

function scaleColour(stops, t) {
  t = Math.min(1, Math.max(0, t));
  let k = 1;
  while (k < stops.length - 1 && stops[k][0] < t) k++;
  const [t0, c0] = stops[k - 1], [t1, c1] = stops[k];
  const a = rgba(c0), b = rgba(c1), f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
  const mix = a.map((v, i) => v + (b[i] - v) * f);
  return [mix[0], mix[1], mix[2]];
}

function css([r, g, b]) {
  return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

// d3-format's common cases: ".4~g", ".3f", ".2%", "d", "," - what plotly's templates use
function format(value, spec) {
  if (value === null || value === undefined || (typeof value === "number" && !isFinite(value))) return "";
  if (typeof value !== "number") return String(value);
  const m = /^(,)?(?:\.(\d+))?(~)?([fgde%])?$/.exec(spec || "");
  let s;
  if (!spec || !m) s = String(Number(value.toPrecision(6)));
  else {
    const [, group, digits, trim, type] = m;
    const p = digits === undefined ? 6 : Number(digits);
    const v = Math.abs(value);
    if (type === "f") s = v.toFixed(p);
    else if (type === "%") s = (v * 100).toFixed(p);
    else if (type === "d") s = Math.round(v).toString();
    else if (type === "e") s = v.toExponential(p);
    else s = v.toPrecision(Math.max(1, p));
    if (trim || type === undefined) s = s.replace(/\.0+(?=e|$)/, "").replace(/(\.\d*?)0+(?=e|$)/, "$1");
    s = s.replace(/e([+-])(\d+)/, (_, sign, exp) => `e${sign === "-" ? MINUS : "+"}${exp}`);
    if (group) s = s.replace(/^(\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ","));
    if (type === "%") s += "%";
    if (value < 0 && Number(s.replace(/[^\d.e]/g, "")) !== 0) s = MINUS + s;
  }
  return s.replace(/^-/, MINUS);
}

function fill(template, point) {
  // %{z}, %{x:.2f}, %{customdata[1]}: plotly's hovertemplate / texttemplate fields
  return template
    .replace(/<extra>.*?<\/extra>/g, "")
    .replace(/%\{([a-z]+)(?:\[(\d+)\])?(?::([^}]*))?\}/gi, (_, field, index, spec) => {
      let v = point[field];
      if (index !== undefined && Array.isArray(v)) v = v[Number(index)];
      return format(v, spec);
    });
}

function niceTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

function tickLabel(v) {
  return format(Math.abs(v) < 1e-12 ? 0 : v, "~g");
}

// ---- geometry: domains, ranges, equal-scale axes --------------------------------------------------

function axisName(ref, letter) {
  // "x2" -> "xaxis2", "x" -> "xaxis"
  return `${letter}axis${ref.slice(1)}`;
}

function cellEdges(centres) {
  // heatmap cell borders around each centre (halfway to the neighbours), as plotly draws them
  const n = centres.length;
  if (n === 1) return [centres[0] - 0.5, centres[0] + 0.5];
  const edges = [centres[0] - (centres[1] - centres[0]) / 2];
  for (let i = 0; i < n - 1; i++) edges.push((centres[i] + centres[i + 1]) / 2);
  edges.push(centres[n - 1] + (centres[n - 1] - centres[n - 2]) / 2);
  return edges;
}

function heatmapAxes(trace) {
  // cell centres (names on a category axis sit at 0, 1, 2 ...) and the cell borders around them
  const z = trace.z || [];
  const rows = z.length, cols = rows ? z[0].length : 0;
  const named = (v) => Array.isArray(v) && typeof v[0] === "string";
  const xl = named(trace.x) ? trace.x : null, yl = named(trace.y) ? trace.y : null;
  const x = !xl && trace.x ? trace.x : Array.from({ length: cols }, (_, i) => i);
  const y = !yl && trace.y ? trace.y : Array.from({ length: rows }, (_, i) => i);
  return { x, y, xl, yl, xe: cellEdges(x), ye: cellEdges(y) };
}

function layoutAxes(fig, width) {
  const L = fig.layout;
  const m = { l: 80, r: 80, t: 100, b: 80, ...(L.margin || {}) };
  const plot = { x0: m.l, x1: width - m.r, y0: m.t, y1: (L.height || 450) - m.b - legendRoom(fig) };
  if (m.autoexpand !== false) plot.x1 = Math.min(plot.x1, width - barRoom(fig) - 0.02 * width);
  const axes = {};
  const get = (name, letter) => {
    if (!axes[name]) axes[name] = { name, letter, spec: L[name] || {}, lo: Infinity, hi: -Infinity };
    return axes[name];
  };
  for (const trace of fig.data) {
    const xa = get(axisName(trace.xaxis || "x", "x"), "x"), ya = get(axisName(trace.yaxis || "y", "y"), "y");
    if (trace.type === "heatmap") {
      const { xe, ye, xl, yl } = heatmapAxes(trace);
      if (xl) xa.categories = xl.map(String);
      if (yl) ya.categories = yl.map(String);
      xa.lo = Math.min(xa.lo, ...xe); xa.hi = Math.max(xa.hi, ...xe);
      ya.lo = Math.min(ya.lo, ...ye); ya.hi = Math.max(ya.hi, ...ye);
      xa.heat = ya.heat = true;
    } else if (trace.type === "bar") {
      // categories at 0, 1, 2 ... (plotly's category axis); values from zero, room above for their text
      xa.categories = trace.x.map(String);
      xa.lo = -0.5; xa.hi = trace.x.length - 0.5; xa.heat = true;
      const ys = trace.y.filter((v) => v !== null && isFinite(v));
      if (ya.spec.type === "log") {
        const logs = ys.filter((v) => v > 0).map(Math.log10);
        ya.lo = Math.min(ya.lo, Math.min(...logs) - 0.3); ya.hi = Math.max(ya.hi, Math.max(...logs) + 0.4);
      } else {
        const top = Math.max(0, ...ys), bottom = Math.min(0, ...ys), pad = trace.text ? 0.12 : 0.05;
        ya.lo = Math.min(ya.lo, bottom - (bottom < 0 ? pad : 0) * (top - bottom));
        ya.hi = Math.max(ya.hi, top + pad * (top - bottom || 1));
      }
      ya.heat = ya.grid = true;
    } else if (trace.type === "image") {
      const [w, h] = pngSize(trace.source);
      xa.lo = Math.min(xa.lo, -0.5); xa.hi = Math.max(xa.hi, w - 0.5);
      ya.lo = Math.min(ya.lo, -0.5); ya.hi = Math.max(ya.hi, h - 0.5);
      xa.heat = ya.heat = true;
    }
  }
  for (const trace of fig.data) {
    if (trace.type !== "scatter") continue;
    const xa = axes[axisName(trace.xaxis || "x", "x")], ya = axes[axisName(trace.yaxis || "y", "y")];
    for (const [axis, values] of [[xa, trace.x || []], [ya, trace.y || []]]) {
      if (axis.heat) continue;
      for (const v of values) if (v !== null && isFinite(v)) { axis.lo = Math.min(axis.lo, v); axis.hi = Math.max(axis.hi, v); }
    }
    if (!ya.heat && trace.showlegend !== false) ya.grid = true;  // a curve's value axis gets grid lines, as a bar's does
  }
  for (const name of Object.keys(L)) if (/^[xy]axis\d*$/.test(name)) get(name, name[0]);
  const pairs = new Map();
  for (const trace of fig.data) {
    const xa = axes[axisName(trace.xaxis || "x", "x")], ya = axes[axisName(trace.yaxis || "y", "y")];
    pairs.set(`${xa.name}/${ya.name}`, [xa, ya]);
    xa.partner = xa.partner || ya; ya.partner = ya.partner || xa;
  }
  for (const a of Object.values(axes)) {
    a.log = a.spec.type === "log";
    if (!isFinite(a.lo)) { a.lo = -1; a.hi = 6; }
    if (a.spec.rangemode === "tozero") { a.lo = Math.min(a.lo, 0); a.hi = Math.max(a.hi, 0); }
    const r = a.spec.range;
    if (r && a.spec.autorange !== true && a.spec.autorange !== "reversed") a.range = [r[0], r[1]];
    else a.range = a.spec.autorange === "reversed" ? [a.hi, a.lo] : [a.lo, a.hi];
  }
  if (m.autoexpand !== false) tickRoom(fig, axes, plot);
  for (const a of Object.values(axes)) {
    const d = a.spec.domain || [0, 1];
    const span = a.letter === "x" ? plot.x1 - plot.x0 : plot.y1 - plot.y0;
    a.p0 = d[0] * span; a.p1 = d[1] * span;
  }
  for (const a of Object.values(axes)) {
    const anchor = a.spec.scaleanchor && axes[axisName(a.spec.scaleanchor, a.spec.scaleanchor[0])];
    if (anchor) equalScale(a, anchor);
  }
  return { plot, axes, pairs: [...pairs.values()] };
}

function tickRoom(fig, axes, plot) {
  // labels and titles of axes at the plot's left and bottom edges push the plot in, as plotly's automargin does
  const font = (fig.layout.font && fig.layout.font.size) || 12;
  for (const a of Object.values(axes)) {
    const spec = a.spec, d = spec.domain || [0, 1];
    if (spec.visible === false || d[0] > 0.01) continue;
    const size = (spec.tickfont && spec.tickfont.size) || font;
    const title = spec.title && spec.title.text ? ((spec.title.font && spec.title.font.size) || font) + 8 : 0;
    if (a.letter === "y" && spec.side !== "right") {
      const labels = spec.showticklabels === false ? [] : tickValues(a, 300, size).map((v) => tickText(a, v));
      const room = Math.max(0, ...labels.map((t) => t.length * size * 0.6)) + 8 + title;
      plot.x0 = Math.max(plot.x0, room);
    } else if (a.letter === "x" && spec.showticklabels !== false && (a.categories || title)) {
      const lines = a.categories ? Math.max(1, ...a.categories.map((c) => c.split(/<br\s*\/?>/i).length)) : 1;
      const room = lines * size * 1.25 + 8 + title;
      if (spec.side === "top") plot.y0 = Math.max(plot.y0, room);
      else plot.y1 = Math.min(plot.y1, (fig.layout.height || 450) - legendRoom(fig) - room);
    }
  }
}

function legendItems(fig) {
  // the traces a legend names: plotly's showlegend, one entry per name
  if (fig.layout.showlegend === false || !fig.layout.legend) return [];
  const seen = new Set();
  return fig.data.filter((t) => t.type === "scatter" && t.showlegend !== false && t.name && !seen.has(t.name) && seen.add(t.name));
}

function legendRoom(fig) {
  // pixels a horizontal legend's row takes under the plot (and its x axes' labels)
  const font = (fig.layout.font && fig.layout.font.size) || 12;
  return legendItems(fig).length ? Math.round(font * 2.2) : 0;
}

function drawLegend(svg, fig, geo, font, height) {
  // one row under everything else, from the plot's left edge: a line (and marker) sample and the name
  const items = legendItems(fig);
  if (!items.length) return;
  const g = el("g", { class: "legend" }, svg);
  const y = height - legendRoom(fig) / 2;
  let x = geo.plot.x0;
  for (const t of items) {
    const line = t.line || {}, colour = line.color || "#1f77b4";
    el("line", { x1: x, x2: x + 30, y1: y, y2: y, stroke: colour, "stroke-width": line.width ?? 2 }, g);
    if ((t.mode || "lines+markers").includes("markers")) {
      el("circle", { cx: x + 15, cy: y, r: ((t.marker && t.marker.size) || 6) / 2, fill: (t.marker && t.marker.color) || colour }, g);
    }
    text(g, x + 36, y + font * 0.35, t.name, font, { fill: TEXT_COLOUR, class: "legendtext" });
    x += 36 + String(t.name).length * font * 0.6 + 24;
  }
}

function pngSize(source) {
  // a PNG data URI's width and height, read from its IHDR chunk (bytes 16-23)
  const head = atob(String(source).split(",", 2)[1].slice(0, 32));
  const word = (at) => ((head.charCodeAt(at) << 24) | (head.charCodeAt(at + 1) << 16) | (head.charCodeAt(at + 2) << 8) | head.charCodeAt(at + 3)) >>> 0;
  return [word(16), word(20)];
}

function drawImage(svg, trace, k, geo) {
  // a PNG picture over its pixel grid (pixel i's centre at i, as plotly's image trace places it)
  const xa = geo.axes[axisName(trace.xaxis || "x", "x")], ya = geo.axes[axisName(trace.yaxis || "y", "y")];
  const X = mapper(xa, geo.plot), Y = mapper(ya, geo.plot);
  const [w, h] = pngSize(trace.source);
  const xs = [X(-0.5), X(w - 0.5)], ys = [Y(-0.5), Y(h - 0.5)];
  el("image", {
    href: trace.source, x: Math.min(...xs), y: Math.min(...ys), width: Math.abs(xs[1] - xs[0]),
    height: Math.abs(ys[1] - ys[0]), preserveAspectRatio: "none", class: "cnnviz-image", "image-rendering": "pixelated",
  }, svg);
  return { trace, k, kind: "image" };
}

function barRoom(fig) {
  // pixels a vertical colour bar right of the plot needs for itself and its tick labels
  let room = 0;
  for (const t of fig.data) {
    const bar = t.colorbar || {};
    if (t.type !== "heatmap" || t.showscale === false || bar.orientation === "h" || (bar.x ?? 1.02) < 1) continue;
    const size = (bar.tickfont && bar.tickfont.size) || (fig.layout.font && fig.layout.font.size) || 12;
    room = Math.max(room, (bar.xpad ?? 10) + (bar.thickness ?? 30) + 8 + size * 0.6 * 5);
    if (bar.title && bar.title.text) room = Math.max(room, (bar.xpad ?? 10) + bar.title.text.length * size * 0.55 + 4);
  }
  return room;
}

function equalScale(a, b) {
  // one data unit = as many pixels on both axes; constrain "domain" shrinks the roomier axis, else its range grows
  const per = (ax) => Math.abs(ax.p1 - ax.p0) / Math.abs(ax.range[1] - ax.range[0]);
  const s = Math.min(per(a), per(b));
  for (const ax of [a, b]) {
    if (per(ax) <= s * (1 + 1e-9)) continue;
    if ((ax.spec.constrain || "range") === "domain") {
      const len = s * Math.abs(ax.range[1] - ax.range[0]), mid = (ax.p0 + ax.p1) / 2;
      ax.p0 = mid - len / 2; ax.p1 = mid + len / 2;
    } else {
      const half = Math.abs(ax.p1 - ax.p0) / s / 2, mid = (ax.range[0] + ax.range[1]) / 2;
      const sign = Math.sign(ax.range[1] - ax.range[0]);
      ax.range = [mid - sign * half, mid + sign * half];
    }
  }
}

function mapper(axis, plot) {
  // data value -> page pixel along this axis (y grows upwards in data, downwards on screen); a log
  // axis's range is in powers of ten, as plotly's is
  const [r0, r1] = axis.range;
  const t = axis.log ? (v) => (v > 0 ? Math.log10(v) : r0) : (v) => v;
  if (axis.letter === "x") {
    const a = plot.x0 + axis.p0, len = axis.p1 - axis.p0;
    return (v) => a + ((t(v) - r0) / (r1 - r0)) * len;
  }
  const bottom = plot.y1 - axis.p0, len = axis.p1 - axis.p0;
  return (v) => bottom - ((t(v) - r0) / (r1 - r0)) * len;
}

function refMapper(ref, letter, geo) {
  if (!ref || ref === "paper") {
    const { plot } = geo;
    return letter === "x" ? (v) => plot.x0 + v * (plot.x1 - plot.x0) : (v) => plot.y1 - v * (plot.y1 - plot.y0);
  }
  return mapper(geo.axes[axisName(ref, letter)], geo.plot);
}

// ---- drawing -------------------------------------------------------------------------------------

function draw(host) {
  const { fig, filename } = host.cnnviz;
  const L = fig.layout;
  const width = Math.max(120, host.clientWidth || 600), height = L.height || 450;
  const font = (L.font && L.font.size) || 12;
  const geo = layoutAxes(fig, width);
  const id = `cnnviz-fig-${++uid}`;
  const name = (L.title && L.title.text) || (L.annotations || []).map((a) => a.text).join(", ") || "figure";
  const svg = el("svg", {
    xmlns: SVG, width, height, viewBox: `0 0 ${width} ${height}`, "font-family": "inherit",
    role: "img", "aria-label": name.replace(/<[^>]*>/g, " "),
  });
  el("rect", { width, height, fill: L.paper_bgcolor || "#fff" }, svg);
  const defs = el("defs", {}, svg);
  for (const [xa, ya] of geo.pairs) {
    const x0 = geo.plot.x0 + xa.p0, y0 = geo.plot.y1 - ya.p1;
    el("rect", { x: x0, y: y0, width: xa.p1 - xa.p0, height: ya.p1 - ya.p0, fill: L.plot_bgcolor || "#fff" }, svg);
  }
  for (const a of Object.values(geo.axes)) drawGrid(svg, a, geo, font);
  const shapes = L.shapes || [];
  shapes.filter((s) => s.layer === "below").forEach((s) => drawShape(svg, s, geo));
  const hits = [];
  fig.data.forEach((trace, k) => {
    if (trace.type === "heatmap") hits.push(drawHeatmap(svg, trace, k, geo, font));
    else if (trace.type === "image") hits.push(drawImage(svg, trace, k, geo));
    else if (trace.type === "scatter") hits.push(drawScatter(svg, trace, k, geo));
    else if (trace.type === "bar") hits.push(drawBars(svg, trace, k, geo, font));
  });
  shapes.filter((s) => s.layer !== "below").forEach((s) => drawShape(svg, s, geo));
  for (const a of Object.values(geo.axes)) drawAxis(svg, a, geo, font);
  fig.data.forEach((trace, k) => {
    if (trace.type === "heatmap" && trace.showscale !== false) drawColourBar(svg, defs, trace, `${id}-${k}`, geo, font);
  });
  for (const note of L.annotations || []) drawAnnotation(svg, note, geo, font);
  drawLegend(svg, fig, geo, font, height);
  if (L.title && L.title.text) {
    const size = (L.title.font && L.title.font.size) || Math.round(font * 1.4);
    text(svg, 8, Math.min(geo.plot.y0 / 2 + size / 3, size + 6), L.title.text, size, {
      class: "gtitle", fill: TEXT_COLOUR, "font-weight": 600,
    });
  }
  host.replaceChildren(svg, tooltip(host), saveButton(svg, filename));
  interact(host, svg, hits, fig);
}

const RECT_CELLS = 400;  // grids up to this many cells are SVG rectangles; larger ones one bitmap (as plotly does)

function extent(rows) {
  // finite min and max of a (nested) array, without spreading thousands of arguments
  let lo = Infinity, hi = -Infinity;
  for (const row of rows) for (const v of row) if (v !== null && isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

function drawHeatmap(svg, trace, k, geo, font) {
  const xa = geo.axes[axisName(trace.xaxis || "x", "x")], ya = geo.axes[axisName(trace.yaxis || "y", "y")];
  const X = mapper(xa, geo.plot), Y = mapper(ya, geo.plot);
  const { x, y, xl, yl, xe, ye } = heatmapAxes(trace);
  const z = trace.z, stops = trace.colorscale;
  const [lo, hi] = extent(z);
  const zmin = trace.zmin ?? lo, zmax = trace.zmax ?? hi;
  const unit = (v) => (zmax > zmin ? (v - zmin) / (zmax - zmin) : 0.5);
  const gx = (trace.xgap || 0) / 2, gy = (trace.ygap || 0) / 2;
  const cells = el("g", { class: "cnnviz-heatmap" }, svg);
  const xs = xe.map(X), ys = ye.map(Y);
  const many = z.length * (z[0] || []).length > RECT_CELLS;
  if (many) el("image", bitmap(z, stops, unit, xs, ys, gx, gy), cells);
  const labels = [];
  const template = trace.texttemplate;
  const size = (trace.textfont && trace.textfont.size) || font;
  for (let i = 0; i < z.length && (template || !many); i++) {
    const top = Math.min(ys[i], ys[i + 1]), bottom = Math.max(ys[i], ys[i + 1]);
    for (let j = 0; j < z[i].length; j++) {
      const v = z[i][j];
      if (v === null || !isFinite(v)) continue;
      const left = Math.min(xs[j], xs[j + 1]), right = Math.max(xs[j], xs[j + 1]);
      const colour = scaleColour(stops, unit(v));
      const w = Math.max(0, right - left - 2 * gx), h = Math.max(0, bottom - top - 2 * gy);
      if (!many) el("rect", { x: left + gx, y: top + gy, width: w, height: h, fill: css(colour) }, cells);
      if (template) {
        const label = fill(template, { z: v, x: xl ? xl[j] : x[j], y: yl ? yl[i] : y[i], text: trace.text && trace.text[i] && trace.text[i][j] });
        const fit = Math.min(size, (bottom - top) * 0.7, ((right - left) * 1.7) / Math.max(1, label.length));
        const light = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2] > 140;
        if (label && fit >= 6) labels.push([(left + right) / 2, (top + bottom) / 2, label, fit, light ? "#000" : "#fff"]);
      }
    }
  }
  const words = el("g", { class: "cnnviz-cell-text", "text-anchor": "middle", "dominant-baseline": "central" }, svg);
  for (const [cx, cy, label, fit, colour] of labels) text(words, cx, cy, label, fit.toFixed(1), { fill: colour });
  return { trace, k, kind: "heatmap", X, Y, x: xl || x, y: yl || y, xe, ye, xa, ya };
}

const LUT_SIZE = 1024;  // colours per colour scale in a bitmap: finer than a screen shows
const tables = new Map();
const rasters = new WeakMap();  // z -> {settings: <image> attributes}: an unchanged grid is not redrawn

function colourTable(stops) {
  // the colour scale sampled once, packed as canvas pixels (RGBA bytes, little-endian)
  const key = JSON.stringify(stops);
  if (!tables.has(key)) {
    const table = new Uint32Array(LUT_SIZE);
    for (let i = 0; i < LUT_SIZE; i++) {
      const [r, g, b] = scaleColour(stops, i / (LUT_SIZE - 1)).map(Math.round);
      table[i] = (255 << 24) | (b << 16) | (g << 8) | r;
    }
    tables.set(key, table);
  }
  return tables.get(key);
}

function bitmap(z, stops, unit, xs, ys, gx, gy) {
  // a large grid as one picture, each cell filled to whole device pixels (no seams), cached per grid
  const x0 = Math.min(xs[0], xs[xs.length - 1]), x1 = Math.max(xs[0], xs[xs.length - 1]);
  const y0 = Math.min(ys[0], ys[ys.length - 1]), y1 = Math.max(ys[0], ys[ys.length - 1]);
  const scale = window.devicePixelRatio || 1;
  const W = Math.max(1, Math.ceil((x1 - x0) * scale)), H = Math.max(1, Math.ceil((y1 - y0) * scale));
  const settings = [JSON.stringify(stops), unit(0), unit(1), gx, gy, W, H, xs.join(), ys.join()].join("|");
  const kept = rasters.get(z);
  if (kept && kept.settings === settings) return kept.attrs;
  const table = colourTable(stops);
  const pixels = new Uint32Array(W * H);
  const px = (v, lo, n) => Math.min(n, Math.max(0, Math.round((v - lo) * scale)));
  for (let i = 0; i < z.length; i++) {
    const top = px(Math.min(ys[i], ys[i + 1]) + gy, y0, H), bottom = px(Math.max(ys[i], ys[i + 1]) - gy, y0, H);
    for (let j = 0; j < z[i].length; j++) {
      const v = z[i][j];
      if (v === null || !isFinite(v)) continue;
      const left = px(Math.min(xs[j], xs[j + 1]) + gx, x0, W), right = px(Math.max(xs[j], xs[j + 1]) - gx, x0, W);
      const colour = table[Math.round(Math.min(1, Math.max(0, unit(v))) * (LUT_SIZE - 1))];
      for (let row = top; row < bottom; row++) pixels.fill(colour, row * W + left, row * W + right);
    }
  }
  const canvas = document.createElement("canvas");
  canvas.width = W;
  canvas.height = H;
  canvas.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(pixels.buffer), W, H), 0, 0);
  const attrs = {
    href: canvas.toDataURL(), x: x0, y: y0, width: x1 - x0, height: y1 - y0,
    preserveAspectRatio: "none", class: "cnnviz-heatmap-image",
  };
  rasters.set(z, { settings, attrs });
  return attrs;
}

function drawScatter(svg, trace, k, geo) {
  const xa = geo.axes[axisName(trace.xaxis || "x", "x")], ya = geo.axes[axisName(trace.yaxis || "y", "y")];
  const X = mapper(xa, geo.plot), Y = mapper(ya, geo.plot);
  const xs = trace.x || [], ys = trace.y || [];
  const mode = trace.mode || "lines+markers";
  const g = el("g", { class: "cnnviz-scatter", opacity: trace.opacity ?? 1 }, svg);
  const colour = (trace.line && trace.line.color) || "#1f77b4";
  if (mode.includes("lines")) {
    let d = "", pen = false;
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] === null || ys[i] === null) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${X(xs[i]).toFixed(2)},${Y(ys[i]).toFixed(2)}`;
      pen = true;
    }
    const line = trace.line || {};
    el("path", { d, fill: "none", stroke: colour, "stroke-width": line.width ?? 2 }, g);
  }
  if (mode.includes("markers")) {
    const mk = trace.marker || {}, size = mk.size || 6, symbol = mk.symbol || "circle";
    const open = String(symbol).endsWith("-open");
    const edge = mk.line || {};
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] === null || ys[i] === null) continue;
      const attrs = {
        fill: open ? "none" : mk.color || colour,
        stroke: open ? mk.color || colour : edge.color || "none",
        "stroke-width": edge.width ?? (open ? 2 : 0),
      };
      const cx = X(xs[i]), cy = Y(ys[i]);
      attrs.class = "point";
      if (String(symbol).startsWith("square")) el("rect", { x: cx - size / 2, y: cy - size / 2, width: size, height: size, ...attrs }, g);
      else el("circle", { cx, cy, r: size / 2, ...attrs }, g);
    }
  }
  return { trace, k, kind: "scatter", X, Y, xs, ys, xa, ya };
}

function drawBars(svg, trace, k, geo, font) {
  // one bar per category, 80% of its slot, from zero (or a log axis's floor); its text just outside
  const xa = geo.axes[axisName(trace.xaxis || "x", "x")], ya = geo.axes[axisName(trace.yaxis || "y", "y")];
  const X = mapper(xa, geo.plot), Y = mapper(ya, geo.plot);
  const g = el("g", { class: "cnnviz-bars" }, svg);
  const colours = (trace.marker && trace.marker.color) || "#0072b2";
  const half = (Math.abs(X(1) - X(0)) * 0.8) / 2;
  const base = ya.log ? 10 ** Math.min(...ya.range) : 0;
  const size = (trace.textfont && trace.textfont.size) || font;
  trace.y.forEach((v, i) => {
    if (v === null || !isFinite(v)) return;
    const top = Math.min(Y(v), Y(base)), bottom = Math.max(Y(v), Y(base));
    const colour = Array.isArray(colours) ? colours[i] : colours;
    el("rect", { x: X(i) - half, y: top, width: 2 * half, height: Math.max(1, bottom - top), fill: colour, class: "point" }, g);
    const label = trace.text && (Array.isArray(trace.text) ? trace.text[i] : trace.text);
    if (label) text(g, X(i), v >= base ? top - 4 : bottom + size, label, size, { "text-anchor": "middle", fill: TEXT_COLOUR });
  });
  return { trace, k, kind: "bar", X, Y, xa, ya, half };
}

function drawGrid(svg, a, geo) {
  // plotly's light grid lines across value axes (Streamlit's theme shows them on value axes only)
  if (a.spec.visible === false || a.spec.showgrid === false || !a.grid || !a.partner) return;
  const map = mapper(a, geo.plot), other = a.partner;
  const g = el("g", { class: "cnnviz-grid", stroke: "#e6eaf1", "stroke-width": a.spec.gridwidth || 1 }, svg);
  for (const [, p] of ticks(a, map, 12)) {
    if (a.letter === "y") el("line", { x1: geo.plot.x0 + other.p0, x2: geo.plot.x0 + other.p1, y1: p, y2: p }, g);
    else el("line", { y1: geo.plot.y1 - other.p0, y2: geo.plot.y1 - other.p1, x1: p, x2: p }, g);
  }
}

function dash(kind, w) {
  if (!kind || kind === "solid") return undefined;
  if (kind === "dot") return `${w},${2 * w}`;
  if (kind === "dash") return `${3 * w},${3 * w}`;
  if (kind === "longdash") return `${6 * w},${3 * w}`;
  return kind.replace(/px/g, "");
}

function drawShape(svg, s, geo) {
  const X = refMapper(s.xref || "x", "x", geo), Y = refMapper(s.yref || "y", "y", geo);
  const line = s.line || {}, w = line.width ?? 2;
  const attrs = {
    fill: s.fillcolor || "none", "fill-rule": "evenodd", opacity: s.opacity ?? 1,
    stroke: w > 0 ? line.color || "#444" : "none", "stroke-width": w, "stroke-dasharray": dash(line.dash, w),
    class: "cnnviz-shape",
  };
  if (s.type === "rect") {
    const x0 = X(s.x0), x1 = X(s.x1), y0 = Y(s.y0), y1 = Y(s.y1);
    el("rect", { x: Math.min(x0, x1), y: Math.min(y0, y1), width: Math.abs(x1 - x0), height: Math.abs(y1 - y0), ...attrs }, svg);
  } else if (s.type === "line") {
    el("line", { x1: X(s.x0), y1: Y(s.y0), x2: X(s.x1), y2: Y(s.y1), ...attrs }, svg);
  } else if (s.type === "path" && s.path) {
    // absolute M/L/H/V/Z commands in data units, as the builders write them
    const d = s.path.replace(/([MLHV])\s*([-\d.e+]+)(?:[ ,]+([-\d.e+]+))?/gi, (_, c, a, b) => {
      const C = c.toUpperCase();
      if (C === "H") return `H${X(Number(a)).toFixed(2)}`;
      if (C === "V") return `V${Y(Number(a)).toFixed(2)}`;
      return `${C}${X(Number(a)).toFixed(2)},${Y(Number(b)).toFixed(2)}`;
    });
    el("path", { d, ...attrs }, svg);
  }
}

function drawAxis(svg, a, geo, font) {
  const spec = a.spec;
  if (spec.visible === false) return;
  const size = (spec.tickfont && spec.tickfont.size) || font;
  const map = mapper(a, geo.plot);
  const other = spec.anchor ? geo.axes[axisName(spec.anchor, spec.anchor[0])] : a.partner;
  const g = el("g", { class: `${a.letter}tick-group`, fill: TICK_COLOUR }, svg);
  let edge = 0;
  if (a.letter === "x") {
    const top = spec.side === "top";
    edge = other ? geo.plot.y1 - (top ? other.p1 : other.p0) : geo.plot.y1;
    if (spec.showticklabels !== false) {
      const labels = ticks(a, map, size);
      for (const [v, px] of labels) {
        text(g, px, top ? edge - 6 : edge + size + 4, tickText(a, v), size, { "text-anchor": "middle", class: "xtick" }, !top);
      }
    }
    if (spec.title && spec.title.text) {
      const tsize = (spec.title.font && spec.title.font.size) || font;
      const mid = geo.plot.x0 + (a.p0 + a.p1) / 2;
      const lines = a.categories ? Math.max(1, ...a.categories.map((c) => c.split(/<br\s*\/?>/i).length)) : 1;
      const gap = (spec.showticklabels !== false ? lines * size * 1.2 + 6 : 2) + (spec.title.standoff ?? 4);
      text(svg, mid, top ? edge - gap - 2 : edge + gap + tsize, spec.title.text, tsize, {
        "text-anchor": "middle", fill: TEXT_COLOUR, class: "xtitle",
      });
    }
  } else {
    const right = spec.side === "right";
    edge = other ? geo.plot.x0 + (right ? other.p1 : other.p0) : geo.plot.x0;
    if (spec.showticklabels !== false) {
      for (const [v, py] of ticks(a, map, size)) {
        text(g, right ? edge + 6 : edge - 6, py, tickText(a, v), size, {
          "text-anchor": right ? "start" : "end", "dominant-baseline": "central", class: "ytick",
        });
      }
    }
    if (spec.title && spec.title.text) {
      const tsize = (spec.title.font && spec.title.font.size) || font;
      const mid = geo.plot.y1 - (a.p0 + a.p1) / 2, x = Math.max(tsize, edge - 3 * size - tsize);
      text(svg, x, mid, spec.title.text, tsize, {
        "text-anchor": "middle", transform: `rotate(-90 ${x} ${mid})`, fill: TEXT_COLOUR, class: "ytitle",
      });
    }
  }
}

function tickValues(a, px, size) {
  // tick values: each category, powers of ten on a log axis, every dtick (thinned so labels never
  // overlap), or a few round numbers
  const [lo, hi] = [Math.min(...a.range), Math.max(...a.range)];
  if (a.categories) return a.categories.map((_, i) => i);
  if (a.log) {
    const out = [];
    for (let k = Math.ceil(lo); k <= hi; k++) out.push(10 ** k);
    return out;
  }
  let values;
  if (a.spec.dtick) {
    const room = a.letter === "x" ? size * 0.6 * Math.max(String(Math.round(hi)).length, 2) + 4 : size + 2;
    const perTick = (px / (hi - lo)) * a.spec.dtick;
    const step = a.spec.dtick * Math.max(1, Math.ceil(room / perTick));
    const t0 = a.spec.tick0 ?? 0;
    values = [];
    for (let v = t0 + Math.ceil((lo - t0) / step) * step; v <= hi; v += step) values.push(v);
  } else values = niceTicks(lo, hi, Math.max(2, Math.floor(px / (a.letter === "x" ? 80 : 40))));
  return values.filter((v) => v >= lo && v <= hi);
}

function tickText(a, v) {
  // plotly's default labels: the category's name, SI prefixes for big numbers (50k, 1.5M)
  if (a.categories) return a.categories[v];
  const big = a.log || Math.max(...a.range.map(Math.abs)) >= 1e4;
  if (!big) return tickLabel(v);
  const [div, unit] = [[1e9, "G"], [1e6, "M"], [1e3, "k"]].find(([d]) => Math.abs(v) >= d) || [1, ""];
  return tickLabel(v / div) + unit;
}

function ticks(a, map, size) {
  return tickValues(a, Math.abs(a.p1 - a.p0), size).map((v) => [v, map(v)]);
}

function drawColourBar(svg, defs, trace, id, geo, font) {
  const bar = trace.colorbar || {};
  const { plot } = geo;
  const pw = plot.x1 - plot.x0, ph = plot.y1 - plot.y0;
  const thick = bar.thickness ?? 30, len = bar.len ?? 1;
  const horizontal = bar.orientation === "h";
  const [lo, hi] = extent(trace.z);
  const zmin = trace.zmin ?? lo, zmax = trace.zmax ?? hi;
  const size = (bar.tickfont && bar.tickfont.size) || font;
  const grad = el("linearGradient", horizontal ? { id, x1: 0, x2: 1, y1: 0, y2: 0 } : { id, x1: 0, x2: 0, y1: 1, y2: 0 }, defs);
  for (const [t, c] of trace.colorscale) el("stop", { offset: t, "stop-color": css(rgba(c)) }, grad);
  const g = el("g", { class: "colorbar" }, svg);
  let x0, y0, w, h;
  if (horizontal) {
    w = len * pw - 10; h = thick;
    const cx = plot.x0 + (bar.x ?? 0.5) * pw, cy = plot.y1 - (bar.y ?? -0.1) * ph;
    const xa = bar.xanchor || "center", ya = bar.yanchor || "top";
    x0 = xa === "left" ? cx : xa === "right" ? cx - w : cx - w / 2;
    y0 = ya === "bottom" ? cy - h - size - 4 : ya === "middle" ? cy - h / 2 : cy;
  } else {
    w = thick; h = len * ph - 10;
    const cx = plot.x0 + (bar.x ?? 1.02) * pw + (bar.xpad ?? 10), cy = plot.y1 - (bar.y ?? 0.5) * ph;
    const ya = bar.yanchor || "middle";
    x0 = cx; y0 = ya === "top" ? cy : ya === "bottom" ? cy - h : cy - h / 2;
  }
  if (!horizontal && bar.title && bar.title.text) {
    const room = ((bar.title.font && bar.title.font.size) || size) + 8;  // the title sits above, inside the length
    y0 += room; h -= room;
  }
  el("rect", { x: x0, y: y0, width: Math.max(1, w), height: Math.max(1, h), fill: `url(#${id})` }, g);
  if (bar.title && bar.title.text) {
    const tsize = (bar.title.font && bar.title.font.size) || size;
    text(g, horizontal ? x0 + w / 2 : x0, horizontal ? y0 - 6 : y0 - tsize - 2, bar.title.text, tsize, {
      "text-anchor": horizontal ? "middle" : "start", fill: TEXT_COLOUR, class: "cbtitle",
    });
  }
  const count = bar.nticks || Math.max(2, Math.floor((horizontal ? w : h) / (horizontal ? 60 : 30)));
  for (const v of niceTicks(zmin, zmax, count)) {
    if (v < zmin - 1e-9 || v > zmax + 1e-9) continue;
    const t = zmax > zmin ? (v - zmin) / (zmax - zmin) : 0.5;
    if (horizontal) text(g, x0 + t * w, y0 + h + size + 2, tickLabel(v), size, { "text-anchor": "middle", fill: TICK_COLOUR, class: "cbtick" });
    else text(g, x0 + w + 4, y0 + h - t * h, tickLabel(v), size, { "dominant-baseline": "central", fill: TICK_COLOUR, class: "cbtick" });
  }
}

function drawAnnotation(svg, note, geo, font) {
  const X = refMapper(note.xref || "x", "x", geo), Y = refMapper(note.yref || "y", "y", geo);  // plotly's defaults
  const size = (note.font && note.font.size) || font;
  const x = X(note.x ?? 0.5), y = Y(note.y ?? 0.5);
  const anchor = { left: "start", right: "end" }[note.xanchor] || "middle";
  const shift = { bottom: -size * 0.3, top: size, middle: size * 0.35 }[note.yanchor] ?? size * 0.35;
  text(svg, x, y + shift, note.text || "", size, {
    "text-anchor": anchor, fill: (note.font && note.font.color) || TEXT_COLOUR, class: "annotation-text",
  });
}

// ---- hover, click, save --------------------------------------------------------------------------

function tooltip(host) {
  const tip = document.createElement("div");
  tip.className = "cnnviz-figure-tip";
  tip.hidden = true;
  return tip;
}

function locate(hits, px, py) {
  // the topmost trace under the pointer that has something to say: its point and the trace
  for (let h = hits.length - 1; h >= 0; h--) {
    const hit = hits[h], t = hit.trace;
    if (hit.kind === "heatmap") {
      const j = hit.xe.findIndex((e, n) => n < hit.xe.length - 1 && Math.min(hit.X(e), hit.X(hit.xe[n + 1])) <= px && px <= Math.max(hit.X(e), hit.X(hit.xe[n + 1])));
      const i = hit.ye.findIndex((e, n) => n < hit.ye.length - 1 && Math.min(hit.Y(e), hit.Y(hit.ye[n + 1])) <= py && py <= Math.max(hit.Y(e), hit.Y(hit.ye[n + 1])));
      if (i < 0 || j < 0) continue;
      const z = t.z[i][j];
      if ((z === null || !isFinite(z)) && t.hoverongaps === false) continue;
      return { hit, point: { z, x: hit.x[j], y: hit.y[i], customdata: t.customdata && t.customdata[i] && t.customdata[i][j], text: t.text && t.text[i] && t.text[i][j] }, index: [i, j] };
    }
    if (hit.kind === "image") continue;
    if (hit.kind === "bar") {
      const i = Math.round(hit.xa.range[0] + ((px - hit.X(hit.xa.range[0])) / (hit.X(hit.xa.range[1]) - hit.X(hit.xa.range[0]))) * (hit.xa.range[1] - hit.xa.range[0]));
      if (i < 0 || i >= t.y.length || Math.abs(hit.X(i) - px) > hit.half) continue;
      return { hit, point: { x: hit.xa.categories[i], y: t.y[i], text: t.text && t.text[i] }, index: i };
    }
    if (!t.customdata && t.hoverinfo === "skip") continue;
    let best = -1, dist = Infinity;
    hit.xs.forEach((x, n) => {
      if (x === null || hit.ys[n] === null) return;
      const d = Math.hypot(hit.X(x) - px, hit.Y(hit.ys[n]) - py);
      if (d < dist) { dist = d; best = n; }
    });
    const reach = Math.max(10, ((t.marker && t.marker.size) || 6) / 2 + 2);
    if (best >= 0 && dist <= reach) return { hit, point: { x: hit.xs[best], y: hit.ys[best], customdata: t.customdata && t.customdata[best] }, index: best };
  }
  return null;
}

function pickable(fig, hits, px, py) {
  // a click selects the nearest handle (a scatter point with customdata) in the subplot clicked
  if (!String(fig.layout.clickmode || "").includes("select")) return null;
  for (const hit of hits) {
    if (hit.kind !== "scatter" || !hit.trace.customdata || !isWithin(hit, px, py)) continue;
    let best = -1, dist = Infinity;
    hit.xs.forEach((x, n) => {
      const d = Math.hypot(hit.X(x) - px, hit.Y(hit.ys[n]) - py);
      if (d < dist) { dist = d; best = n; }
    });
    if (best >= 0) return { curve_number: hit.k, point_index: best, x: hit.xs[best], y: hit.ys[best], customdata: hit.trace.customdata[best] };
  }
  return null;
}

function isWithin(hit, px, py) {
  const xs = hit.xa.range.map(hit.X), ys = hit.ya.range.map(hit.Y);
  return Math.min(...xs) <= px && px <= Math.max(...xs) && Math.min(...ys) <= py && py <= Math.max(...ys);
}

function interact(host, svg, hits, fig) {
  const tip = host.querySelector(".cnnviz-figure-tip");
  const at = (e) => {
    const r = svg.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  svg.addEventListener("mousemove", (e) => {
    const [px, py] = at(e);
    const found = locate(hits, px, py);
    const template = found && found.hit.trace.hoverinfo !== "skip" && found.hit.trace.hovertemplate;
    if (!template) { tip.hidden = true; return; }
    tip.innerHTML = "";
    fill(template, found.point).split(/<br\s*\/?>/i).forEach((line, n) => {
      if (n) tip.appendChild(document.createElement("br"));
      tip.appendChild(document.createTextNode(line.replace(/<[^>]*>/g, "")));
    });
    tip.hidden = false;
    tip.style.left = `${Math.min(px + 12, svg.clientWidth - tip.offsetWidth - 2)}px`;
    tip.style.top = `${Math.max(0, py - tip.offsetHeight - 8)}px`;
  });
  svg.addEventListener("mouseleave", () => { tip.hidden = true; });
  svg.addEventListener("click", (e) => {
    const [px, py] = at(e);
    const point = pickable(fig, hits, px, py);
    if (point) host.cnnviz.pick("selection", { points: [point] });
  });
  svg.style.cursor = String(fig.layout.clickmode || "").includes("select") ? "pointer" : "default";
}

function saveButton(svg, filename) {
  // what plotly's camera button did: a PNG of the figure at twice the size shown
  const button = document.createElement("button");
  button.type = "button";
  button.className = "cnnviz-figure-save";
  button.title = "Download this figure as a PNG";
  button.textContent = "PNG";
  button.addEventListener("click", () => {
    const copy = svg.cloneNode(true);
    copy.setAttribute("font-family", getComputedStyle(svg).fontFamily);
    const w = Number(svg.getAttribute("width")), h = Number(svg.getAttribute("height"));
    const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(copy)], { type: "image/svg+xml" }));
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = 2 * w; canvas.height = 2 * h;
      const ctx = canvas.getContext("2d");
      ctx.scale(2, 2);
      ctx.drawImage(img, 0, 0);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => {
        const a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = `${filename}.png`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      }, "image/png");
    };
    img.src = url;
  });
  return button;
}
