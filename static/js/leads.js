// The lead page. Lives in a file because the Content-Security-Policy allows scripts from
// this origin only (no inline script, no onclick/hx-on handlers).
(function () {
  "use strict";

  // With htmx, answering a criterion saves at once (hx-trigger="change"): the "Save
  // answers" button is only for browsers without JavaScript.
  function hideCriteriaButtons(root) {
    root.querySelectorAll("[data-lead-criteria-submit]").forEach(function (button) {
      button.classList.add("d-none");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    hideCriteriaButtons(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    hideCriteriaButtons(event.target);
  });
})();
