// Form pieces the admin pages share: labelled fields with an error slot each, showing the
// API's field errors next to the field they name, modal dialogs that give focus back, and
// money typed in major units.

import { el, t, cafe } from "./crema.js";

let uid = 0;

/**
 * A labelled control with a hint and an error slot: `field("price", t("…"), input, hint)`.
 * The wrapper carries `data-field` = the API's field name, so errors find their way to it.
 */
export function field(name, label, input, hint) {
  const id = `f-${name.replace(/[^a-z0-9]/gi, "-")}-${++uid}`;
  input.id = id;
  if (!input.name) input.name = name;
  const err = el("p", { class: "adm-error", id: `${id}-err`, hidden: true });
  const hintNode = hint ? el("p", { class: "muted small adm-hint", id: `${id}-hint` }, hint) : null;
  input.setAttribute("aria-describedby", [hintNode ? hintNode.id : null, err.id].filter(Boolean).join(" "));
  return el(
    "div",
    { class: "field", dataset: { field: name } },
    el("label", { for: id }, label),
    input,
    hintNode,
    err,
  );
}

/** A checkbox with its label after it, in a field wrapper. */
export function check(name, label, checked, hint) {
  const id = `f-${name}-${++uid}`;
  const input = el("input", { type: "checkbox", id, name, checked: !!checked });
  const err = el("p", { class: "adm-error", id: `${id}-err`, hidden: true });
  const hintNode = hint ? el("p", { class: "muted small adm-hint", id: `${id}-hint` }, hint) : null;
  input.setAttribute("aria-describedby", [hintNode ? hintNode.id : null, err.id].filter(Boolean).join(" "));
  return el(
    "div",
    { class: "field check", dataset: { field: name } },
    el("label", { class: "inline", for: id }, input, el("span", {}, label)),
    hintNode,
    err,
  );
}

/**
 * A group of radio buttons or checkboxes in a fieldset: `choices` is `[{value, label}]`.
 * The fieldset carries `data-field` and an error slot.
 */
export function choices(name, legend, type, list, selected) {
  const err = el("p", { class: "adm-error", id: `f-${name}-${++uid}-err`, hidden: true });
  const set = el(
    "fieldset",
    { class: "field choices", dataset: { field: name }, "aria-describedby": err.id },
    el("legend", {}, legend),
    list.map((c) =>
      el(
        "label",
        { class: "inline" },
        el("input", {
          type,
          name,
          value: String(c.value),
          checked: Array.isArray(selected) ? selected.includes(c.value) : selected === c.value,
        }),
        el("span", {}, c.label),
      ),
    ),
    err,
  );
  return set;
}

/** The known codes of the API's field errors, as people read them. */
function codeText(code) {
  const known = ["required", "invalid", "out_of_range", "too_long", "too_large", "taken", "unknown"];
  return known.includes(code) ? t(`admin.err_${code}`) : null;
}

/** One field error, in words: the translated kind, then the API's own message. */
export function errorText(e) {
  const kind = codeText(e.code);
  return kind ? `${kind}: ${e.message}` : e.message;
}

/**
 * Shows an `ApiProblem`'s field errors next to the fields of `form` they name (by
 * `data-field`; `price_effect.value` also finds `price_effect`), the rest in `general`.
 * Focuses the first field at fault. Returns true when anything was shown.
 */
export function showProblem(form, general, problem) {
  clearErrors(form, general);
  const loose = [];
  let first = null;
  for (const e of problem.errors || []) {
    const wrap =
      form.querySelector(`[data-field="${CSS.escape(e.field)}"]`) ||
      form.querySelector(`[data-field="${CSS.escape(String(e.field).split(/[.[]/)[0])}"]`);
    if (!wrap) {
      loose.push(`${e.field}: ${errorText(e)}`);
      continue;
    }
    const slot = wrap.querySelector(".adm-error");
    slot.textContent = errorText(e);
    slot.hidden = false;
    wrap.classList.add("adm-invalid");
    for (const input of wrap.querySelectorAll("input, select, textarea")) input.setAttribute("aria-invalid", "true");
    first ||= wrap.querySelector("input, select, textarea, button");
  }
  if (loose.length || !(problem.errors || []).length) {
    general.textContent = loose.length ? loose.join(" · ") : problem.message || t("common.error_generic");
    general.hidden = false;
  }
  if (first) first.focus();
  else {
    general.setAttribute("tabindex", "-1");
    general.focus();
  }
  return true;
}

/** Shows one error of our own (a value the page could not read) next to its field. */
export function showFieldError(form, general, name, message) {
  showProblem(form, general, { errors: [{ field: name, code: "", message }] });
}

export function clearErrors(form, general) {
  for (const w of form.querySelectorAll(".adm-invalid")) w.classList.remove("adm-invalid");
  for (const s of form.querySelectorAll(".adm-error")) {
    s.textContent = "";
    s.hidden = true;
  }
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  if (general) {
    general.hidden = true;
    general.textContent = "";
  }
}

/** Opens a modal dialog; when it closes, focus goes back to what opened it. */
export function openDialog(dialog) {
  const opener = document.activeElement;
  const restore = () => {
    dialog.removeEventListener("close", restore);
    if (opener && opener.isConnected) opener.focus();
    else document.getElementById("main")?.focus?.();
  };
  dialog.addEventListener("close", restore);
  dialog.showModal();
}

/** The currency's minor-unit exponent. */
export function exponent(currency = cafe?.currency ?? "NOK") {
  return ["JPY", "KRW", "ISK"].includes(currency) ? 0 : 2;
}

/** Minor units as typed in a form: `4550` → `45.50`, `4500` → `45`. */
export function moneyInput(minor) {
  const exp = exponent();
  const unit = 10 ** exp;
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const frac = abs % unit;
  return sign + String(Math.floor(abs / unit)) + (frac ? "." + String(frac).padStart(exp, "0") : "");
}

/**
 * A typed amount in major units (`45`, `45,50`, `-5`) as minor units, or null when it is not
 * a number with at most the currency's decimals. Range checks are the API's.
 */
export function parseMoney(text) {
  const s = String(text).trim().replace(/\s/g, "").replace(",", ".");
  const exp = exponent();
  const re = exp ? new RegExp(`^-?\\d+(\\.\\d{1,${exp}})?$`) : /^-?\d+$/;
  if (!re.test(s)) return null;
  const negative = s.startsWith("-");
  const [whole, frac = ""] = s.replace("-", "").split(".");
  const minor = Number(whole) * 10 ** exp + Number(frac.padEnd(exp, "0") || 0);
  if (!Number.isSafeInteger(minor)) return null;
  return negative ? -minor : minor;
}

/** An integer typed in a number field, null when empty, NaN when not a whole number. */
export function parseIntField(text) {
  const s = String(text).trim();
  if (s === "") return null;
  return /^-?\d+$/.test(s) ? Number(s) : NaN;
}
