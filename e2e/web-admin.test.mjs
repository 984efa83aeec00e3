// The admin area, first half: the menu editor (with an image upload), status and messages,
// and the café's settings, driven in chromium as an owner would, checked with axe at tablet
// and phone sizes, and seen from the customer's page and a second manager's screen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { Crema } from "./harness.mjs";
import { launch, newPage, signIn, checkA11y, shot, assertClean, PHONE, TABLET, WALL } from "./browser.mjs";

const CAFE = "kaffediem";
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

/** A real PNG of `w`×`h` pixels in one colour, made here (no file on disk). */
function png(w = 8, h = 8, rgb = [181, 101, 29]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function menu() {
  const r = await crema.json("GET", `/api/v1/cafes/${CAFE}/menu`);
  assert.equal(r.status, 200);
  return r.body;
}

/** Fills the open edit dialog's field labelled `label`. */
async function fill(page, label, value) {
  await page.locator("#edit-dialog").getByLabel(label, { exact: true }).fill(value);
}

async function save(page) {
  await page.locator("#edit-save").click();
}

/**
 * A page signed in as the owner. The first one signs in through the login form; the rest
 * reuse its session cookie (the login form's rate limit is for people, not test suites).
 */
let ownerCookies = null;
async function ownerPage(viewport, path) {
  const page = await newPage(browser, { viewport });
  if (ownerCookies) {
    await page.context().addCookies(ownerCookies);
    await page.goto(crema.url + path);
  } else {
    await signIn(page, crema.url, crema.admin, path);
    ownerCookies = await page.context().cookies();
  }
  return page;
}

async function dialogClosed(page, id = "edit-dialog") {
  await page.waitForFunction((i) => !document.getElementById(i).open, id);
}

test("an owner builds a category, a choice with options and an item with a picture", async () => {
  const page = await ownerPage(TABLET, "/admin");
  assert.equal(new URL(page.url()).pathname, "/admin");
  await page.locator(".conn[data-state=live]").waitFor();
  await checkA11y(page, "admin menu (tablet)");
  await shot(page, "admin-menu-tablet");

  // A second manager's screen follows the same menu.
  const other = await ownerPage(TABLET, "/admin");
  await other.locator(".conn[data-state=live]").waitFor();

  // A category.
  await page.getByRole("button", { name: "Ny kategori" }).click();
  await fill(page, "Navn", "Smørbrød");
  await checkA11y(page, "admin menu with the category dialog open");
  await save(page);
  await dialogClosed(page);
  await page.getByRole("heading", { name: "Smørbrød", level: 3 }).waitFor();
  await other.getByRole("heading", { name: "Smørbrød", level: 3 }).waitFor();

  // A choice offered in that category, with two options.
  await page.getByRole("button", { name: "Nytt valg" }).click();
  await fill(page, "Navn", "Brød");
  await page.locator("#edit-dialog").getByLabel("Må velges").check();
  await page.locator("#edit-dialog fieldset[data-field=categories]").getByLabel("Smørbrød").check();
  await save(page);
  await dialogClosed(page);
  await page.getByRole("heading", { name: "Brød", level: 3 }).waitFor();

  await page.getByRole("button", { name: "Legg til et alternativ i Brød" }).click();
  await fill(page, "Navn", "Grovt");
  await save(page);
  await dialogClosed(page);
  await page.getByRole("button", { name: "Legg til et alternativ i Brød" }).click();
  await fill(page, "Navn", "Glutenfritt");
  await fill(page, "Beløp eller prosent", "10");
  await save(page);
  await dialogClosed(page);
  await page.getByText(/\+ 10\skr/).waitFor();

  // The item, with a picture made here.
  await page.getByRole("button", { name: "Legg til en vare i Smørbrød" }).click();
  await fill(page, "Navn", "Ostesmørbrød");
  await fill(page, "Pris (NOK)", "65");
  await page.locator("#edit-dialog input[type=file]").setInputFiles({ name: "ost.png", mimeType: "image/png", buffer: png() });
  await save(page);
  await dialogClosed(page);
  await page.getByText("Ostesmørbrød", { exact: true }).waitFor();
  await other.getByText("Ostesmørbrød", { exact: true }).waitFor();

  const m = await menu();
  const cat = m.categories.find((c) => c.name === "Smørbrød");
  const group = m.modifier_groups.find((g) => g.name === "Brød");
  const item = m.items.find((i) => i.name === "Ostesmørbrød");
  assert.ok(cat && group && item, "all three were created");
  assert.deepEqual(cat.allowed_groups, [group.id]);
  assert.equal(group.required, true);
  assert.equal(item.price, 6500);
  assert.equal(item.category_id, cat.id);
  assert.match(item.image, /^\/uploads\/[0-9a-f]{32}\.png$/);
  // Both options exist with their prices (their order in the API is not what is tested here).
  const opts = m.options
    .filter((o) => o.group_id === group.id)
    .map((o) => [o.name, o.price_effect])
    .sort((a, b) => a[0].localeCompare(b[0]));
  assert.deepEqual(opts, [
    ["Glutenfritt", { kind: "fixed", value: 1000 }],
    ["Grovt", { kind: "fixed", value: 0 }],
  ]);
  const img = await fetch(crema.url + item.image);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get("content-type"), "image/png");

  // The customer's page shows the item and its picture.
  const home = await (await fetch(crema.url + "/")).text();
  assert.ok(home.includes("Ostesmørbrød"), "the item is on the customer's page");
  assert.ok(home.includes(item.image), "its picture is on the customer's page");

  // Reordering with the keyboard: the new category moves up one place.
  const before = (await menu()).categories.map((c) => c.name);
  await page.getByRole("button", { name: "Flytt Smørbrød opp" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement?.dataset?.key?.startsWith("categories-"));
  // The page renumbers the list with one PATCH per entry whose number changes, so the menu
  // passes through intermediate orders: wait for the final one.
  const at = before.indexOf("Smørbrød");
  const after = await (async () => {
    let names = before;
    for (let i = 0; i < 100; i++) {
      names = (await menu()).categories.map((c) => c.name);
      if (names.indexOf("Smørbrød") === at - 1) return names;
      await new Promise((r) => setTimeout(r, 100));
    }
    return names;
  })();
  assert.equal(after.indexOf("Smørbrød"), at - 1, `moved up: ${before} → ${after}`);

  assertClean(page);
  assertClean(other);
  await other.context().close();
  await page.context().close();
});

test("an invalid price shows the API's error next to the price, in the dialog", async () => {
  const page = await ownerPage(TABLET, "/admin");
  await page.locator(".conn[data-state=live]").waitFor();
  await page.getByRole("button", { name: "Endre Bolle" }).click();
  await fill(page, "Pris (NOK)", "-5");
  await save(page);
  const priceField = page.locator("#edit-dialog [data-field=price]");
  const error = priceField.locator(".adm-error");
  await error.waitFor();
  // The API's own message for the field (`price`: out of range) is what shows.
  assert.match(await error.textContent(), /Utenfor tillatt område: .+/);
  assert.equal(await priceField.locator("input").getAttribute("aria-invalid"), "true");
  assert.equal(await page.evaluate(() => document.activeElement?.closest("[data-field]")?.dataset.field), "price");
  await checkA11y(page, "admin menu: an item dialog with a field error");
  await shot(page, "admin-menu-dialog-error");

  // Text that is no amount at all is caught before it is sent.
  await fill(page, "Pris (NOK)", "fem");
  await save(page);
  await page.waitForFunction(() => document.querySelector("#edit-dialog [data-field=price] .adm-error")?.textContent.includes("45"));

  // A file that is not a picture is refused by the API, next to the picture field.
  await fill(page, "Pris (NOK)", "30");
  await page.locator("#edit-dialog input[type=file]").setInputFiles({ name: "bolle.png", mimeType: "image/png", buffer: Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>") });
  await save(page);
  const imageError = page.locator("#edit-dialog [data-field=image] .adm-error");
  await imageError.waitFor();
  assert.match(await imageError.textContent(), /PNG, JPEG, GIF or WebP/);
  await page.keyboard.press("Escape");
  await dialogClosed(page);
  const bolle = (await menu()).items.find((i) => i.name === "Bolle");
  assert.equal(bolle.price, 3000, "nothing was changed");
  assert.equal(bolle.image, null, "no picture was set");
  assertClean(page, ["422"]);
  await page.context().close();
});

test("sold out takes effect at once, on the customer's page too", async () => {
  const admin = await ownerPage(TABLET, "/admin");
  await admin.locator(".conn[data-state=live]").waitFor();
  const bolle = (await menu()).items.find((i) => i.name === "Bolle");

  const customer = await newPage(browser, { viewport: PHONE });
  await customer.goto(crema.url + "/");
  const card = customer.locator(`[data-item="${bolle.id}"]`);
  await card.waitFor();
  assert.equal(await card.locator(".cu-badge").count(), 0);

  await admin.getByRole("switch", { name: /Utsolgt – Bolle/ }).check();
  await card.locator(".cu-badge").waitFor({ timeout: 10000 });
  assert.match(await card.textContent(), /Utsolgt/);
  assert.equal((await menu()).items.find((i) => i.id === bolle.id).sold_out, true);

  await admin.getByRole("switch", { name: /Utsolgt – Bolle/ }).uncheck();
  await customer.waitForFunction((id) => !document.querySelector(`[data-item="${id}"] .cu-badge`), bolle.id);
  assert.equal((await menu()).items.find((i) => i.id === bolle.id).sold_out, false);
  assertClean(admin);
  await customer.context().close();
  await admin.context().close();
});

test("deleting asks first, and a category with items is refused with the reason", async () => {
  const page = await ownerPage(PHONE, "/admin");
  await page.locator(".conn[data-state=live]").waitFor();
  await page.getByRole("button", { name: "Slett Kaffe", exact: true }).click();
  const dialog = page.locator("#confirm-dialog");
  await dialog.waitFor();
  await checkA11y(page, "admin menu: the delete confirmation (phone)");
  await dialog.getByRole("button", { name: "Slett" }).click();
  await dialog.locator("#confirm-error").waitFor();
  assert.ok((await menu()).categories.some((c) => c.name === "Kaffe"), "still there");
  await page.keyboard.press("Escape");

  // An option is deleted after the confirmation.
  const optBefore = (await menu()).options.length;
  const opt = (await menu()).options[0];
  await page.getByRole("button", { name: `Slett ${opt.name}`, exact: true }).first().click();
  await dialog.getByRole("button", { name: "Slett" }).click();
  await dialogClosed(page, "confirm-dialog");
  assert.equal((await menu()).options.length, optBefore - 1);
  assertClean(page, ["409"]);
  await page.context().close();
});

test("closing the café and choosing a message", async () => {
  const page = await ownerPage(TABLET, "/admin/status");
  await page.locator(".conn[data-state=live]").waitFor();
  await checkA11y(page, "admin status (tablet)");
  await shot(page, "admin-status-tablet");

  await page.getByRole("button", { name: "Steng kaféen" }).click();
  await page.getByRole("button", { name: "Åpne kaféen" }).waitFor();
  let status = (await crema.json("GET", `/api/v1/cafes/${CAFE}/status`)).body;
  assert.equal(status.open, false);

  await page.getByRole("button", { name: "Ny melding" }).click();
  await page.locator("#msg-dialog").getByLabel("Tittel").fill("Tilbake klokka 12");
  await page.locator("#msg-dialog").getByLabel("Mer tekst (valgfritt)").fill("Vi er på kurs");
  await checkA11y(page, "admin status with the message dialog open");
  await page.locator("#msg-save").click();
  await dialogClosed(page, "msg-dialog");
  await page.locator("#preview").getByText("Tilbake klokka 12").waitFor();
  status = (await crema.json("GET", `/api/v1/cafes/${CAFE}/status`)).body;
  const messages = (await crema.json("GET", `/api/v1/cafes/${CAFE}/messages`)).body;
  const msg = messages.find((m) => m.title === "Tilbake klokka 12");
  assert.equal(msg.subtitle, "Vi er på kurs");
  assert.equal(status.message_id, msg.id, "the new message is the one shown");
  await shot(page, "admin-status-closed");

  // The customer's page says so.
  const home = await (await fetch(crema.url + "/")).text();
  assert.ok(home.includes("Tilbake klokka 12"));

  // A change made elsewhere (the front desk opening up) shows here at once.
  await crema.json("PATCH", `/api/v1/cafes/${CAFE}/status`, { open: true });
  await page.getByRole("button", { name: "Steng kaféen" }).waitFor();
  assertClean(page);
  await page.context().close();
});

test("settings: a bad workflow is named, and the language switches the café's pages", async () => {
  const page = await ownerPage(TABLET, "/admin/settings");
  await checkA11y(page, "admin settings (tablet)");
  await shot(page, "admin-settings-tablet");

  // A step name the API refuses: its error shows by the workflow, nothing is saved.
  await page.getByRole("button", { name: "Legg til et steg" }).click();
  await page.keyboard.type("Bad Step");
  await page.getByLabel("Navn", { exact: true }).fill("Kaffediem på Nydalen");
  await page.getByRole("button", { name: "Lagre" }).click();
  const wfError = page.locator("[data-field=workflow] .adm-error");
  await wfError.waitFor();
  assert.ok((await wfError.textContent()).length > 5);
  await checkA11y(page, "admin settings with a field error");
  let cafe = (await crema.json("GET", `/api/v1/cafes/${CAFE}`)).body;
  assert.equal(cafe.name, "Kaffediem", "a refused save changes nothing");

  await page.getByRole("button", { name: "Fjern steg 5" }).click();
  await page.getByLabel("Språk").selectOption("en");
  await page.getByLabel("Tidssone").selectOption("Europe/Stockholm");
  await page.getByLabel("Gul etter (minutter)").fill("4");
  await page.getByLabel("Rød etter (minutter)").fill("9");
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Lagre" }).click()]);
  // The page itself now speaks English.
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Settings");
  cafe = (await crema.json("GET", `/api/v1/cafes/${CAFE}`)).body;
  assert.equal(cafe.name, "Kaffediem på Nydalen");
  assert.equal(cafe.locale, "en");
  assert.equal(cafe.timezone, "Europe/Stockholm");
  assert.deepEqual(cafe.age_thresholds, { warn: 240, late: 540 });
  assert.deepEqual(cafe.workflow, ["received", "production", "completed", "dispatched"]);

  // So does the customer's page, for a new visitor.
  const visitor = await newPage(browser, { viewport: PHONE });
  await visitor.goto(crema.url + "/");
  assert.equal(await visitor.locator("html").getAttribute("lang"), "en");
  await visitor.context().close();

  // Back to Norwegian for the tests that follow.
  await crema.json("PATCH", `/api/v1/cafes/${CAFE}`, { locale: "nb", name: "Kaffediem", timezone: "Europe/Oslo" });
  assertClean(page, ["422"]);
  await page.context().close();
});

test("every admin page passes axe on a phone, and the menu on a wall screen", async () => {
  const page = await ownerPage(PHONE, "/admin");
  await page.locator(".conn[data-state=live]").waitFor();
  await checkA11y(page, "admin menu (phone)");
  await shot(page, "admin-menu-phone");
  await page.getByRole("button", { name: "Endre Bolle" }).click();
  await checkA11y(page, "admin menu: the item dialog (phone)");
  await shot(page, "admin-menu-dialog-phone");
  await page.keyboard.press("Escape");
  await page.goto(crema.url + "/admin/status");
  await page.locator(".conn[data-state=live]").waitFor();
  await checkA11y(page, "admin status (phone)");
  await shot(page, "admin-status-phone");
  await page.goto(crema.url + "/admin/settings");
  await checkA11y(page, "admin settings (phone)");
  await shot(page, "admin-settings-phone");
  assertClean(page);
  await page.context().close();

  // On a wall screen the menu editor shows both lists side by side.
  const wall = await ownerPage(WALL, "/admin");
  await wall.locator(".conn[data-state=live]").waitFor();
  const [cats, groups] = await Promise.all(["#categories", "#groups"].map((s) => wall.locator(s).boundingBox()));
  assert.ok(groups.x > cats.x + cats.width, "two columns");
  await checkA11y(wall, "admin menu (wall)");
  await shot(wall, "admin-menu-wall");
  await wall.context().close();
});

test("a barista is refused the admin pages; someone signed out is asked to sign in", async () => {
  const barista = await crema.invite(CAFE, "barista@cafe.example", "barista");
  const page = await newPage(browser, { viewport: TABLET });
  await signIn(page, crema.url, barista, "/staff");
  for (const path of ["/admin", "/admin/status", "/admin/settings"]) {
    const res = await page.goto(crema.url + path);
    assert.equal(res.status(), 403, path);
    assert.equal(await page.locator(".admin-nav").count(), 0);
  }
  await shot(page, "admin-refused-barista");
  // The API refuses the upload too.
  const anon = await fetch(`${crema.url}/api/v1/cafes/${CAFE}/items/1/image`, { method: "DELETE" });
  assert.equal(anon.status, 401);
  await page.context().close();

  const signedOut = await newPage(browser);
  await signedOut.goto(crema.url + "/admin/settings");
  assert.equal(new URL(signedOut.url()).pathname, "/login");
  assert.equal(new URL(signedOut.url()).searchParams.get("next"), "/admin/settings");
  await signedOut.context().close();
});
