// Display screen: swap in a fresh panel every minute, without reloading the page (no flicker).
// If the network is down the old panel stays; the next tick tries again.
(function () {
  var panel = document.getElementById("screen-panel");
  if (!panel || !window.fetch) return;
  var url = panel.getAttribute("data-refresh-url");
  var seconds = parseInt(panel.getAttribute("data-refresh-seconds"), 10) || 60;
  function refresh() {
    fetch(url, { credentials: "omit", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) { panel.innerHTML = html; panel.setAttribute("data-refreshed", new Date().toISOString()); })
      .catch(function () {});
  }
  setInterval(refresh, seconds * 1000);
  var clock = document.getElementById("screen-clock");
  function tick() { if (clock) clock.textContent = new Date().toLocaleString("zh-CN", { hour12: false }); }
  tick();
  setInterval(tick, 1000);
})();
