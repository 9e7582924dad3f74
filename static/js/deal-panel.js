// The deal panel (board side panel and deal page). A static file, not inline script: the
// Content-Security-Policy allows scripts from this origin only.
//
// - Validation errors come back as 422 with the form and its messages, and a stale edit as
//   409 with the deal as it now stands; htmx does not swap 4xx responses by default, so let
//   the panel's own forms show theirs.
// - After a swap, focus the first invalid field, or the "logged" message, so keyboard and
//   screen-reader users know what happened.
// - A value edited in place: its input takes the focus; Escape cancels (the form's Cancel
//   link asks for the values as they stand). A stale edit answers 409 with the current
//   values and who changed them first: swapped in like a 422.
// - The quick-log form offers only the outcomes that fit the chosen kind.
(function () {
  "use strict";

  var PANEL = "[data-deal-panel]";

  function inPanel(element) {
    return element instanceof Element && element.closest(PANEL) !== null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    // 409: a stale edit; the answer shows the deal as it now is and who changed it.
    var shown = detail.xhr.status === 422 || detail.xhr.status === 409;
    if (shown && (inPanel(detail.elt) || inPanel(detail.target))) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  function focusAfterSwap(root) {
    if (!(root instanceof Element)) {
      return;
    }
    var inline = root.matches("form[data-inline-edit]")
      ? root
      : root.querySelector("form[data-inline-edit]");
    if (inline) {
      var input = inline.querySelector(".is-invalid, input:not([type='hidden']), select");
      if (input) {
        input.focus();
        if (input instanceof HTMLInputElement && input.select) {
          input.select();
        }
        return;
      }
    }
    var invalid = root.querySelector(".is-invalid");
    var flash = root.querySelector("[data-flash]");
    var target = invalid || flash;
    if (target) {
      target.focus({ preventScroll: false });
    }
  }

  function filterOutcomes(form) {
    var select = form.querySelector("[data-outcome-select]");
    var kind = form.querySelector("input[name='kind']:checked");
    if (!select || !kind) {
      return;
    }
    Array.prototype.forEach.call(select.options, function (option) {
      var fits = (option.dataset.kinds || "").split(" ").indexOf(kind.value) !== -1;
      option.hidden = !fits;
      option.disabled = !fits;
      if (!fits && option.selected) {
        select.value = "";
      }
    });
  }

  function enhance(root) {
    if (!(root instanceof Element || root instanceof Document)) {
      return;
    }
    var forms = root.querySelectorAll("form[data-quick-log]");
    if (root instanceof Element && root.matches("form[data-quick-log]")) {
      forms = [root].concat(Array.prototype.slice.call(forms));
    }
    Array.prototype.forEach.call(forms, filterOutcomes);
  }

  // Choosing a product fills in its catalogue price in the deal's currency (the server
  // takes that price too when the field is left empty, so this is a convenience).
  function prefillUnitPrice(select) {
    var form = select.closest("[data-line-item-form]");
    var price = form && form.querySelector("input[name='unit_price']");
    var option = select.options[select.selectedIndex];
    if (price && option) {
      price.value = option.dataset.price || "";
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.matches("[data-line-item-product]")) {
      prefillUnitPrice(target);
    }
    if (target instanceof HTMLInputElement && target.name === "kind") {
      var form = target.closest("form[data-quick-log]");
      if (form) {
        filterOutcomes(form);
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !(event.target instanceof Element)) {
      return;
    }
    var form = event.target.closest("form[data-inline-edit]");
    var cancel = form && form.querySelector("[data-inline-cancel]");
    if (cancel) {
      // Inside the board's offcanvas, Escape would also close the panel: only cancel.
      event.preventDefault();
      event.stopPropagation();
      cancel.click();
    }
  }, true);

  // Fired on each swapped-in element: after an outerHTML swap the old target is gone.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.target;
    if (inPanel(target) || (target instanceof Element && target.querySelector(PANEL))) {
      enhance(target);
      focusAfterSwap(target);
    }
  });

  // Out-of-band swaps do not fire afterSwap on their elements; only forms need enhancing.
  document.addEventListener("htmx:load", function (event) {
    if (inPanel(event.detail.elt)) {
      enhance(event.detail.elt);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
})();
