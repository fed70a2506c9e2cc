// srg console: small progressive enhancements. Everything works without them except the live
// chart and the live log. No inline scripts: the pages' Content-Security-Policy allows only these files.
(function () {
  "use strict";

  // vSwitch (and zone) selects show only the options of the chosen VPC (region)
  function linkSelects(sourceAttr, dataAttr) {
    document.querySelectorAll("select[" + sourceAttr + "]").forEach(function (source) {
      var target = document.getElementById(source.getAttribute(sourceAttr));
      if (!target) return;
      function apply() {
        var v = source.value;
        target.querySelectorAll("option[" + dataAttr + "], optgroup[" + dataAttr + "]").forEach(function (o) {
          // one value, or a space-separated list of them (a group serves several workspaces)
          var match = !v || o.getAttribute(dataAttr).split(" ").indexOf(v) >= 0;
          o.hidden = !match;
          o.disabled = !match;
        });
        var chosen = target.selectedOptions[0];
        if (chosen && chosen.disabled) {
          var first = target.querySelector("option:not([disabled])" + (dataAttr === "data-vpc" ? "[data-vpc]" : ""));
          target.value = first ? first.value : "";
        }
      }
      source.addEventListener("change", apply);
      apply();
    });
  }

  var COLORS = {
    SCHEDULING: "#2458d6", DATA_INTEGRATION: "#16a34a", DATA_SERVICE: "#9333ea", DATA_ANALYSIS: "#ea580c",
    CONNECTIVITY_TEST: "#0891b2", METADATA_COLLECTION: "#ca8a04", DEV_ENVIRONMENT: "#db2777", MODEL_SERVICE: "#4b5563"
  };
  var LABELS = {
    SCHEDULING: "Scheduling", DATA_INTEGRATION: "Data integration", DATA_SERVICE: "DataService", DATA_ANALYSIS: "Data analysis",
    CONNECTIVITY_TEST: "Connectivity test", METADATA_COLLECTION: "Metadata collection", DEV_ENVIRONMENT: "Dev environment",
    MODEL_SERVICE: "Model service"
  };
  var ORDER = Object.keys(COLORS);

  function usedOf(v) {
    if (typeof v === "number") return v;
    return v && typeof v.usedCu === "number" ? v.usedCu : 0;
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function clock(d, withDate) {
    var t = pad(d.getHours()) + ":" + pad(d.getMinutes());
    return withDate ? (d.getMonth() + 1) + "/" + d.getDate() + " " + t : t + ":" + pad(d.getSeconds());
  }

  // The usage curve per usage type: live samples of /usage.json, or the history of a window.
  var LIVE_STEP_MS = 5000;
  var LIVE_MAX = 360; // 30 minutes of 5-second samples

  function usageChart(canvas) {
    if (!window.Chart) return;
    var capacity = parseFloat(canvas.dataset.capacity || "0");
    var live = { labels: [], points: [] };
    var pressed = document.querySelector("#usage-window button[aria-pressed='true']:not([disabled])");
    var mode = pressed ? pressed.dataset.window : "live";
    var timer = null;
    var historyTimer = null;
    var chart = new window.Chart(canvas, {
      type: "line",
      data: { labels: [], datasets: [] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, normalized: true,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { maxTicksLimit: 8, autoSkip: true, maxRotation: 0 }, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, suggestedMax: capacity || undefined, title: { display: true, text: "CU" } },
          queued: { position: "right", beginAtZero: true, suggestedMax: 4, grid: { display: false },
            ticks: { precision: 0 }, title: { display: true, text: "Queued tasks" } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } } },
        // steps, not splines: a sample holds until the next one, and no value is drawn that was never sampled
        elements: { point: { radius: 0, hitRadius: 6 }, line: { tension: 0, stepped: "before", borderWidth: 2 } }
      }
    });
    window.srgUsageChart = chart;

    function render(labels, points) {
      // a curve per usage type that used anything in the window (Scheduling always), stacked
      var types = ["SCHEDULING"];
      points.forEach(function (p) {
        Object.keys(p.byUsageType || {}).forEach(function (t) {
          if (types.indexOf(t) < 0 && usedOf(p.byUsageType[t]) > 0) types.push(t);
        });
      });
      types.sort(function (a, b) { return ORDER.indexOf(a) - ORDER.indexOf(b); });
      var sets = types.map(function (t, i) {
        return {
          label: LABELS[t] || t, usageType: t, stack: "used", fill: i === 0 ? "origin" : "-1",
          borderColor: COLORS[t] || "#64748b", backgroundColor: (COLORS[t] || "#64748b") + "33",
          data: points.map(function (p) { return usedOf((p.byUsageType || {})[t]); })
        };
      });
      // the capacity of each moment (a group scaled from 4 to 2 CU shows 4 before and 2 after)
      sets.push({ label: "Capacity", usageType: "CAPACITY", stack: "capacity", fill: false, borderColor: "#94a3b8", borderDash: [6, 4],
        borderWidth: 1.5, backgroundColor: "transparent",
        data: points.map(function (p) { return typeof p.capacityCu === "number" ? p.capacityCu : capacity; }) });
      sets.push({ label: "Queued tasks", usageType: "QUEUED", stack: "queued", yAxisID: "queued", fill: false, borderColor: "#d97706",
        borderDash: [2, 3], borderWidth: 1.5, backgroundColor: "transparent",
        data: points.map(function (p) { return typeof p.maxQueued === "number" ? p.maxQueued : (p.queued || 0); }) });
      // a single sample is a dot, not an invisible line
      chart.options.elements.point.radius = points.length < 2 ? 3 : 0;
      chart.data.labels = labels;
      chart.data.datasets = sets;
      chart.update();
      canvas.dataset.points = String(points.length);
      canvas.dataset.mode = mode;
    }

    function sample(usage) {
      live.labels.push(clock(new Date(), false));
      var queued = 0;
      Object.keys(usage.byUsageType || {}).forEach(function (t) { queued += (usage.byUsageType[t] || {}).queued || 0; });
      live.points.push({ byUsageType: usage.byUsageType || {}, usedCu: usage.usedCu, capacityCu: usage.capacityCu, queued: queued });
      if (live.points.length > LIVE_MAX) { live.labels.shift(); live.points.shift(); }
      if (mode === "live") render(live.labels, live.points);
    }

    // The live view starts with the last 15 minutes of history (where there is history), each
    // minute's point held over its minute in 5-second slots like the live samples: a step, nothing invented.
    function seedLive() {
      if (document.querySelector("#usage-window button[data-window='1h'][disabled]")) return;
      fetch(canvas.dataset.historyUrl + "?window=15m", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { points: [] }; })
        .then(function (h) {
          var pts = h.points || [], labels = [], points = [];
          pts.forEach(function (p, i) {
            var t = new Date(p.time).getTime();
            var end = i + 1 < pts.length ? new Date(pts[i + 1].time).getTime() : t + (h.stepSeconds || 60) * 1000;
            for (var s = t; s < end; s += LIVE_STEP_MS) { labels.push(clock(new Date(s), false)); points.push(p); }
          });
          live.labels = labels.concat(live.labels).slice(-LIVE_MAX);
          live.points = points.concat(live.points).slice(-LIVE_MAX);
          if (mode === "live") render(live.labels, live.points);
        })
        .catch(function () { /* live samples only */ });
    }

    function poll() {
      fetch(canvas.dataset.usageUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (u) { if (u) sample(u); })
        .catch(function () { /* a missed sample is skipped */ });
    }

    try { sample(JSON.parse(canvas.dataset.usage)); } catch (e) { poll(); }
    timer = setInterval(poll, LIVE_STEP_MS);
    seedLive();

    function loadHistory() {
      var asked = mode;
      fetch(canvas.dataset.historyUrl + "?window=" + encodeURIComponent(asked), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { points: [] }; })
        .then(function (h) {
          if (mode !== asked) return;
          var pts = h.points || [];
          render(pts.map(function (p) { return clock(new Date(p.time), asked !== "1h"); }), pts);
        })
        .catch(function () { /* the next refresh tries again */ });
    }

    function show(m) {
      mode = m;
      clearInterval(historyTimer);
      if (mode === "live") { render(live.labels, live.points); return; }
      loadHistory();
      historyTimer = setInterval(loadHistory, 30000);
    }

    document.querySelectorAll("#usage-window button").forEach(function (b) {
      b.addEventListener("click", function () {
        document.querySelectorAll("#usage-window button").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); });
        show(b.dataset.window);
      });
    });
    // the last hour by default where there is history; else live
    show(mode);
    window.addEventListener("pagehide", function () { clearInterval(timer); clearInterval(historyTimer); });
  }

  // The live log: reads the instance's log from where it stopped until the instance ended.
  function liveLog(pre) {
    var offset = 0;
    var state = document.getElementById("log-state");
    var decoder = new TextDecoder();
    function step() {
      fetch(pre.dataset.logUrl + "?offset=" + offset, { credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          var next = parseInt(r.headers.get("X-Next-Offset") || String(offset), 10);
          var finished = r.headers.get("X-Instance-Finished") === "true";
          return r.arrayBuffer().then(function (buf) { return { next: next, finished: finished, buf: buf }; });
        })
        .then(function (c) {
          var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
          if (c.buf.byteLength > 0) {
            pre.appendChild(document.createTextNode(decoder.decode(c.buf, { stream: !c.finished })));
            if (atBottom) pre.scrollTop = pre.scrollHeight;
          }
          offset = c.next;
          if (c.finished) {
            if (state) state.textContent = pre.textContent.length ? "Complete" : "Complete (empty)";
            pre.dataset.finished = "true";
            return;
          }
          if (state) state.textContent = "Following…";
          setTimeout(step, c.buf.byteLength > 0 ? 200 : 1000);
        })
        .catch(function (e) {
          if (state) state.textContent = "Retrying (" + e.message + ")";
          setTimeout(step, 3000);
        });
    }
    step();
  }

  function placeMenu(menu) {
    var items = menu.querySelector(".menu-items");
    var button = menu.querySelector("summary");
    if (!items || !button) return;
    var r = button.getBoundingClientRect();
    items.classList.add("floating");
    items.style.right = Math.max(8, window.innerWidth - r.right) + "px";
    items.style.top = "";
    items.style.bottom = "";
    var below = window.innerHeight - r.bottom;
    if (below < items.offsetHeight + 12 && r.top > below) {
      items.style.bottom = (window.innerHeight - r.top + 4) + "px";
    } else {
      items.style.top = (r.bottom + 4) + "px";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    linkSelects("data-vswitch-filter", "data-vpc");
    linkSelects("data-zone-filter", "data-region");
    linkSelects("data-group-filter", "data-workspaces");
    var canvas = document.getElementById("usage-chart");
    if (canvas) usageChart(canvas);
    var log = document.getElementById("log");
    if (log && log.dataset.logUrl) liveLog(log);
    // close other open menus when one opens; an open menu floats above the page (position: fixed,
    // placed from its button) so a table's scroll box cannot clip it, and opens upward near the bottom
    document.addEventListener("toggle", function (e) {
      if (e.target.classList && e.target.classList.contains("menu") && e.target.open) {
        document.querySelectorAll("details.menu[open]").forEach(function (d) { if (d !== e.target) d.open = false; });
        placeMenu(e.target);
      }
    }, true);
    function closeMenus() { document.querySelectorAll("details.menu[open]").forEach(function (d) { d.open = false; }); }
    window.addEventListener("resize", closeMenus);
    document.addEventListener("scroll", function (e) {
      if (!(e.target.closest && e.target.closest(".menu-items"))) closeMenus();
    }, true);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeMenus(); });
    document.addEventListener("click", function (e) {
      if (!e.target.closest || !e.target.closest("details.menu")) closeMenus();
    });
  });
})();
