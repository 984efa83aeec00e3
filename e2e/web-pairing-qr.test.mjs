// Pairing a wall screen by scanning its QR code: /device shows, beside the short code, a QR
// code of the admin page that pairs it (drawn by the server as SVG); that page, opened from
// the code, has the code filled in. (That the SVG reads back as that address is tested in
// Rust, with a QR decoder: crates/crema-server/src/api/pairing_qr.rs.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Crema } from "./harness.mjs";
import { launch, newPage, signIn, checkA11y, shot, assertClean, PHONE, WALL } from "./browser.mjs";

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

test("the pairing screen shows a QR code of the admin page, which opens with the code filled in", async () => {
  const screen = await newPage(browser, { viewport: WALL });
  await screen.goto(`${crema.url}/device`);
  await screen.waitForFunction(() => /^[2-9A-Z]{3} [2-9A-Z]{3}$/.test(document.getElementById("device-code").textContent));
  const code = (await screen.locator("#device-code").innerText()).trim().replace(" ", "");

  // The QR code is there, beside the code, as an SVG image from the server (no CDN).
  const qr = screen.locator("#device-qr");
  await qr.waitFor({ state: "visible" });
  const src = await qr.getAttribute("src");
  assert.match(src, /^data:image\/svg\+xml;charset=utf-8,/);
  const svg = decodeURIComponent(src.slice(src.indexOf(",") + 1));
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
  assert.match(svg, /<path fill="#000" d="(M\d+ \d+h\d+v1h-\d+z)+"\/>/);
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), "the browser draws it");
  const box = await qr.boundingBox();
  assert.ok(box.width >= 160 && Math.abs(box.width - box.height) < 2, `a square a phone can read: ${JSON.stringify(box)}`);
  assert.match(await qr.getAttribute("alt"), /QR/);
  // It encodes the admin page with this code, as the API said.
  const started = await screen.evaluate(async () => (await fetch("/api/v1/pairing", { method: "POST" })).json());
  assert.equal(started.pair_url, `${new URL(crema.url).origin}/admin/people?pair=${started.code}`);
  await checkA11y(screen, "device pairing code with its QR code");
  await shot(screen, "device-pairing-qr-wall");

  // The manager's phone opens that address (as the camera would), signs in, finds the code.
  const phone = await newPage(browser, { viewport: PHONE });
  await signIn(phone, crema.url, crema.admin, `/admin/people?pair=${code}`);
  const input = phone.locator("#pair-form input[name=code]");
  await phone.waitForFunction((c) => document.querySelector("#pair-form input[name=code]").value === c, code);
  assert.equal(await input.inputValue(), code);
  // Ready for the name; the used code is not left in the address for a reload.
  await phone.waitForFunction(() => document.activeElement?.name === "name");
  assert.equal(new URL(phone.url()).searchParams.get("pair"), null);
  await phone.locator("#pair-form input[name=name]").fill("Tavla ved kassen");
  await phone.locator("#pair-form button[type=submit]").click();
  await phone.locator("#pair-result:not([hidden])").waitFor();
  await screen.waitForURL(/\/display\?cafe=kaffediem/, { timeout: 15000 });
  assertClean(phone);
  await phone.context().close();
  await screen.context().close();
});
