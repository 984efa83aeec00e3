// The customer's order page: follows `order:<uuid>` live, moves the progress along the café's
// workflow, and says loudly when the order is ready (an alert, the tab title, a vibration and
// a short chime where the browser allows them).
import { boot, t, stepName } from "./crema.js";
import { Live } from "./live.js";

const data = boot.data;
const baseTitle = document.title;
let step = data.step;

const stepsNode = document.getElementById("steps");
const stepText = document.getElementById("order-step");
const readyAlert = document.getElementById("ready-alert");
const pickedUp = document.getElementById("picked-up");
const cancelled = document.getElementById("order-cancelled");
const lastStep = data.workflow[data.workflow.length - 1];

function chime() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    const ac = new Ctx();
    if (ac.state === "suspended") ac.resume().catch(() => {});
    // Two short notes, a rising "ding-dong".
    [660, 880].forEach((f, i) => {
      const o = ac.createOscillator();
      const g = ac.createGain();
      o.frequency.value = f;
      o.connect(g).connect(ac.destination);
      const at = ac.currentTime + i * 0.25;
      g.gain.setValueAtTime(0.0001, at);
      g.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, at + 0.5);
      o.start(at);
      o.stop(at + 0.55);
    });
    setTimeout(() => ac.close().catch(() => {}), 1500);
  } catch {
    // No sound allowed: the alert and the title still say it.
  }
}

function apply(order, live) {
  if (!order || typeof order.step !== "string") return;
  const before = step;
  step = order.step;
  const isCancelled = step === "cancelled";
  const at = data.workflow.indexOf(step);
  for (const li of stepsNode.querySelectorAll("li.cu-step")) {
    const i = data.workflow.indexOf(li.dataset.step);
    const state = at < 0 ? "todo" : i < at ? "done" : i === at ? "current" : "todo";
    li.className = `cu-step cu-${state}`;
    if (state === "current") li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
    li.querySelector(".cu-step-state").textContent = state === "done" ? t("customer.step_done") : state === "current" ? t("customer.step_now") : "";
  }
  stepText.textContent = stepName(step);
  cancelled.hidden = !isCancelled;
  const reason = document.getElementById("cancel-reason");
  if (reason && order.cancel_reason) reason.textContent = order.cancel_reason;
  const ready = step === data.ready_step;
  readyAlert.hidden = !ready;
  document.getElementById("order").classList.toggle("cu-is-ready", ready);
  pickedUp.hidden = !(step === lastStep && !ready);
  if (ready) {
    document.title = `${t("customer.ready_tab", { n: data.day_number })} · ${baseTitle}`;
    if (live && before !== step) {
      navigator.vibrate?.([200, 100, 200]);
      chime();
    }
  } else {
    document.title = baseTitle;
  }
}

apply({ step }, false);

const live = new Live();
live.join(`order:${data.id}`, {
  snapshot: (s) => apply(s.order, true),
  event: (_kind, d) => apply(d?.order, true),
});
live.indicator(document.querySelector(".conn"));
live.connect();
