// The customer's screens: the menu and checkout on a phone, the order page, the kiosk.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Crema } from "./harness.mjs";
import { launch, newPage, checkA11y, shot, assertClean, PHONE, TABLET, WALL } from "./browser.mjs";

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

const menuItem = (page, name) => page.locator("button.item", { hasText: name });
const option = (page, name) => page.locator("#item-sheet label.cu-opt", { hasText: name }).locator("input");

async function ordersNamed(name) {
  const r = await crema.json("GET", "/api/v1/cafes/kaffediem/orders?date=today");
  return r.body.items.filter((o) => o.customer?.name === name);
}

test("a phone customer builds an order with choices; the live price is the server's total; one order is placed", async () => {
  const page = await newPage(browser, { viewport: PHONE });
  await page.goto(crema.url + "/");
  await page.locator(".conn[data-state=live]").waitFor();
  await checkA11y(page, "menu");
  await shot(page, "customer-phone");

  await menuItem(page, "Caffè latte").click();
  await page.locator("#item-sheet[open]").waitFor();
  await option(page, "Stor").check();
  await option(page, "Havre").check();
  await option(page, "Ekstra shot").check();
  await checkA11y(page, "item sheet");
  await shot(page, "customer-item-sheet-phone");
  const sheetPrice = (await page.locator("#sheet-price").textContent()).trim();
  await page.locator("#item-sheet button.add").click();
  await page.locator("#cart-open").click();
  await page.locator("#cart-sheet[open]").waitFor();
  const shownTotal = (await page.locator("#cart-sheet-total").textContent()).trim();
  assert.equal(shownTotal, sheetPrice);
  await page.locator("#checkout-name").fill("Phone Per");
  await checkA11y(page, "cart");
  await shot(page, "customer-cart-phone");
  // A double tap on checkout places one order.
  await Promise.all([page.waitForURL(/\/o\/[0-9a-f-]{36}$/), page.locator("#place-order").dblclick()]);
  const placed = await ordersNamed("Phone Per");
  assert.equal(placed.length, 1, "exactly one order");
  const o = placed[0];
  assert.equal(o.channel, "web");
  const mods = o.lines[0].modifiers.map((m) => m.option_name).sort();
  assert.deepEqual(mods, ["Ekstra shot", "Havre", "Stor"]);
  // The price the customer saw is the price the server charged (66 kr with rounding, etc.).
  const digits = (s) => s.replace(/[^\d]/g, "");
  assert.equal(digits(shownTotal), String(o.total / 100));

  // The order page follows the order live.
  await page.locator(".conn[data-state=live]").waitFor();
  assert.equal((await page.locator(".order-number").textContent()).trim(), String(o.day_number));
  await checkA11y(page, "order page");
  for (let i = 0; i < 2; i++) {
    const r = await crema.json("POST", `/api/v1/cafes/kaffediem/orders/${o.id}/forward`);
    assert.equal(r.status, 200);
  }
  await page.locator("#ready-alert").waitFor({ state: "visible" });
  await checkA11y(page, "order page ready");
  await shot(page, "order-ready-phone");
  assertClean(page);
  await page.context().close();
});

test("sold out is marked and not orderable; a closed café shows its message and takes no order", async () => {
  const menu = (await crema.json("GET", "/api/v1/cafes/kaffediem/menu")).body;
  const cortado = menu.items.find((i) => i.name === "Cortado");
  const page = await newPage(browser, { viewport: PHONE });
  await page.goto(crema.url + "/");
  await page.locator(".conn[data-state=live]").waitFor();

  // Sold out while the page is open: it shows without a reload.
  const r = await crema.json("PATCH", `/api/v1/cafes/kaffediem/items/${cortado.id}`, { sold_out: true });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await page.locator(".item.off", { hasText: "Cortado" }).waitFor();
  assert.equal(await menuItem(page, "Cortado").count(), 0, "no button to order it");
  await crema.json("PATCH", `/api/v1/cafes/kaffediem/items/${cortado.id}`, { sold_out: false });
  await menuItem(page, "Cortado").waitFor();

  // Closed, live.
  const closed = await crema.json("PATCH", "/api/v1/cafes/kaffediem/status", { open: false });
  assert.equal(closed.status, 200, JSON.stringify(closed.body));
  await page.locator("#notice.cu-closed").waitFor({ state: "visible" });
  await checkA11y(page, "closed");
  await shot(page, "customer-closed-phone");
  // Reloaded while closed: the server renders it closed, with no way to order.
  await page.reload();
  await page.locator("#notice.cu-closed").waitFor({ state: "visible" });
  assert.equal(await menuItem(page, "Americano").count(), 0);
  await crema.json("PATCH", "/api/v1/cafes/kaffediem/status", { open: true });
  await menuItem(page, "Americano").waitFor();
  assertClean(page);
  await page.context().close();
});

test("an answer lost on the way back: the retry reuses the key and places no second order", async () => {
  const page = await newPage(browser, { viewport: PHONE });
  await page.goto(crema.url + "/");
  await page.locator(".conn[data-state=live]").waitFor();
  await menuItem(page, "Americano").click();
  await page.locator("#item-sheet button.add").click();
  await page.locator("#cart-open").click();
  await page.locator("#checkout-name").fill("Lost Lars");
  const keys = [];
  let first = true;
  await page.route("**/api/v1/cafes/kaffediem/orders", async (route) => {
    keys.push(route.request().headers()["idempotency-key"]);
    if (first) {
      // The server places the order, but the answer never reaches the phone.
      first = false;
      await route.fetch();
      await route.abort("connectionreset");
    } else await route.continue();
  });
  await page.locator("#place-order").click();
  await page.locator("#checkout-error").waitFor();
  assert.equal((await ordersNamed("Lost Lars")).length, 1, "the first attempt did place it");
  await Promise.all([page.waitForURL(/\/o\/[0-9a-f-]{36}$/), page.locator("#place-order").click()]);
  assert.equal(keys.length, 2);
  assert.ok(keys[0] && keys[0] === keys[1], "the retry sends the same Idempotency-Key");
  assert.equal((await ordersNamed("Lost Lars")).length, 1, "still exactly one order");
  assertClean(page, ["ERR_CONNECTION_RESET", "Failed to load resource"]);
  await page.context().close();
});

test("the order page of an unknown order is a friendly 404", async () => {
  const page = await newPage(browser, { viewport: PHONE });
  const res = await page.goto(crema.url + "/o/00000000-0000-4000-8000-000000000000");
  assert.equal(res.status(), 404);
  const bad = await page.goto(crema.url + "/o/not-a-uuid");
  assert.equal(bad.status(), 404);
  await checkA11y(page, "order missing");
  await page.context().close();
});

test("the kiosk places an order, shows the number big, and starts over, also when left alone", async () => {
  const page = await newPage(browser, { viewport: TABLET });
  await page.goto(crema.url + "/kiosk?idle=6");
  await page.locator(".conn[data-state=live]").waitFor();
  await checkA11y(page, "kiosk");
  await shot(page, "kiosk-tablet");
  await menuItem(page, "Americano").click();
  await page.locator("#item-sheet button.add").click();
  await page.locator("#cart-open").click();
  await page.locator("#checkout-name").fill("Kiosk Kim");
  await page.locator("#place-order").click();
  await page.locator("#kiosk-done[open]").waitFor();
  const number = (await page.locator("#kiosk-done-number").textContent()).trim();
  const placed = await ordersNamed("Kiosk Kim");
  assert.equal(placed.length, 1);
  assert.equal(number, String(placed[0].day_number));
  await checkA11y(page, "kiosk done");
  await shot(page, "kiosk-done-tablet");
  await page.locator("#kiosk-done-close").click();
  await page.locator("#kiosk-done").waitFor({ state: "hidden" });
  assert.ok(!(await page.content()).includes("Kiosk Kim"), "no personal data left on screen");
  assert.ok(await page.locator("#cartbar").isHidden(), "the cart is empty");

  // Left alone with something in the cart: a warning, then a fresh start.
  await menuItem(page, "Americano").click();
  await page.locator("#item-sheet button.add").click();
  await page.locator("#cartbar").waitFor({ state: "visible" });
  await page.locator("#kiosk-idle[open]").waitFor({ timeout: 15000 });
  await page.locator("#cartbar").waitFor({ state: "hidden", timeout: 15000 });
  assertClean(page);
  await page.context().close();
});

test("the kiosk starts over in the café's language after a customer picked another", async () => {
  const page = await newPage(browser, { viewport: TABLET });
  await page.goto(crema.url + "/kiosk?idle=6");
  await page.locator(".conn[data-state=live]").waitFor();
  const home = await page.locator("html").getAttribute("lang");
  const other = home === "en" ? "nb" : "en";
  await page.locator(`form.lang button[value=${other}]`).click();
  await page.locator(`html[lang=${other}]`).waitFor();
  await page.locator(".conn[data-state=live]").waitFor();
  // Left alone: the warning, then the café's own language again, with no cookie left.
  await page.locator("#kiosk-idle[open]").waitFor({ timeout: 15000 });
  await page.locator(`html[lang=${home}]`).waitFor({ timeout: 15000 });
  const cookies = await page.context().cookies();
  assert.ok(!cookies.some((c) => c.name === "crema_lang"), JSON.stringify(cookies));
  assertClean(page);
  await page.context().close();
});

test("a required choice without a default must be made before the item is added", async () => {
  const menu = (await crema.json("GET", "/api/v1/cafes/kaffediem/menu")).body;
  const te = menu.categories.find((c) => c.name === "Te");
  const g = await crema.json("POST", "/api/v1/cafes/kaffediem/modifier-groups", {
    name: "Temperatur",
    mode: "single",
    required: true,
  });
  assert.equal(g.status, 201, JSON.stringify(g.body));
  for (const name of ["Varm", "Kald"]) {
    const o = await crema.json("POST", "/api/v1/cafes/kaffediem/options", {
      group_id: g.body.id,
      name,
      price_effect: { kind: "fixed", value: 0 },
    });
    assert.equal(o.status, 201, JSON.stringify(o.body));
  }
  const c = await crema.json("PATCH", `/api/v1/cafes/kaffediem/categories/${te.id}`, {
    allowed_groups: [...te.allowed_groups, g.body.id],
  });
  assert.equal(c.status, 200, JSON.stringify(c.body));

  const page = await newPage(browser, { viewport: TABLET });
  await page.goto(crema.url + "/");
  await page.locator(".conn[data-state=live]").waitFor();
  await menuItem(page, "Chai latte").click();
  await page.locator("#item-sheet[open]").waitFor();
  await page.locator("#item-sheet button.add").click();
  // Still open, the group is marked and says what is missing; nothing went into the cart.
  const group = page.locator("#item-sheet fieldset.cu-invalid", { hasText: "Temperatur" });
  await group.waitFor();
  assert.match(await group.locator(".cu-field-error").textContent(), /Temperatur/);
  assert.ok(await page.locator("#cartbar").isHidden());
  await checkA11y(page, "item sheet with an error");
  await shot(page, "customer-required-tablet");
  await option(page, "Kald").check();
  await page.locator("#item-sheet fieldset.cu-invalid").waitFor({ state: "detached" });
  await page.locator("#item-sheet button.add").click();
  await page.locator("#cartbar").waitFor({ state: "visible" });
  assert.match(await page.locator("#cart-count").textContent(), /1/);

  // The cart survives a reload (kept per café on this device).
  await page.reload();
  await page.locator("#cartbar").waitFor({ state: "visible" });
  await page.locator("#cart-open").click();
  await page.locator("#cart-sheet[open]").waitFor();
  assert.match(await page.locator("#cart-sheet .cu-cl-mods").textContent(), /Kald/);
  await checkA11y(page, "cart tablet");
  // An item sold out meanwhile: the line says so, and checkout names it.
  const chai = menu.items.find((i) => i.name === "Chai latte");
  await crema.json("PATCH", `/api/v1/cafes/kaffediem/items/${chai.id}`, { sold_out: true });
  await page.locator("#cart-sheet .cu-cart-line.cu-invalid").waitFor();
  assert.match(await page.locator("#cart-sheet .cu-cart-line .cu-field-error").textContent(), /Chai latte/);
  await page.locator("#checkout-name").fill("Tablet Tove");
  await page.locator("#place-order").click();
  await page.locator("#checkout-error").waitFor();
  assert.equal((await ordersNamed("Tablet Tove")).length, 0, "nothing placed");
  await crema.json("PATCH", `/api/v1/cafes/kaffediem/items/${chai.id}`, { sold_out: false });
  assertClean(page);
  await page.context().close();
});

test("the order page at wall size, and its workflow decisions", async () => {
  const order = await crema.placeOrder();
  const page = await newPage(browser, { viewport: WALL });
  await page.goto(`${crema.url}/o/${order.id}`);
  await page.locator(".conn[data-state=live]").waitFor();
  assert.equal(await page.locator("li.cu-step[aria-current=step]").getAttribute("data-step"), "received");
  await checkA11y(page, "order wall");
  await shot(page, "order-wall");
  // Forward to the last step: "picked up", the ready alert gone again.
  for (let i = 0; i < 3; i++) await crema.json("POST", `/api/v1/cafes/kaffediem/orders/${order.id}/forward`);
  await page.locator("#picked-up").waitFor({ state: "visible" });
  assert.ok(await page.locator("#ready-alert").isHidden());
  assert.equal(await page.locator("li.cu-step[aria-current=step]").getAttribute("data-step"), "dispatched");
  assertClean(page);
  await page.context().close();
});

test("the menu at wall size passes axe", async () => {
  const page = await newPage(browser, { viewport: WALL });
  await page.goto(crema.url + "/?cafe=corner");
  await page.locator(".conn[data-state=live]").waitFor();
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await checkA11y(page, "menu wall");
  await shot(page, "customer-wall");
  await menuItem(page, "Latte").click();
  await page.locator("#item-sheet[open]").waitFor();
  await checkA11y(page, "item sheet wall");
  await shot(page, "customer-item-sheet-wall");
  await page.context().close();
});
