// The menu editor: categories with their items, modifier groups with their options. Every
// change goes through the native API; the page follows `cafe:<slug>:menu`, so a change made
// by another manager (or by the kitchen marking something sold out) shows here at once.

import { boot, cafe, t, api, cafePath, money, el, toast, showError } from "./crema.js";
import { Live } from "./live.js";
import {
  field,
  check,
  choices,
  showProblem,
  showFieldError,
  clearErrors,
  openDialog,
  moneyInput,
  parseMoney,
  parseIntField,
} from "./admin_forms.js";

let menu = boot.data.menu || { categories: [], items: [], modifier_groups: [], options: [] };

const $ = (id) => document.getElementById(id);
const catsNode = $("categories");
const groupsNode = $("groups");

// ---- rendering ------------------------------------------------------------------------

/** Re-renders the lists, keeping keyboard focus on the same control. */
function render() {
  const focused = document.activeElement?.dataset?.key;
  catsNode.replaceChildren(...renderCategories());
  groupsNode.replaceChildren(...renderGroups());
  if (focused) document.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

function badge(text, kind = "") {
  return el("span", { class: `adm-badge ${kind}` }, text);
}

/** Move up / move down / edit / delete for one entry of `list`. */
function actions(kind, list, index, name, onEdit, onDelete) {
  const entry = list[index];
  const key = `${kind}-${entry.id}`;
  return el(
    "div",
    { class: "adm-actions" },
    el(
      "button",
      {
        type: "button",
        class: "icon",
        "aria-label": t("admin.move_up", { name }),
        title: t("admin.move_up", { name }),
        disabled: index === 0,
        dataset: { key: `${key}-up` },
        onclick: () => move(kind, list, index, -1),
      },
      "↑",
    ),
    el(
      "button",
      {
        type: "button",
        class: "icon",
        "aria-label": t("admin.move_down", { name }),
        title: t("admin.move_down", { name }),
        disabled: index === list.length - 1,
        dataset: { key: `${key}-down` },
        onclick: () => move(kind, list, index, 1),
      },
      "↓",
    ),
    el(
      "button",
      { type: "button", "aria-label": t("admin.edit_named", { name }), dataset: { key: `${key}-edit` }, onclick: onEdit },
      t("admin.edit"),
    ),
    el(
      "button",
      {
        type: "button",
        class: "danger",
        "aria-label": t("admin.delete_named", { name }),
        dataset: { key: `${key}-delete` },
        onclick: onDelete,
      },
      t("common.delete"),
    ),
  );
}

/** A switch that saves at once: `enabled` or `sold_out` of an item or an option. */
function toggle(kind, entry, prop, label) {
  const input = el("input", {
    type: "checkbox",
    role: "switch",
    checked: !!entry[prop],
    dataset: { key: `${kind}-${entry.id}-${prop}` },
    onchange: async (ev) => {
      const value = ev.target.checked;
      ev.target.disabled = true;
      try {
        const saved = await api("PATCH", cafePath(`${kind}/${entry.id}`), { [prop]: value });
        Object.assign(entry, saved);
        toast(t(value ? `admin.${prop}_on` : `admin.${prop}_off`, { name: entry.name }));
      } catch (e) {
        ev.target.checked = !value;
        showError(e);
      } finally {
        ev.target.disabled = false;
        render();
      }
    },
  });
  return el(
    "label",
    { class: `switch ${prop === "sold_out" ? "adm-sold-out" : ""}` },
    input,
    el("span", {}, label, el("span", { class: "visually-hidden" }, ` – ${entry.name}`)),
  );
}

function groupName(id) {
  return menu.modifier_groups.find((g) => g.id === id)?.name ?? `#${id}`;
}

function renderCategories() {
  if (!menu.categories.length) return [el("p", { class: "muted" }, t("admin.no_categories"))];
  return menu.categories.map((cat, ci) => {
    const items = menu.items.filter((i) => i.category_id === cat.id);
    const hid = `cat-${cat.id}-h`;
    return el(
      "article",
      { class: "card admin-card", "aria-labelledby": hid },
      el(
        "div",
        { class: "admin-card-head" },
        el("h3", { id: hid }, cat.name, " ", cat.enabled ? null : badge(t("admin.hidden"), "adm-off")),
        actions("categories", menu.categories, ci, cat.name, () => editCategory(cat), () => confirmDelete("categories", cat)),
      ),
      el(
        "p",
        { class: "muted small" },
        cat.allowed_groups.length
          ? t("admin.allows", { groups: cat.allowed_groups.map(groupName).join(", ") })
          : t("admin.allows_none"),
      ),
      items.length
        ? el(
            "ul",
            { class: "admin-list", "aria-label": t("admin.items_of", { name: cat.name }) },
            items.map((item, ii) =>
              el(
                "li",
                { class: `admin-entry ${item.enabled && !item.sold_out ? "" : "unavailable"}` },
                item.image
                  ? el("img", { class: "adm-thumb", src: item.image, alt: "", width: 48, height: 48, loading: "lazy" })
                  : el("span", { class: "adm-thumb empty", "aria-hidden": "true" }),
                el(
                  "div",
                  { class: "entry-main" },
                  el("span", { class: "entry-name" }, item.name),
                  el("span", { class: "entry-price num" }, money(item.price, menu.currency)),
                ),
                el(
                  "div",
                  { class: "toggles" },
                  toggle("items", item, "enabled", t("admin.on_menu")),
                  toggle("items", item, "sold_out", t("admin.sold_out")),
                ),
                actions("items", items, ii, item.name, () => editItem(item), () => confirmDelete("items", item)),
              ),
            ),
          )
        : el("p", { class: "muted small" }, t("admin.no_items")),
      el(
        "button",
        { type: "button", class: "adm-add", dataset: { key: `cat-${cat.id}-add` }, onclick: () => editItem(null, cat.id) },
        t("admin.add_item_to", { name: cat.name }),
      ),
    );
  });
}

function effectText(e) {
  if (e.kind === "percent") return `× ${e.value} %`;
  if (e.value === 0) return t("admin.no_price_change");
  return (e.value > 0 ? "+ " : "− ") + money(Math.abs(e.value), menu.currency);
}

function ruleText(g) {
  const parts = [g.mode === "single" ? t("admin.single") : t("admin.multiple")];
  parts.push(g.required ? t("admin.required") : t("admin.optional"));
  if (g.mode === "multiple") {
    parts.push(t("admin.min_max", { min: g.min_select, max: g.max_select ?? "∞" }));
  }
  const def = menu.options.find((o) => o.id === g.default_option_id);
  if (def) parts.push(t("admin.default_is", { name: def.name }));
  return parts.join(" · ");
}

function renderGroups() {
  if (!menu.modifier_groups.length) return [el("p", { class: "muted" }, t("admin.no_groups"))];
  return menu.modifier_groups.map((g, gi) => {
    const options = menu.options.filter((o) => o.group_id === g.id);
    const hid = `group-${g.id}-h`;
    const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
    if (g.label_color) swatch.style.setProperty("--swatch", g.label_color);
    else swatch.classList.add("none");
    const cats = menu.categories.filter((c) => c.allowed_groups.includes(g.id)).map((c) => c.name);
    return el(
      "article",
      { class: "card admin-card", "aria-labelledby": hid },
      el(
        "div",
        { class: "admin-card-head" },
        el("h3", { id: hid }, swatch, g.name, " ", g.enabled ? null : badge(t("admin.hidden"), "adm-off")),
        actions("modifier-groups", menu.modifier_groups, gi, g.name, () => editGroup(g), () => confirmDelete("modifier-groups", g)),
      ),
      el("p", { class: "muted small" }, ruleText(g)),
      el("p", { class: "muted small" }, cats.length ? t("admin.used_in", { names: cats.join(", ") }) : t("admin.used_in_none")),
      options.length
        ? el(
            "ul",
            { class: "admin-list", "aria-label": t("admin.options_of", { name: g.name }) },
            options.map((o, oi) =>
              el(
                "li",
                { class: `admin-entry ${o.enabled && !o.sold_out ? "" : "unavailable"}` },
                el(
                  "div",
                  { class: "entry-main" },
                  el("span", { class: "entry-name" }, o.name),
                  el("span", { class: "entry-price num" }, effectText(o.price_effect)),
                ),
                el(
                  "div",
                  { class: "toggles" },
                  toggle("options", o, "enabled", t("admin.on_menu")),
                  toggle("options", o, "sold_out", t("admin.sold_out")),
                ),
                actions("options", options, oi, o.name, () => editOption(o, g), () => confirmDelete("options", o)),
              ),
            ),
          )
        : el("p", { class: "muted small" }, t("admin.no_options")),
      el(
        "button",
        { type: "button", class: "adm-add", dataset: { key: `group-${g.id}-add` }, onclick: () => editOption(null, g) },
        t("admin.add_option_to", { name: g.name }),
      ),
    );
  });
}

// ---- keeping up to date ---------------------------------------------------------------

let refreshTimer = null;
/** Reads the whole menu again (a change event names one record; the lists need them all). */
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      menu = await api("GET", cafePath("menu"));
      render();
    } catch (e) {
      showError(e);
    }
  }, 120);
}

const live = new Live();
live.join(`cafe:${cafe.slug}:menu`, {
  snapshot: (m) => {
    menu = m;
    render();
  },
  event: () => refreshSoon(),
});
live.indicator(document.querySelector(".conn"));
live.connect();

// ---- reordering -----------------------------------------------------------------------

/**
 * Moves `list[index]` by `delta`: the server numbers the list 10, 20, 30 … in one change, so
 * entries that shared a number get an order of their own and no screen sees a half-done move.
 */
async function move(kind, list, index, delta) {
  const order = list.slice();
  const [entry] = order.splice(index, 1);
  order.splice(index + delta, 0, entry);
  const apiKind = { categories: "categories", items: "items", "modifier-groups": "modifier_groups", options: "options" }[kind];
  try {
    await api("POST", cafePath("menu/reorder"), { kind: apiKind, ids: order.map((e) => e.id) });
    for (const [i, e] of order.entries()) e.sort_order = (i + 1) * 10;
    // Shown in the new order now; the refresh that follows brings the server's.
    const key = { categories: "categories", items: "items", "modifier-groups": "modifier_groups", options: "options" }[kind];
    menu[key].sort((a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name) || a.id - b.id);
    render();
    const moved = document.querySelector(`[data-key="${CSS.escape(`${kind}-${entry.id}-${delta < 0 ? "up" : "down"}`)}"]`);
    if (moved && !moved.disabled) moved.focus();
    else document.querySelector(`[data-key="${CSS.escape(`${kind}-${entry.id}-edit`)}"]`)?.focus();
    toast(t("admin.moved", { name: entry.name }));
  } catch (e) {
    showError(e);
  }
  refreshSoon();
}

// ---- the edit dialog ------------------------------------------------------------------

const dialog = $("edit-dialog");
const form = $("edit-form");
const formError = $("edit-error");
let onSubmit = null;

$("edit-cancel").addEventListener("click", () => dialog.close());
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!onSubmit) return;
  const save = $("edit-save");
  save.disabled = true;
  clearErrors(form, formError);
  try {
    const done = await onSubmit();
    if (done !== false) {
      dialog.close();
      refreshSoon();
    }
  } catch (e) {
    showProblem(form, formError, e);
  } finally {
    save.disabled = false;
  }
});

function openEditor(title, fields, submit) {
  $("edit-title").textContent = title;
  $("edit-fields").replaceChildren(...fields);
  clearErrors(form, formError);
  onSubmit = submit;
  openDialog(dialog);
  form.querySelector("input, select, textarea")?.focus();
}

const input = (attrs) => el("input", attrs);
const value = (name) => form.elements.namedItem(name)?.value ?? "";
const checked = (name) => !!form.elements.namedItem(name)?.checked;
const checkedValues = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

/** Reads an integer field; shows our own error and returns undefined when it is not one. */
function intOf(name, { optional = true } = {}) {
  const v = parseIntField(value(name));
  if (Number.isNaN(v) || (!optional && v === null)) {
    showFieldError(form, formError, name, t("admin.err_whole_number"));
    return undefined;
  }
  return v;
}

function nameField(current) {
  return field("name", t("admin.name"), input({ type: "text", value: current ?? "", maxlength: 100, required: true, autocomplete: "off" }));
}

function sortField(current) {
  return field("sort_order", t("admin.sort_order"), input({ type: "number", step: 1, value: current ?? "" }), t("admin.sort_order_hint"));
}

// ---- categories -----------------------------------------------------------------------

function editCategory(cat) {
  const groups = menu.modifier_groups.map((g) => ({ value: g.id, label: g.name }));
  const fields = [
    nameField(cat?.name),
    check("enabled", t("admin.cat_enabled"), cat ? cat.enabled : true),
    groups.length
      ? choices("allowed_groups", t("admin.allowed_groups"), "checkbox", groups, cat?.allowed_groups ?? [])
      : el("p", { class: "muted small" }, t("admin.no_groups")),
  ];
  if (cat) fields.push(sortField(cat.sort_order));
  openEditor(cat ? t("admin.edit_category", { name: cat.name }) : t("admin.new_category"), fields, async () => {
    const body = { name: value("name"), enabled: checked("enabled") };
    // Kept in the order the groups are listed in.
    const picked = checkedValues("allowed_groups").map(Number);
    body.allowed_groups = menu.modifier_groups.map((g) => g.id).filter((id) => picked.includes(id));
    if (cat) {
      const s = intOf("sort_order");
      if (s === undefined) return false;
      if (s !== null) body.sort_order = s;
      await api("PATCH", cafePath(`categories/${cat.id}`), body);
      toast(t("admin.saved", { name: body.name }));
    } else {
      body.sort_order = (menu.categories.at(-1)?.sort_order ?? 0) + 10;
      await api("POST", cafePath("categories"), body);
      toast(t("admin.created", { name: body.name }));
    }
  });
}

// ---- items ----------------------------------------------------------------------------

function editItem(item, categoryId) {
  // Once the item exists (created, then the image failed), saving again changes it instead
  // of creating a second one.
  let current = item;
  const cats = menu.categories.map((c) => el("option", { value: c.id, selected: (item?.category_id ?? categoryId) === c.id }, c.name));
  const preview = el("img", { class: "preview", alt: t("admin.current_image"), src: item?.image || null, hidden: !item?.image });
  const file = input({ type: "file", accept: "image/png,image/jpeg,image/gif,image/webp" });
  file.addEventListener("change", () => {
    const f = file.files?.[0];
    if (f) {
      preview.src = URL.createObjectURL(f);
      preview.hidden = false;
    }
  });
  const priceInput = input({ type: "text", inputmode: "decimal", value: item ? moneyInput(item.price) : "", required: true, autocomplete: "off" });
  const priceField = field("price", t("admin.price", { currency: menu.currency }), priceInput, t("admin.price_hint"));
  // Orders are charged the price rounded up to the café's step: say so while typing, so a
  // 62,50 that will be charged 63 is not a surprise at the counter.
  const rounded = el("p", { class: "adm-warn", role: "status", "aria-live": "polite" });
  const showRounding = () => {
    const minor = parseMoney(priceInput.value);
    const step = Math.max(1, cafe.price_rounding || 1);
    const charged = minor === null || minor <= 0 ? minor : Math.ceil(minor / step) * step;
    const differs = minor !== null && charged !== minor;
    rounded.hidden = !differs;
    rounded.textContent = differs ? t("admin.price_rounded", { charged: money(charged, menu.currency), step: money(step, menu.currency) }) : "";
  };
  priceInput.addEventListener("input", showRounding);
  showRounding();
  priceField.append(rounded);
  const fields = [
    nameField(item?.name),
    priceField,
    field("category_id", t("admin.category"), el("select", {}, cats)),
    el("div", { class: "image-field" }, preview, field("image", t("admin.image"), file, t("admin.image_hint"))),
  ];
  if (item?.image) fields.push(check("remove_image", t("admin.remove_image"), false));
  fields.push(check("enabled", t("admin.on_menu"), item ? item.enabled : true));
  fields.push(check("sold_out", t("admin.sold_out"), item ? item.sold_out : false));
  if (item) fields.push(sortField(item.sort_order));

  openEditor(item ? t("admin.edit_item", { name: item.name }) : t("admin.new_item"), fields, async () => {
    const chosen = file.files?.[0];
    // Checked here too: a browser still sending a large file may not read the API's answer.
    if (chosen && chosen.size > 5 * 1024 * 1024) {
      showFieldError(form, formError, "image", t("admin.err_image_size"));
      return false;
    }
    const price = parseMoney(value("price"));
    if (price === null) {
      showFieldError(form, formError, "price", t("admin.err_price_format"));
      return false;
    }
    const body = {
      name: value("name"),
      price,
      category_id: Number(value("category_id")),
      enabled: checked("enabled"),
      sold_out: checked("sold_out"),
    };
    if (current) {
      const s = intOf("sort_order");
      if (s === undefined) return false;
      if (s !== null) body.sort_order = s;
      current = await api("PATCH", cafePath(`items/${current.id}`), body);
    } else {
      const siblings = menu.items.filter((i) => i.category_id === body.category_id);
      body.sort_order = (siblings.at(-1)?.sort_order ?? 0) + 10;
      current = await api("POST", cafePath("items"), body);
      $("edit-title").textContent = t("admin.edit_item", { name: current.name });
    }
    if (chosen) {
      const data = new FormData();
      data.append("image", chosen);
      current = await api("POST", cafePath(`items/${current.id}/image`), data);
    } else if (checked("remove_image")) {
      current = await api("DELETE", cafePath(`items/${current.id}/image`));
    }
    toast(t(item ? "admin.saved" : "admin.created", { name: current.name }));
  });
}

// ---- modifier groups ------------------------------------------------------------------

function editGroup(g) {
  const options = g ? menu.options.filter((o) => o.group_id === g.id) : [];
  const color = input({ type: "color", value: g?.label_color && g.label_color.length === 7 ? g.label_color : "#6b3e1f" });
  const cats = menu.categories.map((c) => ({ value: c.id, label: c.name }));
  const fields = [
    nameField(g?.name),
    choices("mode", t("admin.mode"), "radio", [
      { value: "single", label: t("admin.single_long") },
      { value: "multiple", label: t("admin.multiple_long") },
    ], g?.mode ?? "single"),
    check("required", t("admin.required_long"), g?.required ?? false),
    el(
      "div",
      { class: "two" },
      field("min_select", t("admin.min_select"), input({ type: "number", min: 0, max: 50, step: 1, value: g ? g.min_select : "" })),
      field("max_select", t("admin.max_select"), input({ type: "number", min: 1, max: 50, step: 1, value: g?.max_select ?? "" }), t("admin.max_hint")),
    ),
    g
      ? field(
          "default_option_id",
          t("admin.default_option"),
          el(
            "select",
            {},
            el("option", { value: "" }, t("admin.none")),
            options.map((o) => el("option", { value: o.id, selected: g.default_option_id === o.id }, o.name)),
          ),
        )
      : null,
    check("use_color", t("admin.use_label_color"), !!g?.label_color),
    field("label_color", t("admin.label_color"), color),
    check("enabled", t("admin.group_enabled"), g ? g.enabled : true),
    cats.length
      ? choices("categories", t("admin.group_categories"), "checkbox", cats, g ? menu.categories.filter((c) => c.allowed_groups.includes(g.id)).map((c) => c.id) : [])
      : null,
    g ? sortField(g.sort_order) : null,
  ].filter(Boolean);

  openEditor(g ? t("admin.edit_group", { name: g.name }) : t("admin.new_group"), fields, async () => {
    const min = intOf("min_select");
    if (min === undefined) return false;
    const max = intOf("max_select");
    if (max === undefined) return false;
    const body = {
      name: value("name"),
      mode: checkedValues("mode")[0] || "single",
      required: checked("required"),
      max_select: max,
      label_color: checked("use_color") ? value("label_color") : null,
      enabled: checked("enabled"),
    };
    if (min !== null) body.min_select = min;
    let saved;
    if (g) {
      const s = intOf("sort_order");
      if (s === undefined) return false;
      if (s !== null) body.sort_order = s;
      const d = value("default_option_id");
      body.default_option_id = d === "" ? null : Number(d);
      saved = await api("PATCH", cafePath(`modifier-groups/${g.id}`), body);
    } else {
      body.sort_order = (menu.modifier_groups.at(-1)?.sort_order ?? 0) + 10;
      saved = await api("POST", cafePath("modifier-groups"), body);
      g = saved;
      $("edit-title").textContent = t("admin.edit_group", { name: saved.name });
    }
    // Which categories offer the group is a setting of each category.
    const want = checkedValues("categories").map(Number);
    for (const c of menu.categories) {
      const has = c.allowed_groups.includes(saved.id);
      const should = want.includes(c.id);
      if (has === should) continue;
      const allowed = should ? [...c.allowed_groups, saved.id] : c.allowed_groups.filter((id) => id !== saved.id);
      const updated = await api("PATCH", cafePath(`categories/${c.id}`), { allowed_groups: allowed });
      c.allowed_groups = updated.allowed_groups;
    }
    toast(t("admin.saved", { name: saved.name }));
  });
}

// ---- options --------------------------------------------------------------------------

function editOption(o, g) {
  const effect = o?.price_effect ?? { kind: "fixed", value: 0 };
  const valueInput = input({
    type: "text",
    inputmode: "decimal",
    autocomplete: "off",
    value: effect.kind === "fixed" ? moneyInput(effect.value) : String(effect.value),
  });
  const fields = [
    nameField(o?.name),
    choices("effect_kind", t("admin.price_effect"), "radio", [
      { value: "fixed", label: t("admin.effect_fixed", { currency: menu.currency }) },
      { value: "percent", label: t("admin.effect_percent") },
    ], effect.kind),
    field("price_effect.value", t("admin.effect_value"), valueInput, t("admin.effect_hint")),
    check("enabled", t("admin.on_menu"), o ? o.enabled : true),
    check("sold_out", t("admin.sold_out"), o ? o.sold_out : false),
    o ? sortField(o.sort_order) : null,
  ].filter(Boolean);

  openEditor(o ? t("admin.edit_option", { name: o.name }) : t("admin.new_option_in", { name: g.name }), fields, async () => {
    const kind = checkedValues("effect_kind")[0] || "fixed";
    let v;
    if (kind === "fixed") v = parseMoney(valueInput.value || "0");
    else v = parseIntField(valueInput.value || "100");
    if (v === null || Number.isNaN(v)) {
      showFieldError(form, formError, "price_effect.value", t(kind === "fixed" ? "admin.err_price_format" : "admin.err_whole_number"));
      return false;
    }
    const body = {
      name: value("name"),
      price_effect: { kind, value: v },
      enabled: checked("enabled"),
      sold_out: checked("sold_out"),
    };
    if (o) {
      const s = intOf("sort_order");
      if (s === undefined) return false;
      if (s !== null) body.sort_order = s;
      o = await api("PATCH", cafePath(`options/${o.id}`), body);
      toast(t("admin.saved", { name: o.name }));
    } else {
      body.group_id = g.id;
      const siblings = menu.options.filter((x) => x.group_id === g.id);
      body.sort_order = (siblings.at(-1)?.sort_order ?? 0) + 10;
      o = await api("POST", cafePath("options"), body);
      toast(t("admin.created", { name: o.name }));
    }
  });
}

// ---- deleting -------------------------------------------------------------------------

const confirmDialog = $("confirm-dialog");
const confirmError = $("confirm-error");
let confirmAction = null;
$("confirm-no").addEventListener("click", () => confirmDialog.close());
$("confirm-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const yes = $("confirm-yes");
  yes.disabled = true;
  confirmError.hidden = true;
  try {
    await confirmAction();
    confirmDialog.close();
    refreshSoon();
  } catch (e) {
    confirmError.textContent = e.message || t("common.error_generic");
    confirmError.hidden = false;
  } finally {
    yes.disabled = false;
  }
});

function confirmDelete(kind, entry) {
  const what = {
    categories: "admin.delete_category_text",
    items: "admin.delete_item_text",
    "modifier-groups": "admin.delete_group_text",
    options: "admin.delete_option_text",
  }[kind];
  $("confirm-title").textContent = t("admin.delete_title", { name: entry.name });
  $("confirm-text").textContent = t(what, { name: entry.name });
  confirmError.hidden = true;
  confirmAction = async () => {
    await api("DELETE", cafePath(`${kind}/${entry.id}`));
    toast(t("admin.deleted", { name: entry.name }));
  };
  openDialog(confirmDialog);
  // The safe choice has the focus.
  $("confirm-no").focus();
}

// ---- the page -------------------------------------------------------------------------

$("new-category").addEventListener("click", () => editCategory(null));
$("new-group").addEventListener("click", () => editGroup(null));
render();
