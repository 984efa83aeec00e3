// A busy day: 2,000 orders, 40 of them still open. Every screen and every Kaffebase topic
// must connect with a bounded join reply, and joins must not cost the server unbounded memory.
// (Before the fix, 400 orders made the kitchen's join reply outgrow the socket: the kitchen
// showed "reconnecting" with no orders, and one anonymous join of collection:order with no
// options read every order ever kept, hundreds of MB.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Crema, join } from "./harness.mjs";
import { launch, newPage, signIn, assertClean, TABLET, WALL } from "./browser.mjs";

const ORDERS = 2000;
const OPEN = 40;
// What a socket may queue for writing (the server's cap); a join reply must stay under it.
const SOCKET_CAP = 256 * 1024;

let crema, browser;
before(async () => {
  crema = new Crema();
  await crema.start();
  browser = await launch();
  await seed();
});
after(async () => {
  await browser?.close();
  await crema?.cleanup();
});

/** Runs `n` jobs, `width` at a time. */
async function pool(n, width, job) {
  let next = 0;
  const worker = async () => {
    while (next < n) await job(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** 2,000 orders through Kaffebase's own endpoint (as the Kaffediem front desk places them),
 *  all but the last 40 handed out again ("dispatched"). */
async function seed() {
  const items = (await crema.json("GET", "/api/collections/item/records")).body;
  const item = items[0].id;
  const ids = new Array(ORDERS);
  await pool(ORDERS, 16, async (i) => {
    const r = await crema.json("POST", "/api/collections/order/records", {
      customer_id: null,
      state: "received",
      missing_information: false,
      items: [{ item, customizations: [] }],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[i] = r.body.id;
  });
  ids.sort((a, b) => a - b);
  await pool(ORDERS - OPEN, 16, async (i) => {
    const r = await crema.json("PATCH", `/api/collections/order/records/${ids[i]}`, { state: "dispatched" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
}

/** The server's resident memory, in MB. */
function rssMb() {
  const status = readFileSync(`/proc/${crema.proc.pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+)/)[1]) / 1024;
}

/** Joins `topic` on a socket of its own; resolves with the reply and its size as sent. */
async function joinOnce(topic, payload, { staff = false } = {}) {
  const socket = crema.socket({ staff });
  socket.connect();
  const ch = socket.channel(topic, payload);
  try {
    const reply = await join(ch);
    return { reply, bytes: Buffer.byteLength(JSON.stringify(reply)) };
  } finally {
    socket.disconnect();
  }
}

test("the kitchen's, the front desk's and the board's topics join with today's open orders", async () => {
  for (const topic of ["cafe:kaffediem:orders", "cafe:kaffediem:board"]) {
    const { reply, bytes } = await joinOnce(topic, {}, { staff: true });
    assert.equal(reply.snapshot.orders.length, OPEN, topic);
    assert.equal(reply.snapshot.complete, undefined, "nothing left out");
    assert.ok(bytes < SOCKET_CAP, `${topic}: ${bytes} bytes`);
  }
});

test("Kaffebase's collection:order joins with today's open orders and the newest finished", async () => {
  for (const payload of [{ options: { from_date: "today" } }, {}]) {
    const { reply, bytes } = await joinOnce("collection:order", payload);
    assert.equal(reply.items.length, OPEN + 20, JSON.stringify(payload));
    assert.ok(bytes < SOCKET_CAP, `${bytes} bytes`);
    assert.ok(reply.items.every((o) => o.customer_id === null));
  }
  for (const c of ["menu", "message", "status"]) {
    await joinOnce(`collection:${c}`, { options: {} });
  }
});

test("sixteen anonymous joins at once cost bounded memory, and it comes back", async () => {
  const base = rssMb();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 5);
  try {
    await Promise.all(
      Array.from({ length: 16 }, (_, i) => joinOnce("collection:order", i % 2 ? {} : { options: { from_date: "today" } })),
    );
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssMb());
  console.log(`# 16 joins: RSS ${base.toFixed(1)} MB before, ${peak.toFixed(1)} MB at the peak`);
  // Measured after the fix: a few MB. Before it, one such join took ~280 MB.
  assert.ok(peak - base < 64, `peak ${peak.toFixed(1)} MB from ${base.toFixed(1)} MB`);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(rssMb() - base < 48, `after: ${rssMb().toFixed(1)} MB from ${base.toFixed(1)} MB`);
});

test("the kitchen, the front desk and the display connect and show the open orders", async () => {
  const open = (await crema.json("GET", "/api/v1/cafes/kaffediem/orders?date=today&step=received&limit=200")).body.items;
  assert.equal(open.length, OPEN);
  const oldest = String(Math.min(...open.map((o) => o.day_number)));

  const kitchen = await newPage(browser, { viewport: WALL });
  await signIn(kitchen, crema.url, crema.admin, "/staff/kitchen");
  await kitchen.locator(".conn[data-state=live]").waitFor();
  await kitchen.getByText(oldest, { exact: true }).first().waitFor();
  assertClean(kitchen);

  const cookies = await kitchen.context().cookies();
  const counter = await newPage(browser, { viewport: TABLET });
  await counter.context().addCookies(cookies);
  await counter.goto(crema.url + "/staff/counter");
  await counter.locator(".conn[data-state=live]").waitFor();
  assertClean(counter);

  const display = await newPage(browser, { viewport: WALL });
  await display.goto(crema.url + "/display");
  await display.locator(".conn[data-state=live]").waitFor({ state: "attached" });
  assertClean(display);

  for (const p of [kitchen, counter, display]) await p.context().close();
});

test("with more open orders than a frame holds, the kitchen connects, says some are not shown, and turns its pages", async () => {
  const items = (await crema.json("GET", "/api/collections/item/records")).body;
  await pool(600, 16, async () => {
    const r = await crema.json("POST", "/api/collections/order/records", {
      customer_id: null,
      state: "received",
      missing_information: false,
      items: [{ item: items[0].id, customizations: [] }],
    });
    assert.equal(r.status, 201);
  });
  const { reply, bytes } = await joinOnce("cafe:kaffediem:orders", {}, { staff: true });
  assert.equal(reply.snapshot.complete, false);
  assert.ok(bytes < SOCKET_CAP, `${bytes} bytes`);

  const kitchen = await newPage(browser, { viewport: WALL });
  await signIn(kitchen, crema.url, crema.admin, "/staff/kitchen");
  await kitchen.locator(".conn[data-state=live]").waitFor();
  await kitchen.locator(".toast.error", { hasText: /(oldest|eldste)/ }).waitFor();
  // Left alone, a wall screen whose column does not fit turns its pages by itself.
  const column = ".kitchen-col[data-step=received] .kitchen-cards";
  await kitchen.waitForFunction(
    (sel) => {
      const list = document.querySelector(sel);
      return list && Number(list.dataset.pages || 0) >= 1 && list.scrollTop > 0;
    },
    column,
    { timeout: 30000 },
  );
  assertClean(kitchen);
  await kitchen.context().close();
});
