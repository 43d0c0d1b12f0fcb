// planbridge console: live refresh. Pages work without it; with it, the
// main part of a page that asks for it (data-refresh) is fetched again
// every few seconds and swapped in, unless the operator is typing in or
// has ticked something inside it.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !main.dataset.refresh) { return; }
  var every = Math.max(1, parseInt(main.dataset.refresh, 10) || 5) * 1000;
  function busy() {
    var a = document.activeElement;
    if (a && main.contains(a) && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT")) { return true; }
    var boxes = main.querySelectorAll("input[type=checkbox][name=id]");
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].checked) { return true; } }
    return false;
  }
  function refresh() {
    if (document.hidden || busy()) { return schedule(); }
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || !r.ok) { throw new Error("stopped"); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        if (fresh && !busy()) { main.innerHTML = fresh.innerHTML; }
        schedule();
      })
      .catch(function () {
        var live = document.getElementById("live");
        if (live) { live.textContent = "live refresh stopped: reload the page"; }
      });
  }
  function schedule() { setTimeout(refresh, every); }
  schedule();
})();
