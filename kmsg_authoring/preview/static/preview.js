// kmsg-author live preview: tabs, and reloading when a newer build of this page's template exists.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function show(group, target) {
    document.querySelectorAll('.panel[data-group="' + group + '"]').forEach(function (panel) {
      panel.classList.toggle("active", panel.id === target);
    });
    document.querySelectorAll('.tabs[data-group="' + group + '"] button').forEach(function (button) {
      var on = button.dataset.target === target;
      button.classList.toggle("active", on);
      button.setAttribute("aria-selected", on ? "true" : "false");
    });
    try { sessionStorage.setItem("kmsg-tab:" + location.pathname + ":" + group, target); } catch (e) { /* private mode */ }
  }

  function setUpTabs() {
    document.querySelectorAll(".tabs").forEach(function (nav) {
      var group = nav.dataset.group;
      var buttons = nav.querySelectorAll("button");
      if (!buttons.length) { return; }
      buttons.forEach(function (button) {
        button.addEventListener("click", function () { show(group, button.dataset.target); });
      });
      var saved = null;
      try { saved = sessionStorage.getItem("kmsg-tab:" + location.pathname + ":" + group); } catch (e) { saved = null; }
      var known = Array.prototype.some.call(buttons, function (b) { return b.dataset.target === saved; });
      show(group, known ? saved : buttons[0].dataset.target);
    });
  }

  // Long polling, as mkdocs' livereload does: the server answers once a build newer than the one this
  // page shows exists (or after a while with the same epoch), and the page reloads when it differs.
  function live() {
    var body = document.body;
    var epoch = body.dataset.liveEpoch;
    if (epoch === undefined) { return; }
    var url = "/livereload?since=" + encodeURIComponent(epoch);
    if (body.dataset.liveSlug !== undefined) { url += "&slug=" + encodeURIComponent(body.dataset.liveSlug); }
    function poll() {
      fetch(url, { cache: "no-store" }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (text) {
        if (text.trim() !== epoch) { location.reload(); } else { poll(); }
      }).catch(function () { setTimeout(poll, 1000); });
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () { setUpTabs(); live(); });
}());
