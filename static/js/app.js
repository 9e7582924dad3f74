// Behaviour shared by every page. Lives in a file, not in the templates, because the
// Content-Security-Policy allows scripts from this origin only (no inline script, no
// onclick/hx-on handlers).
(function () {
  "use strict";

  // Forms marked data-autosubmit (the language picker) submit as soon as a select changes;
  // their submit button stays in the markup for browsers without JavaScript.
  function enhanceAutosubmitForms(root) {
    root.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.querySelectorAll("[data-autosubmit-button]").forEach(function (button) {
        button.classList.add("d-none");
      });
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLSelectElement)) {
      return;
    }
    var form = target.closest("form[data-autosubmit]");
    if (form) {
      form.requestSubmit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    enhanceAutosubmitForms(document);
  });
})();
