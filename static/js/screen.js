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
      .then(function (html) { panel.innerHTML = html; show(); panel.setAttribute("data-refreshed", new Date().toISOString()); })
      .catch(function () {});
  }
  setInterval(refresh, seconds * 1000);
  // Panels (.screen-view: the point's figures, the chain…) take turns; the turn survives a
  // refresh, which replaces them.
  var rotate = parseInt(panel.getAttribute("data-rotate-seconds"), 10) || 20;
  var turn = 0;
  function show() {
    var views = panel.querySelectorAll(".screen-view");
    for (var i = 0; i < views.length; i++) views[i].hidden = i !== turn % views.length;
    panel.setAttribute("data-view", views.length ? views[turn % views.length].getAttribute("data-view") : "");
  }
  show();
  setInterval(function () { turn += 1; show(); }, rotate * 1000);
  var clock = document.getElementById("screen-clock");
  function tick() { if (clock) clock.textContent = new Date().toLocaleString("zh-CN", { hour12: false }); }
  tick();
  setInterval(tick, 1000);
})();
