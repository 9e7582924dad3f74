// The quota editor (settings): a refused cell comes back as 422 with its message, and is
// swapped in place like a saved one. Without this file the table still saves: its form
// POSTs every cell and the server redirects.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!(target && target.closest && target.closest("#quota-table"))) {
      return;
    }
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
