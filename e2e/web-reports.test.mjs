// Admin: the day's report (figures, chart, CSV download), people and devices (an invitation's
// link shown once and accepted in another browser, withdrawing one, a manager's refusal,
// device tokens made and revoked), and
// the audit log (who did what, before → after, filters, paging).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Crema } from "./harness.mjs";
import { launch, newPage, signIn, checkA11y, shot, assertClean, PHONE, TABLET } from "./browser.mjs";

const SLUG = "kaffediem";
const API = `/api/v1/cafes/${SLUG}`;

let crema, browser, menu;
before(async () => {
  crema = new Crema();
  await crema.start();
  browser = await launch();
  menu = (await crema.json("GET", `${API}/menu`)).body;
});
after(async () => {
  await browser?.close();
  await crema?.cleanup();
});

const itemId = (name) => menu.items.find((i) => i.name === name).id;
const groupId = (name) => menu.modifier_groups.find((g) => g.name === name).id;
const optionId = (group, name) => menu.options.find((o) => o.name === name && o.group_id === groupId(group)).id;

let keys = 0;
async function place(lines) {
  const r = await crema.json("POST", `${API}/orders`, { lines }, { "Idempotency-Key": `reports-${process.pid}-${++keys}` });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Splits CSV text into rows of fields (quoted fields may hold commas and doubled quotes). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  text = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else if (c !== "\r") field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

test("the day's report: figures, a bar per hour, items sold and the CSV download", async () => {
  // Two large oat lattes (66 kr each), an Americano with two buns (35 + 60 kr), and an
  // Americano that is cancelled.
  const latte = await place([
    {
      item_id: itemId("Caffè latte"),
      quantity: 2,
      modifiers: [
        { group_id: groupId("Størrelse"), option_ids: [optionId("Størrelse", "Stor")] },
        { group_id: groupId("Melk"), option_ids: [optionId("Melk", "Havre")] },
      ],
    },
  ]);
  assert.equal(latte.total, 13200);
  await place([{ item_id: itemId("Americano") }, { item_id: itemId("Bolle"), quantity: 2 }]);
  const gone = await place([{ item_id: itemId("Americano") }]);
  assert.equal((await crema.json("POST", `${API}/orders/${gone.id}/cancel`, { reason: "left" })).status, 200);
  for (let i = 0; i < 2; i++) await crema.json("POST", `${API}/orders/${latte.id}/forward`);

  const page = await newPage(browser, { viewport: TABLET });
  await signIn(page, crema.url, crema.admin, "/admin/reports");
  assert.equal(new URL(page.url()).pathname, "/admin/reports");
  await page.locator("#fig-revenue").waitFor();
  // 132 + 95 kr; the cancelled one is not revenue.
  assert.match(await page.locator("#fig-revenue").textContent(), /227/);
  assert.equal(await page.locator("#fig-orders").textContent(), "3");
  assert.equal(await page.locator("#fig-cancelled").textContent(), "1");
  assert.doesNotMatch(await page.locator("#fig-ready").textContent(), /^\s*$/);

  const bars = page.locator("svg.hours rect.hour-bar");
  assert.equal(await bars.count(), 24, "one bar per hour of the day");
  const counts = await bars.evaluateAll((rs) => rs.map((r) => Number(r.dataset.count)));
  assert.equal(counts.reduce((a, b) => a + b, 0), 3);
  const hour = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", hourCycle: "h23", timeZone: "Europe/Oslo" }).format(new Date(latte.created_at));
  assert.ok(counts[Number(hour)] >= 1, `the orders are in their local hour ${hour}: ${counts}`);
  // The same figures as a table for screen readers.
  assert.ok((await page.locator("#hours-table tbody tr").count()) >= 1);

  const items = page.locator(".items-sold tbody tr");
  assert.equal(await items.count(), 3);
  assert.deepEqual(
    await items.locator("th").allTextContents(),
    ["Caffè latte", "Bolle", "Americano"],
    "the most sold first; the cancelled Americano does not count",
  );
  await checkA11y(page, "reports tablet");
  await shot(page, "reports-tablet");

  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#report-csv").click()]);
  assert.match(download.suggestedFilename(), /^kaffediem-\d{4}-\d{2}-\d{2}\.csv$/);
  const rows = parseCsv(readFileSync(await download.path(), "utf8"));
  assert.deepEqual(rows[0], ["day_number", "time", "item", "modifiers", "quantity", "line_total", "order_total", "step", "channel"]);
  assert.equal(rows.length, 1 + 4, "one row per order line");
  assert.deepEqual(rows[1].slice(2, 8), ["Caffè latte", "Størrelse: Stor; Melk: Havre", "2", "132.00", "132.00", "completed"]);
  assert.deepEqual(rows[3].slice(2, 7), ["Bolle", "", "2", "60.00", "95.00"]);
  assert.equal(rows[4][7], "cancelled");

  // Another day: nothing sold, and the address remembers the day.
  await page.locator("#report-date").fill("2020-01-01");
  await page.locator("#report-form button[type=submit]").click();
  await page.locator(".report:not([aria-busy])").waitFor();
  await page.waitForFunction(() => document.getElementById("fig-orders")?.textContent === "0");
  assert.match(page.url(), /date=2020-01-01/);
  assert.equal(await page.locator(".items-sold").count(), 0);
  assert.match(await page.locator("#report-csv").getAttribute("href"), /date=2020-01-01/);

  // Back to today on a phone.
  await page.setViewportSize(PHONE);
  await page.goto(crema.url + "/admin/reports");
  await page.waitForFunction(() => document.getElementById("fig-orders")?.textContent === "3");
  await checkA11y(page, "reports phone");
  await shot(page, "reports-phone");
  assertClean(page);
  await page.context().close();
});

test("people: invite a barista (the link shown once, accepted in another browser), withdraw an invitation, a manager is refused, the barista is kept out of reports", async () => {
  const page = await newPage(browser, { viewport: TABLET });
  await signIn(page, crema.url, crema.admin, "/admin/people");
  await page.locator("table.members").waitFor();
  await checkA11y(page, "people tablet");

  const form = page.locator("#invite-form");
  // A bad email is named by its field.
  await form.locator("input[name=email]").fill("not-an-email");
  await form.locator("button[type=submit]").click();
  await page.locator("#invite-email-error:not([hidden])").waitFor();
  assert.equal(await form.locator("input[name=email]").getAttribute("aria-invalid"), "true");

  await form.locator("input[name=email]").fill("bo@example.com");
  await form.locator("input[name=name]").fill("Bo Barista");
  await form.locator("select[name=role]").selectOption("barista");
  await form.locator("button[type=submit]").click();
  await page.locator("#invite-result:not([hidden])").waitFor();
  const link = await page.locator("#invite-result .secret-value").inputValue();
  assert.match(link, new RegExp(`^${crema.url}/invite/[0-9a-f]{64}$`), "the invitation's link is shown");
  // Pending, not a member yet.
  await page.locator("table.invitations tr[data-email='bo@example.com']").waitFor();
  assert.equal(await page.locator("table.members tr[data-email='bo@example.com']").count(), 0);
  await checkA11y(page, "people with the link shown");
  await shot(page, "people-invited-tablet");

  // The invitee opens the link in a browser of their own and chooses a password.
  const password = "Bo's own password";
  const ipage = await newPage(browser, { viewport: PHONE });
  await ipage.goto(link);
  await ipage.locator("input[name=password]").fill(password);
  await checkA11y(ipage, "invitation page (phone)");
  await shot(ipage, "invitation-phone");
  await ipage.locator("form[action^='/invite/'] button[type=submit]").click();
  await ipage.waitForURL((u) => u.pathname === "/staff");
  assertClean(ipage);
  await ipage.context().close();
  // The link is spent.
  const spent = await (await browser.newContext()).request.get(link);
  assert.equal(spent.status(), 404);

  await page.reload();
  const bo = page.locator("table.members tr[data-email='bo@example.com']");
  await bo.waitFor();
  assert.equal(await page.locator("table.invitations tr[data-email='bo@example.com']").count(), 0);

  // Withdrawing an invitation: its row goes, and its link stops working.
  await form.locator("input[name=email]").fill("zed@example.com");
  await form.locator("button[type=submit]").click();
  await page.locator("#invite-result:not([hidden])").waitFor();
  const zedLink = await page.locator("#invite-result .secret-value").inputValue();
  const zed = page.locator("table.invitations tr[data-email='zed@example.com']");
  await zed.getByRole("button", { name: /withdraw|trekk/i }).click();
  await page.locator("#confirm-ok").click();
  await zed.waitFor({ state: "detached" });
  assert.equal((await (await browser.newContext()).request.get(zedLink)).status(), 404);

  // A role is changed only when saved (arrowing through the select grants nothing).
  const roleOf = async (email) => (await crema.json("GET", `${API}/members`)).body.find((m) => m.email === email).role;
  await bo.locator("select").selectOption("cashier");
  assert.equal(await roleOf("bo@example.com"), "barista", "not saved yet");
  await bo.getByRole("button", { name: /save|lagre/i }).click();
  await bo.getByRole("button", { name: /save|lagre/i }).waitFor({ state: "hidden" });
  assert.equal(await roleOf("bo@example.com"), "cashier");
  await bo.locator("select").selectOption("barista");
  await bo.getByRole("button", { name: /save|lagre/i }).click();
  await bo.getByRole("button", { name: /save|lagre/i }).waitFor({ state: "hidden" });
  assert.equal(await roleOf("bo@example.com"), "barista");

  // A manager may add baristas and cashiers only; making the owner a barista is refused by
  // the API and the page says so.
  const mia = await crema.invite(SLUG, "mia@example.com", "manager", "Mia Manager");
  const mpage = await newPage(browser, { viewport: PHONE });
  await signIn(mpage, crema.url, mia, "/admin/people");
  await mpage.locator("table.members").waitFor();
  const roles = await mpage.locator("#invite-role option").evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(roles, ["barista", "cashier"]);
  assert.equal(await mpage.locator(`table.members tr[data-email='${crema.admin.email}'] select`).count(), 0, "no role control for the owner");
  await mpage.locator("#invite-form input[name=email]").fill(crema.admin.email);
  await mpage.locator("#invite-form button[type=submit]").click();
  await mpage.locator("#invite-error:not([hidden])").waitFor();
  assert.match(await mpage.locator("#invite-error").textContent(), /owner/);
  await checkA11y(mpage, "people phone, refused");
  await shot(mpage, "people-refused-phone");
  assertClean(mpage, ["403"]);
  await mpage.context().close();

  // The barista signs in with the password they chose: the kitchen yes, reports no.
  const bpage = await newPage(browser, { viewport: PHONE });
  await signIn(bpage, crema.url, { email: "bo@example.com", password }, "/staff/kitchen");
  assert.equal(new URL(bpage.url()).pathname, "/staff/kitchen");
  const refused = await bpage.goto(crema.url + "/admin/reports");
  assert.equal(refused.status(), 403);
  await shot(bpage, "people-barista-refused-phone");
  const csv = await bpage.request.get(crema.url + `${API}/reports/day.csv`);
  assert.equal(csv.status(), 403);
  for (const path of ["/admin/people", "/admin/audit"]) {
    assert.equal((await bpage.goto(crema.url + path)).status(), 403, path);
  }
  // Someone not signed in is asked to sign in first, and comes back after.
  const anon = await browser.newContext();
  for (const path of ["/admin/reports", "/admin/people", "/admin/audit"]) {
    const r = await anon.request.get(crema.url + path, { maxRedirects: 0 });
    assert.equal(r.status(), 303, path);
    assert.equal(r.headers().location, `/login?next=${path}`);
  }
  await anon.close();
  await bpage.context().close();
  // The 422 is the bad email the test typed on purpose.
  assertClean(page, ["422"]);
  await page.context().close();
});

test("devices: a token is made for a display, shown once, works, and stops at once when revoked", async () => {
  const page = await newPage(browser, { viewport: TABLET });
  await signIn(page, crema.url, crema.admin, "/admin/people");
  const form = page.locator("#device-form");
  await form.locator("input[name=name]").fill("Wall by the door");
  await form.locator("input[value=display]").check();
  await form.locator("button[type=submit]").click();
  await page.locator("#device-result:not([hidden])").waitFor();
  const token = await page.locator("#device-result .secret-value").inputValue();
  assert.match(token, /^crema_dt_/);
  const auth = { authorization: `Bearer ${token}` };
  assert.equal((await fetch(crema.url + `${API}/menu`, { headers: auth })).status, 200);
  await shot(page, "people-device-tablet");

  const row = page.locator("table.devices tr", { hasText: "Wall by the door" });
  await row.locator("button.danger").click();
  await page.locator("dialog#confirm[open]").waitFor();
  await checkA11y(page, "people revoke dialog");
  await shot(page, "people-revoke-dialog-tablet");
  await page.locator("#confirm-ok").click();
  await row.locator(".state.off").waitFor();
  assert.equal(await row.locator("button.danger").count(), 0);
  assert.equal((await fetch(crema.url + `${API}/menu`, { headers: auth })).status, 401, "a revoked token is refused");

  await page.setViewportSize(PHONE);
  await page.reload();
  await page.locator("table.devices").waitFor();
  await checkA11y(page, "people phone");
  await shot(page, "people-phone");
  assertClean(page);
  await page.context().close();
});

test("the audit log: the invite and a menu change with who and before → after; filters and paging", async () => {
  const americano = menu.items.find((i) => i.name === "Americano");
  const r = await crema.json("PATCH", `${API}/items/${americano.id}`, { price: americano.price + 500 });
  assert.equal(r.status, 200, JSON.stringify(r.body));

  const page = await newPage(browser, { viewport: TABLET });
  await signIn(page, crema.url, crema.admin, "/admin/audit");
  await page.locator("#audit-rows tr").first().waitFor();
  const item = page.locator(`#audit-rows tr[data-action='item.update']`).first();
  assert.match(await item.locator("td.actor").textContent(), new RegExp(crema.admin.email.replace(/[.]/g, "\\.")));
  const change = await item.locator(".diff").textContent();
  assert.match(change, new RegExp(`price: ${americano.price}.*${americano.price + 500}`));
  const invite = page.locator(`#audit-rows tr[data-action='member.set']`, { hasText: "barista" });
  assert.ok((await invite.count()) >= 1, "the barista's invite is listed");
  await checkA11y(page, "audit tablet");
  await shot(page, "audit-tablet");

  // Only menu items.
  await page.locator("#audit-action").selectOption("item.");
  await page.locator("#audit-filters button[type=submit]").click();
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-rows tr")].every((tr) => tr.dataset.action.startsWith("item.")));
  assert.ok((await page.locator("#audit-rows tr").count()) >= 1);

  // Days, in the café's time: the day of the newest entry keeps it; the day before has none.
  const newest = await page.locator("#audit-rows time").first().getAttribute("datetime");
  const cafeTz = (await crema.json("GET", API)).body.timezone;
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: cafeTz }).format(new Date(newest));
  const before = new Date(Date.parse(day + "T12:00:00Z") - 86_400_000).toISOString().slice(0, 10);
  await page.locator("#audit-from").fill(day);
  await page.locator("#audit-to").fill(day);
  await page.locator("#audit-filters button[type=submit]").click();
  await page.locator("#audit-status", { hasText: /\d/ }).waitFor();
  assert.ok((await page.locator("#audit-rows tr").count()) >= 1);
  await page.locator("#audit-to").fill(before);
  await page.locator("#audit-from").fill(before);
  await page.locator("#audit-filters button[type=submit]").click();
  await page.waitForFunction(() => document.querySelectorAll("#audit-rows tr").length === 0);
  await page.locator("#audit-from").fill("");
  await page.locator("#audit-to").fill("");

  // Paging: make more entries than a page holds, then follow "older".
  for (let i = 0; i < 52; i++) {
    await crema.json("PATCH", `${API}/items/${americano.id}`, { sort_order: 100 + i });
  }
  await page.locator("#audit-filters button[type=submit]").click();
  await page.locator("#audit-older:not([hidden])").waitFor();
  await page.waitForFunction(() => document.querySelectorAll("#audit-rows tr").length === 50);
  await page.locator("#audit-older").click();
  await page.waitForFunction(() => document.querySelectorAll("#audit-rows tr").length > 50);
  const times = await page.locator("#audit-rows time").evaluateAll((ts) => ts.map((t) => Date.parse(t.dateTime)));
  assert.ok(times.every((t, i) => i === 0 || t <= times[i - 1]), "newest first across pages");

  await page.setViewportSize(PHONE);
  // Cleared: every kind again; the invite is on the second page, behind the 52 newer changes.
  await page.locator("#audit-filters button[type=reset]").click();
  await page.waitForFunction(() => document.querySelectorAll("#audit-rows tr").length === 50);
  assert.equal(await page.locator("#audit-action").inputValue(), "");
  await page.locator("#audit-older").click();
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-rows tr")].some((tr) => tr.dataset.action === "member.set"));
  await checkA11y(page, "audit phone");
  await shot(page, "audit-phone");
  assertClean(page);
  await page.context().close();
});
