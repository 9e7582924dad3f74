// The board: drag and drop (SortableJS), keyboard moves, the deal panel, live updates.
// A static file, not inline script: the Content-Security-Policy allows this origin only.
//
// A move is always the same POST to the card's data-move-url (stage, version, the ids of
// the cards just above ("after") and below ("before")), answered with htmx fragments:
// - 200: the card (new version) replaces itself; column headers arrive out of band; the
//   "dealMoved" event says where the card belongs (the menu and the dialog move it there).
// - 4xx: a message for #board-status (or the dialog, 422) and "moveFailed": the card goes
//   back where it was. A conflict (409) also sends "boardRefresh": the board is redrawn as
//   it really is.
// The poller (#board-poller) asks every 3 s whether anything changed; it is held back while
// a card is dragged, a move is on its way, a menu or the dialog is open, or the tab hidden.
(function () {
  "use strict";

  var state = {
    dragging: false,
    movesInFlight: 0,
    origins: {}, // deal id -> {list, next, stage}: where a moved card came from
    suppressClickUntil: 0,
    focusCardId: null, // refocus this card once it is swapped in (keyboard moves)
    panelOpenerId: null,
    scroll: null,
  };
  var HANDLED_STATUSES = [400, 403, 404, 409, 422];

  function boardElement() {
    return document.getElementById("board");
  }

  function isCard(element) {
    return element instanceof Element && element.classList.contains("deal-card");
  }

  function cardById(id) {
    return document.getElementById("deal-" + id);
  }

  function withFilters(url) {
    var board = boardElement();
    var query = board ? board.dataset.filterQuery || "" : "";
    if (!query) {
      return url;
    }
    return url + (url.indexOf("?") === -1 ? "?" : "&") + query;
  }

  function siblingCard(card, direction) {
    var sibling = direction < 0 ? card.previousElementSibling : card.nextElementSibling;
    while (sibling && !isCard(sibling)) {
      sibling = direction < 0 ? sibling.previousElementSibling : sibling.nextElementSibling;
    }
    return sibling;
  }

  function firstCard(list) {
    for (var i = 0; i < list.children.length; i += 1) {
      if (isCard(list.children[i])) {
        return list.children[i];
      }
    }
    return null;
  }

  function columnOf(element) {
    return element.closest(".board-column");
  }

  function statusElement() {
    return document.getElementById("board-status");
  }

  function announce(message, level) {
    var region = statusElement();
    if (!region || !message) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-" + (level || "info") + " board-status-message mb-0";
    alert.dataset.level = level || "info";
    alert.textContent = message;
    region.replaceChildren(alert);
  }

  // --- Moving ------------------------------------------------------------------------------

  function rememberOrigin(card) {
    var list = card.parentElement;
    state.origins[card.dataset.dealId] = {
      list: list,
      next: card.nextElementSibling,
      stage: columnOf(list).dataset.stageId,
    };
  }

  function putBack(id) {
    var origin = state.origins[id];
    var card = cardById(id);
    delete state.origins[id];
    if (!origin || !card || !origin.list.isConnected) {
      return;
    }
    if (origin.next && origin.next.parentElement === origin.list) {
      origin.list.insertBefore(card, origin.next);
    } else {
      origin.list.appendChild(card);
    }
    if (state.focusCardId === id) {
      card.focus();
    }
  }

  function postMove(card) {
    var id = card.dataset.dealId;
    var origin = state.origins[id];
    var above = siblingCard(card, -1);
    var below = siblingCard(card, 1);
    var values = {
      stage: columnOf(card).dataset.stageId,
      version: card.dataset.version,
      after: above ? above.dataset.dealId : "",
      before: below ? below.dataset.dealId : "",
      from_stage: origin ? origin.stage : card.dataset.stageId,
    };
    state.movesInFlight += 1;
    card.classList.add("is-saving");
    card.setAttribute("aria-busy", "true");
    function done() {
      state.movesInFlight -= 1;
      var current = cardById(id);
      if (current) {
        current.classList.remove("is-saving");
        current.removeAttribute("aria-busy");
      }
      // Neither "dealMoved" nor "moveFailed" came: a server error or no network.
      if (state.origins[id]) {
        putBack(id);
        var region = statusElement();
        announce(region ? region.dataset.unsavedMessage : "", "danger");
      }
    }
    htmx
      .ajax("POST", withFilters(card.dataset.moveUrl), {
        source: card,
        target: card,
        swap: "outerHTML",
        values: values,
      })
      .then(done, done);
  }

  // Put a card where the server says it now is: in its column (where the user dropped it,
  // if that is the column), or first in a won or lost column, which lists newest first.
  function placeCard(detail) {
    var card = cardById(detail.id);
    var column = document.getElementById("column-" + detail.stage);
    if (!card || !column) {
      return;
    }
    var list = column.querySelector(".board-cards");
    if (card.parentElement === list && detail.at !== "start") {
      return;
    }
    var after = detail.after ? cardById(detail.after) : null;
    var before = detail.before ? cardById(detail.before) : null;
    if (detail.at === "start") {
      if (list.firstElementChild !== card) {
        list.insertBefore(card, list.firstElementChild);
      }
    } else if (after && after.parentElement === list) {
      list.insertBefore(card, after.nextElementSibling);
    } else if (before && before.parentElement === list) {
      list.insertBefore(card, before);
    } else {
      list.appendChild(card);
    }
  }

  function initSortables(root) {
    if (typeof Sortable === "undefined" || !(root instanceof Element || root instanceof Document)) {
      return;
    }
    var lists = root.querySelectorAll(".board-cards");
    Array.prototype.forEach.call(lists, function (list) {
      if (Sortable.get(list)) {
        return;
      }
      Sortable.create(list, {
        group: "board",
        draggable: ".deal-card",
        // The "Move to" menu is for clicking, not dragging.
        filter: ".deal-card-menu",
        preventOnFilter: false,
        // Mouse and pointer events instead of native drag and drop: one code path for mouse,
        // touch and test drivers, and the dragged copy is a plain element.
        forceFallback: true,
        fallbackOnBody: true,
        fallbackTolerance: 4,
        delay: 200,
        delayOnTouchOnly: true,
        animation: 150,
        ghostClass: "is-drag-placeholder",
        chosenClass: "is-drag-chosen",
        dragClass: "is-dragged",
        onStart: function (event) {
          state.dragging = true;
          rememberOrigin(event.item);
        },
        onEnd: function (event) {
          state.dragging = false;
          state.suppressClickUntil = Date.now() + 400;
          if (event.from === event.to && event.oldIndex === event.newIndex) {
            delete state.origins[event.item.dataset.dealId];
            return;
          }
          postMove(event.item);
        },
      });
    });
  }

  // --- Keyboard ----------------------------------------------------------------------------

  function keyboardMove(card, key) {
    var list = card.parentElement;
    var target = null;
    if (key === "ArrowLeft" || key === "ArrowRight") {
      var columns = Array.prototype.slice.call(document.querySelectorAll("#board .board-column"));
      var index = columns.indexOf(columnOf(card)) + (key === "ArrowRight" ? 1 : -1);
      if (index < 0 || index >= columns.length) {
        return;
      }
      var targetList = columns[index].querySelector(".board-cards");
      rememberOrigin(card);
      // To the top of the next column, where it can be seen.
      targetList.insertBefore(card, firstCard(targetList));
    } else if (key === "ArrowUp") {
      target = siblingCard(card, -1);
      if (!target) {
        return;
      }
      rememberOrigin(card);
      list.insertBefore(card, target);
    } else {
      target = siblingCard(card, 1);
      if (!target) {
        return;
      }
      rememberOrigin(card);
      list.insertBefore(target, card);
    }
    state.focusCardId = card.dataset.dealId;
    card.focus();
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
    postMove(card);
  }

  function openPanel(card) {
    var link = card.querySelector(".deal-card-title");
    if (link) {
      state.panelOpenerId = card.dataset.dealId;
      link.click();
    }
  }

  document.addEventListener("keydown", function (event) {
    var card = event.target;
    if (event.key === "Escape") {
      closeMenus(null);
      return;
    }
    if (!isCard(card) || event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.key === "Enter" && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      openPanel(card);
      return;
    }
    var arrows = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"];
    if (!event.altKey || arrows.indexOf(event.key) === -1) {
      return;
    }
    event.preventDefault();
    if (state.movesInFlight > 0 || state.dragging) {
      return;
    }
    keyboardMove(card, event.key);
  });

  // --- Clicks: a card opens the deal panel; menus close when focus leaves them ------------

  document.addEventListener(
    "click",
    function (event) {
      var target = event.target;
      if (!(target instanceof Element)) {
        return;
      }
      if (Date.now() < state.suppressClickUntil && target.closest(".deal-card")) {
        // The click that ends a drag is not a request to open the deal.
        event.preventDefault();
        event.stopPropagation();
        return;
      }
      closeMenus(target.closest(".deal-card-menu"));
    },
    true
  );

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || event.defaultPrevented) {
      return;
    }
    var card = target.closest(".deal-card");
    if (!card || target.closest("a, button, summary, details, input, select, textarea, label")) {
      if (card && target.closest(".deal-card-title")) {
        state.panelOpenerId = card.dataset.dealId;
      }
      return;
    }
    openPanel(card);
  });

  function closeMenus(except) {
    document.querySelectorAll(".deal-card-menu[open]").forEach(function (menu) {
      if (menu !== except) {
        menu.removeAttribute("open");
      }
    });
  }

  function anyMenuOpen() {
    return document.querySelector(".deal-card-menu[open]") !== null;
  }

  function dialogOpen() {
    var dialog = document.getElementById("board-dialog");
    return dialog !== null && dialog.classList.contains("show");
  }

  // --- Server events -----------------------------------------------------------------------

  document.addEventListener("dealMoved", function (event) {
    var detail = event.detail || {};
    placeCard(detail);
    delete state.origins[String(detail.id)];
    var dialog = document.getElementById("board-dialog");
    if (dialog && dialog.classList.contains("show")) {
      state.focusCardId = String(detail.id);
      bootstrap.Modal.getOrCreateInstance(dialog).hide();
    }
  });

  document.addEventListener("moveFailed", function (event) {
    putBack(String((event.detail || {}).id));
  });

  function refreshBoard() {
    var board = boardElement();
    if (board) {
      htmx.ajax("GET", board.dataset.refreshUrl, { target: "#board", swap: "outerHTML" });
    }
  }

  document.addEventListener("boardRefresh", refreshBoard);

  // The deal panel changed a deal (a touchpoint, a task): redraw that card only.
  document.addEventListener("dealChanged", function (event) {
    var card = cardById((event.detail || {}).id);
    if (card && card.dataset.cardUrl) {
      htmx.ajax("GET", withFilters(card.dataset.cardUrl), { target: card, swap: "outerHTML" });
    }
  });

  // --- htmx plumbing -----------------------------------------------------------------------

  function fromBoard(element) {
    return (
      element instanceof Element &&
      element.closest("#board, #board-dialog, .deal-card, [data-board-move-dialog]") !== null
    );
  }

  // Refused moves come back as 4xx fragments aimed (HX-Retarget) at the status region or the
  // dialog; htmx swaps only 2xx by default.
  // htmx "settles" an element replaced by one with the same id by copying its old class and
  // style attributes onto the new one for a moment. SortableJS leaves style attributes on
  // the cards it animated, and copying one is inline style the CSP refuses: drop them first
  // (the elements are being replaced anyway).
  function dropInlineStyles(root) {
    if (!(root instanceof Element) || !fromBoard(root)) {
      return;
    }
    if (root.hasAttribute("style")) {
      root.removeAttribute("style");
    }
    root.querySelectorAll("[style]").forEach(function (element) {
      element.removeAttribute("style");
    });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (
      HANDLED_STATUSES.indexOf(detail.xhr.status) !== -1 &&
      detail.xhr.getResponseHeader("HX-Retarget") &&
      fromBoard(detail.elt)
    ) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
    if (detail.shouldSwap) {
      dropInlineStyles(detail.target);
      if (detail.target && detail.target.id === "board") {
        rememberScroll();
      }
    }
  });

  // Polling waits while the user is in the middle of something a redraw would disturb.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (!(element instanceof Element) || element.id !== "board-poller") {
      return;
    }
    if (
      state.dragging ||
      state.movesInFlight > 0 ||
      document.hidden ||
      anyMenuOpen() ||
      dialogOpen()
    ) {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    var poller = document.getElementById("board-poller");
    if (!document.hidden && poller) {
      htmx.ajax("GET", poller.getAttribute("hx-get"), {
        source: poller,
        target: "#board",
        swap: "outerHTML",
      });
    }
  });

  function rememberScroll() {
    var board = boardElement();
    if (!board) {
      return;
    }
    var lists = {};
    board.querySelectorAll(".board-cards").forEach(function (list) {
      lists[list.id] = list.scrollTop;
    });
    var focused = document.activeElement;
    state.scroll = {
      left: board.scrollLeft,
      lists: lists,
      focusId: focused && board.contains(focused) && focused.id ? focused.id : null,
    };
  }

  function restoreScroll(board) {
    var saved = state.scroll;
    state.scroll = null;
    if (!saved) {
      return;
    }
    board.scrollLeft = saved.left;
    Object.keys(saved.lists).forEach(function (id) {
      var list = document.getElementById(id);
      if (list) {
        list.scrollTop = saved.lists[id];
      }
    });
    if (saved.focusId) {
      var focused = document.getElementById(saved.focusId);
      if (focused) {
        focused.focus({ preventScroll: true });
      }
    }
  }

  // After "Load more", a card the user dropped near the end of a long column may come
  // again from the server: keep the server's copy (it is in its true place).
  function dropDuplicates(list) {
    var seen = {};
    var cards = Array.prototype.filter.call(list.children, isCard).reverse();
    cards.forEach(function (card) {
      if (seen[card.id]) {
        card.remove();
      }
      seen[card.id] = true;
    });
    document.querySelectorAll(".deal-card").forEach(function (card) {
      if (card.parentElement !== list && list.querySelector("[id='" + card.id + "']")) {
        card.remove();
      }
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!(target instanceof Element)) {
      return;
    }
    if (target.id === "deal-panel") {
      showPanel();
    } else if (target.id === "board-dialog-content") {
      bootstrap.Modal.getOrCreateInstance(document.getElementById("board-dialog")).show();
    } else if (target.classList.contains("board-cards")) {
      dropDuplicates(target);
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (state.focusCardId && !state.origins[state.focusCardId]) {
      var card = cardById(state.focusCardId);
      state.focusCardId = null;
      if (card && !dialogOpen()) {
        card.focus({ preventScroll: true });
      }
    }
  });

  // --- The deal panel and the move dialog --------------------------------------------------

  function showPanel() {
    var panel = document.getElementById("deal-panel-offcanvas");
    if (!panel) {
      return;
    }
    var title = panel.querySelector(".deal-panel-title[id]");
    if (title) {
      panel.setAttribute("aria-labelledby", title.id);
    }
    bootstrap.Offcanvas.getOrCreateInstance(panel).show();
  }

  document.addEventListener("hidden.bs.offcanvas", function (event) {
    if (event.target.id !== "deal-panel-offcanvas" || !state.panelOpenerId) {
      return;
    }
    var card = cardById(state.panelOpenerId);
    state.panelOpenerId = null;
    if (card) {
      card.focus();
    }
  });

  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target.id !== "board-dialog") {
      return;
    }
    var field = event.target.querySelector(
      ".is-invalid, .modal-body input:not([type=hidden]), .modal-body select"
    );
    if (field) {
      field.focus();
    }
  });

  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id !== "board-dialog") {
      return;
    }
    var card = state.focusCardId ? cardById(state.focusCardId) : null;
    if (card) {
      card.focus();
    }
  });

  // Success messages leave on their own; errors stay until dismissed or replaced.
  function watchStatus() {
    var region = statusElement();
    if (!region || typeof MutationObserver === "undefined") {
      return;
    }
    var timer = null;
    new MutationObserver(function () {
      window.clearTimeout(timer);
      var message = region.querySelector(".board-status-message");
      if (message && message.dataset.level === "success") {
        timer = window.setTimeout(function () {
          region.replaceChildren();
        }, 6000);
      }
    }).observe(region, { childList: true });
  }

  htmx.onLoad(function (element) {
    initSortables(element);
    if (element instanceof Element && element.id === "board") {
      restoreScroll(element);
    }
  });

  // Back and forward restore the page from htmx's history cache: new lists, new Sortables.
  document.addEventListener("htmx:historyRestore", function () {
    initSortables(document);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initSortables(document);
    watchStatus();
  });
})();
