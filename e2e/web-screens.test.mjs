// The screens a café uses on a rush, at the sizes they run at: regression tests for the
// defects of issue 14 (a "null" above the message, hidden ready numbers, a closed display that
// hid what was still being made, prices that were not what was charged, a front desk whose
// Send and hand-out list left the screen, a kitchen that scrolled, a silent kitchen, raw codes
// in admin, a device key nowhere to type, JSON for a lost browser) and for what the screens
// gained: the kitchen's keyboard map and card ages, the desk's search and recall, the kiosk's
// attract screen and pictures, pairing a screen by its code.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { Crema } from "./harness.mjs";
import { launch, newPage, signIn, checkA11y, shot, assertClean, CHROMIUM, SCREENSHOTS, PHONE, WALL } from "./browser.mjs";

const SLUG = "kaffediem";
const API = `/api/v1/cafes/${SLUG}`;
/** The tablet of the trial: the front desk's usual screen. */
const TABLET_4_3 = { width: 1024, height: 768 };
const DOCS = new URL("../docs/screenshots/", import.meta.url).pathname;

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

/** A screenshot for the docs: taken into e2e/screenshots and copied to docs/screenshots. */
async function docShot(page, name) {
  await shot(page, name);
  mkdirSync(DOCS, { recursive: true });
  copyFileSync(`${SCREENSHOTS}${name}.png`, `${DOCS}${name}.png`);
}

// Sign-ins are limited to five a minute per account, and this file opens more admin pages
// than that within a minute: the admin signs in through the form once, and later pages reuse
// that session's cookie (in any browser).
let adminCookies = null;
async function asAdmin(page, path) {
  if (adminCookies) {
    await page.context().addCookies(adminCookies);
    await page.goto(crema.url + path);
  } else {
    await signIn(page, crema.url, crema.admin, path);
    adminCookies = await page.context().cookies();
  }
  assert.equal(new URL(page.url()).pathname, path.split("?")[0], "signed in as the admin");
}

let keys = 0;
async function place(itemName = "Americano", name = "Kunde") {
  const menu = (await crema.json("GET", `${API}/menu`)).body;
  const item = menu.items.find((i) => i.name === itemName);
  const r = await crema.json("POST", `${API}/orders`, { customer_name: name, lines: [{ item_id: item.id, quantity: 1 }] }, { "Idempotency-Key": `screens-${process.pid}-${++keys}` });
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

/** Takes every open order of today off the board (to the last step). */
async function clearBoard() {
  const wf = (await crema.json("GET", API)).body.workflow;
  const r = await crema.json("GET", `${API}/orders?date=today&limit=200`);
  for (const o of r.body.items) {
    let at = wf.indexOf(o.step);
    if (at < 0) continue;
    while (at < wf.length - 1) {
      await crema.json("POST", `${API}/orders/${o.id}/forward`);
      at++;
    }
  }
}

async function setStatus(patch) {
  const r = await crema.json("PATCH", `${API}/status`, patch);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function message(title, subtitle) {
  const r = await crema.json("POST", `${API}/messages`, { title, subtitle });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

const inViewport = (box, vp) => box && box.y >= 0 && box.y + box.height <= vp.height + 1 && box.x >= 0 && box.x + box.width <= vp.width + 1;

// ---- Defect 1: "null" above the café's message -------------------------------------------

test("the menu and the kiosk show the café's message without a 'null' line", async () => {
  const id = await message("Vafler i dag", null);
  await setStatus({ open: true, show_message: true, message_id: id });
  for (const [path, viewport] of [["/", PHONE], ["/kiosk", TABLET_4_3]]) {
    const page = await newPage(browser, { viewport });
    await page.goto(crema.url + path);
    await page.locator(".conn[data-state=live]").waitFor({ state: "attached" });
    const notice = page.locator("#notice");
    await notice.waitFor();
    // Let the live status redraw the notice (that redraw put the "null" there).
    await page.waitForFunction(() => window.performance.now() > 500);
    const text = (await notice.innerText()).trim();
    assert.equal(text, "Vafler i dag", `${path}: ${JSON.stringify(text)}`);
    assert.ok(!(await page.locator("main").innerText()).includes("null"), `${path} shows "null"`);
    assertClean(page);
    await page.context().close();
  }
  await setStatus({ show_message: false, message_id: null });
  await crema.json("DELETE", `${API}/messages/${id}`);
});

// ---- Defect 4: the price shown is the price charged --------------------------------------

test("a price that rounds shows as charged on the menu, in the sheet and at the desk; sizes in kroner; admin warns", async () => {
  const menu = (await crema.json("GET", `${API}/menu`)).body;
  const kaffe = menu.categories.find((c) => c.name === "Kaffe");
  const r = await crema.json("POST", `${API}/items`, { category_id: kaffe.id, name: "Mokka", price: 6250 });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const item = r.body;

  const page = await newPage(browser, { viewport: PHONE });
  await page.goto(crema.url + "/");
  const tile = page.locator("button.item", { hasText: "Mokka" });
  // The server's first render and the script's redraw both say 63 kr (Medium is 100 %).
  await page.locator(".conn[data-state=live]").waitFor({ state: "attached" });
  assert.match(await tile.locator(".cu-item-price").innerText(), /^63\s*kr$/);
  await tile.click();
  const sheet = page.locator("#item-sheet");
  await sheet.locator("#sheet-price").waitFor();
  assert.match(await sheet.locator("#sheet-price").innerText(), /^63\s*kr$/);
  assert.match(await sheet.locator(".cu-sheet-base").innerText(), /^63\s*kr$/);
  // Sizes as the price in kroner, not as a percentage.
  const sizes = await sheet.locator("label.cu-opt", { hasText: /Liten|Medium|Stor/ }).allInnerTexts();
  assert.equal(sizes.length, 3, JSON.stringify(sizes));
  for (const s of sizes) assert.ok(!s.includes("%"), `a size in percent: ${s}`);
  assert.match(sizes.find((s) => s.includes("Liten")), /50\s*kr/);
  assert.match(sizes.find((s) => s.includes("Stor")), /75\s*kr/);
  // Extras show what they add, rounded as charged.
  assert.match(await sheet.locator("label.cu-opt", { hasText: "Ekstra shot" }).innerText(), /\+10\s*kr/);
  await checkA11y(page, "item sheet with prices in kroner");
  await sheet.locator("button.add").click();
  await page.locator("#cart-open").click();
  await page.locator("#checkout-name").fill("Mokka Mia");
  await page.locator("#place-order").click();
  await page.waitForURL(/\/o\//);
  const orders = (await crema.json("GET", `${API}/orders?date=today&limit=200`)).body.items;
  const placed = orders.find((o) => o.customer?.name === "Mokka Mia");
  assert.equal(placed.total, 6300, "charged what was shown");
  assertClean(page);
  await page.context().close();

  // The desk shows the same price on the tile, and sizes in kroner.
  const desk = await newPage(browser, { viewport: TABLET_4_3 });
  await asAdmin(desk, "/staff/counter");
  const deskTile = desk.locator(".counter-item", { hasText: "Mokka" });
  assert.match(await deskTile.locator(".counter-item-price").innerText(), /^63\s*kr$/);
  await deskTile.click();
  const chips = await desk.locator(".chip", { hasText: /Liten|Stor/ }).allInnerTexts();
  for (const c of chips) assert.ok(!c.includes("%"), `a size chip in percent: ${c}`);
  assertClean(desk);

  // Admin warns while the price is typed.
  await desk.goto(`${crema.url}/admin`);
  await desk.getByRole("button", { name: "Endre Mokka" }).click();
  const price = desk.locator("dialog[open] [data-field=price] input");
  await price.fill("62,50");
  const warn = desk.locator("dialog[open] [data-field=price] .adm-warn");
  await warn.waitFor();
  assert.match(await warn.innerText(), /63\s*kr/);
  await price.fill("63");
  await warn.waitFor({ state: "hidden" });
  await checkA11y(desk, "admin item dialog with the rounding warning");
  await desk.context().close();
  await crema.json("DELETE", `${API}/items/${item.id}`);
});

// ---- Defects 2 and 3: the display ---------------------------------------------------------

test("the wall display never hides a ready number while the message can shrink, oldest first", async () => {
  await clearBoard();
  const id = await message("Vafler i dag", "Fra klokka 12");
  await setStatus({ open: true, show_message: true, message_id: id });
  const page = await newPage(browser, { viewport: WALL });
  await page.goto(`${crema.url}/display`);
  await page.locator(".conn[data-state=live]").waitFor();
  const ready = [];
  for (let i = 0; i < 24; i++) ready.push(await forward(await place(), 2));
  await place();
  await place();
  await page.waitForFunction((n) => document.getElementById("ready-count").textContent === String(n), ready.length, { timeout: 20000 });
  await page.waitForFunction((n) => document.querySelectorAll("#ready-list .number:not(.more)").length === n, ready.length, { timeout: 10000 });
  assert.equal(await page.locator("#ready-list .more").count(), 0, "no ready number is folded into +N");
  // Oldest first: in the order they became ready.
  const shown = (await page.locator("#ready-list .number").allInnerTexts()).map((s) => Number(s.trim()));
  assert.deepEqual(shown, ready.map((o) => o.day_number));
  // Every tile is inside its lane, and the message is still there as a strip.
  const list = await page.locator("#ready-list").boundingBox();
  const last = await page.locator("#ready-list .number").last().boundingBox();
  assert.ok(last.y + last.height <= list.y + list.height + 1, "the last ready number is visible");
  assert.ok(await page.locator("#display.message-strip").count(), "the message shrank to a strip");
  assert.ok(await page.locator("#display-overlay").isVisible());
  assert.equal((await page.locator("#overlay-headline").innerText()).trim(), "Vafler i dag");
  await checkA11y(page, "display with many ready numbers and a message");
  await docShot(page, "display-wall");

  // Closed with the message: "Stengt" said plainly, and the numbers being made stay.
  await setStatus({ open: false });
  await page.locator("#overlay-kicker").waitFor();
  assert.equal((await page.locator("#overlay-kicker").innerText()).trim().toLowerCase(), "stengt");
  assert.equal((await page.locator("#overlay-headline").innerText()).trim(), "Vafler i dag");
  assert.ok(await page.locator("#making-list .number").first().isVisible(), "being made stays visible when closed");
  assert.ok(await page.locator("#ready-list .number").first().isVisible(), "ready stays visible when closed");
  await checkA11y(page, "display closed with numbers on the board");
  await docShot(page, "display-closed-wall");
  // The server renders the same on a fresh load.
  const html = await (await page.request.get(`${crema.url}/display`)).text();
  assert.match(html, /id="overlay-kicker">Stengt</);
  assertClean(page);
  await page.context().close();
  await setStatus({ open: true, show_message: false, message_id: null });
  await crema.json("DELETE", `${API}/messages/${id}`);
  await clearBoard();
});

test("the display chimes for a new ready number only when asked to (?sound=1)", async () => {
  await clearBoard();
  const loud = await newPage(browser, { viewport: WALL });
  await loud.goto(`${crema.url}/display?sound=1`);
  const quiet = await newPage(browser, { viewport: WALL });
  await quiet.goto(`${crema.url}/display`);
  for (const p of [loud, quiet]) await p.locator(".conn[data-state=live]").waitFor();
  const o = await forward(await place(), 2);
  for (const p of [loud, quiet]) await p.locator("#ready-list .number", { hasText: String(o.day_number) }).waitFor();
  await loud.waitForFunction(() => Number(document.documentElement.dataset.chimes || 0) === 1);
  assert.equal(await quiet.evaluate(() => document.documentElement.dataset.chimes ?? null), null, "silent by default");
  for (const p of [loud, quiet]) {
    assertClean(p);
    await p.context().close();
  }
  await clearBoard();
});

// ---- Defect 5 and the desk's layout, search and recall ------------------------------------

test("the front desk at 1024×768 keeps Send and the orders to hand out on screen; search and recall", async () => {
  await clearBoard();
  const waiting = await forward(await place("Bolle", "Ola Nordmann"), 2);
  const page = await newPage(browser, { viewport: TABLET_4_3 });
  await asAdmin(page, "/staff/counter");
  await page.locator(".conn[data-state=live]").waitFor();
  const readyBtn = page.locator(".ready-btn", { hasText: String(waiting.day_number) });
  await readyBtn.waitFor();
  assert.ok(inViewport(await page.locator(".counter-ready").boundingBox(), TABLET_4_3), "the hand-out list is on screen");
  assert.ok(inViewport(await readyBtn.boundingBox(), TABLET_4_3), "the order to hand out is on screen");

  // A drink with its choices open, and then a few more lines: Send stays on screen.
  for (const name of ["Caffè latte", "Cappuccino", "Flat white", "Caffè latte"]) await page.locator(".counter-item", { hasText: name }).click();
  await page.locator(".chip[aria-pressed]").first().waitFor();
  assert.ok(inViewport(await page.locator("#place").boundingBox(), TABLET_4_3), "Send is on screen with choices open");
  assert.equal(await page.evaluate(() => document.scrollingElement.scrollHeight <= window.innerHeight + 1), true, "the page itself does not scroll");
  // Names break between words, never inside one.
  for (const name of ["Cappuccino", "Sjokoladekake"]) {
    const node = page.locator(".counter-item-name", { hasText: name });
    const lines = await node.evaluate((n) => Math.round(n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight)));
    assert.equal(lines, 1, `${name} on one line`);
  }
  await checkA11y(page, "front desk at 1024×768");
  await docShot(page, "counter-tablet");
  await page.locator("#clear").click();

  // Type to search: letters typed anywhere go to the search box; Enter adds the first found.
  await page.locator("h2#menu-h").click();
  await page.keyboard.type("flat");
  assert.equal(await page.locator("#menu-search").inputValue(), "flat");
  const visible = await page.locator(".counter-item .counter-item-name").allInnerTexts();
  assert.deepEqual(visible, ["Flat white"]);
  await page.keyboard.press("Enter");
  await page.locator("#cart-lines li", { hasText: "Flat white" }).waitFor();
  assert.equal(await page.locator("#menu-search").inputValue(), "");
  await page.locator("#menu-search").fill("zzz");
  await page.locator("#search-empty", { hasText: "zzz" }).waitFor();
  await page.locator("#menu-search").fill("");
  await page.locator("#clear").click();

  // Hand out, then bring it back from the recall list.
  await readyBtn.click();
  await readyBtn.waitFor({ state: "detached" });
  await page.locator("#recall-open").click();
  const row = page.locator("#recall-list li", { hasText: String(waiting.day_number) });
  await row.waitFor();
  await checkA11y(page, "front desk recall list");
  await row.locator("button").click();
  await page.locator(".ready-btn", { hasText: String(waiting.day_number) }).waitFor();
  const back = (await crema.json("GET", `${API}/orders/${waiting.id}`)).body;
  assert.equal(back.step, waiting.step, "back at the ready step");
  await page.locator("#recall-close").click();
  assertClean(page);
  await page.context().close();
  await clearBoard();
});

// ---- Defects 6 and 7, the kitchen's cards and keys ---------------------------------------

test("the kitchen fits 1080p with 20 orders, shows source and time, and works from the keyboard", async () => {
  await clearBoard();
  const placed = [];
  for (let i = 0; i < 20; i++) placed.push(await place(i % 2 ? "Caffè latte" : "Cappuccino", `Gjest ${i}`));
  const page = await newPage(browser, { viewport: WALL });
  await asAdmin(page, "/staff/kitchen");
  await page.locator(".conn[data-state=live]").waitFor();
  await page.waitForFunction(() => document.querySelectorAll(".kitchen-card").length >= 20);
  assert.equal(await page.evaluate(() => document.scrollingElement.scrollHeight <= window.innerHeight + 1), true, "the page does not scroll");
  // Compact: several cards side by side in a column.
  const tops = await page.locator(".kitchen-col[data-step=received] .kitchen-card").evaluateAll((cs) => cs.slice(0, 3).map((c) => Math.round(c.getBoundingClientRect().top)));
  assert.equal(tops[0], tops[1], "two cards side by side");
  // Where it came from, and when.
  const meta = await page.locator(".kitchen-card .kitchen-meta").first().innerText();
  assert.match(meta, /^(API|Nett|Web|Disk|Desk|Kiosk|SMS) · \d\d:\d\d$/, meta);
  // The whole card is coloured by its age.
  const bg = await page.locator(".kitchen-card").first().evaluate((c) => getComputedStyle(c).backgroundColor);
  assert.notEqual(bg, "rgb(255, 255, 255)", "the card has an age colour");
  await checkA11y(page, "kitchen with 20 orders");
  await docShot(page, "kitchen-wall");

  // Keys: an arrow selects the oldest card, B bumps it, R recalls it.
  await page.locator("h1#kitchen-h").click();
  await page.keyboard.press("ArrowDown");
  const first = page.locator(".kitchen-card.selected");
  await first.waitFor();
  const n = Number(await first.locator(".kitchen-num").innerText());
  assert.equal(n, placed[0].day_number, "the oldest first");
  await page.keyboard.press("ArrowDown");
  assert.equal(Number(await page.locator(".kitchen-card.selected .kitchen-num").innerText()), placed[1].day_number);
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("b");
  await page.locator(`.kitchen-col[data-step=production] .kitchen-num:text-is("${n}")`).waitFor();
  assert.equal((await crema.json("GET", `${API}/orders/${placed[0].id}`)).body.step, "production");
  await page.keyboard.press("r");
  await page.locator(`.kitchen-col[data-step=received] .kitchen-num:text-is("${n}")`).waitFor();
  assert.equal((await crema.json("GET", `${API}/orders/${placed[0].id}`)).body.step, "received");
  // M mutes, and the button says so.
  await page.keyboard.press("m");
  await page.locator("#sound[data-state=muted]").waitFor();
  await page.keyboard.press("m");
  await page.locator("#sound[data-state=on]").waitFor();
  assertClean(page);
  await page.context().close();
  await clearBoard();
});

test("a kitchen whose browser blocks sound says so, and one tap turns it on", async () => {
  // A browser with its default autoplay policy: sound needs a gesture first.
  const strict = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const page = await newPage(strict, { viewport: WALL });
    await asAdmin(page, "/staff/kitchen");
    await page.locator(".conn[data-state=live]").waitFor();
    // Navigation after the login click may count as a gesture in some builds; a fresh load
    // without one is what a wall screen does after a power cut.
    await page.reload();
    const sound = page.locator("#sound");
    await page.locator("#sound[data-state=blocked]").waitFor({ timeout: 5000 });
    assert.match(await sound.innerText(), /Trykk for å slå på lyd|Tap to turn sound on/);
    await checkA11y(page, "kitchen with sound blocked");
    await sound.click();
    await page.locator("#sound[data-state=on]").waitFor();
    assertClean(page);
    await page.context().close();
  } finally {
    await strict.close();
  }
});

// ---- Defect 8: words, not codes, in admin -------------------------------------------------

test("settings name the workflow's steps and the audit log names actions, orders and items", async () => {
  const o = await place("Cortado", "Revisor");
  await forward(o);
  const page = await newPage(browser, { viewport: WALL });
  await asAdmin(page, "/admin/settings");
  const labels = await page.locator(".wf-step .wf-label").allInnerTexts();
  assert.deepEqual(labels, ["Mottatt", "Lages", "Klar", "Hentet"]);
  await checkA11y(page, "settings with named steps");

  await page.goto(`${crema.url}/admin/audit`);
  const moved = page.locator("#audit-rows tr[data-action='order.forward']").first();
  await moved.waitFor();
  assert.match(await moved.locator("td.action").innerText(), /flyttet videre|moved on/i);
  assert.match(await moved.locator("td.target").innerText(), new RegExp(`(Bestilling|Order) ${o.day_number}`));
  const created = (await crema.json("POST", `${API}/items`, { category_id: (await crema.json("GET", `${API}/menu`)).body.categories[0].id, name: "Revisjonsbolle", price: 3000 })).body;
  await page.reload();
  const item = page.locator("#audit-rows tr[data-action='item.create']").first();
  await item.waitFor();
  assert.match(await item.locator("td.target").innerText(), /Revisjonsbolle/);
  assert.ok(!(await page.locator("#audit-rows td.action code").count()), "actions are words, not codes");
  await checkA11y(page, "audit log in words");
  assertClean(page);
  await page.context().close();
  await crema.json("DELETE", `${API}/items/${created.id}`);
  await clearBoard();
});

// ---- Defect 9 and pairing ----------------------------------------------------------------

test("a wall screen is paired by the code it shows, and a device key can be typed at /device", async () => {
  const screen = await newPage(browser, { viewport: WALL });
  await screen.goto(`${crema.url}/device`);
  const codeNode = screen.locator("#device-code");
  await screen.waitForFunction(() => /^[2-9A-Z]{3} [2-9A-Z]{3}$/.test(document.getElementById("device-code").textContent));
  const code = (await codeNode.innerText()).trim();
  await checkA11y(screen, "device pairing code");
  await docShot(screen, "device-pairing-wall");

  // A manager enters it in admin.
  const admin = await newPage(browser, { viewport: PHONE });
  await asAdmin(admin, "/admin/people");
  await admin.locator("#pair-form input[name=code]").fill(code.toLowerCase());
  await admin.locator("#pair-form input[name=name]").fill("Tavla i kafeen");
  await admin.locator("#pair-form button[type=submit]").click();
  await admin.locator("#pair-result:not([hidden])").waitFor();
  await admin.locator("#devices td", { hasText: "Tavla i kafeen" }).waitFor();
  await checkA11y(admin, "admin pairing a device");

  // The screen opens its café's display by itself.
  await screen.waitForURL(/\/display\?cafe=kaffediem/, { timeout: 15000 });
  const stored = await screen.evaluate(() => JSON.parse(localStorage.getItem("crema.device")));
  assert.equal(stored.cafe, SLUG);
  assert.equal(stored.purpose, "display");

  // A wrong code is refused where it was typed.
  await admin.locator("#pair-form input[name=code]").fill("ZZZ222");
  await admin.locator("#pair-form input[name=name]").fill("Feil");
  await admin.locator("#pair-form button[type=submit]").click();
  await admin.locator("#pair-code-error:not([hidden])").waitFor();
  assertClean(admin, ["422"]);
  await admin.context().close();
  await screen.context().close();

  // A kiosk key made in admin, typed on the kiosk's /device page: the kiosk's orders are its.
  const d = await crema.json("POST", `${API}/devices`, { name: "Kiosk 1", purpose: "kiosk" });
  assert.equal(d.status, 201);
  const kiosk = await newPage(browser, { viewport: TABLET_4_3 });
  await kiosk.goto(`${crema.url}/device`);
  await kiosk.locator("details.device-key summary").click();
  await kiosk.locator("#device-key").fill("crema_dt_wrong");
  await kiosk.locator("#device-key-form button").click();
  await kiosk.locator("#device-key-error:not([hidden])").waitFor();
  await kiosk.locator("#device-key").fill(d.body.token);
  await kiosk.locator("#device-key-form button").click();
  await kiosk.waitForURL(/\/kiosk\?cafe=kaffediem/);
  await kiosk.locator("button.item", { hasText: "Americano" }).click();
  await kiosk.locator("#item-sheet button.add").click();
  await kiosk.locator("#cart-open").click();
  await kiosk.locator("#checkout-name").fill("Kiosknøkkel");
  await kiosk.locator("#place-order").click();
  await kiosk.locator("#kiosk-done[open]").waitFor();
  const audit = (await crema.json("GET", `${API}/audit?action=order.place&limit=5`)).body.items;
  assert.equal(audit[0].device_id, d.body.id, "the order was placed as the paired kiosk");
  assertClean(kiosk, ["422"]);
  await kiosk.context().close();
});

// ---- Defect 10: an HTML 404 ---------------------------------------------------------------

test("an unknown address answers a page in the café's language, not JSON", async () => {
  const page = await newPage(browser, { viewport: PHONE });
  const r = await page.goto(`${crema.url}/meny-som-ikke-finnes`);
  assert.equal(r.status(), 404);
  assert.match(r.headers()["content-type"], /text\/html/);
  assert.equal(await page.locator("html").getAttribute("lang"), "nb");
  await page.locator("text=Vi fant ikke den siden").waitFor();
  assert.ok(await page.locator("a[href='/']").isVisible(), "a way back");
  await checkA11y(page, "404 page");
  await page.context().close();
});

// ---- The kiosk: pictures, nothing for staff, the attract screen ---------------------------

test("the kiosk leads with pictures, shows nothing for staff, and invites when left alone", async () => {
  await clearBoard();
  const page = await newPage(browser, { viewport: TABLET_4_3 });
  await page.goto(`${crema.url}/kiosk?idle=5`);
  await page.locator(".conn[data-state=live]").waitFor({ state: "attached" });
  // Every demo drink and bun has a drawn picture.
  const pics = await page.locator("button.item .cu-thumb img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("src")));
  assert.ok(pics.length >= 8, JSON.stringify(pics));
  assert.ok(pics.every((p) => p.startsWith("/assets/menu/")), JSON.stringify(pics));
  const loaded = await page.locator("button.item .cu-thumb img").evaluateAll((imgs) => imgs.every((i) => i.complete && i.naturalWidth > 0));
  assert.ok(loaded, "the pictures load");
  // No connection pill (a dot), one language button in the other language.
  const conn = await page.locator(".conn").boundingBox();
  assert.ok(conn.width < 24, `the connection shows as a dot: ${JSON.stringify(conn)}`);
  assert.equal(await page.locator("form.lang button").count(), 1);
  await docShot(page, "kiosk-tablet");

  // Left alone: the attract screen; a touch goes back to the menu.
  const attract = page.locator("#kiosk-attract");
  await attract.waitFor({ timeout: 15000 });
  assert.match(await attract.innerText(), /Trykk for å bestille/);
  await checkA11y(page, "kiosk attract screen");
  await docShot(page, "kiosk-attract-tablet");
  await attract.click();
  await attract.waitFor({ state: "hidden" });
  await page.locator("button.item", { hasText: "Americano" }).click();
  await page.locator("#item-sheet button.add").waitFor();
  assertClean(page);
  await page.context().close();

  // On a wide kiosk the cart stays beside the menu, and the order is placed from it.
  const wide = await newPage(browser, { viewport: WALL });
  await wide.goto(`${crema.url}/kiosk`);
  await wide.locator(".conn[data-state=live]").waitFor({ state: "attached" });
  await wide.locator("button.item", { hasText: "Cortado" }).click();
  await wide.locator("#item-sheet button.add").click();
  const panel = wide.locator("#cart-sheet[open]");
  await panel.waitFor();
  assert.ok(await wide.locator("#cartbar").isHidden(), "no cart bar: the cart is on screen");
  const menuBox = await wide.locator("#menu").boundingBox();
  const cartBox = await panel.boundingBox();
  assert.ok(cartBox.x >= menuBox.x + menuBox.width - 1, `the cart is beside the menu: ${JSON.stringify({ menuBox, cartBox })}`);
  // The menu stays usable with the cart open: add another item.
  await wide.locator("button.item", { hasText: "Bolle" }).click();
  await wide.locator("#item-sheet button.add").click();
  await panel.locator("li", { hasText: "Bolle" }).waitFor();
  await checkA11y(wide, "wide kiosk with the cart beside the menu");
  await docShot(wide, "kiosk-wall");
  await wide.locator("#place-order").click();
  await wide.locator("#kiosk-done[open]").waitFor();
  await wide.locator("#kiosk-done-close").click();
  await panel.waitFor({ state: "detached" }).catch(() => {});
  assert.ok(await wide.locator("#cart-sheet[open]").count() === 0, "the cart panel goes with the order");
  assertClean(wide);
  await wide.context().close();
});
