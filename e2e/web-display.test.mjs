// The public display (/display): live lanes, the message and closed overlay, nothing personal,
// and catching up after a lost connection without a reload (also for the kitchen screen).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { Crema } from "./harness.mjs";
import { launch, newPage, signIn, checkA11y, shot, assertClean, CutProxy, PHONE, WALL } from "./browser.mjs";

const SLUG = "kaffediem";
const API = `/api/v1/cafes/${SLUG}`;
const NAMES = ["Ingrid Østby", "Magnus Hansen", "Sigrid Lie", "Tobias Berg"];

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

let keyCounter = 0;
/** Places an order with a customer's name, as a customer's phone would (with a key). */
async function place(name = NAMES[keyCounter % NAMES.length]) {
  const r = await crema.json(
    "POST",
    `${API}/orders`,
    { customer_name: name, lines: [{ item_id: 1, quantity: 1 }] },
    { "Idempotency-Key": `display-test-${process.pid}-${++keyCounter}` },
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function forward(order, times = 1) {
  let r;
  for (let i = 0; i < times; i++) {
    r = await crema.json("POST", `${API}/orders/${order.id}/forward`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  return r.body;
}

/** Today's orders, from the server. */
async function todaysOrders() {
  const all = [];
  let after = null;
  for (;;) {
    const q = `date=today&limit=200${after ? `&after=${after}` : ""}`;
    const r = await crema.json("GET", `${API}/orders?${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    all.push(...r.body.items);
    if (!r.body.next_after) break;
    after = r.body.next_after;
  }
  return all;
}

const numbersWhere = (orders, pred) => orders.filter(pred).map((o) => o.day_number).sort((a, b) => a - b);

/** What the board should show, from the server's own list of today's orders. */
async function expectedLanes() {
  const wf = (await crema.json("GET", `${API}`)).body.workflow;
  const making = new Set(wf.slice(0, -2));
  const ready = wf[wf.length - 2];
  const all = await todaysOrders();
  return { making: numbersWhere(all, (o) => making.has(o.step)), ready: numbersWhere(all, (o) => o.step === ready) };
}

/** What the kitchen should show: every step but the last, a column each. */
async function expectedKitchen() {
  const wf = (await crema.json("GET", `${API}`)).body.workflow;
  const all = await todaysOrders();
  return Object.fromEntries(wf.slice(0, -1).map((step) => [step, numbersWhere(all, (o) => o.step === step)]));
}

/** The numbers a lane shows, read from the page's text (the "+N" tile is not a number). */
async function lanes(page) {
  return page.evaluate(() => {
    const read = (id) =>
      [...document.querySelectorAll(`#${id} .number:not(.more)`)].map((n) => Number(n.textContent.trim())).sort((a, b) => a - b);
    return { making: read("making-list"), ready: read("ready-list") };
  });
}

async function waitFor(fn, what, ms = 20000) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last === true || last?.ok) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last?.detail ?? last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitLanes(page, expected, what = "the lanes") {
  return waitFor(async () => {
    const got = await lanes(page);
    return { ok: JSON.stringify(got) === JSON.stringify(expected), detail: { got, expected } };
  }, what);
}

async function waitLive(page) {
  await page.locator(".conn[data-state=live]").waitFor({ timeout: 15000 });
}

/** Records every state the connection indicator shows, from now on. */
async function recordConn(page) {
  await page.evaluate(() => {
    const node = document.querySelector(".conn");
    window.__connStates = [node.dataset.state];
    new MutationObserver(() => window.__connStates.push(node.dataset.state)).observe(node, { attributes: true, attributeFilter: ["data-state"] });
  });
}

async function clearBoard() {
  // Every order of today off the board (dispatched), so each test starts from an empty one.
  const { making, ready } = await expectedLanes();
  if (!making.length && !ready.length) return;
  const r = await crema.json("GET", `${API}/orders?date=today&limit=200`);
  for (const o of r.body.items) {
    if (o.step === "dispatched" || o.step === "cancelled") continue;
    let step = o.step;
    while (step !== "dispatched") {
      const f = await crema.json("POST", `${API}/orders/${o.id}/forward`);
      assert.equal(f.status, 200, JSON.stringify(f.body));
      step = f.body.step;
    }
  }
}

test("orders placed and moved through the API show live in the right lanes, with no names", async () => {
  await clearBoard();
  const page = await newPage(browser, { viewport: WALL });
  const a = await place(NAMES[0]);
  // Rendered by the server with the board: the first view is not empty.
  const html = await (await page.request.get(`${crema.url}/display`)).text();
  assert.match(html, new RegExp(`id="making-list">\\s*<li class="number num">${a.day_number}</li>`));

  await page.goto(`${crema.url}/display`);
  await waitLive(page);
  await waitLanes(page, { making: [a.day_number], ready: [] });

  const b = await place(NAMES[1]);
  const c = await place(NAMES[2]);
  await waitLanes(page, { making: [a.day_number, b.day_number, c.day_number], ready: [] }, "new orders in 'being made'");
  assert.equal(await page.locator("#making-count").textContent(), "3");

  await forward(a); // production: still being made
  await forward(b, 2); // completed: ready
  await waitLanes(page, { making: [a.day_number, c.day_number], ready: [b.day_number] }, "b ready");
  const tile = page.locator("#ready-list .number", { hasText: String(b.day_number) });
  assert.ok(await tile.evaluate((n) => n.classList.contains("fresh")), "a newly ready number is highlighted");
  assert.equal(await page.locator("#ready-count").textContent(), "1");
  assert.match(await page.locator("#display-announce").textContent(), new RegExp(String(b.day_number)));
  await checkA11y(page, "display wall");
  await shot(page, "display-wall");

  await forward(b); // dispatched: picked up, gone
  await waitLanes(page, { making: [a.day_number, c.day_number], ready: [] }, "b picked up");
  await forward(c, 2);
  await waitLanes(page, { making: [a.day_number], ready: [c.day_number] }, "c ready");

  // Nothing personal anywhere on the page: not in its text, not in its HTML or boot data.
  const text = await page.evaluate(() => document.body.innerText);
  const source = await page.content();
  for (const name of NAMES) {
    assert.ok(!text.includes(name), `the display shows ${name}`);
    assert.ok(!source.includes(name), `the display's HTML holds ${name}`);
  }
  assertClean(page);
  await page.context().close();
});

test("the message and the closed overlay follow the status live, as Kaffediem shows them", async () => {
  const page = await newPage(browser, { viewport: WALL });
  await page.goto(`${crema.url}/display`);
  await waitLive(page);
  const overlay = page.locator("#display-overlay");
  const headline = page.locator("#overlay-headline");
  const detail = page.locator("#overlay-detail");
  assert.ok(await overlay.isHidden(), "open with no message: no overlay");

  const m = await crema.json("POST", `${API}/messages`, { title: "Vafler i dag", subtitle: "Fra klokka 12" });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  const id = m.body.id;
  let r = await crema.json("PATCH", `${API}/status`, { open: true, show_message: true, message_id: id });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // Open with a message: the bottom half, title large, subtitle below.
  await overlay.waitFor({ state: "visible" });
  await waitFor(async () => (await headline.textContent()) === "Vafler i dag", "the title");
  assert.equal(await detail.textContent(), "Fra klokka 12");
  assert.ok(!(await overlay.evaluate((n) => n.classList.contains("closed"))));
  const box = await overlay.boundingBox();
  assert.ok(box.y > WALL.height / 3 && box.height < WALL.height * 0.6, `the message takes the bottom half: ${JSON.stringify(box)}`);
  await checkA11y(page, "display with a message");
  await shot(page, "display-message-wall");

  // Only a subtitle: it becomes the large line.
  r = await crema.json("PATCH", `${API}/messages/${id}`, { title: "" });
  assert.equal(r.status, 200);
  await waitFor(async () => (await headline.textContent()) === "Fra klokka 12", "the subtitle as the headline");
  assert.ok(await detail.isHidden());

  // Not shown while open.
  await crema.json("PATCH", `${API}/status`, { show_message: false });
  await overlay.waitFor({ state: "hidden" });

  // Closed with an empty board: the whole screen, with the selected message even though
  // show_message is off (with numbers on the board the lanes stay: web-screens.test.mjs).
  await clearBoard();
  await crema.json("PATCH", `${API}/messages/${id}`, { title: "Stengt for i dag" });
  await crema.json("PATCH", `${API}/status`, { open: false });
  await overlay.waitFor({ state: "visible" });
  await waitFor(async () => (await headline.textContent()) === "Stengt for i dag", "the closed message");
  assert.equal(await detail.textContent(), "Fra klokka 12");
  const full = await overlay.boundingBox();
  const main = await page.locator("main").boundingBox();
  assert.ok(full.height >= main.height * 0.9 && full.width >= main.width * 0.9, "closed covers the screen");
  await checkA11y(page, "display closed (wall)");
  await shot(page, "display-closed-wall");

  // Closed with no message still says so; the server renders the same on a fresh load.
  await crema.json("PATCH", `${API}/status`, { message_id: null });
  await waitFor(async () => (await headline.textContent()) === "Vi har stengt", "the closed fallback");
  const html = await (await page.request.get(`${crema.url}/display`)).text();
  assert.match(html, /class="display-overlay closed full" id="display-overlay"[^>]*>\s*<p class="overlay-kicker" id="overlay-kicker" hidden>[^<]*<\/p>\s*<p class="overlay-headline" id="overlay-headline">Vi har stengt</);

  const phone = await newPage(browser, { viewport: PHONE });
  await phone.goto(`${crema.url}/display`);
  await waitLive(phone);
  assert.ok(await phone.locator("#display-overlay").isVisible());
  await checkA11y(phone, "display closed (phone)");
  await shot(phone, "display-closed-phone");
  assertClean(phone);
  await phone.context().close();

  // Open again: the overlay goes.
  await crema.json("PATCH", `${API}/status`, { open: true, show_message: false });
  await overlay.waitFor({ state: "hidden" });
  await crema.json("DELETE", `${API}/messages/${id}`);
  assertClean(page);
  await page.context().close();
});

test("on a phone the lanes stack, ready first, and what does not fit becomes +N", async () => {
  await clearBoard();
  const page = await newPage(browser, { viewport: PHONE });
  await page.goto(`${crema.url}/display`);
  await waitLive(page);
  const placed = [];
  for (let i = 0; i < 45; i++) placed.push(await place(`Kunde ${i}`));
  await forward(placed[0], 2);
  await waitFor(async () => (await page.locator("#making-count").textContent()) === "44", "the count of 44");
  const ready = await page.locator(".lane-ready").boundingBox();
  const making = await page.locator(".lane-making").boundingBox();
  assert.ok(ready.y + ready.height <= making.y + 1, "ready above being made");
  // More than fit: the newest show, the rest are counted in a "+N" tile.
  const more = page.locator("#making-list .number.more");
  await more.waitFor();
  const n = Number((await more.locator("[aria-hidden]").textContent()).replace("+", ""));
  const shown = (await lanes(page)).making;
  assert.equal(shown.length + n, 44, "shown + hidden = all");
  assert.ok(shown.includes(placed[44].day_number), "the newest is shown");
  assert.ok(!shown.includes(placed[1].day_number), "the oldest is the one left out");
  // Nothing is cut off: every tile is inside its lane.
  const list = await page.locator("#making-list").boundingBox();
  const last = await page.locator("#making-list .number").last().boundingBox();
  assert.ok(last.y + last.height <= list.y + list.height + 1, "the last tile is visible");
  await checkA11y(page, "display phone");
  await shot(page, "display-phone");
  assertClean(page);
  await page.context().close();
  await clearBoard();
});

/**
 * Opens `path` through a proxy, cuts the connection, changes orders on the server directly,
 * restores it, and checks that `read(page)` converges to the server's truth without a reload
 * and that the indicator went offline and back to live.
 */
async function catchUp({ path, signInFirst, read, expected, name }) {
  await clearBoard();
  const proxy = new CutProxy(crema.port);
  await proxy.start();
  const page = await newPage(browser, { viewport: WALL });
  try {
    if (signInFirst) await signIn(page, proxy.url, crema.admin, path);
    else await page.goto(proxy.url + path);
    await waitLive(page);
    const before1 = await place();
    const before2 = await place();
    await forward(before2);
    await waitFor(async () => {
      const got = await read(page);
      const want = await expected();
      return { ok: JSON.stringify(got) === JSON.stringify(want), detail: { got, want } };
    }, `${name}: the first orders`);
    await recordConn(page);
    await page.evaluate(() => {
      window.__sameDocument = true;
    });

    proxy.cut();
    await page.locator(".conn[data-state=offline]").waitFor({ timeout: 40000 });
    // While the screen is cut off: new orders, moves, a pickup.
    const c1 = await place();
    const c2 = await place();
    const c3 = await place();
    await forward(before1, 2); // ready
    await forward(before2); // ready (it was in production)…
    await forward(before2); // …and picked up
    await forward(c1, 2); // ready
    await forward(c2); // production
    const want = await expected();
    const lanesNow = await expectedLanes();
    assert.deepEqual(lanesNow.ready, [before1.day_number, c1.day_number].sort((a, b) => a - b));
    assert.ok(lanesNow.making.includes(c3.day_number));
    // The screen has not seen any of it.
    const stale = await read(page);
    assert.notDeepEqual(stale, want);

    proxy.restore();
    await waitFor(async () => {
      const got = await read(page);
      return { ok: JSON.stringify(got) === JSON.stringify(want), detail: { got, want } };
    }, `${name}: converging after the cut`, 40000);
    await waitLive(page);
    const states = await page.evaluate(() => window.__connStates);
    const off = states.indexOf("offline");
    assert.ok(off >= 0, `went offline: ${states}`);
    assert.equal(states[states.length - 1], "live", `back to live: ${states}`);
    // No reload: the same document, one navigation.
    assert.equal(await page.evaluate(() => window.__sameDocument), true);
    assert.equal(await page.evaluate(() => performance.getEntriesByType("navigation").length), 1);
    // And it stays live: a change after the restore arrives too.
    const after1 = await place();
    const want2 = await expected();
    assert.ok((await expectedLanes()).making.includes(after1.day_number));
    await waitFor(async () => {
      const got = await read(page);
      return { ok: JSON.stringify(got) === JSON.stringify(want2), detail: { got, want2 } };
    }, `${name}: live after the catch-up`);
    // A cut drops connections mid-flight: those failures are the point of the test.
    assertClean(page, ["WebSocket", "net::ERR", "Failed to load resource"]);
  } finally {
    await page.context().close();
    await proxy.close();
  }
}

test("the display catches up after the network comes back, without a reload", async () => {
  await catchUp({ path: "/display", signInFirst: false, read: lanes, expected: expectedLanes, name: "display" });
});


test("the kitchen screen catches up after the network comes back, without a reload", async (t) => {
  if (!existsSync(new URL("../crates/crema-server/web/assets/js/kitchen.js", import.meta.url))) {
    t.skip("the kitchen screen is not built yet");
    return;
  }
  // The kitchen's columns are read from the page's text: the day numbers on its cards, per
  // column, against the server's list of today's orders.
  await catchUp({ path: "/staff/kitchen", signInFirst: true, read: kitchenNumbers, expected: expectedKitchen, name: "kitchen" });
});

/** The day numbers the kitchen screen shows in each column (named by its step), read from the
 *  numbers' text on the cards. */
async function kitchenNumbers(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("#kitchen section")].map((col) => [
        col.dataset.step,
        [...col.querySelectorAll(".kitchen-num")].map((n) => Number(n.textContent.trim())).sort((a, b) => a - b),
      ]),
    ),
  );
}
