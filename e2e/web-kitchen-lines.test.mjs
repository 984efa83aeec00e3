// Per-line "done" in the kitchen: a barista taps a line of a card to mark it made and taps
// again to take it back; every kitchen screen shows it struck through, live, and the card's
// main area still moves the order on.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Crema } from "./harness.mjs";
import { launch, newPage, signIn, checkA11y, shot, assertClean, WALL } from "./browser.mjs";

const SLUG = "kaffediem";
const API = `/api/v1/cafes/${SLUG}`;

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

async function kitchen() {
  const page = await newPage(browser, { viewport: WALL });
  await signIn(page, crema.url, crema.admin, "/staff/kitchen");
  await page.locator(".conn[data-state=live]").waitFor();
  return page;
}

const card = (page, step, n) =>
  page.locator(`.kitchen-col[data-step=${step}] .kitchen-card`).filter({ has: page.locator(".kitchen-num", { hasText: new RegExp(`^${n}$`) }) });

test("a line marked on one kitchen screen is struck on the other, and the card still bumps", async () => {
  const menu = (await crema.json("GET", `${API}/menu`)).body;
  const item = (name) => menu.items.find((i) => i.name === name).id;
  const placed = await crema.json("POST", `${API}/orders`, {
    customer_name: "Linje",
    lines: [{ item_id: item("Caffè latte"), quantity: 2 }, { item_id: item("Americano") }],
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const o = placed.body;
  const n = o.day_number;

  const a = await kitchen();
  const b = await kitchen();
  await card(a, "received", n).waitFor();
  await card(b, "received", n).waitFor();

  // Each line is a button of its own with a name that says what a tap does.
  const latteA = card(a, "received", n).getByRole("button", { name: /Caffè latte/ });
  const name = await latteA.evaluate((b) => b.textContent);
  assert.match(name, /(Mark|Merk) 2× Caffè latte/, name);
  assert.equal(await latteA.getAttribute("aria-pressed"), "false");

  await latteA.click();
  // Marked on this screen, and on the other one live.
  await card(a, "received", n).locator(".kitchen-line.done[data-line='0']").waitFor();
  const latteB = card(b, "received", n).locator(".kitchen-line[data-line='0']");
  await card(b, "received", n).locator(".kitchen-line.done[data-line='0']").waitFor();
  assert.equal(await latteB.getAttribute("aria-pressed"), "true");
  assert.match(await latteB.locator(".kitchen-item").evaluate((e) => getComputedStyle(e).textDecorationLine), /line-through/);
  assert.equal(await card(b, "received", n).locator(".kitchen-line.done").count(), 1, "only that line");
  // Stored on the server, and the order did not move.
  const stored = (await crema.json("GET", `${API}/orders/${o.id}`)).body;
  assert.ok(stored.lines[0].done_at, JSON.stringify(stored));
  assert.equal(stored.lines[1].done_at, null);
  assert.equal(stored.step, "received");
  await checkA11y(b, "kitchen with a line made (wall)");
  await shot(b, "kitchen-line-done-wall");

  // The other screen takes it back with a tap; the first sees that.
  await latteB.click();
  await card(a, "received", n).locator(".kitchen-line[data-line='0'][aria-pressed=false]").waitFor();
  await card(b, "received", n).locator(".kitchen-line[data-line='0'][aria-pressed=false]").waitFor();
  assert.equal((await crema.json("GET", `${API}/orders/${o.id}`)).body.lines[0].done_at, null);

  // Mark the Americano, then bump the card from its main area: the mark moves with it.
  await card(a, "received", n).locator(".kitchen-line[data-line='1']").click();
  await card(b, "received", n).locator(".kitchen-line.done[data-line='1']").waitFor();
  await card(b, "received", n).locator(".kitchen-bump").click();
  await card(a, "production", n).locator(".kitchen-line.done[data-line='1']").waitFor();
  await card(b, "production", n).locator(".kitchen-line.done[data-line='1']").waitFor();
  assert.equal((await crema.json("GET", `${API}/orders/${o.id}`)).body.step, "production");

  // From the keyboard: a line button takes Enter as its own tap, B still bumps the selection.
  await a.locator("h1#kitchen-h").click();
  await a.keyboard.press("ArrowDown");
  await a.locator(".kitchen-card.selected").waitFor();
  await a.keyboard.press("b");
  await card(b, "completed", n).waitFor();
  assertClean(a);
  assertClean(b);
  await a.context().close();
  await b.context().close();
});
