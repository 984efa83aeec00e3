// Starts the real crema binary on a fresh data directory and hands back its address.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import { once } from "node:events";
import WebSocket from "ws";
import { Socket } from "phoenix";

export const BIN = process.env.CREMA_BIN || new URL("../target/debug/crema", import.meta.url).pathname;

export class Crema {
  constructor() {
    this.dir = mkdtempSync(pathJoin(tmpdir(), "crema-e2e-"));
    this.port = 0;
  }

  // Starts (or restarts, on the same port and data) the server; resolves with its base URL.
  async start() {
    const args = ["--data-dir", this.dir, "--port", String(this.port), "--log", "warn"];
    this.proc = spawn(BIN, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("crema did not start: " + out)), 30000);
      this.proc.stdout.on("data", (chunk) => {
        out += chunk;
        const m = out.match(/crema listening on (http:\/\/[^\s]+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      this.proc.on("exit", (code) => reject(new Error(`crema exited (${code}): ${out}`)));
    });
    this.url = url;
    this.port = Number(new URL(url).port);
    // The first start prints the admin account once: sign in as it for staff requests.
    const pw = out.match(/password:\s+(\S+)/);
    const email = out.match(/email:\s+(\S+)/);
    if (pw && email) {
      this.admin = { email: email[1], password: pw[1] };
      const r = await fetch(this.url + "/api/v1/auth/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: email[1], password: pw[1] }),
      });
      if (r.status !== 200) throw new Error("cannot sign in as the admin: " + r.status);
      this.token = (await r.json()).access_token;
    }
    return url;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = once(this.proc, "exit");
    this.proc.kill("SIGTERM");
    await exited;
  }

  async cleanup() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  // A request as the signed-in admin (pass `{ auth: false }` as headers for an anonymous one).
  async json(method, path, body, headers = {}) {
    const { auth = true, ...rest } = headers;
    const authz = auth && this.token ? { authorization: `Bearer ${this.token}` } : {};
    const res = await fetch(this.url + path, {
      method,
      headers: { "content-type": "application/json", ...authz, ...rest },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  // A new staff member of `slug`: the admin invites them, and they accept through the API
  // with a password of their own (as the invitee would on the invitation's page).
  async invite(slug, email, role, name = undefined) {
    const r = await this.json("POST", `/api/v1/cafes/${slug}/members`, { email, role, name });
    if (r.status !== 201) throw new Error("inviting failed: " + JSON.stringify(r));
    const code = r.body.link.replace(/^\/invite\//, "");
    const password = `${email.split("@")[0]}'s own password`;
    const a = await this.json("POST", "/api/v1/invitations/accept", { code, password }, { auth: false });
    if (a.status !== 200) throw new Error("accepting failed: " + JSON.stringify(a));
    return { email, password, id: a.body.user.id };
  }

  async placeOrder(slug = "kaffediem", itemId = 1) {
    const r = await this.json("POST", `/api/v1/cafes/${slug}/orders`, {
      lines: [{ item_id: itemId, quantity: 1 }],
    });
    if (r.status !== 201) throw new Error("placing an order failed: " + JSON.stringify(r));
    return r.body;
  }

  // A socket; `staff: true` signs it in (a token as a socket param), as a kitchen screen is.
  socket(opts = {}) {
    const { staff = false, ...rest } = opts;
    const wsUrl = this.url.replace(/^http/, "ws") + "/socket";
    const params = staff ? { token: this.token } : {};
    return new Socket(wsUrl, { transport: WebSocket, params, ...rest });
  }
}

// Resolves when `pred()` holds, polling; rejects after `ms`.
export async function until(pred, ms = 10000, what = "condition") {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > ms) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Joins a channel and resolves with the join reply (or rejects with the error reply).
export function join(channel) {
  return new Promise((resolve, reject) => {
    channel
      .join()
      .receive("ok", resolve)
      .receive("error", (e) => reject(Object.assign(new Error("join refused"), { reply: e })))
      .receive("timeout", () => reject(new Error("join timed out")));
  });
}
