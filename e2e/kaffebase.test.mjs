// The Kaffebase drop-in with the official phoenix client, as the Kaffediem frontend uses it:
// join each `collection:*` topic with `{options: ...}`, get `{items}`, then see a `change`
// event for every create, update and delete made over HTTP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Crema, BIN, until, join } from "./harness.mjs";

const ORIGIN = "http://localhost:5173";
let crema;
let cookie = null;

before(async () => {
  crema = new Crema();
  await crema.start();
  // A manager of the default café, signed in as the Kaffediem admin page would be. Every
  // write below needs it: a failed sign-in stops here instead of carrying on without a cookie.
  const out = execFileSync(
    BIN,
    ["--data-dir", crema.dir, "--log", "warn", "user", "add", "--email", "kaffe@kaffediem.test", "--role", "manager", "--cafe", "kaffediem"],
    { encoding: "utf8" },
  );
  const password = out.match(/password \(shown once\): (\S+)/)[1];
  const res = await fetch(crema.url + "/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "kaffe@kaffediem.test", password }),
  });
  assert.equal(res.status, 200, `signing in as the manager: ${await res.text()}`);
  cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith("crema_session=") && !c.endsWith("="));
  assert.ok(cookie, "signing in sets a session cookie");
  // The cookie is the manager's: the session endpoint says who it is.
  const me = await fetch(crema.url + "/api/v1/auth/me", { headers: { cookie } });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).email, "kaffe@kaffediem.test");
});

after(async () => {
  await crema.cleanup();
});

// A request as the Kaffediem frontend sends it (credentials: "include" from its origin).
async function kb(method, path, body) {
  const headers = { origin: ORIGIN, accept: "*/*", cookie };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(crema.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const records = (c) => `/api/collections/${c}/records`;

// Joins `topic` and collects its change events.
async function follow(topic, options = {}) {
  const socket = crema.socket();
  socket.connect();
  const ch = socket.channel(topic, { options });
  const changes = [];
  ch.on("change", (p) => changes.push(p));
  const reply = await join(ch);
  return { socket, ch, changes, reply };
}

test("collection:order: the front desk's order, the kitchen's move, a delete", async () => {
  const { socket, changes, reply } = await follow("collection:order", { from_date: "today" });
  assert.deepEqual(reply, { items: [] });

  const menu = (await kb("GET", records("item"))).body;
  const latte = menu.find((i) => i.name === "Caffè latte");
  const keys = (await kb("GET", records("customization_key"))).body;
  const milk = keys.find((k) => k.name === "Melk");
  const values = (await kb("GET", records("customization_value"))).body;
  const oat = values.find((v) => v.name === "Havre" && v.belongs_to === milk.id);

  const placed = await kb("POST", records("order"), {
    customer_id: null,
    state: "received",
    missing_information: false,
    items: [{ item: latte.id, customizations: [{ key: milk.id, value: [oat.id] }] }],
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  await until(() => changes.length === 1, 10000, "the create");
  assert.equal(changes[0].action, "create");
  // The topic is public: its record is the HTTP response's, except that the order's id (the
  // key to the customer's own page) is replaced by a stand-in and no account id is named.
  const { uuid: publicId, customer_id: noAccount, ...pushed } = changes[0].record;
  const { uuid: realId, customer_id: _account, ...answered } = placed.body;
  assert.deepEqual(pushed, answered);
  assert.notEqual(publicId, realId);
  assert.equal(noAccount, null);
  assert.equal(changes[0].record.day_id, 101);
  const oatLine = changes[0].record.items[0].customizations.find((c) => c.value_name === "Havre");
  assert.equal(oatLine.label_color, "#3b82f6");

  const moved = await kb("PATCH", `${records("order")}/${placed.body.id}`, { state: "production" });
  assert.equal(moved.status, 200);
  await until(() => changes.length === 2, 10000, "the update");
  assert.equal(changes[1].action, "update");
  assert.equal(changes[1].record.state, "production");

  // The "oops" button: back one step is the undo of the last move.
  const undo = await kb("PATCH", `${records("order")}/${placed.body.id}`, { state: "received" });
  assert.equal(undo.status, 200);
  await until(() => changes.length === 3, 10000, "the undo");
  assert.equal(changes[2].record.state, "received");
  // A jump the workflow does not allow: a 422 in Kaffebase's shape, and no event.
  const jump = await kb("PATCH", `${records("order")}/${placed.body.id}`, { state: "completed" });
  assert.equal(jump.status, 422);
  assert.deepEqual(Object.keys(jump.body.errors), ["state"]);

  const gone = await kb("DELETE", `${records("order")}/${placed.body.id}`);
  assert.equal(gone.status, 204);
  await until(() => changes.length === 4, 10000, "the delete");
  assert.equal(changes[3].action, "delete");
  assert.equal(changes[3].record.id, placed.body.id);
  assert.equal(changes[3].record.items[0].name, "Caffè latte");
  socket.disconnect();
});

test("collection:menu: the nested tree, and the whole menu again on every catalog change", async () => {
  const { socket, changes, reply } = await follow("collection:menu");
  const { tree, indexes } = reply.items;
  assert.deepEqual(tree.map((c) => c.name), ["Kaffe", "Te", "Annet"]);
  assert.ok(tree[0].items.length > 0 && tree[0].items[0].customizations.length > 0);
  for (const k of ["categories", "items", "items_by_category", "customization_keys", "customization_values", "customizations_by_key"]) {
    assert.ok(k in indexes, k);
  }

  const created = await kb("POST", records("category"), { name: "Juice", enable: true, sort_order: 9, valid_customizations: [] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await until(() => changes.length === 1, 10000, "the menu after a create");
  assert.equal(changes[0].action, "update");
  assert.ok(changes[0].record.indexes.categories.some((c) => c.name === "Juice"));

  const renamed = await kb("PATCH", `${records("category")}/${created.body.id}`, { name: "Jus" });
  assert.equal(renamed.status, 200);
  await until(() => changes.length === 2, 10000, "the menu after an update");
  assert.ok(changes[1].record.indexes.categories.some((c) => c.name === "Jus"));

  const deleted = await kb("DELETE", `${records("category")}/${created.body.id}`);
  assert.equal(deleted.status, 204);
  await until(() => changes.length === 3, 10000, "the menu after a delete");
  assert.ok(!changes[2].record.indexes.categories.some((c) => c.id === created.body.id));
  socket.disconnect();
});

test("collection:message: create, update, delete", async () => {
  const { socket, changes, reply } = await follow("collection:message");
  assert.ok(Array.isArray(reply.items));
  const m = await kb("POST", records("message"), { title: "", subtitle: null });
  assert.equal(m.status, 201);
  await until(() => changes.length === 1, 10000, "the create");
  assert.deepEqual(changes[0], { action: "create", record: m.body });
  const u = await kb("PATCH", `${records("message")}/${m.body.id}`, { title: "Stengt", subtitle: "Til mandag" });
  assert.equal(u.status, 200);
  await until(() => changes.length === 2, 10000, "the update");
  assert.deepEqual(changes[1], { action: "update", record: u.body });
  const d = await kb("DELETE", `${records("message")}/${m.body.id}`);
  assert.equal(d.status, 204);
  await until(() => changes.length === 3, 10000, "the delete");
  assert.deepEqual(changes[2], { action: "delete", record: { id: m.body.id } });
  socket.disconnect();
});

test("collection:status: the one status row, updated by the toggles", async () => {
  const { socket, changes, reply } = await follow("collection:status");
  assert.equal(reply.items.length, 1);
  const status = reply.items[0];
  const u = await kb("PATCH", `${records("status")}/${status.id}`, {
    open: false,
    show_message: true,
    message_id: status.message_id,
  });
  assert.equal(u.status, 200, JSON.stringify(u.body));
  await until(() => changes.length === 1, 10000, "the update");
  assert.deepEqual(changes[0], { action: "update", record: u.body });
  // The status is a singleton: no second one, and it is not deleted.
  assert.equal((await kb("POST", records("status"), { open: true })).status, 422);
  assert.equal((await kb("DELETE", `${records("status")}/${status.id}`)).status, 422);
  await kb("PATCH", `${records("status")}/${status.id}`, { open: true, show_message: false, message_id: status.message_id });
  await until(() => changes.length === 2, 10000, "the reopening");
  socket.disconnect();
});
