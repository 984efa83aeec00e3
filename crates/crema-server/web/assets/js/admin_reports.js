// The day's report: figures, items sold, orders per hour as a bar chart (with a table for
// screen readers), and the day's orders as a CSV download.
import { boot, t, api, cafePath, money, el, svg, lang } from "./crema.js";

const form = document.getElementById("report-form");
const input = document.getElementById("report-date");
const csvLink = document.getElementById("report-csv");
const status = document.getElementById("report-status");
const figures = document.getElementById("report-figures");
const chart = document.getElementById("report-chart");
const items = document.getElementById("report-items");

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The date in the address bar (so a report can be bookmarked and reloaded), else today. */
function initialDate() {
  const d = new URLSearchParams(location.search).get("date");
  return d && DATE.test(d) ? d : boot.data.today;
}

function hourLabel(h) {
  return `${String(h).padStart(2, "0")}:00`;
}

/** Seconds as `4 min 05 s`, or `45 s`. */
function duration(secs) {
  if (secs < 60) return t("reports.seconds", { s: secs });
  const m = Math.floor(secs / 60);
  return t("reports.minutes", { m, s: String(secs % 60).padStart(2, "0") });
}

function longDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  // Noon UTC: the same calendar day in every timezone the browser might be in.
  return new Intl.DateTimeFormat(lang === "nb" ? "nb-NO" : "en-GB", {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

function figure(key, value, id) {
  return [el("div", { class: "figure" }, el("dt", {}, t(key)), el("dd", { id, class: "num" }, value))];
}

function renderFigures(r) {
  figures.replaceChildren(
    ...figure("reports.revenue", money(r.revenue, r.currency), "fig-revenue"),
    ...figure("reports.placed", String(r.orders.placed), "fig-orders"),
    ...figure("reports.cancelled", String(r.orders.cancelled), "fig-cancelled"),
    ...figure(
      "reports.average_ready",
      r.average_ready_seconds === null
        ? [el("span", { "aria-hidden": "true" }, "–"), el("span", { class: "figure-note" }, t("reports.none"))]
        : duration(r.average_ready_seconds),
      "fig-ready",
    ),
  );
}

/** Orders per hour: 24 bars; the SVG is a picture for the eye, the table says it in words. */
function renderChart(hours) {
  lastHours = hours;
  // Drawn at the box's own size, so the labels keep their size on a phone and a wall alike.
  const W = Math.max(240, Math.floor(chart.clientWidth || 480));
  const H = W < 480 ? 170 : 220;
  const top = 18;
  const bottom = 22;
  const slot = W / 24;
  const max = Math.max(1, ...hours);
  const scale = (H - top - bottom) / max;
  const g = svg("svg", {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    class: "hours",
    "aria-hidden": "true",
    focusable: "false",
  });
  g.append(svg("line", { x1: 0, x2: W, y1: H - bottom, y2: H - bottom, class: "axis" }));
  hours.forEach((n, h) => {
    const height = n * scale;
    const x = h * slot + 2;
    const y = H - bottom - height;
    g.append(
      svg("rect", {
        x,
        y,
        width: slot - 4,
        height,
        rx: 2,
        class: n === max && n > 0 ? "hour-bar peak" : "hour-bar",
        "data-hour": h,
        "data-count": n,
      }),
    );
    if (n > 0) {
      g.append(svg("text", { x: x + (slot - 4) / 2, y: y - 4, class: "count", "text-anchor": "middle" }, String(n)));
    }
    if (h % 3 === 0) {
      g.append(svg("text", { x: h * slot + 1, y: H - 6, class: "tick" }, String(h).padStart(2, "0")));
    }
  });
  const busiest = hours.indexOf(Math.max(...hours));
  const summary = hours.some((n) => n > 0)
    ? t(hours[busiest] === 1 ? "reports.busiest_one" : "reports.busiest", { hour: hourLabel(busiest), n: hours[busiest] })
    : t("reports.no_orders");
  const rows = hours
    .map((n, h) => [h, n])
    .filter(([, n]) => n > 0)
    .map(([h, n]) => el("tr", {}, el("th", { scope: "row" }, `${hourLabel(h)}–${hourLabel((h + 1) % 24)}`), el("td", { class: "num" }, String(n))));
  const table = el(
    "table",
    { class: "visually-hidden", id: "hours-table" },
    el("caption", {}, t("reports.per_hour")),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("reports.hour")), el("th", { scope: "col" }, t("reports.orders")))),
    el("tbody", {}, rows),
  );
  chart.replaceChildren(g, el("p", { class: "muted small", id: "chart-summary" }, summary), table);
}

let lastHours = null;
let lastWidth = 0;
// Redraw when the box changes width (a rotated tablet, a resized window).
new ResizeObserver(() => {
  const w = Math.floor(chart.clientWidth);
  if (lastHours && Math.abs(w - lastWidth) > 8) {
    lastWidth = w;
    renderChart(lastHours);
  }
}).observe(chart);

function renderItems(r) {
  if (!r.items.length) {
    items.replaceChildren(el("p", { class: "muted" }, t("reports.no_items")));
    return;
  }
  const total = r.items.reduce((s, i) => s + i.quantity, 0);
  items.replaceChildren(
    el(
      "table",
      { class: "items-sold" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "col" }, t("reports.item")),
          el("th", { scope: "col", class: "num" }, t("reports.quantity")),
          el("th", { scope: "col", class: "num" }, t("reports.item_revenue")),
        ),
      ),
      el(
        "tbody",
        {},
        r.items.map((i) =>
          el(
            "tr",
            {},
            el("th", { scope: "row" }, i.name),
            el("td", { class: "num" }, String(i.quantity)),
            el("td", { class: "num" }, money(i.revenue, r.currency)),
          ),
        ),
      ),
      el(
        "tfoot",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "row" }, t("reports.total")),
          el("td", { class: "num" }, String(total)),
          el("td", { class: "num" }, money(r.revenue, r.currency)),
        ),
      ),
    ),
  );
}

let loading = 0;
async function load(date, push) {
  const mine = ++loading;
  input.value = date;
  csvLink.href = cafePath(`reports/day.csv?date=${encodeURIComponent(date)}`);
  const q = new URLSearchParams(location.search);
  // One history entry per day looked at (picking a date and then pressing Show is one).
  if (push && q.get("date") !== date) {
    q.set("date", date);
    history.pushState({ date }, "", `${location.pathname}?${q}`);
  }
  status.textContent = t("reports.loading");
  document.querySelector(".report")?.setAttribute("aria-busy", "true");
  try {
    const r = await api("GET", cafePath(`reports/day?date=${encodeURIComponent(date)}`));
    if (mine !== loading) return; // a later date was asked for meanwhile
    renderFigures(r);
    renderChart(r.hours);
    renderItems(r);
    status.textContent = t(r.orders.placed === 1 ? "reports.showing_one" : "reports.showing", { date: longDate(r.date), n: r.orders.placed });
  } catch (e) {
    if (mine !== loading) return;
    const field = e.errors?.find((f) => f.field === "date");
    status.textContent = field ? `${t("reports.date")}: ${field.message}` : e.message;
    status.className = "alert";
    return;
  } finally {
    document.querySelector(".report")?.removeAttribute("aria-busy");
  }
  status.className = "muted";
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  if (!DATE.test(input.value)) {
    status.textContent = `${t("reports.date")}: ${t("reports.bad_date")}`;
    status.className = "alert";
    input.focus();
    return;
  }
  load(input.value, true);
});
// Picking a date shows it at once; the button is there for keyboards and old browsers.
input.addEventListener("change", () => {
  if (DATE.test(input.value)) load(input.value, true);
});
window.addEventListener("popstate", () => load(initialDate(), false));

load(initialDate(), false);
