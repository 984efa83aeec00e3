// /device: pairs this screen with a café. Shows a short code from the API, asks every few
// seconds whether a manager has entered it, and once paired keeps the device token in this
// browser and opens the café's display or kiosk. A device key made in admin can be typed
// instead. A code that expires is replaced by a new one.
import { t, api } from "./crema.js";
import { saveDevice, storedDevice, forgetDevice } from "./device_store.js";

const POLL_MS = 3000;
const $ = (id) => document.getElementById(id);

function screenPath(d) {
  return `/${d.purpose === "kiosk" ? "kiosk" : "display"}?cafe=${encodeURIComponent(d.cafe)}`;
}

function showPaired(d) {
  $("device-pairing").hidden = true;
  $("device-paired").hidden = false;
  $("device-paired-text").textContent = t("device.paired", { name: d.name, cafe: d.cafe });
  $("device-open").href = screenPath(d);
}

let pairing = null;
let timer = null;

async function start() {
  clearTimeout(timer);
  try {
    pairing = await api("POST", "pairing");
    $("device-code").textContent = `${pairing.code.slice(0, 3)} ${pairing.code.slice(3)}`;
    // The server draws the QR code (SVG); shown as an image, it is never parsed into the page.
    if (pairing.qr_svg) $("device-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(pairing.qr_svg)}`;
    $("device-qr-box").hidden = !pairing.qr_svg;
    $("device-state").textContent = t("device.waiting");
    timer = setTimeout(poll, POLL_MS);
  } catch (e) {
    $("device-state").textContent = e.status === 429 ? t("device.too_many") : e.message;
    timer = setTimeout(start, 30000);
  }
}

/** Asks about a token: `paired` opens the screen, `pending` waits, `gone` starts over. */
async function check(token) {
  const s = await api("POST", "pairing/state", { token });
  if (s.state === "paired") {
    const d = { token, cafe: s.cafe, purpose: s.device.purpose, name: s.device.name };
    saveDevice(d);
    location.assign(screenPath(d));
  }
  return s.state;
}

async function poll() {
  try {
    const state = await check(pairing.token);
    if (state === "paired") return;
    if (state === "gone") return start();
  } catch {
    // Offline for a moment: ask again.
  }
  timer = setTimeout(poll, POLL_MS);
}

$("device-key-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = $("device-key-error");
  const input = $("device-key");
  err.hidden = true;
  input.removeAttribute("aria-invalid");
  const key = input.value.trim();
  try {
    const state = key ? await check(key) : "gone";
    if (state !== "paired") throw new Error(t("device.key_bad"));
  } catch (e) {
    err.textContent = e.errors?.length ? t("device.key_bad") : e.message;
    err.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
});

$("device-forget").addEventListener("click", () => {
  forgetDevice();
  location.reload();
});

const known = storedDevice();
if (known) showPaired(known);
else start();
