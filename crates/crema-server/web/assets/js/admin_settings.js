// The café's settings: name, time zone, currency, language, the first order number of the
// day, the workflow's steps, the kitchen's age colours and price rounding. Saving sends one
// PATCH with only the fields that changed; the API checks them all at once and names each
// bad one, which is shown next to its field.

import { boot, t, api, el, toast, money, stepName } from "./crema.js";
import { field, choices, showProblem, clearErrors, parseIntField, showFieldError } from "./admin_forms.js";

let saved = boot.cafe;
const zones = boot.data.timezones || [];
const $ = (id) => document.getElementById(id);
const form = $("settings-form");
const formError = $("settings-error");

/** Common currencies for the suggestions; the API takes any ISO 4217 code. */
const CURRENCIES = ["NOK", "SEK", "DKK", "ISK", "EUR", "GBP", "USD", "CHF", "PLN", "CAD", "AUD", "JPY"];

let steps = [];

function minutes(seconds) {
  return String(Math.round((seconds / 60) * 100) / 100);
}

function build() {
  steps = saved.workflow.slice();
  const zoneSelect = el(
    "select",
    {},
    zones.map((z) => el("option", { value: z, selected: z === saved.timezone }, z)),
  );
  const currency = el("input", {
    type: "text",
    value: saved.currency,
    maxlength: 3,
    autocomplete: "off",
    list: "currency-list",
    class: "short",
  });
  const rounding = el("input", { type: "number", min: 1, max: 10000, step: 1, value: saved.price_rounding, class: "short" });
  const roundingHint = el("span", { id: "rounding-example" });
  const showRounding = () => {
    const v = parseIntField(rounding.value);
    roundingHint.textContent = Number.isInteger(v) && v > 0 ? t("admin.rounding_example", { amount: money(v, currency.value.toUpperCase() || saved.currency) }) : "";
  };
  rounding.addEventListener("input", showRounding);
  currency.addEventListener("input", showRounding);
  showRounding();

  $("settings-fields").replaceChildren(
    el(
      "section",
      { class: "settings-part", "aria-labelledby": "s-general" },
      el("h2", { id: "s-general" }, t("admin.settings_general")),
      field("name", t("admin.cafe_name"), el("input", { type: "text", value: saved.name, maxlength: 100, autocomplete: "organization" })),
      field("timezone", t("admin.timezone"), zoneSelect, t("admin.timezone_hint")),
      field("locale", t("admin.language"), el(
        "select",
        {},
        el("option", { value: "nb", selected: saved.locale === "nb", lang: "nb" }, "Norsk (bokmål)"),
        el("option", { value: "en", selected: saved.locale === "en", lang: "en" }, "English"),
      ), t("admin.language_hint")),
    ),
    el(
      "section",
      { class: "settings-part", "aria-labelledby": "s-money" },
      el("h2", { id: "s-money" }, t("admin.settings_money")),
      field("currency", t("admin.currency"), currency, t("admin.currency_hint")),
      el("datalist", { id: "currency-list" }, CURRENCIES.map((c) => el("option", { value: c }))),
      field("price_rounding", t("admin.price_rounding"), rounding, [t("admin.price_rounding_hint"), " ", roundingHint]),
    ),
    el(
      "section",
      { class: "settings-part", "aria-labelledby": "s-orders" },
      el("h2", { id: "s-orders" }, t("admin.settings_orders")),
      field("first_number", t("admin.first_number"), el("input", { type: "number", min: 1, max: 9999, step: 1, value: saved.first_number, class: "short" }), t("admin.first_number_hint")),
      workflowField(),
      ageField(),
    ),
  );
}

function workflowField() {
  const list = el("ol", { class: "wf-steps", id: "steps" });
  const err = el("p", { class: "adm-error", id: "workflow-err", hidden: true });
  const wrap = el(
    "fieldset",
    { class: "field", dataset: { field: "workflow" }, "aria-describedby": "workflow-hint workflow-err" },
    el("legend", {}, t("admin.workflow")),
    el("p", { class: "muted small adm-hint", id: "workflow-hint" }, t("admin.workflow_hint")),
    list,
    el("button", { type: "button", id: "add-step", onclick: () => {
      syncSteps();
      steps.push("");
      renderSteps();
      list.querySelector("li:last-child input")?.focus();
    } }, t("admin.add_step")),
    err,
  );
  queueMicrotask(renderSteps);
  return wrap;
}

/** Reads the step names typed so far back into `steps`. */
function syncSteps() {
  const inputs = document.querySelectorAll("#steps input");
  if (inputs.length === steps.length) steps = [...inputs].map((i) => i.value);
}

function renderSteps(focusKey) {
  const list = $("steps");
  if (!list) return;
  list.replaceChildren(
    ...steps.map((s, i) => {
      const n = i + 1;
      return el(
        "li",
        { class: "wf-step" },
        // The step as every screen names it; the code below is what the API and the
        // integrations use, so it stays editable but is not what a manager reads first.
        el("span", { class: "wf-label" }, stepName(s) || "—"),
        el("input", {
          type: "text",
          value: s,
          maxlength: 32,
          autocomplete: "off",
          "aria-label": t("admin.step_code", { n, name: stepName(s) }),
          dataset: { key: `step-${i}` },
          pattern: "[a-z0-9_]+",
          oninput: (e) => {
            e.target.previousElementSibling.textContent = stepName(e.target.value) || "—";
          },
        }),
        el("button", { type: "button", class: "icon", "aria-label": t("admin.step_up", { n }), title: t("admin.step_up", { n }), disabled: i === 0, dataset: { key: `step-${i}-up` }, onclick: () => moveStep(i, -1) }, "↑"),
        el("button", { type: "button", class: "icon", "aria-label": t("admin.step_down", { n }), title: t("admin.step_down", { n }), disabled: i === steps.length - 1, dataset: { key: `step-${i}-down` }, onclick: () => moveStep(i, 1) }, "↓"),
        el("button", { type: "button", class: "danger", "aria-label": t("admin.step_remove", { n }), dataset: { key: `step-${i}-remove` }, onclick: () => removeStep(i) }, t("admin.remove")),
      );
    }),
  );
  if (focusKey) list.querySelector(`[data-key="${focusKey}"]`)?.focus();
}

function moveStep(i, d) {
  syncSteps();
  const [s] = steps.splice(i, 1);
  steps.splice(i + d, 0, s);
  const j = i + d;
  renderSteps(j === 0 || j === steps.length - 1 ? `step-${j}` : `step-${j}-${d < 0 ? "up" : "down"}`);
}

function removeStep(i) {
  syncSteps();
  steps.splice(i, 1);
  renderSteps(`step-${Math.max(0, i - 1)}`);
}

function ageField() {
  const err = el("p", { class: "adm-error", id: "ages-err", hidden: true });
  return el(
    "fieldset",
    { class: "field", dataset: { field: "age_thresholds" }, "aria-describedby": "ages-hint ages-err" },
    el("legend", {}, t("admin.age_thresholds")),
    el("p", { class: "muted small adm-hint", id: "ages-hint" }, t("admin.age_hint")),
    el(
      "div",
      { class: "two" },
      el("label", { for: "age-warn" }, t("admin.age_warn"), el("input", { type: "number", id: "age-warn", name: "age_warn", min: 0.5, step: "any", value: minutes(saved.age_thresholds.warn) })),
      el("label", { for: "age-late" }, t("admin.age_late"), el("input", { type: "number", id: "age-late", name: "age_late", min: 0.5, step: "any", value: minutes(saved.age_thresholds.late) })),
    ),
    err,
  );
}

const val = (name) => form.elements.namedItem(name)?.value ?? "";

/** The fields that differ from what is saved; `undefined` when one cannot be read. */
function changes() {
  syncSteps();
  const body = {};
  const name = val("name").trim();
  if (name !== saved.name) body.name = name;
  if (val("timezone") !== saved.timezone) body.timezone = val("timezone");
  const currency = val("currency").trim().toUpperCase();
  if (currency !== saved.currency) body.currency = currency;
  if (val("locale") !== saved.locale) body.locale = val("locale");
  for (const key of ["first_number", "price_rounding"]) {
    const n = parseIntField(val(key));
    if (n === null || Number.isNaN(n)) {
      showFieldError(form, formError, key, t("admin.err_whole_number"));
      return undefined;
    }
    if (n !== saved[key]) body[key] = n;
  }
  const wf = steps.map((s) => s.trim());
  if (wf.join("\n") !== saved.workflow.join("\n")) body.workflow = wf;
  const warn = Number(val("age_warn"));
  const late = Number(val("age_late"));
  if (!Number.isFinite(warn) || !Number.isFinite(late) || val("age_warn") === "" || val("age_late") === "") {
    showFieldError(form, formError, "age_thresholds", t("admin.err_minutes"));
    return undefined;
  }
  const ages = { warn: Math.round(warn * 60), late: Math.round(late * 60) };
  if (ages.warn !== saved.age_thresholds.warn || ages.late !== saved.age_thresholds.late) body.age_thresholds = ages;
  return body;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearErrors(form, formError);
  const body = changes();
  if (body === undefined) return;
  if (!Object.keys(body).length) {
    toast(t("admin.nothing_changed"));
    return;
  }
  const btn = $("settings-save");
  btn.disabled = true;
  try {
    saved = await api("PATCH", `/api/v1/cafes/${encodeURIComponent(saved.slug)}`, body);
    if (body.locale && body.locale !== boot.lang) {
      // The pages speak the café's language: show this one in the new language.
      location.reload();
      return;
    }
    build();
    toast(t("admin.settings_saved"));
  } catch (e) {
    showProblem(form, formError, e);
  } finally {
    btn.disabled = false;
  }
});

form.addEventListener("reset", (ev) => {
  ev.preventDefault();
  clearErrors(form, formError);
  build();
});

build();
