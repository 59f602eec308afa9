(function () {
  "use strict";
  document.querySelectorAll(".tabs button").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll(".tabs button").forEach(function (b) { b.classList.toggle("on", b === button); });
      document.querySelectorAll("section.task").forEach(function (s) { s.hidden = s.id !== button.dataset.tab; });
    });
  });
  function pairs(list) {
    var out = {};
    (list || "").split(" ").forEach(function (item) {
      var i = item.indexOf(":");
      if (i > 0) { out[item.slice(0, i)] = item.slice(i + 1); }
    });
    return out;
  }
  document.querySelectorAll("section.task").forEach(function (task) {
    var cards = Array.prototype.slice.call(task.querySelectorAll("article.card"));
    var count = task.querySelector(".count");
    function value(name) {
      var el = task.querySelector('[data-filter="' + name + '"]');
      if (!el) { return ""; }
      return el.type === "checkbox" ? el.checked : el.value;
    }
    function pick(name) { return task.querySelector('[data-pick="' + name + '"]').value; }
    function apply() {
      var f = {lang: value("lang"), doc: value("doc"), split: value("split"), fold: value("fold"), type: value("type"),
               kind: value("kind"), who: value("who"), disagree: value("disagree")};
      var a = pick("a"), b = pick("b"), shown = 0;
      cards.forEach(function (card) {
        var d = card.dataset, ok = true;
        ["lang", "doc", "split", "fold"].forEach(function (k) { if (f[k] && d[k] !== f[k]) { ok = false; } });
        if (ok && f.type && d.type.split(" ").indexOf(f.type) < 0) { ok = false; }
        if (ok && (f.kind || f.who)) {
          var errors = d.err ? d.err.split(" ") : [];
          ok = errors.some(function (e) {
            var i = e.indexOf(":"), who = e.slice(0, i), kind = e.slice(i + 1);
            return (!f.who || who === f.who) && (!f.kind || f.kind === "*" || kind === f.kind);
          });
        }
        if (ok && f.disagree) { var sig = pairs(d.sig); ok = a !== b && sig[a] !== sig[b]; }
        card.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = shown + " of " + cards.length + " sentences";
      var key = Number(a.slice(1)) < Number(b.slice(1)) ? a + "|" + b : b + "|" + a;
      task.querySelectorAll("td.pair").forEach(function (cell) {
        var any = false;
        cell.querySelectorAll("[data-pair]").forEach(function (span) {
          span.hidden = span.dataset.pair !== key;
          if (!span.hidden) { any = true; }
        });
        cell.querySelector(".pair-none").hidden = any;
      });
      task.querySelectorAll("[data-s]").forEach(function (el) {
        el.classList.toggle("is-a", el.dataset.s === a);
        el.classList.toggle("is-b", el.dataset.s === b);
      });
    }
    task.querySelectorAll("[data-filter], [data-pick]").forEach(function (el) { el.addEventListener("change", apply); });
    apply();
  });
}());
