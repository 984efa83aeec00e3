// Signing in and out through the pages, the account page, the language switch.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Crema } from "./harness.mjs";
import { launch, newPage, signIn, checkA11y, shot, assertClean, PHONE } from "./browser.mjs";

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

test("a wrong password says so and sets no session; the right one signs in and out", async () => {
  const page = await newPage(browser, { viewport: PHONE });
  await page.goto(crema.url + "/login");
  await checkA11y(page, "login");
  await shot(page, "login-phone");
  await page.getByLabel(/email|e-post/i).fill(crema.admin.email);
  await page.locator("input[name=password]").fill("not the password");
  await page.locator("form[action='/login'] button[type=submit]").click();
  await page.getByRole("alert").waitFor();
  assert.match(await page.getByRole("alert").textContent(), /wrong|feil/i);
  const cookies = await page.context().cookies();
  assert.ok(!cookies.some((c) => c.name === "crema_session"), "no session after a wrong password");

  await signIn(page, crema.url, crema.admin, "/account");
  assert.equal(new URL(page.url()).pathname, "/account");
  const session = (await page.context().cookies()).find((c) => c.name === "crema_session");
  assert.ok(session.httpOnly, "the session cookie is HttpOnly");
  assert.equal(session.sameSite, "Lax");
  await checkA11y(page, "account");

  // The saved cookie, sent by hand outside the browser: it opens the account page now...
  const replay = (path) =>
    fetch(crema.url + path, { headers: { cookie: `crema_session=${session.value}` }, redirect: "manual" });
  assert.equal((await replay("/account")).status, 200);
  assert.equal((await replay("/api/v1/auth/me")).status, 200);

  await page.getByRole("button", { name: /sign out|logg ut/i }).click();
  await page.waitForURL((u) => u.pathname === "/login");
  assert.ok(
    !(await page.context().cookies()).some((c) => c.name === "crema_session" && c.value),
    "the browser dropped the cookie",
  );
  // ...and no longer after signing out: the server revoked the session, not only the
  // browser forgot it (a cookie stolen before would otherwise still work).
  const res = await replay("/account");
  assert.equal(res.status, 303);
  assert.match(res.headers.get("location") ?? "", /^\/login/);
  assert.equal((await replay("/api/v1/auth/me")).status, 401);
  assertClean(page, ["401"]);
  await page.context().close();
});

test("the language switch changes every string and is remembered", async () => {
  const page = await newPage(browser);
  await page.goto(crema.url + "/login");
  // The demo café speaks Norwegian.
  assert.equal(await page.locator("html").getAttribute("lang"), "nb");
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Logg inn");
  await page.getByRole("button", { name: "EN", exact: true }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Sign in");
  await page.reload();
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Sign in");
  assertClean(page);
  await page.context().close();
});

test("a login form posted from another site is refused", async () => {
  // Signed in, a forged cross-site logout (or any form) must not act.
  const page = await newPage(browser);
  await signIn(page, crema.url, crema.admin, "/account");
  const res = await page.request.post(crema.url + "/logout", {
    headers: { Origin: "https://evil.example" },
    maxRedirects: 0,
  });
  assert.equal(res.status(), 403);
  const again = await page.goto(crema.url + "/account");
  assert.equal(again.status(), 200);
  assert.equal(new URL(page.url()).pathname, "/account", "still signed in");
  await page.context().close();
});
