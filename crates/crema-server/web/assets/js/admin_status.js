// Status and messages: open or close the café, choose which message shows, write messages.
// Kaffediem's model: while closed the chosen message always shows; while open only when
// "show the message" is on. The page follows `cafe:<slug>:status`, so the front desk closing
// the café shows here at once.

import { boot, cafe, t, api, cafePath, el, toast, showError } from "./crema.js";
import { Live } from "./live.js";
import { field, showProblem, clearErrors, openDialog } from "./admin_forms.js";

let status = boot.data.status;
let messages = boot.data.messages || [];

const $ = (id) => document.getElementById(id);

function render() {
  const focused = document.activeElement?.dataset?.key;
  $("open-state").textContent = status.open ? t("admin.is_open") : t("admin.is_closed");
  $("open-state").dataset.open = status.open ? "yes" : "no";
  const btn = $("open-toggle");
  btn.textContent = status.open ? t("admin.close_cafe") : t("admin.open_cafe");
  btn.classList.toggle("danger", status.open);
  btn.classList.toggle("primary", !status.open);
  $("show-message").checked = status.show_message;
  renderPreview();
  renderMessages();
  if (focused) document.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

function renderPreview() {
  const msg = messages.find((m) => m.id === status.message_id);
  const parts = [];
  parts.push(el("p", { class: `preview-state ${status.open ? "is-open" : "is-closed"}` }, status.open ? t("admin.preview_open") : t("common.closed")));
  if (msg && (!status.open || status.show_message)) {
    if (msg.title) parts.push(el("p", { class: "preview-title" }, msg.title));
    if (msg.subtitle) parts.push(el("p", { class: "preview-subtitle" }, msg.subtitle));
  }
  $("preview").replaceChildren(...parts);
}

function radio(id, label, detail) {
  const key = `msg-${id ?? "none"}`;
  const input = el("input", {
    type: "radio",
    name: "active",
    value: id ?? "",
    checked: status.message_id === id,
    dataset: { key: `${key}-pick` },
    onchange: () => choose(id),
  });
  return el(
    "label",
    { class: "inline msg-pick" },
    input,
    el("span", { class: "msg-text" }, el("span", { class: "msg-title" }, label), detail ? el("span", { class: "muted small" }, detail) : null),
  );
}

function renderMessages() {
  const rows = [
    el("div", { class: "msg-row" }, radio(null, t("admin.no_message"), null)),
    ...messages.map((m) => {
      const name = m.title || m.subtitle || t("admin.untitled");
      return el(
        "div",
        { class: `msg-row ${status.message_id === m.id ? "active" : ""}` },
        radio(m.id, m.title || t("admin.untitled"), m.subtitle),
        el(
          "div",
          { class: "adm-actions" },
          el(
            "button",
            { type: "button", "aria-label": t("admin.edit_named", { name }), dataset: { key: `msg-${m.id}-edit` }, onclick: () => editMessage(m) },
            t("admin.edit"),
          ),
          el(
            "button",
            { type: "button", class: "danger", "aria-label": t("admin.delete_named", { name }), dataset: { key: `msg-${m.id}-delete` }, onclick: () => confirmDelete(m) },
            t("common.delete"),
          ),
        ),
      );
    }),
  ];
  $("messages").replaceChildren(...rows);
}

async function patchStatus(body, done) {
  try {
    status = await api("PATCH", cafePath("status"), body);
    render();
    if (done) toast(done);
  } catch (e) {
    showError(e);
    render();
  }
}

function choose(id) {
  const m = messages.find((x) => x.id === id);
  patchStatus({ message_id: id }, id === null ? t("admin.message_none_chosen") : t("admin.message_chosen", { name: m?.title || m?.subtitle || "" }));
}

$("open-toggle").addEventListener("click", () => {
  const open = !status.open;
  patchStatus({ open }, open ? t("admin.opened") : t("admin.closed_now"));
});
$("show-message").addEventListener("change", (ev) => patchStatus({ show_message: ev.target.checked }));

// ---- live -----------------------------------------------------------------------------

let timer = null;
function refreshSoon() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    try {
      [status, messages] = await Promise.all([api("GET", cafePath("status")), api("GET", cafePath("messages"))]);
      render();
    } catch (e) {
      showError(e);
    }
  }, 100);
}

const live = new Live();
live.join(`cafe:${cafe.slug}:status`, {
  snapshot: (s) => {
    status = s.status;
    messages = s.messages;
    render();
  },
  // An event names one record; reading both again keeps the page simple and exact.
  event: () => refreshSoon(),
});
live.indicator(document.querySelector(".conn"));
live.connect();

// ---- editing --------------------------------------------------------------------------

const dialog = $("msg-dialog");
const form = $("msg-form");
const formError = $("msg-error");
let onSubmit = null;
$("msg-cancel").addEventListener("click", () => dialog.close());
form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const save = $("msg-save");
  save.disabled = true;
  clearErrors(form, formError);
  try {
    await onSubmit();
    dialog.close();
    refreshSoon();
  } catch (e) {
    showProblem(form, formError, e);
  } finally {
    save.disabled = false;
  }
});

function editMessage(m) {
  const title = el("input", { type: "text", maxlength: 200, value: m?.title ?? "", autocomplete: "off" });
  const subtitle = el("textarea", { maxlength: 500, rows: 3 }, m?.subtitle ?? "");
  const fields = [field("title", t("admin.msg_title"), title, t("admin.msg_title_hint")), field("subtitle", t("admin.msg_subtitle"), subtitle)];
  let show = null;
  if (!m) {
    show = el("input", { type: "checkbox", id: "msg-show-now", checked: true });
    fields.push(el("label", { class: "inline", for: "msg-show-now" }, show, el("span", {}, t("admin.show_now"))));
  }
  $("msg-title").textContent = m ? t("admin.edit_message") : t("admin.new_message");
  $("msg-fields").replaceChildren(...fields);
  clearErrors(form, formError);
  onSubmit = async () => {
    const body = { title: title.value.trim(), subtitle: subtitle.value.trim() || null };
    if (m) {
      await api("PATCH", cafePath(`messages/${m.id}`), body);
      toast(t("admin.message_saved"));
    } else {
      const created = await api("POST", cafePath("messages"), body);
      messages.push(created);
      if (show.checked) await patchStatus({ message_id: created.id });
      toast(t("admin.message_saved"));
    }
  };
  openDialog(dialog);
  title.focus();
}

const confirmDialog = $("confirm-dialog");
const confirmError = $("confirm-error");
let confirmAction = null;
$("confirm-no").addEventListener("click", () => confirmDialog.close());
$("confirm-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await confirmAction();
    confirmDialog.close();
    refreshSoon();
  } catch (e) {
    confirmError.textContent = e.message || t("common.error_generic");
    confirmError.hidden = false;
  }
});

function confirmDelete(m) {
  const name = m.title || m.subtitle || t("admin.untitled");
  $("confirm-title").textContent = t("admin.delete_title", { name });
  $("confirm-text").textContent = status.message_id === m.id ? t("admin.delete_active_message_text") : t("admin.delete_message_text");
  confirmError.hidden = true;
  confirmAction = async () => {
    await api("DELETE", cafePath(`messages/${m.id}`));
    toast(t("admin.deleted", { name }));
  };
  openDialog(confirmDialog);
  $("confirm-no").focus();
}

$("new-message").addEventListener("click", () => editMessage(null));
render();
