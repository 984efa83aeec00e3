// People and devices: the café's staff and their roles, inviting someone (the invitation's
// link is shown once, the same whether the email has an account or not), the invitations
// still pending, and device tokens for wall displays and kiosks (shown once).
// The API decides who may grant which role; its refusals are shown as it words them.
import { boot, t, api, cafePath, el, toast, cafe, lang } from "./crema.js";

const grantable = boot.data.grantable || [];
const me = boot.data.me;

const membersBox = document.getElementById("members");
const devicesBox = document.getElementById("devices");
const inviteForm = document.getElementById("invite-form");
const inviteResult = document.getElementById("invite-result");
const invitationsBox = document.getElementById("invitations");
const deviceForm = document.getElementById("device-form");
const deviceResult = document.getElementById("device-result");
const dialog = document.getElementById("confirm");

const roleName = (r) => t(`people.role_${r}`);
/** A role inside a sentence ("is now barista"). */
const roleWord = (r) => roleName(r).toLocaleLowerCase(lang);

/**
 * A list as a table: a hidden caption, a head of column names (the last column, the row's
 * actions, has only a hidden one) and `rows`.
 */
function listTable(cls, caption, columns, rows) {
  return el(
    "table",
    { class: cls },
    el("caption", { class: "visually-hidden" }, caption),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        columns.map((c) => el("th", { scope: "col" }, c)),
        el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, t("people.actions"))),
      ),
    ),
    el("tbody", {}, rows),
  );
}

function when(iso) {
  return new Intl.DateTimeFormat(lang === "nb" ? "nb-NO" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: cafe.timezone,
  }).format(new Date(iso));
}

/** Asks before something that cannot be undone; resolves true on "yes". */
function confirmAction(title, text, ok) {
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = ok;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// ---- form errors ------------------------------------------------------------------------

/** Shows the API's field errors next to their fields, the rest in the form's alert. */
function showProblem(form, prefix, e) {
  clearProblem(form, prefix);
  const general = [];
  for (const f of e.errors || []) {
    const box = document.getElementById(`${prefix}-${f.field}-error`);
    const input = form.elements[f.field];
    if (box && input && !(input instanceof RadioNodeList)) {
      box.textContent = `${t(`people.field_${f.field}`)}: ${f.message}`;
      box.hidden = false;
      input.setAttribute("aria-invalid", "true");
    } else {
      general.push(`${f.field}: ${f.message}`);
    }
  }
  if (!e.errors?.length) general.push(e.message);
  const alert = document.getElementById(`${prefix}-error`);
  if (general.length) {
    alert.textContent = e.status === 403 ? `${t("people.refused")} ${general.join(" ")}` : general.join(" ");
    alert.hidden = false;
  }
  const first = form.querySelector("[aria-invalid=true]");
  if (first) first.focus();
}

function clearProblem(form, prefix) {
  for (const box of form.querySelectorAll(".field-error")) {
    box.hidden = true;
    box.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const alert = document.getElementById(`${prefix}-error`);
  alert.hidden = true;
  alert.textContent = "";
}

/** A secret shown once, with a copy button; the box takes focus so it is announced. */
function showSecret(box, lines, secret, label) {
  const field = el("input", { type: "text", readonly: true, value: secret, class: "secret-value", "aria-label": label });
  const copy = el(
    "button",
    {
      type: "button",
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(secret);
          toast(t("people.copied"));
        } catch {
          // No clipboard (an insecure origin, a refused permission): select it for Ctrl+C.
          field.select();
          toast(t("people.copy_manually"));
        }
      },
    },
    t("people.copy"),
  );
  const done = el("button", { type: "button", class: "link", onclick: () => { box.hidden = true; box.replaceChildren(); } }, t("people.done"));
  box.replaceChildren(
    ...lines.map((l) => el("p", {}, l)),
    el("div", { class: "row secret-row" }, field, copy),
    el("p", { class: "muted small" }, t("people.shown_once")),
    done,
  );
  box.hidden = false;
  box.focus();
}

// ---- members ----------------------------------------------------------------------------

/** Saves a role picked in a row. A separate button, not the select's change event: a
 * keyboard arrowing through a closed select fires a change per step, and each would grant. */
async function changeRole(m, select, save) {
  const role = select.value;
  save.disabled = true;
  try {
    await api("POST", cafePath("members"), { email: m.email, role });
    toast(t("people.role_changed", { who: m.name || m.email, role: roleWord(role) }));
    m.role = role;
    save.hidden = true;
  } catch (e) {
    select.value = m.role;
    save.hidden = true;
    toast(e.status === 403 ? `${t("people.refused")} ${e.message}` : e.message, { error: true, ms: 8000 });
  } finally {
    save.disabled = false;
  }
}

async function removeMember(m) {
  const who = m.name || m.email;
  const yes = await confirmAction(t("people.remove_title"), t("people.remove_text", { who }), t("people.remove"));
  if (!yes) return;
  try {
    await api("DELETE", cafePath(`members/${m.user_id}`));
    toast(t("people.removed", { who }));
    await loadMembers();
  } catch (e) {
    toast(e.status === 403 ? `${t("people.refused")} ${e.message}` : e.message, { error: true, ms: 8000 });
  }
}

function memberRow(m) {
  const mine = m.user_id === me;
  const manageable = !mine && grantable.includes(m.role);
  let role;
  if (manageable) {
    const who = m.name || m.email;
    const save = el("button", { type: "button", class: "primary", hidden: true, "aria-label": t("people.save_role_of", { who }) }, t("people.save_role"));
    const select = el(
      "select",
      { "aria-label": t("people.role_of", { who }), onchange: () => { save.hidden = select.value === m.role; } },
      grantable.map((r) => el("option", { value: r, selected: r === m.role }, roleName(r))),
    );
    save.addEventListener("click", () => changeRole(m, select, save));
    role = el("div", { class: "role-edit" }, select, save);
  } else {
    role = el("span", { class: `role role-${m.role}` }, roleName(m.role));
  }
  return el(
    "tr",
    { dataset: { email: m.email } },
    el("td", {}, el("div", { class: "who-name" }, m.name || m.email), m.name ? el("div", { class: "muted small" }, m.email) : null, mine ? el("div", { class: "muted small" }, t("people.you")) : null),
    el("td", {}, role),
    el(
      "td",
      { class: "actions" },
      manageable
        ? el("button", { type: "button", class: "danger", onclick: () => removeMember(m), "aria-label": t("people.remove_who", { who: m.name || m.email }) }, t("people.remove"))
        : null,
    ),
  );
}

async function loadMembers() {
  try {
    const list = await api("GET", cafePath("members"));
    const order = ["owner", "manager", "barista", "cashier"];
    list.sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role) || (a.name || a.email).localeCompare(b.name || b.email));
    membersBox.replaceChildren(listTable("members", t("people.members"), [t("people.person"), t("people.role")], list.map(memberRow)));
  } catch (e) {
    membersBox.replaceChildren(el("p", { class: "alert", role: "alert" }, e.message));
  }
}

// The invite form's roles: the ones this visitor may give, and a word on the rest.
const roleSelect = document.getElementById("invite-role");
roleSelect.replaceChildren(...grantable.map((r) => el("option", { value: r, selected: r === "barista" }, roleName(r))));
document.getElementById("invite-role-hint").textContent = grantable.includes("manager") ? t("people.role_hint_owner") : t("people.role_hint_manager");

inviteForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearProblem(inviteForm, "invite");
  const email = inviteForm.elements.email.value.trim();
  const name = inviteForm.elements.name.value.trim();
  const role = inviteForm.elements.role.value;
  if (!email) {
    showProblem(inviteForm, "invite", { errors: [{ field: "email", message: t("people.required") }] });
    return;
  }
  const button = inviteForm.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const r = await api("POST", cafePath("members"), { email, role, name: name || null });
    inviteForm.reset();
    roleSelect.value = grantable.includes("barista") ? "barista" : grantable[0];
    if (r.member) {
      // Already a member here: the role changed at once.
      const who = r.member.name || r.member.email;
      inviteResult.replaceChildren(el("p", {}, t("people.role_changed", { who, role: roleWord(r.member.role) })));
      inviteResult.hidden = false;
      inviteResult.focus();
      await loadMembers();
    } else {
      const inv = r.invitation;
      showSecret(
        inviteResult,
        [
          t("people.invited", { email: inv.email, role: roleWord(inv.role) }),
          t("people.give_link", { when: when(inv.expires_at) }),
        ],
        new URL(r.link, location.origin).href,
        t("people.invite_link"),
      );
      await loadInvitations();
    }
  } catch (e) {
    showProblem(inviteForm, "invite", e);
  } finally {
    button.disabled = false;
  }
});

// ---- invitations ------------------------------------------------------------------------

async function withdrawInvitation(inv) {
  const yes = await confirmAction(t("people.withdraw_title"), t("people.withdraw_text", { email: inv.email }), t("people.withdraw"));
  if (!yes) return;
  try {
    await api("DELETE", cafePath(`invitations/${inv.id}`));
    toast(t("people.withdrawn", { email: inv.email }));
    await loadInvitations();
  } catch (e) {
    toast(e.status === 403 ? `${t("people.refused")} ${e.message}` : e.message, { error: true, ms: 8000 });
    await loadInvitations();
  }
}

function invitationRow(inv) {
  const mayWithdraw = grantable.includes(inv.role);
  return el(
    "tr",
    { dataset: { invitation: inv.id, email: inv.email } },
    el("td", {}, el("div", { class: "who-name" }, inv.name || inv.email), inv.name ? el("div", { class: "muted small" }, inv.email) : null),
    el("td", {}, el("span", { class: `role role-${inv.role}` }, roleName(inv.role))),
    el("td", { class: "muted small" }, t("people.expires", { when: when(inv.expires_at) })),
    el(
      "td",
      { class: "actions" },
      mayWithdraw
        ? el("button", { type: "button", class: "danger", onclick: () => withdrawInvitation(inv), "aria-label": t("people.withdraw_who", { email: inv.email }) }, t("people.withdraw"))
        : null,
    ),
  );
}

async function loadInvitations() {
  try {
    const list = await api("GET", cafePath("invitations"));
    if (!list.length) {
      invitationsBox.replaceChildren(el("p", { class: "muted" }, t("people.no_invitations")));
      return;
    }
    invitationsBox.replaceChildren(
      listTable("invitations", t("people.invitations"), [t("people.person"), t("people.role"), t("people.valid_until")], list.map(invitationRow)),
    );
  } catch (e) {
    invitationsBox.replaceChildren(el("p", { class: "alert", role: "alert" }, e.message));
  }
}

// ---- devices ----------------------------------------------------------------------------

async function revokeDevice(d) {
  const yes = await confirmAction(t("people.revoke_title"), t("people.revoke_text", { name: d.name }), t("people.revoke"));
  if (!yes) return;
  try {
    await api("DELETE", cafePath(`devices/${d.id}`));
    toast(t("people.revoked_done", { name: d.name }));
    await loadDevices();
  } catch (e) {
    toast(e.message, { error: true, ms: 8000 });
  }
}

function deviceRow(d) {
  const revoked = Boolean(d.revoked_at);
  return el(
    "tr",
    { class: revoked ? "revoked" : null, dataset: { device: d.id } },
    el("td", {}, el("div", { class: "who-name" }, d.name), el("div", { class: "muted small" }, t("people.created", { when: when(d.created_at) }))),
    el("td", {}, t(`people.purpose_${d.purpose}`)),
    el("td", {}, revoked ? el("span", { class: "state off" }, t("people.revoked", { when: when(d.revoked_at) })) : el("span", { class: "state on" }, t("people.active"))),
    el(
      "td",
      { class: "actions" },
      revoked ? null : el("button", { type: "button", class: "danger", onclick: () => revokeDevice(d), "aria-label": t("people.revoke_which", { name: d.name }) }, t("people.revoke")),
    ),
  );
}

async function loadDevices() {
  try {
    const list = await api("GET", cafePath("devices"));
    if (!list.length) {
      devicesBox.replaceChildren(el("p", { class: "muted" }, t("people.no_devices")));
      return;
    }
    // Working devices first, newest first; revoked ones after, for the record.
    list.sort((a, b) => Boolean(a.revoked_at) - Boolean(b.revoked_at) || b.id - a.id);
    devicesBox.replaceChildren(
      listTable("devices", t("people.devices"), [t("people.device_name"), t("people.device_purpose"), t("people.state")], list.map(deviceRow)),
    );
  } catch (e) {
    devicesBox.replaceChildren(el("p", { class: "alert", role: "alert" }, e.message));
  }
}

deviceForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearProblem(deviceForm, "device");
  const name = deviceForm.elements.name.value.trim();
  const purpose = deviceForm.elements.purpose.value;
  if (!name) {
    showProblem(deviceForm, "device", { errors: [{ field: "name", message: t("people.required") }] });
    return;
  }
  const button = deviceForm.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const d = await api("POST", cafePath("devices"), { name, purpose });
    deviceForm.reset();
    showSecret(deviceResult, [t("people.device_created", { name: d.name, purpose: t(`people.purpose_${d.purpose}`) }), t("people.device_use")], d.token, t("people.token"));
    await loadDevices();
  } catch (e) {
    showProblem(deviceForm, "device", e);
  } finally {
    button.disabled = false;
  }
});

// Pairing: the code a display or kiosk shows makes it a device of this café, no key typed
// on the wall screen.
const pairForm = document.getElementById("pair-form");
const pairResult = document.getElementById("pair-result");
pairForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearProblem(pairForm, "pair");
  pairResult.hidden = true;
  const code = pairForm.elements.code.value.trim();
  const name = pairForm.elements.name.value.trim();
  const purpose = pairForm.elements.purpose.value;
  const missing = [];
  if (!code) missing.push({ field: "code", message: t("people.required") });
  if (!name) missing.push({ field: "name", message: t("people.required") });
  if (missing.length) {
    showProblem(pairForm, "pair", { errors: missing });
    return;
  }
  const button = pairForm.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const d = await api("POST", cafePath("pairing"), { code, name, purpose });
    pairForm.reset();
    pairResult.textContent = t("people.paired", { name: d.name, purpose: t(`people.purpose_${d.purpose}`) });
    pairResult.hidden = false;
    await loadDevices();
  } catch (e) {
    if (e.status === 429) showProblem(pairForm, "pair", { errors: [], message: t("people.pair_too_many") });
    else showProblem(pairForm, "pair", e);
  } finally {
    button.disabled = false;
  }
});

loadMembers();
loadInvitations();
loadDevices();
