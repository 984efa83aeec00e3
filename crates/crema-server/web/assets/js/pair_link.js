// A manager who scanned a screen's QR code lands on /admin/people?pair=K7M4QX: the code is
// filled in the pairing form and the name field is ready. The code then leaves the address,
// so a reload does not offer a code that has been used.
const params = new URLSearchParams(location.search);
const code = params.get("pair");
const form = document.getElementById("pair-form");
if (code && form) {
  form.elements.code.value = code.replace(/[^0-9A-Za-z -]/g, "").slice(0, 12);
  params.delete("pair");
  const rest = params.toString();
  history.replaceState(history.state, "", location.pathname + (rest ? `?${rest}` : "") + location.hash);
  form.scrollIntoView({ block: "center" });
  form.elements.name.focus();
}
