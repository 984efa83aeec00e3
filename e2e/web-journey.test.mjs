// One order end to end, every screen in its own browser context (its own cookies, as on its
// own device): a customer orders on a phone, the kitchen moves it on a tablet, the front desk
// hands it out, and the wall display and the customer's order page follow live throughout.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Crema } from "./harness.mjs";
import { launch, newPage, signIn, shot, assertClean, PHONE, TABLET, WALL } from "./browser.mjs";

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

const NAME = "Journey Kari";

// The numbers in one lane of the display, as shown.
async function lane(display, which) {
  return (await display.locator(`#${which}-list .number`).allTextContents()).map((s) => s.trim());
}

async function eventually(what, fn, ms = 10000) {
  const start = Date.now();
  let last;
  while (Date.now() - start < ms) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out: ${what}${last ? ` (${last.message})` : ""}`);
}

test("an order from a phone, through the kitchen and the front desk, with the display and the order page following live", async () => {
  // The screens that are up before the order exists.
  const display = await newPage(browser, { viewport: WALL });
  await display.goto(crema.url + "/display");
  await display.locator(".conn[data-state=live]").waitFor();
  // A mark that a reload would wipe.
  await display.evaluate(() => (window.journeyMark = 1));

  const kitchen = await newPage(browser, { viewport: TABLET });
  await signIn(kitchen, crema.url, crema.admin, "/staff/kitchen");
  await kitchen.locator(".conn[data-state=live]").waitFor();

  const counter = await newPage(browser, { viewport: TABLET });
  await signIn(counter, crema.url, crema.admin, "/staff/counter");
  await counter.locator(".conn[data-state=live]").waitFor();

  // The customer orders a caffè latte with its default choices on a phone.
  const phone = await newPage(browser, { viewport: PHONE });
  await phone.goto(crema.url + "/");
  await phone.locator("button.item", { hasText: "Caffè latte" }).click();
  await phone.locator("#item-sheet button.add").click();
  await phone.locator("#cart-open").click();
  await phone.locator("#checkout-name").fill(NAME);
  await Promise.all([phone.waitForURL(/\/o\/[0-9a-f-]{36}$/), phone.locator("#place-order").click()]);
  const orderId = new URL(phone.url()).pathname.split("/").pop();
  const number = (await phone.locator(".order-number").textContent()).trim();
  assert.match(number, /^\d+$/);
  await phone.locator(".conn[data-state=live]").waitFor();
  await shot(phone, "journey-1-phone-placed");

  // The server has it exactly once, as the customer sent it.
  const placed = await crema.json("GET", `/api/v1/cafes/kaffediem/orders/${orderId}`);
  assert.equal(placed.status, 200);
  assert.equal(String(placed.body.day_number), number);
  assert.equal(placed.body.customer.name, NAME);
  assert.equal(placed.body.channel, "web");
  const list = await crema.json("GET", "/api/v1/cafes/kaffediem/orders?date=today");
  assert.equal(list.body.items.filter((o) => o.customer?.name === NAME).length, 1, "one order, not two");

  // It appears in the kitchen's first column and on the display's "being made" lane.
  const card = (step) =>
    kitchen.locator(`.kitchen-col[data-step=${step}] .kitchen-card`).filter({
      has: kitchen.locator(".kitchen-num", { hasText: new RegExp(`^${number}$`) }),
    });
  await card("received").waitFor();
  await eventually("the display shows the new order", async () => (await lane(display, "making")).includes(number));

  // The kitchen starts it, then finishes it: one tap each.
  await card("received").locator(".kitchen-bump").click();
  await card("production").waitFor();
  await phone.locator("#order-step", { hasText: /Lages|Being made/ }).waitFor();
  await card("production").locator(".kitchen-bump").click();
  await card("completed").waitFor();
  await shot(kitchen, "journey-2-kitchen");

  // Ready: the customer's page says so loudly, the display moves it to the ready lane.
  await phone.locator("#ready-alert").waitFor({ state: "visible" });
  await shot(phone, "journey-3-phone-ready");
  await eventually("the display shows it ready", async () => {
    return (await lane(display, "ready")).includes(number) && !(await lane(display, "making")).includes(number);
  });
  await shot(display, "journey-4-display-ready");

  // The front desk hands it out with one tap.
  const handOut = counter.locator(".ready-btn", { hasText: number });
  await handOut.waitFor();
  await shot(counter, "journey-5-counter-hand-out");
  await handOut.click();
  await handOut.waitFor({ state: "detached" });
  await phone.locator("#picked-up").waitFor({ state: "visible" });
  await eventually("the display lets it go", async () => !(await lane(display, "ready")).includes(number));
  await card("completed").waitFor({ state: "detached" });

  const done = await crema.json("GET", `/api/v1/cafes/kaffediem/orders/${orderId}/moves`);
  assert.deepEqual(
    done.body.map((m) => m.to),
    ["received", "production", "completed", "dispatched"],
    "placed, then three moves, each once",
  );

  // The public display never showed the name; it followed live, without reloading.
  assert.ok(!(await display.content()).includes(NAME));
  assert.equal(await display.evaluate(() => window.journeyMark), 1, "the display was not reloaded");
  for (const p of [display, kitchen, counter, phone]) {
    assertClean(p);
    await p.context().close();
  }
});
