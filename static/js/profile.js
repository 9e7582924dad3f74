// The profile page. A static file, not inline script: the Content-Security-Policy allows
// scripts from this origin only.
//
// - A new API token's key is shown once: select it, and copy it with one click.
// - The token form's validation errors come back as 422; htmx does not swap 4xx answers by
//   default, so let this section show its own.
(function () {
  "use strict";

  var SECTION = "[data-profile-tokens]";

  function inSection(element) {
    return element instanceof Element && element.closest(SECTION) !== null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.status === 422 && (inSection(detail.elt) || inSection(detail.target))) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  function showNewKey(root) {
    var key = root.querySelector("[data-new-token-key]");
    if (key) {
      key.focus();
      key.select();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input) {
      return;
    }
    input.select();
    var label = button.querySelector("[data-copy-label]");
    function confirmCopied() {
      if (label) {
        label.textContent = button.getAttribute("data-copied-label");
      }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(confirmCopied);
    } else if (document.execCommand && document.execCommand("copy")) {
      confirmCopied();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    showNewKey(event.detail.target.isConnected ? event.detail.target : document);
  });

  document.addEventListener("DOMContentLoaded", function () {
    showNewKey(document);
  });
})();
