// Refreshes the overview: fetches the "overview" fragment every
// data-refresh-ms and swaps it in. Nothing else on the page needs script.
(function () {
  "use strict";
  var box = document.getElementById("streams");
  if (!box) return;
  var every = parseInt(box.dataset.refreshMs, 10) || 2000;
  function refresh() {
    fetch("overview", { cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () { /* keep the last view; try again */ })
      .finally(function () { setTimeout(refresh, every); });
  }
  setTimeout(refresh, every);
})();
