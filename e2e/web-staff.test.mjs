// The staff screens: the chooser, the front desk and the kitchen, against the real server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Crema, until } from "./harness.mjs";
import { launch, newPage, signIn, checkA11y, shot, assertClean, CutProxy, PHONE, TABLET, WALL } from "./browser.mjs";

let crema, browser;
before(async () => {
  crema = new Crema();
  await crema.start();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await crema?.cleanup();
});

const CAFE = "/api/v1/cafes/kaffediem";

async function todaysOrders() {
  const r = await crema.json("GET", `${CAFE}/orders?date=today&limit=200`);
  assert.equal(r.status, 200);
  return r.body.items;
}

async function live(page) {
  await page.locator(".conn[data-state=live]").waitFor();
}

// Logins are limited to five a minute per account: the admin signs in through the form once
// and later pages reuse that session.
let adminCookies = null;

/** A page signed in (through the login form, the first time), on `path`, with the connection live. */
async function staffPage(path, { viewport = TABLET, who = crema.admin } = {}) {
  const page = await newPage(browser, { viewport });
  if (who === crema.admin && adminCookies) {
    await page.context().addCookies(adminCookies);
    await page.goto(crema.url + path);
  } else {
    await signIn(page, crema.url, who, path);
    if (who === crema.admin) adminCookies = await page.context().cookies();
  }
  assert.equal(new URL(page.url()).pathname, path.split("?")[0]);
  await live(page);
  return page;
}

/** A new user with `role` in the demo café, who accepted the invitation with a password. */
async function invite(email, role) {
  return crema.invite("kaffediem", email, role, email.split("@")[0]);
}

const kitchenCard = (page, step, n) =>
  page.locator(`.kitchen-col[data-step=${step}] .kitchen-card`).filter({ has: page.locator(".kitchen-num", { hasText: new RegExp(`^${n}$`) }) });

test("anonymous visitors are sent to the login page, and come back after", async () => {
  const page = await newPage(browser);
  for (const path of ["/staff", "/staff/counter", "/staff/kitchen"]) {
    await page.goto(crema.url + path);
    const u = new URL(page.url());
    assert.equal(u.pathname, "/login");
    assert.equal(u.searchParams.get("next"), path);
  }
  await signIn(page, crema.url, crema.admin, "/staff");
  adminCookies = await page.context().cookies();
  await checkA11y(page, "staff chooser");
  await shot(page, "staff-chooser-phone");
  // The chooser links the screens of this café and the owner's other café.
  await page.getByRole("link", { name: /Bestillingsdisk|Front desk/ }).first().waitFor();
  await page.locator("a[href='/staff?cafe=corner']").waitFor();
  assertClean(page);
  await page.context().close();
});

test("the front desk places an order with modifiers, a quantity, a name and the server's total", async () => {
  const page = await staffPage("/staff/counter");
  await checkA11y(page, "counter empty (tablet)");
  await page.getByRole("button", { name: /Caffè latte/ }).click();
  // Defaults are preselected: Medium size, whole milk.
  const chip = (name) => page.locator(".cart-line .chip", { hasText: new RegExp(`^✓?${name}`) });
  assert.equal(await chip("Medium").getAttribute("aria-pressed"), "true");
  assert.equal(await chip("Helmelk").getAttribute("aria-pressed"), "true");
  await chip("Stor").click();
  await chip("Havre").click();
  await chip("Ekstra shot").click();
  assert.equal(await chip("Medium").getAttribute("aria-pressed"), "false", "one size only");
  assert.equal(await chip("Helmelk").getAttribute("aria-pressed"), "false", "one milk only");
  await page.getByRole("button", { name: /Én til|One more/ }).click();
  // (50 + 5 + 10) × 1.2 = 78 kr, twice.
  await page.locator("#total", { hasText: /156/ }).waitFor();
  await page.getByLabel(/Beskjed til kjøkkenet|Note for the kitchen/).fill("extra varm");
  await page.getByLabel(/Kundens navn|Customer name/).fill("Kari");
  await checkA11y(page, "counter with a line open (tablet)");
  await shot(page, "counter-tablet");
  await page.locator("#place").click();
  await page.locator("#last-order", { hasText: /\d{3}/ }).waitFor();
  assert.equal(await page.locator(".cart-line").count(), 0, "the cart is cleared");

  const mine = (await todaysOrders()).filter((o) => o.customer?.name === "Kari");
  assert.equal(mine.length, 1);
  const o = mine[0];
  assert.equal(o.channel, "counter");
  assert.equal(o.total, 15600);
  assert.equal(o.lines.length, 1);
  const [line] = o.lines;
  assert.equal(line.item_name, "Caffè latte");
  assert.equal(line.quantity, 2);
  assert.equal(line.notes, "extra varm");
  assert.deepEqual(line.modifiers.map((m) => m.option_name).sort(), ["Ekstra shot", "Havre", "Stor"]);
  assert.match(await page.locator("#last-order").textContent(), new RegExp(String(o.day_number)));
  assertClean(page);
  await page.context().close();
});

test("the front desk cancels the order it just placed, with a reason, and can undo that", async () => {
  const page = await staffPage("/staff/counter");
  await page.getByRole("button", { name: /Americano/ }).click();
  await page.getByLabel(/Kundens navn|Customer name/).fill("Angre Anne");
  await page.locator("#place").click();
  await page.locator("#last-order", { hasText: /\d{3}/ }).waitFor();
  const [o] = (await todaysOrders()).filter((x) => x.customer?.name === "Angre Anne");
  const cancel = page.locator("#cancel-last");
  await cancel.waitFor();
  assert.match(await cancel.textContent(), new RegExp(String(o.day_number)));
  await cancel.click();
  await page.locator("#cancel-dialog[open]").waitFor();
  // No reason: refused here, the dialog stays, nothing is sent.
  await page.locator("#cancel-ok").click();
  await page.locator("#cancel-error").waitFor();
  assert.ok(await page.locator("#cancel-dialog").isVisible());
  await checkA11y(page, "counter cancel dialog (tablet)");
  assert.equal((await crema.json("GET", `${CAFE}/orders/${o.id}`)).body.step, o.step);
  await page.locator("#cancel-reason").fill("feil vare");
  await page.locator("#cancel-ok").click();
  await page.locator("#cancel-dialog").waitFor({ state: "hidden" });
  await page.locator("#last-order", { hasText: /cancelled|avbestilt/ }).waitFor();
  assert.ok(await cancel.isHidden(), "nothing left to cancel");
  let now = (await crema.json("GET", `${CAFE}/orders/${o.id}`)).body;
  assert.equal(now.step, "cancelled");
  assert.equal(now.cancel_reason, "feil vare");
  // Undo brings it back where it was.
  await page.locator("#undo").click();
  for (let i = 0; i < 50 && now.step === "cancelled"; i++) {
    await page.waitForTimeout(100);
    now = (await crema.json("GET", `${CAFE}/orders/${o.id}`)).body;
  }
  assert.equal(now.step, o.step);
  assertClean(page);
  await page.context().close();
});

test("a double tap places one order, and a lost answer retried places no second one", async () => {
  const page = await staffPage("/staff/counter");
  await page.getByRole("button", { name: /Americano/ }).click();
  await page.getByLabel(/Kundens navn|Customer name/).fill("Dobbel");
  // Every placement the page sends, until it has its answer (or failed).
  const inFlight = new Set();
  const isPlacement = (r) => r.method() === "POST" && new URL(r.url()).pathname === `${CAFE}/orders`;
  page.on("request", (r) => isPlacement(r) && inFlight.add(r));
  page.on("requestfinished", (r) => inFlight.delete(r));
  page.on("requestfailed", (r) => inFlight.delete(r));
  await page.locator("#place").dblclick();
  await page.locator("#last-order", { hasText: /Dobbel/ }).waitFor();
  // A later order as a marker: whatever the double tap sent was sent before it, so once the
  // marker is placed and nothing the page sent is still waiting, every answer is in.
  await page.getByRole("button", { name: /Americano/ }).click();
  await page.getByLabel(/Kundens navn|Customer name/).fill("Etter");
  await page.locator("#place").click();
  await page.locator("#last-order", { hasText: /Etter/ }).waitFor();
  await until(() => inFlight.size === 0, 10000, "the page's placements to be answered");
  const today = await todaysOrders();
  assert.equal(today.filter((o) => o.customer?.name === "Dobbel").length, 1);
  assert.equal(today.filter((o) => o.customer?.name === "Etter").length, 1);

  // The server places the order but the answer never arrives: tapping again sends the same
  // Idempotency-Key, and the server answers with the first order.
  let cut = true;
  const keys = [];
  await page.route("**/api/v1/cafes/kaffediem/orders", async (route) => {
    keys.push(route.request().headers()["idempotency-key"]);
    if (cut) {
      cut = false;
      await route.fetch();
      await route.abort("connectionreset");
    } else await route.continue();
  });
  await page.getByRole("button", { name: /Te\b/ }).first().click();
  await page.getByLabel(/Kundens navn|Customer name/).fill("Tapt svar");
  await page.locator("#place").click();
  await page.locator("#place-error:not([hidden])").waitFor();
  assert.equal(await page.locator(".cart-line").count(), 1, "the order is kept to retry");
  await page.locator("#place").click();
  await page.locator("#last-order", { hasText: /Tapt svar/ }).waitFor();
  assert.equal(keys.length, 2);
  assert.ok(keys[0] && keys[0] === keys[1], "the retry reuses the key");
  assert.equal((await todaysOrders()).filter((o) => o.customer?.name === "Tapt svar").length, 1);
  assertClean(page, ["ERR_CONNECTION_RESET", "Failed to load resource"]);
  await page.context().close();
});

test("bad input names the field; a closed café says so; sold out is marked and not tappable", async () => {
  const page = await staffPage("/staff/counter", { viewport: PHONE });
  // A required group with no default: the line says which group to choose from.
  const g = await crema.json("POST", `${CAFE}/modifier-groups`, { name: "Kopp", mode: "single", required: true });
  assert.equal(g.status, 201, JSON.stringify(g.body));
  for (const name of ["Papp", "Glass"]) {
    const o = await crema.json("POST", `${CAFE}/options`, { group_id: g.body.id, name, price_effect: { kind: "fixed", value: 0 } });
    assert.equal(o.status, 201, JSON.stringify(o.body));
  }
  const cat = await crema.json("PATCH", `${CAFE}/categories/3`, { allowed_groups: [g.body.id] });
  assert.equal(cat.status, 200, JSON.stringify(cat.body));
  await page.locator(".counter-item", { hasText: "Bolle" }).click();
  await page.locator(".cart-line .chip", { hasText: "Papp" }).waitFor();
  await page.locator("#place").click();
  await page.locator(".cart-line .field-error", { hasText: /Kopp/ }).waitFor();
  await checkA11y(page, "counter with a line error (phone)");
  await shot(page, "counter-phone-error");
  await page.locator(".cart-line .chip", { hasText: "Glass" }).click();

  // Closed: the banner shows live; placing is refused with the reason.
  assert.equal((await crema.json("PATCH", `${CAFE}/status`, { open: false })).status, 200);
  await page.locator("#closed:not([hidden])").waitFor();
  await page.locator("#place").click();
  await page.locator("#place-error", { hasText: /stengt|closed/i }).waitFor();
  await checkA11y(page, "counter closed (phone)");
  await page.getByRole("button", { name: /Åpne kaféen|Open the café/ }).click();
  await page.locator("#closed").waitFor({ state: "hidden" });
  await page.locator("#place").click();
  await page.locator("#last-order", { hasText: /\d{3}/ }).waitFor();

  // Sold out from the front desk, through the API and seen live.
  await page.getByRole("button", { name: /Merk utsolgt|Mark sold out/ }).click();
  await checkA11y(page, "counter availability mode (phone)");
  await page.locator(".counter-item", { hasText: "Cortado" }).click();
  await page.locator(".counter-item.sold-out", { hasText: "Cortado" }).waitFor();
  const item = await crema.json("GET", `${CAFE}/items/2`);
  assert.equal(item.body.sold_out, true);
  await page.getByRole("button", { name: /Merk utsolgt|Mark sold out/ }).click();
  assert.ok(await page.locator(".counter-item", { hasText: "Cortado" }).isDisabled(), "a sold-out item cannot be tapped");
  // Another screen makes it available again: this one follows.
  await crema.json("PATCH", `${CAFE}/items/2`, { sold_out: false });
  await page.locator(".counter-item:not([disabled])", { hasText: "Cortado" }).waitFor();
  await shot(page, "counter-phone");
  assertClean(page, ["422"]);
  await page.context().close();
});

test("the kitchen shows new orders live, moves and undoes with a tap, and the front desk hands out", async () => {
  const kitchen = await staffPage("/staff/kitchen", { viewport: WALL });
  await checkA11y(kitchen, "kitchen empty (wall)");
  const counter = await staffPage("/staff/counter");

  const r = await crema.json("POST", `${CAFE}/orders`, {
    customer_name: "Per",
    channel: "web",
    lines: [{ item_id: 3, quantity: 1, notes: "uten skum", modifiers: [{ group_id: 1, option_ids: [3] }] }],
  });
  assert.equal(r.status, 201);
  const n = r.body.day_number;
  const card = kitchenCard(kitchen, "received", n);
  await card.waitFor();
  assert.match(await card.textContent(), /Per/);
  assert.match(await card.locator(".kitchen-note").textContent(), /uten skum/);
  // The modifier chip carries its group's label colour, set through CSSOM.
  const label = await card.locator(".mod", { hasText: "Havre" }).evaluate((e) => e.style.getPropertyValue("--label"));
  assert.equal(label, "#3b82f6");
  await kitchen.waitForFunction(() => Number(document.documentElement.dataset.beeps || 0) >= 1);
  await checkA11y(kitchen, "kitchen with an order (wall)");
  await shot(kitchen, "kitchen-wall");

  await card.locator(".kitchen-bump").click();
  await kitchenCard(kitchen, "production", n).waitFor();
  assert.equal(await kitchenCard(kitchen, "received", n).count(), 0);
  assert.equal((await crema.json("GET", `${CAFE}/orders/${r.body.id}`)).body.step, "production");
  await kitchen.locator("#undo").click();
  await kitchenCard(kitchen, "received", n).waitFor();
  assert.equal((await crema.json("GET", `${CAFE}/orders/${r.body.id}`)).body.step, "received");

  // On to ready: the front desk lists it to hand out.
  await kitchenCard(kitchen, "received", n).locator(".kitchen-bump").click();
  await kitchenCard(kitchen, "production", n).locator(".kitchen-bump").click();
  await kitchenCard(kitchen, "completed", n).waitFor();
  const ready = counter.locator(".ready-btn", { hasText: String(n) });
  await ready.waitFor();
  await checkA11y(counter, "counter with an order to hand out (tablet)");
  await shot(counter, "counter-tablet-ready");
  await ready.click();
  await ready.waitFor({ state: "detached" });
  assert.equal((await crema.json("GET", `${CAFE}/orders/${r.body.id}`)).body.step, "dispatched");
  // Handed out: gone from the kitchen, and its card removed (nothing grows).
  await kitchenCard(kitchen, "completed", n).waitFor({ state: "detached" });
  // The front desk's undo brings it back to hand out.
  await counter.locator("#undo").click();
  await ready.waitFor();
  assert.equal((await crema.json("GET", `${CAFE}/orders/${r.body.id}`)).body.step, "completed");
  await kitchenCard(kitchen, "completed", n).waitFor();

  // Muting is remembered on this screen.
  await kitchen.getByRole("button", { name: /Lyd på|Sound on/ }).click();
  await kitchen.reload();
  await live(kitchen);
  await kitchen.getByRole("button", { name: /Lyd av|Sound off/ }).waitFor();
  assertClean(kitchen);
  assertClean(counter);
  await kitchen.context().close();
  await counter.context().close();
});

test("the age of a card changes colour at the café's thresholds", async () => {
  const p = await crema.json("PATCH", CAFE, { age_thresholds: { warn: 2, late: 4 } });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const page = await staffPage("/staff/kitchen", { viewport: TABLET });
  const o = await crema.placeOrder();
  const card = kitchenCard(page, "received", o.day_number);
  await card.waitFor();
  await page.locator(`.kitchen-card.age-warn .kitchen-num:text-is("${o.day_number}")`).waitFor({ timeout: 5000 });
  await page.locator(`.kitchen-card.age-late .kitchen-num:text-is("${o.day_number}")`).waitFor({ timeout: 5000 });
  await checkA11y(page, "kitchen with late orders (tablet)");
  await shot(page, "kitchen-tablet");
  await page.setViewportSize(PHONE);
  await checkA11y(page, "kitchen (phone)");
  await shot(page, "kitchen-phone");
  await crema.json("PATCH", CAFE, { age_thresholds: { warn: 300, late: 600 } });
  assertClean(page);
  await page.context().close();
});

test("a barista can use the kitchen and the front desk; a customer is refused", async () => {
  const barista = await invite("barista@example.com", "barista");
  const page = await staffPage("/staff/kitchen", { who: barista, viewport: TABLET });
  const o = await crema.placeOrder();
  await kitchenCard(page, "received", o.day_number).locator(".kitchen-bump").click();
  await kitchenCard(page, "production", o.day_number).waitFor();
  await page.goto(crema.url + "/staff/counter");
  await live(page);
  await page.getByRole("button", { name: /Americano/ }).click();
  await page.locator("#place").click();
  await page.locator("#last-order", { hasText: /\d{3}/ }).waitFor();
  assertClean(page);
  await page.context().close();

  // An account with no role in the café: invited, then removed.
  const customer = await invite("customer@example.com", "barista");
  assert.equal((await crema.json("DELETE", `${CAFE}/members/${customer.id}`)).status, 204);
  const cp = await newPage(browser, { viewport: PHONE });
  await signIn(cp, crema.url, customer, "/account");
  for (const path of ["/staff", "/staff/counter", "/staff/kitchen"]) {
    const res = await cp.goto(crema.url + path);
    assert.equal(res.status(), 404, path);
    assert.equal(new URL(cp.url()).pathname, path);
    assert.equal(await cp.locator(".conn").count(), 0);
  }
  await checkA11y(cp, "refused");
  await cp.context().close();
});

test("a station's kitchen shows only that station's orders", async () => {
  const s = await crema.json("POST", `${CAFE}/stations`, { name: "Bar" });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const page = await staffPage(`/staff/kitchen?station=${s.body.id}`);
  assert.match(await page.locator("h1").textContent(), /Bar/);
  const mine = await crema.json("POST", `${CAFE}/orders`, { station_id: s.body.id, lines: [{ item_id: 1 }] });
  const other = await crema.placeOrder();
  // A later order at the station as a marker: the page gets events in the log's order, so
  // once the marker's card is there it has had the other order's event too.
  const marker = await crema.json("POST", `${CAFE}/orders`, { station_id: s.body.id, lines: [{ item_id: 1 }] });
  assert.equal(marker.status, 201, JSON.stringify(marker.body));
  await kitchenCard(page, "received", mine.body.day_number).waitFor();
  await kitchenCard(page, "received", marker.body.day_number).waitFor();
  assert.equal(await kitchenCard(page, "received", other.day_number).count(), 0);
  const missing = await page.goto(crema.url + "/staff/kitchen?station=9999");
  assert.equal(missing.status(), 404);
  assertClean(page, ["404"]);
  await page.context().close();
});

test("the kitchen resumes after a lost connection without losing or doubling an order", async () => {
  const proxy = new CutProxy(crema.port);
  await proxy.start();
  const page = await staffPage("/staff/kitchen", { viewport: TABLET });
  // The same session, through a connection that can be cut.
  await page.goto(proxy.url + "/staff/kitchen");
  await live(page);
  const before = await crema.placeOrder();
  await kitchenCard(page, "received", before.day_number).waitFor();
  proxy.cut();
  await page.locator(".conn[data-state=offline]").waitFor();
  const during = await crema.placeOrder();
  await crema.json("POST", `${CAFE}/orders/${before.id}/forward`);
  proxy.restore();
  await live(page);
  await kitchenCard(page, "received", during.day_number).waitFor();
  await kitchenCard(page, "production", before.day_number).waitFor();
  assert.equal(await page.locator(`.kitchen-num:text-is("${during.day_number}")`).count(), 1, "no duplicate card");
  assertClean(page, ["ERR_CONNECTION", "WebSocket", "Failed to load resource"]);
  await page.context().close();
  await proxy.close();
});

test("at the café's midnight the kitchen starts again from the new day", async () => {
  const page = await newPage(browser, { viewport: TABLET });
  await page.context().addCookies(adminCookies);
  // The browser's clock runs on by itself from now; a jump makes the café's day change.
  await page.clock.install();
  await page.goto(crema.url + "/staff/kitchen");
  await live(page);
  const o = await crema.placeOrder();
  await kitchenCard(page, "received", o.day_number).waitFor();
  const sockets = [];
  page.on("websocket", (ws) => sockets.push(ws));
  await page.clock.setSystemTime(Date.now() + 24 * 3600 * 1000);
  // A new connection joins without `since`; the server's day has not turned, so today's orders
  // are yesterday's to the screen and are not shown.
  await page.waitForFunction(() => !document.querySelector(".kitchen-card"), null, { timeout: 10000 });
  assert.ok(sockets.length >= 1, "a fresh connection");
  await live(page);
  assertClean(page);
  await page.context().close();
});

test("both screens work from the keyboard, and a move keeps the focus on its card", async () => {
  const kitchen = await staffPage("/staff/kitchen", { viewport: TABLET });
  const o = await crema.placeOrder();
  const card = kitchenCard(kitchen, "received", o.day_number);
  await card.locator(".kitchen-bump").focus();
  await kitchen.keyboard.press("Enter");
  await kitchenCard(kitchen, "production", o.day_number).waitFor();
  await kitchen.waitForFunction(() => document.activeElement?.classList.contains("kitchen-bump"));
  assert.equal(await kitchen.evaluate(() => document.activeElement.closest(".kitchen-col").dataset.step), "production");
  await kitchen.keyboard.press("Space");
  await kitchenCard(kitchen, "completed", o.day_number).waitFor();
  assertClean(kitchen);
  await kitchen.context().close();

  const counter = await staffPage("/staff/counter", { viewport: TABLET });
  await counter.locator(".counter-item", { hasText: "Americano" }).focus();
  await counter.keyboard.press("Enter");
  await counter.locator(".cart-line").waitFor();
  await counter.getByLabel(/Kundens navn|Customer name/).focus();
  await counter.keyboard.type("Tastatur");
  await counter.keyboard.press("Enter");
  await counter.locator("#last-order", { hasText: /Tastatur/ }).waitFor();
  assert.equal(await counter.evaluate(() => document.activeElement.id), "menu-h", "back to the menu for the next order");
  assertClean(counter);
  await counter.context().close();
});

test("another café in pounds: the live total rounds as the server does, and extras stop at their maximum", async () => {
  const CORNER = "/api/v1/cafes/corner";
  const kids = await crema.json("POST", `${CORNER}/options`, { group_id: 5, name: "Kids", price_effect: { kind: "percent", value: 83 } });
  assert.equal(kids.status, 201, JSON.stringify(kids.body));
  const caramel = await crema.json("POST", `${CORNER}/options`, { group_id: 6, name: "Caramel syrup", price_effect: { kind: "fixed", value: 50 } });
  assert.equal(caramel.status, 201, JSON.stringify(caramel.body));
  const page = await staffPage("/staff/counter?cafe=corner", { viewport: PHONE });
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await page.getByRole("button", { name: /^Latte/ }).click();
  const chip = (name) => page.locator(".cart-line .chip", { hasText: new RegExp(`^✓?${name}`) });
  await chip("Kids").click();
  await chip("Extra shot").click();
  await chip("Vanilla syrup").click();
  // Two extras is the most: the third cannot be picked.
  assert.ok(await chip("Caramel syrup").isDisabled());
  await chip("Oat").click();
  // (3.60 + 0.40 + 0.60 + 0.50) × 0.83 = 4.233 → £4.24, rounded up to the penny.
  await page.locator("#total", { hasText: "£4.24" }).waitFor();
  await page.locator("#place").click();
  await page.locator("#last-order", { hasText: "£4.24" }).waitFor();
  const list = await crema.json("GET", `${CORNER}/orders?date=today`);
  const o = list.body.items.at(-1);
  assert.equal(o.total, 424);
  assert.equal(o.channel, "counter");
  await checkA11y(page, "counter in English (phone)");
  assertClean(page);
  await page.context().close();
});

test("someone who works at another café is shown that café at /staff", async () => {
  const cashier = await crema.invite("corner", "corner@example.com", "cashier");
  const page = await newPage(browser, { viewport: PHONE });
  // The login page's default destination is the default café's chooser.
  await signIn(page, crema.url, cashier);
  assert.equal(new URL(page.url()).pathname, "/staff");
  await page.locator("a[href='/staff?cafe=corner']").click();
  await page.locator("a.staff-screen[href='/staff/counter?cafe=corner']").click();
  await live(page);
  await checkA11y(page, "cashier's counter at another café (phone)");
  assertClean(page);
  await page.context().close();
});
