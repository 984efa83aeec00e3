// The device this browser was paired as (by /device): {token, cafe, purpose, name} in
// localStorage, so a wall display or kiosk stays signed in across reloads and restarts.
const KEY = "crema.device";

export function storedDevice() {
  try {
    const d = JSON.parse(localStorage.getItem(KEY) || "null");
    return d && typeof d.token === "string" && typeof d.cafe === "string" ? d : null;
  } catch {
    return null;
  }
}

export function saveDevice(d) {
  try {
    localStorage.setItem(KEY, JSON.stringify(d));
  } catch {
    // Private mode: paired for this page only.
  }
}

export function forgetDevice() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing kept.
  }
}
