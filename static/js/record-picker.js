// Company and contact pickers (templates/contacts/_record_picker.html): the options come
// from the server as the user types (htmx); this file shows them, moves through them with
// the arrow keys, takes one with Enter or a click, and closes them with Escape or on leaving
// the field. Typing again forgets the chosen record: the text is resolved on submit.
(function () {
  "use strict";

  function parts(element) {
    var picker = element instanceof Element ? element.closest("[data-record-picker]") : null;
    if (!picker) {
      return null;
    }
    return {
      picker: picker,
      input: picker.querySelector("[data-record-picker-input]"),
      value: picker.querySelector("[data-record-picker-value]"),
      list: picker.querySelector('[role="listbox"]'),
      extra: picker.querySelector("[data-record-picker-new]"),
    };
  }

  function options(p) {
    return Array.prototype.slice.call(p.list.querySelectorAll('[role="option"]'));
  }

  function setOpen(p, open) {
    p.list.hidden = !open;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) {
      p.input.removeAttribute("aria-activedescendant");
    }
  }

  function highlight(p, option) {
    options(p).forEach(function (each) {
      var active = each === option;
      each.classList.toggle("active", active);
      each.setAttribute("aria-selected", active ? "true" : "false");
    });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  // A new record needs its extra field (domain, email); a chosen one does not.
  function showExtra(p, shown) {
    if (p.extra) {
      p.extra.hidden = !shown;
    }
  }

  function choose(p, option) {
    p.input.value = option.dataset.label;
    p.value.value = option.dataset.value;
    showExtra(p, option.hasAttribute("data-new"));
    setOpen(p, false);
    p.value.dispatchEvent(
      new CustomEvent("recordPicked", {
        bubbles: true,
        detail: {
          id: option.dataset.value,
          label: option.dataset.label,
          companyId: option.dataset.companyId || "",
          companyLabel: option.dataset.companyLabel || "",
        },
      })
    );
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts(event.detail.target);
    if (!p || event.detail.target !== p.list) {
      return;
    }
    highlight(p, null);
    setOpen(p, options(p).length > 0 && document.activeElement === p.input);
  });

  document.addEventListener("input", function (event) {
    var p = parts(event.target);
    if (p && event.target === p.input) {
      p.value.value = "";
      showExtra(p, true);
    }
  });

  document.addEventListener("keydown", function (event) {
    var p = parts(event.target);
    if (!p || event.target !== p.input) {
      return;
    }
    var all = options(p);
    var current = p.list.querySelector('[role="option"].active');
    var index = all.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) {
        return;
      }
      event.preventDefault();
      setOpen(p, true);
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight(p, all[(index + step + all.length) % all.length]);
    } else if (event.key === "Enter" && !p.list.hidden && current) {
      event.preventDefault();
      choose(p, current);
    } else if (event.key === "Escape" && !p.list.hidden) {
      // Only the list closes, not a dialog around the form.
      event.preventDefault();
      event.stopPropagation();
      setOpen(p, false);
    }
    // Capturing: the picker's Escape must close its list before a dialog around it sees it.
  }, true);

  // mousedown, so that the input's blur does not close the list before the click lands.
  document.addEventListener("mousedown", function (event) {
    var option = event.target instanceof Element ? event.target.closest('[role="option"]') : null;
    var p = parts(option);
    if (p && option) {
      event.preventDefault();
      choose(p, option);
    }
  });

  document.addEventListener("focusout", function (event) {
    var p = parts(event.target);
    if (p && event.target === p.input) {
      setOpen(p, false);
    }
  });

  // A contact picked without a company chosen brings its company into the company picker.
  document.addEventListener("recordPicked", function (event) {
    var form = event.target.form;
    var detail = event.detail;
    if (!form || !detail.companyId) {
      return;
    }
    var companyValue = form.querySelector('[data-record-picker-value][name="company"]');
    var company = parts(companyValue);
    if (company && !company.value.value && !company.input.value.trim()) {
      company.value.value = detail.companyId;
      company.input.value = detail.companyLabel;
      showExtra(company, false);
    }
  });

  function init(root) {
    var scope = root instanceof Element || root instanceof Document ? root : document;
    scope.querySelectorAll("[data-record-picker]").forEach(function (picker) {
      var p = parts(picker);
      showExtra(p, !p.value.value);
    });
  }

  if (typeof htmx !== "undefined") {
    htmx.onLoad(init);
  }
  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
})();
