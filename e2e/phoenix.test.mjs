// The official phoenix client, unchanged, against crema: connect, join, receive broadcasts,
// resume with `since` after a lost connection and after a server restart, leave.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Crema, until, join } from "./harness.mjs";

let crema;

before(async () => {
  crema = new Crema();
  await crema.start();
});

after(async () => {
  await crema.cleanup();
});

test("join without since gets a snapshot and the seq it is at", async () => {
  const socket = crema.socket({ staff: true });
  socket.connect();
  const ch = socket.channel("cafe:kaffediem:orders", {});
  const reply = await join(ch);
  assert.equal(typeof reply.seq, "number");
  assert.ok(Array.isArray(reply.snapshot.orders));
  socket.disconnect();
});

test("broadcasts arrive in order with their seq, and the board carries nothing personal", async () => {
  const socket = crema.socket({ staff: true });
  socket.connect();
  const staff = socket.channel("cafe:kaffediem:orders", {});
  const board = socket.channel("cafe:kaffediem:board", {});
  const got = [];
  const boardGot = [];
  staff.on("order.placed", (p) => got.push(p));
  board.on("order.placed", (p) => boardGot.push(p));
  await join(staff);
  await join(board);
  // Several orders at once, so that "in order" means something: the writer commits them in
  // some order, and each topic must see them in exactly that order.
  const N = 6;
  const placed = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      crema.json("POST", "/api/v1/cafes/kaffediem/orders", {
        customer_name: `Kari Nordmann ${i}`,
        lines: [{ item_id: 2, quantity: 1 }],
      }),
    ),
  );
  for (const r of placed) assert.equal(r.status, 201, JSON.stringify(r.body));
  await until(() => got.length === N && boardGot.length === N, 10000, "the broadcasts");
  // Every order once.
  assert.deepEqual(
    got.map((p) => p.data.order.id).sort(),
    placed.map((r) => r.body.id).sort(),
  );
  for (const p of got) {
    const r = placed.find((x) => x.body.id === p.data.order.id);
    assert.equal(p.data.order.customer.name, r.body.customer.name);
  }
  // In the order of the log: seqs grow on each topic, and day numbers (given out in commit
  // order) count up one by one in arrival order, the same on the board.
  for (let i = 1; i < N; i++) {
    assert.ok(got[i].seq > got[i - 1].seq, `staff seqs: ${got.map((p) => p.seq)}`);
    assert.ok(boardGot[i].seq > boardGot[i - 1].seq, `board seqs: ${boardGot.map((p) => p.seq)}`);
  }
  assert.ok(got[0].seq > 0);
  const numbers = got.map((p) => p.data.order.day_number);
  assert.deepEqual(numbers, numbers.map((_, i) => numbers[0] + i));
  assert.deepEqual(boardGot.map((p) => p.data.day_number), numbers);
  for (const b of boardGot) {
    assert.deepEqual(Object.keys(b.data).sort(), ["day_number", "local_date", "step"]);
    assert.ok(!JSON.stringify(b).includes("Kari"));
  }
  socket.disconnect();
});

test("a client that loses its connection resumes with since and misses nothing", async () => {
  let lastSeq = 0;
  const seen = [];
  const socket = crema.socket({ staff: true });
  socket.connect();
  // Params as a function: every rejoin sends the latest seq seen.
  const ch = socket.channel("cafe:kaffediem:orders", () => (lastSeq ? { since: lastSeq } : {}));
  const onEvent = (p) => {
    seen.push(p.data.order.id);
    lastSeq = p.seq;
  };
  ch.on("order.placed", onEvent);
  ch.on("order.moved", onEvent);
  const first = await join(ch);
  lastSeq = first.seq;

  const a = await crema.placeOrder();
  await until(() => seen.includes(a.id), 10000, "order a");

  socket.disconnect();
  const missed = [];
  for (let i = 0; i < 3; i++) missed.push((await crema.placeOrder()).id);
  const moved = await crema.json("POST", `/api/v1/cafes/kaffediem/orders/${a.id}/forward`);
  assert.equal(moved.status, 200);

  socket.connect();
  await until(() => seen.length === 5, 10000, "the missed events");
  assert.deepEqual(seen, [a.id, ...missed, a.id]);
  socket.disconnect();
});

test("after a server restart the client reconnects, rejoins with since, and gets what it missed", async () => {
  let lastSeq = 0;
  const seen = [];
  let opens = 0;
  const socket = crema.socket({ reconnectAfterMs: () => 50, rejoinAfterMs: () => 50 });
  socket.onOpen(() => opens++);
  socket.connect();
  const ch = socket.channel("cafe:kaffediem:board", () => (lastSeq ? { since: lastSeq } : {}));
  ch.on("order.placed", (p) => {
    seen.push(p.data.day_number);
    lastSeq = p.seq;
  });
  const first = await join(ch);
  lastSeq = first.seq;
  await until(() => opens === 1, 10000, "the first open");

  let closedWith = null;
  socket.onClose((e) => {
    if (closedWith === null) closedWith = e.code;
  });
  await crema.stop();
  await until(() => closedWith !== null, 10000, "the close");
  assert.equal(closedWith, 1001, "the server says it is going away");

  // While the server is down, orders are placed by another instance on the same data: start
  // it again, place orders at once, and the client (reconnecting by itself) must see them all.
  await crema.start();
  const numbers = [];
  for (let i = 0; i < 3; i++) numbers.push((await crema.placeOrder()).day_number);
  await until(() => opens >= 2, 15000, "the reconnect");
  await until(() => numbers.every((n) => seen.includes(n)), 10000, "the orders after the restart");
  assert.deepEqual(seen.slice(-3), numbers);
  assert.equal(new Set(seen).size, seen.length, "no event twice");
  socket.disconnect();
});

test("heartbeats are answered, so a quiet connection stays open", async () => {
  let opens = 0;
  let errors = 0;
  const socket = crema.socket({ heartbeatIntervalMs: 100 });
  socket.onOpen(() => opens++);
  socket.onError(() => errors++);
  socket.connect();
  await until(() => opens === 1, 10000, "open");
  // Ten heartbeats; a missing reply would make the client close and reconnect.
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(opens, 1);
  assert.equal(errors, 0);
  assert.equal(socket.isConnected(), true);
  socket.disconnect();
});

test("unknown topics and bad since values are refused with a reason", async () => {
  const socket = crema.socket();
  socket.connect();
  await assert.rejects(join(socket.channel("nope:1", {})), (e) => e.reply.reason === "unmatched topic");
  // Staff topics need a signed-in member of staff.
  await assert.rejects(join(socket.channel("cafe:kaffediem:orders", {})), (e) => e.reply.reason === "unauthorized");
  await assert.rejects(join(socket.channel("cafe:no-such-cafe:orders", {})), (e) => e.reply.reason === "unmatched topic");
  await assert.rejects(
    join(socket.channel("cafe:kaffediem:orders", { since: -4 })),
    (e) => /since/.test(e.reply.reason),
  );
  socket.disconnect();
});

test("an order's own topic follows that order; leaving stops delivery", async () => {
  const order = await crema.placeOrder();
  // The customer's own page: no sign-in, the order's id is the key.
  const socket = crema.socket();
  socket.connect();
  const ch = socket.channel(`order:${order.id}`, {});
  const steps = [];
  ch.on("order.moved", (p) => steps.push(p.data.order.step));
  const reply = await join(ch);
  assert.equal(reply.snapshot.order.id, order.id);
  await crema.json("POST", `/api/v1/cafes/kaffediem/orders/${order.id}/forward`);
  await until(() => steps.length === 1, 10000, "the move");
  assert.deepEqual(steps, ["production"]);

  await new Promise((resolve, reject) => ch.leave().receive("ok", resolve).receive("timeout", reject));
  await crema.json("POST", `/api/v1/cafes/kaffediem/orders/${order.id}/forward`);
  // A second channel proves delivery still works while the left one stays quiet.
  const staff = crema.socket({ staff: true });
  staff.connect();
  const other = staff.channel("cafe:kaffediem:orders", {});
  const moved = [];
  other.on("order.moved", (p) => moved.push(p.data.order.step));
  await join(other);
  await crema.json("POST", `/api/v1/cafes/kaffediem/orders/${order.id}/forward`);
  await until(() => moved.length === 1, 10000, "the move on the other channel");
  assert.deepEqual(steps, ["production"]);
  socket.disconnect();
  staff.disconnect();
});
