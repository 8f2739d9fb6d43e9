/* Review desk: the timeline and the day's map select the same stop. Without this script
   each stop is a link that reloads the page with it selected (and the map opened on it). */
(function () {
  "use strict";
  var frame = document.getElementById("carte-jour");
  if (!frame) { return; }
  var origin = window.location.origin;

  function select(key, scroll) {
    var items = document.querySelectorAll(".seg-visit[data-stop]");
    var found = null;
    for (var i = 0; i < items.length; i++) {
      var on = items[i].getAttribute("data-stop") === key;
      items[i].classList.toggle("selected", on);
      if (on) { items[i].setAttribute("aria-current", "true"); found = items[i]; }
      else { items[i].removeAttribute("aria-current"); }
    }
    if (found && scroll) { found.scrollIntoView({block: "nearest"}); }
    return found;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.stop-link") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    event.preventDefault();
    var key = link.getAttribute("data-stop");
    select(key, false);
    if (window.history && window.history.replaceState) { window.history.replaceState(null, "", link.href); }
    if (frame.contentWindow) { frame.contentWindow.postMessage({tourplan: "select", key: key}, origin); }
  });

  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin !== origin || event.source !== frame.contentWindow || data.tourplan !== "select") { return; }
    select(String(data.key), true);
  });
})();
