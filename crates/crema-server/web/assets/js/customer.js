// The customer's menu page: the shared ordering flow (cart.js) with the cart kept on this
// device per café, live menu and status, and the order page after checkout.
import { boot } from "./crema.js";
import { Live } from "./live.js";
import { Shop } from "./cart.js";

const shop = new Shop({
  boot: boot.data,
  channel: "web",
  persist: true,
  nameRequired: true,
  onPlaced: (order) => location.assign(`/o/${encodeURIComponent(order.id)}`),
});

const live = new Live();
shop.follow(live);
live.indicator(document.querySelector(".conn"));
live.connect();
