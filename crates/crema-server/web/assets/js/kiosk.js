// The kiosk: the same ordering flow full-screen on a shared touch screen. Nothing is kept on
// the device; after an order it shows the day number big, then starts over; it also starts
// over after a while without a touch, with a visible countdown first.
import { boot, t, cafe, useDeviceToken } from "./crema.js";
import { storedDevice, forgetDevice } from "./device_store.js";
import { Live } from "./live.js";
import { Shop } from "./cart.js";

const IDLE_S = Math.max(5, Number(boot.data.idle_seconds) || 90);
// The warning shows for the last 15 s (less on a very short timeout).
const WARN_S = Math.min(15, Math.floor(IDLE_S / 3));
const DONE_S = 10;

// A kiosk paired with this café (at /device) places its orders as that kiosk.
const device = storedDevice();
if (device && device.cafe === cafe.slug && device.purpose === "kiosk") useDeviceToken(device.token, forgetDevice);

const done = document.getElementById("kiosk-done");
const doneNumber = document.getElementById("kiosk-done-number");
const idle = document.getElementById("kiosk-idle");
const idleText = document.getElementById("kiosk-idle-text");
let doneTimer = null;

const shop = new Shop({
  boot: boot.data,
  channel: "kiosk",
  persist: false,
  nameRequired: false,
  onPlaced: (order) => {
    shop.reset();
    doneNumber.textContent = String(order.day_number);
    done.showModal();
    document.getElementById("kiosk-done-close").focus();
    clearTimeout(doneTimer);
    doneTimer = setTimeout(startOver, DONE_S * 1000);
  },
});

/** Whether a language was picked on this screen: the last customer's choice, which the next
 *  one should not inherit. (The cookie is the language switch's own, readable by scripts.) */
const pickedLanguage = () => /(?:^|;\s*)crema_lang=/.test(document.cookie);

/** Back to the start with nothing of the last customer left on screen. */
function startOver() {
  clearTimeout(doneTimer);
  shop.reset();
  if (done.open) done.close();
  if (idle.open) idle.close();
  doneNumber.textContent = "";
  for (const n of document.querySelectorAll(".toast")) n.remove();
  const announce = document.getElementById("shop-announce");
  if (announce) announce.textContent = "";
  window.scrollTo({ top: 0 });
  lastTouch = Date.now();
  // Back to the café's language too: the switch's form, sent without a language, forgets the
  // choice and reloads this page.
  if (pickedLanguage()) document.querySelector("form.lang")?.submit();
}

document.getElementById("kiosk-done-close").addEventListener("click", startOver);
done.addEventListener("cancel", (e) => {
  e.preventDefault();
  startOver();
});

let lastTouch = Date.now();
for (const kind of ["pointerdown", "keydown", "input", "wheel", "touchstart"]) {
  document.addEventListener(
    kind,
    () => {
      lastTouch = Date.now();
      if (idle.open) idle.close();
    },
    { capture: true, passive: true },
  );
}
document.getElementById("kiosk-idle-stay").addEventListener("click", () => idle.close());

// The attract screen: a kiosk left alone (nothing in progress for the idle time) invites the
// next customer with the café's pictures; the first touch anywhere goes to the menu.
const attract = document.getElementById("kiosk-attract");
function showAttract() {
  if (!attract.hidden) return;
  attract.hidden = false;
  document.body.classList.add("cu-attracting");
  document.getElementById("kiosk-attract-go").focus();
}
function hideAttract() {
  if (attract.hidden) return;
  attract.hidden = true;
  document.body.classList.remove("cu-attracting");
  lastTouch = Date.now();
}
document.getElementById("kiosk-attract-go").addEventListener("click", hideAttract);

setInterval(() => {
  const quiet = (Date.now() - lastTouch) / 1000;
  const something = shop.dirty() || window.scrollY > 0 || pickedLanguage();
  if (done.open || !something) {
    if (idle.open) idle.close();
    if (!done.open && quiet >= IDLE_S) showAttract();
    return;
  }
  if (quiet >= IDLE_S) {
    startOver();
    return;
  }
  if (quiet >= IDLE_S - WARN_S) {
    idleText.textContent = t("customer.kiosk_idle_text", { s: Math.ceil(IDLE_S - quiet) });
    if (!idle.open) idle.showModal();
  }
}, 500);

const live = new Live();
shop.follow(live);
live.indicator(document.querySelector(".conn"));
live.connect();
