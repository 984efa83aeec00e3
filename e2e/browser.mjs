// Browser tests: Debian's chromium driven by playwright-core, axe-core for accessibility,
// screenshots of every screen, and a TCP proxy that can cut a page's connection.
import { chromium } from "playwright-core";
import axe from "axe-core";
import { mkdirSync } from "node:fs";
import net from "node:net";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const SCREENSHOTS = new URL("./screenshots/", import.meta.url).pathname;

/** Sizes every screen is checked at. */
export const PHONE = { width: 390, height: 844 };
export const TABLET = { width: 1180, height: 820 };
export const WALL = { width: 1920, height: 1080 };

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-background-timer-throttling",
      "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

/**
 * A page in a context of its own (its own cookies): `viewport` one of the sizes above. Every
 * uncaught error, failed console error and CSP violation is collected; `assertClean(page)`
 * fails the test on any.
 */
export async function newPage(browser, { viewport = PHONE, locale = "en-GB" } = {}) {
  const context = await browser.newContext({ viewport, locale });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") page.problems.push(`console: ${m.text()}`);
  });
  return page;
}

/** Fails if the page logged an error, threw, or broke its content security policy. */
export function assertClean(page, allow = []) {
  const bad = page.problems.filter((p) => !allow.some((a) => p.includes(a)));
  if (bad.length) throw new Error("page problems:\n" + bad.join("\n"));
}

/** Signs in through the login form, as a person would. */
export async function signIn(page, base, { email, password }, next = "/staff") {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel(/email|e-post/i).fill(email);
  await page.locator("input[name=password]").fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")), page.locator("form[action='/login'] button[type=submit]").click()]);
}

/** Runs axe-core on the page; fails on any serious or critical violation. */
export async function checkA11y(page, name) {
  // A fade-in (an opacity animation) makes axe measure the colours blended half-way, below
  // any contrast threshold: wait for the finite ones to end (at most 2 s), so the page is
  // checked as it rests. Colour pulses stay; their every frame has to pass.
  await page.evaluate(() =>
    Promise.race([
      Promise.all(
        document
          .getAnimations()
          .filter((a) => a.effect && a.effect.getTiming().iterations !== Infinity && a.effect.getKeyframes().some((k) => "opacity" in k))
          .map((a) => a.finished.catch(() => {})),
      ),
      new Promise((done) => setTimeout(done, 2000)),
    ]),
  );
  // Evaluated through the DevTools protocol, so the page's CSP does not block it.
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    const lines = bad.map(
      (v) => `${v.impact} ${v.id}: ${v.help}\n  ` + v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary).join("\n  "),
    );
    throw new Error(`axe on ${name}:\n` + lines.join("\n"));
  }
  return result.violations;
}

/** Writes `e2e/screenshots/<name>.png`. */
export async function shot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: false });
}

/**
 * A TCP proxy in front of crema. A page opened through `proxy.url` reaches crema only through
 * it; `cut()` drops every open connection and refuses new ones (a pulled cable, a Wi-Fi
 * drop), `restore()` lets them through again.
 */
export class CutProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.sockets = new Set();
    this.down = false;
    this.server = net.createServer((client) => {
      if (this.down) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
  }

  async start() {
    await new Promise((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this.url;
  }

  cut() {
    this.down = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore() {
    this.down = false;
  }

  async close() {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
