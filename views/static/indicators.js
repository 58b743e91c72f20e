/* The dashboard's charts, drawn as inline SVG from the page's JSON block
   (#indicator-data, made by views/pages/indicators.py): the trend of the
   chosen indicator by period, and the comparison across units. No library,
   nothing from another origin (CSP script-src 'self'). The texts (figures
   as Vietnamese write them, the counts) come ready from the server. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var source = document.getElementById("indicator-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function indicator(key) {
    for (var i = 0; i < data.indicators.length; i++) {
      if (data.indicators[i].key === key) { return data.indicators[i]; }
    }
    return data.indicators[0];
  }

  function scaleMax(points, kind) {
    var max = 0;
    points.forEach(function (p) { if (p.value !== null && p.value > max) { max = p.value; } });
    if (kind === "percent") { return 100; }
    if (max <= 0) { return 1; }
    var step = Math.pow(10, Math.floor(Math.log10(max)));
    return Math.ceil(max / step) * step;
  }

  function frame(svg, width, height, left, top, bottom, max, kind) {
    var plotH = height - top - bottom;
    for (var i = 0; i <= 4; i++) {
      var y = top + plotH - plotH * i / 4;
      svg.appendChild(el("line", {"class": "grid", x1: left, x2: width - 10, y1: y, y2: y}));
      var v = max * i / 4;
      var vi = data.locale !== "en";
      var number = String(Math.round(v * 10) / 10);
      if (vi) { number = number.replace(".", ","); }
      var label = kind === "percent" ? Math.round(v) + (vi ? " %" : "%") : number;
      svg.appendChild(el("text", {x: left - 6, y: y + 4, "text-anchor": "end", "class": "muted"}, label));
    }
    svg.appendChild(el("line", {"class": "axis", x1: left, x2: left, y1: top, y2: top + plotH}));
    svg.appendChild(el("line", {"class": "axis", x1: left, x2: width - 10, y1: top + plotH, y2: top + plotH}));
  }

  /* the trend: bars per period with a line through them, each with its figure */
  function drawTrend(key) {
    var box = document.getElementById("chart-trend");
    var ind = indicator(key);
    var points = data.trend[ind.key] || [];
    box.textContent = "";
    var width = 900, height = 260, left = 56, top = 24, bottom = 48;
    var svg = el("svg", {viewBox: "0 0 " + width + " " + height, "data-chart": "trend", "data-indicator": ind.key});
    svg.appendChild(el("title", {}, ind.name));
    var max = scaleMax(points, ind.kind);
    frame(svg, width, height, left, top, bottom, max, ind.kind);
    var plotW = width - left - 10, plotH = height - top - bottom;
    var n = Math.max(points.length, 1), slot = plotW / n;
    var path = [];
    points.forEach(function (p, i) {
      var x = left + slot * i + slot / 2;
      svg.appendChild(el("text", {x: x, y: top + plotH + 18, "text-anchor": "middle"}, data.periods[i]));
      if (p.value === null) {
        svg.appendChild(el("text", {x: x, y: top + plotH - 6, "text-anchor": "middle", "class": "muted"}, "—"));
        return;
      }
      var h = plotH * Math.min(p.value / max, 1);
      var bar = el("rect", {"class": "bar", x: x - slot * 0.3, y: top + plotH - h, width: slot * 0.6,
                            height: Math.max(h, 1), opacity: 0.25, "data-value": p.value});
      bar.appendChild(el("title", {}, data.periods[i] + ": " + p.text + " (" + p.counts + ")"));
      svg.appendChild(bar);
      path.push((path.length ? "L" : "M") + x.toFixed(1) + " " + (top + plotH - h).toFixed(1));
      svg.appendChild(el("circle", {"class": "dot", cx: x, cy: top + plotH - h, r: 3.5}));
      svg.appendChild(el("text", {x: x, y: top + plotH - h - 8, "text-anchor": "middle"}, p.text));
    });
    if (path.length > 1) { svg.insertBefore(el("path", {"class": "line", d: path.join(" ")}), svg.firstChild.nextSibling); }
    box.appendChild(svg);
  }

  /* the comparison: one horizontal bar per unit, the figure and its counts beside it */
  function drawCompare(key) {
    var box = document.getElementById("chart-compare");
    var ind = indicator(key);
    var points = data.compare[ind.key] || [];
    box.textContent = "";
    if (!points.length) {
      box.appendChild(document.createTextNode(data.empty));
      return;
    }
    var rowH = 30, left = 330, width = 900, top = 10;
    var height = top + rowH * points.length + 10;
    var svg = el("svg", {viewBox: "0 0 " + width + " " + height, "data-chart": "compare", "data-indicator": ind.key});
    svg.appendChild(el("title", {}, ind.name));
    var max = scaleMax(points, ind.kind), plotW = width - left - 150;
    points.forEach(function (p, i) {
      var y = top + rowH * i;
      var name = data.units[i].length > 48 ? data.units[i].slice(0, 46) + "…" : data.units[i];
      svg.appendChild(el("text", {x: left - 8, y: y + rowH / 2 + 4, "text-anchor": "end"}, name));
      var w = p.value === null ? 0 : plotW * Math.min(p.value / max, 1);
      var bar = el("rect", {"class": "bar compare", x: left, y: y + 5, width: Math.max(w, p.value === null ? 0 : 1),
                            height: rowH - 10, "data-unit": data.unit_codes[i], "data-value": p.value === null ? "" : p.value});
      bar.appendChild(el("title", {}, data.units[i] + ": " + p.text + " (" + p.counts + ")"));
      svg.appendChild(bar);
      svg.appendChild(el("text", {x: left + w + 6, y: y + rowH / 2 + 4}, p.text + "  (" + p.counts + ")"));
    });
    svg.appendChild(el("line", {"class": "axis", x1: left, x2: left, y1: top, y2: height - 10}));
    box.appendChild(svg);
  }

  var chooser = document.getElementById("chart-indicator");
  function draw() {
    var key = chooser ? chooser.value : "reuse";
    drawTrend(key);
    drawCompare(key);
    document.body.setAttribute("data-charts", "drawn");
  }
  if (chooser) { chooser.addEventListener("change", draw); }
  draw();
}());
