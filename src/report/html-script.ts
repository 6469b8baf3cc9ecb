// The HTML report's only script, inlined (and allowed by its hash in the page's CSP, so nothing
// else can run): status filters for the timelines, opening a change when its bar is followed,
// expand/collapse of all changes. The page is complete without it; the script only adds controls.
export const HTML_SCRIPT = `(function () {
  "use strict";
  var body = document.body;
  var boxes = document.querySelectorAll(".filters input[data-status]");
  function applyFilters() {
    var hide = {};
    boxes.forEach(function (b) { hide[b.getAttribute("data-status")] = !b.checked; });
    document.querySelectorAll(".row[data-status]").forEach(function (row) {
      row.classList.toggle("hidden-by-filter", hide[row.getAttribute("data-status")] === true);
    });
  }
  boxes.forEach(function (b) { b.addEventListener("change", applyFilters); });
  var filters = document.querySelector(".filters");
  if (filters) filters.hidden = false;
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView({ block: "center" }); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  function setAll(open) {
    document.querySelectorAll("details.change").forEach(function (d) { d.open = open; });
  }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand) expand.addEventListener("click", function () { setAll(true); });
  if (collapse) collapse.addEventListener("click", function () { setAll(false); });
  applyFilters();
  body.setAttribute("data-script", "ran");
})();`;
