// The stage editor (pipeline settings): drag to reorder, keep focus across htmx swaps,
// show 422 answers in place, and fix the probability of won and lost stages in the add
// form. Every action also works without this file: forms POST and the server redirects.
(function () {
  "use strict";

  var CLOSED_PROBABILITY = { won: "100", lost: "0" };

  function inSettings(element) {
    return Boolean(element && element.closest && element.closest("[data-stage-settings]"));
  }

  // --- Drag and drop ------------------------------------------------------------------------
  // Dropping a stage fills the hidden order form with every stage id in its new place and
  // submits it; htmx posts it and swaps in the editor as the server saved it.
  function submitOrder(editor) {
    var form = editor.querySelector("[data-stage-order-form]");
    if (!form) {
      return;
    }
    form.querySelectorAll("input[name='stage_ids']").forEach(function (input) {
      input.remove();
    });
    editor.querySelectorAll(".stage-list > [data-stage-id]").forEach(function (row) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "stage_ids";
      input.value = row.getAttribute("data-stage-id");
      form.appendChild(input);
    });
    form.requestSubmit();
  }

  function enableDragging(root) {
    if (typeof window.Sortable === "undefined") {
      return;
    }
    root.querySelectorAll("[data-sortable-stages]").forEach(function (list) {
      if (list.dataset.sortableReady) {
        return;
      }
      list.dataset.sortableReady = "true";
      window.Sortable.create(list, {
        handle: ".stage-drag-handle",
        draggable: "[data-stage-id]",
        animation: 150,
        ghostClass: "is-drag-ghost",
        chosenClass: "is-dragging",
        onEnd: function (event) {
          if (event.oldIndex !== event.newIndex) {
            submitOrder(list.closest("#stage-editor"));
          }
        },
      });
    });
  }

  // --- Add form: won and lost stages have a fixed probability and never go stale ----------
  function syncKind(form) {
    var kind = form.querySelector("select[name$='kind']");
    var probability = form.querySelector("input[name$='probability']");
    var rottingDays = form.querySelector("input[name$='rotting_days']");
    if (!kind || !probability) {
      return;
    }
    var fixed = CLOSED_PROBABILITY[kind.value];
    if (fixed !== undefined) {
      probability.value = fixed;
      probability.readOnly = true;
    } else if (probability.readOnly) {
      probability.readOnly = false;
      probability.value = "";
    }
    if (rottingDays) {
      rottingDays.disabled = fixed !== undefined;
      if (rottingDays.disabled) {
        rottingDays.value = "";
      }
    }
    // A lost stage takes every deal: it has no entry criteria.
    form.querySelectorAll("input[name$='entry_fields'], textarea[name$='entry_checklist']")
      .forEach(function (input) {
        input.disabled = kind.value === "lost";
      });
  }

  function enhance(root) {
    enableDragging(root);
    root.querySelectorAll("[data-add-stage-form]").forEach(syncKind);
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-add-stage-form]");
    if (form && event.target.matches("select[name$='kind']")) {
      syncKind(form);
    }
  });

  // --- htmx: 422 answers carry the form with its errors; swap them in like a 200 --------
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!inSettings(target)) {
      return;
    }
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    // SortableJS leaves style="" on the rows it animated, and htmx copies an old element's
    // style attribute onto its new twin while settling: a setAttribute the CSP refuses.
    target.querySelectorAll("[style]").forEach(function (element) {
      element.removeAttribute("style");
    });
    if (target.hasAttribute("style")) {
      target.removeAttribute("style");
    }
  });

  // --- Focus: keep keyboard users where they were after a swap -----------------------------
  var pendingFocus = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (!inSettings(element)) {
      return;
    }
    var row = element.closest("[data-stage-id]");
    var stageId = row ? row.getAttribute("data-stage-id") : null;
    var active = document.activeElement;
    if (active && active.matches("[data-move]")) {
      pendingFocus = { stageId: stageId, move: active.getAttribute("data-move") };
    } else if (element.matches("[data-edit-stage]")) {
      pendingFocus = { stageId: stageId, editing: true };
    } else if (element.matches(".stage-edit-form") || element.closest(".stage-edit-form")) {
      pendingFocus = { stageId: stageId, saved: true };
    } else if (element.matches("[data-add-stage-form]")) {
      pendingFocus = { adding: true };
    } else {
      pendingFocus = null;
    }
  });

  function restoreFocus() {
    if (!pendingFocus) {
      return;
    }
    var row = pendingFocus.stageId ? document.getElementById("stage-" + pendingFocus.stageId) : null;
    var target = null;
    if (pendingFocus.adding) {
      // Back to the first field in error, or to "Add a stage" for the next one.
      target = document.querySelector("[data-add-stage-form] .is-invalid") ||
        document.querySelector(".stage-add > summary");
    } else if (row && pendingFocus.move) {
      target = row.querySelector("[data-move='" + pendingFocus.move + "']:not([disabled])") ||
        row.querySelector("[data-move]:not([disabled])");
    } else if (row && pendingFocus.editing) {
      target = row.querySelector(".is-invalid") || row.querySelector("input[type='text']");
    } else if (row && pendingFocus.saved) {
      target = row.querySelector(".is-invalid") || row.querySelector("[data-edit-stage]");
    }
    pendingFocus = null;
    if (target) {
      target.focus();
    }
  }

  // Only requests from the settings page set pendingFocus; the swapped element itself
  // may be detached by now, so it is not asked where it lived.
  document.addEventListener("htmx:afterSettle", restoreFocus);

  document.addEventListener("htmx:load", function (event) {
    enhance(event.detail.elt);
  });

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
})();
