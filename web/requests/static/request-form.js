// Progressive enhancement of the request form: the page works without this file.
// - commune suggestions fetched from the JSON endpoint into the native <datalist>;
// - focus moves to the error summary so screen readers announce it first.
(function () {
  "use strict";
  var summary = document.getElementById("erreurs");
  if (summary) { summary.focus(); }

  // Rhythm: show only the numbers the chosen kind uses (without this file all are shown,
  // each hint saying which kind it is for, and the server ignores the others).
  var rhythm = document.querySelector("[data-rhythm]");
  if (rhythm) {
    var showRhythm = function () {
      var checked = rhythm.querySelector("input[type=radio]:checked");
      var kind = checked ? checked.value : "single";
      Array.prototype.forEach.call(rhythm.querySelectorAll("[data-kinds]"), function (input) {
        var box = input.closest(".field");
        if (box) { box.hidden = input.getAttribute("data-kinds").split(" ").indexOf(kind) < 0; }
      });
    };
    rhythm.addEventListener("change", showRhythm);
    showRhythm();
  }

  var form = document.querySelector("form[data-suggest-url]");
  var input = document.getElementById("commune");
  var list = document.getElementById("communes-suggestions");
  if (!form || !input || !list || !window.fetch) { return; }
  var url = form.getAttribute("data-suggest-url");
  var timer = null;
  var last = "";

  function fill(items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.label;  // text node semantics: never parsed as HTML
      list.appendChild(option);
    });
  }

  input.addEventListener("input", function () {
    var q = input.value.trim();
    if (q.length < 2 || q === last || / – \S+$/.test(q)) { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      last = q;
      window.fetch(url + "?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) { if (input.value.trim() === q) { fill(items); } })
        .catch(function () { /* suggestions are a convenience only */ });
    }, 200);
  });
}());
