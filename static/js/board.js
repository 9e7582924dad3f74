// The board: drag and drop (SortableJS), keyboard moves, the deal panel, live updates.
// A static file, not inline script: the Content-Security-Policy allows this origin only.
//
// A move, whether dragged, keyed (Alt+Arrow), chosen in a card's "Move to" menu or sent
// from the dialog, is the same POST to the deal's move URL (stage, version, the ids of the
// cards just above ("after") and below ("before"), what the dialog filled in), answered
// with htmx fragments:
// - 200: the card (new version) and its columns' headers, out of band; the "dealMoved"
//   event says where the card belongs, and the card is put there before it is swapped in.
// - 4xx: a message for #board-status (or the dialog, 422) and "moveFailed": the card goes
//   back where it was. A conflict (409) also sends "boardRefresh": the board is redrawn as
//   it really is.
//
// Every move is sent from an element of its own in #board-moves, outside the board, and
// the card it answers is found by its id when the answer lands, never held from the start.
// htmx resolves HX-Retarget and dispatches a response's events from the element that sent
// the request; the board is redrawn under its cards (a poll, a filter, "Load more"), and
// from a card no longer in the page the retarget throws inside htmx, the request never
// settles, and the board would stay "saving", unpolled and deaf to the keyboard.
//
// The poller (#board-poller) asks every 3 s what changed since the board's version; it is
// held back while a card is dragged, a move is on its way, a menu or the dialog is open, or
// the tab hidden. The answer is a new poller holding the changed cards, each in a template
// that names the card it goes under (or none: first in its column), with their columns'
// headers out of band; or the whole board when it fell too far behind. Changes that arrive
// while a card is dragged or a move is on its way (a poll sent just before) are not put in
// under it: the board is redrawn once the moves have settled.
(function () {
  "use strict";

  var state = {
    dragging: false,
    movesInFlight: 0,
    redrawWanted: false, // a redraw arrived while the board was busy: redraw when it is not
    origins: {}, // deal id -> {list, next, stage}: where a moved card came from
    suppressClickUntil: 0,
    focusCardId: null, // refocus this card once it is swapped in (keyboard moves)
    panelOpenerId: null,
    scroll: null,
  };
  // The move dialog: what it should end up as ("open", "closed"), and whether it is fading.
  var dialogState = { wanted: null, changing: false, typedIn: null };
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

  // A deal's address from the board's pattern for it (data-move-url, data-card-url: the
  // address of deal 0), so that no card carries its own copies.
  function dealUrl(name, id) {
    var board = boardElement();
    var pattern = board ? board.dataset[name] : null;
    return pattern ? pattern.replace("/0/", "/" + id + "/") : null;
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

  function isBusy() {
    return state.dragging || state.movesInFlight > 0;
  }

  function markSaving(id, saving) {
    var card = cardById(id);
    if (!card) {
      return;
    }
    card.classList.toggle("is-saving", saving);
    if (saving) {
      card.setAttribute("aria-busy", "true");
    } else {
      card.removeAttribute("aria-busy");
    }
  }

  function isMoveSource(element) {
    return element instanceof Element && element.classList.contains("board-move");
  }

  // POST a move of deal ``id`` to ``url``; ``values`` is an object or FormData.
  function sendMove(id, url, values) {
    var source = document.createElement("span");
    source.className = "board-move";
    source.dataset.dealId = id;
    document.getElementById("board-moves").appendChild(source);
    state.movesInFlight += 1;
    markSaving(id, true);
    function done() {
      source.remove();
      state.movesInFlight -= 1;
      markSaving(id, false);
      // Neither "dealMoved" nor "moveFailed" came: a server error or no network. The message
      // is on the board, so the dialog (if the move came from it) makes way for it.
      if (!source.dataset.answered) {
        putBack(id);
        var region = statusElement();
        announce(region ? region.dataset.unsavedMessage : "", "danger");
        if (dialogAbout(id)) {
          closeDialog();
        }
      }
      redrawIfWanted();
    }
    htmx
      .ajax("POST", url, { source: source, target: source, swap: "none", values: values })
      .then(done, done);
  }

  // A card dragged or keyed to its new place: send where it now is.
  function postMove(card) {
    var id = card.dataset.dealId;
    var origin = state.origins[id];
    var above = siblingCard(card, -1);
    var below = siblingCard(card, 1);
    sendMove(id, withFilters(dealUrl("moveUrl", id)), {
      stage: columnOf(card).dataset.stageId,
      version: card.dataset.version,
      after: above ? above.dataset.dealId : "",
      before: below ? below.dataset.dealId : "",
      from_stage: origin ? origin.stage : card.dataset.stageId,
    });
  }

  // The "Move to" menu and the dialog are forms (they work without JavaScript too); with
  // it, they send their move like any other. Their action carries the board's filters.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var card = form.closest(".deal-card");
    var inDialog = form.matches("#board-dialog [data-board-move-dialog]");
    if (!inDialog && !(card && form.classList.contains("deal-card-menu-list"))) {
      return;
    }
    event.preventDefault();
    var id = inDialog ? form.dataset.dealId : card.dataset.dealId;
    closeMenus(null);
    sendMove(id, form.getAttribute("action"), new FormData(form, event.submitter));
  });

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
          document.body.classList.add("is-dragging-card");
          rememberOrigin(event.item);
        },
        onEnd: function (event) {
          state.dragging = false;
          document.body.classList.remove("is-dragging-card");
          state.suppressClickUntil = Date.now() + 400;
          if (event.from === event.to && event.oldIndex === event.newIndex) {
            delete state.origins[event.item.dataset.dealId];
            redrawIfWanted();
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
      // Won and lost hide their cards while the bar is collapsed: open it, so that the card
      // stays in sight and keeps the focus.
      if (columns[index].closest(".board-outcomes")) {
        openOutcomes();
      }
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

  // --- Won and lost: the bar at the bottom of the window -------------------------------------

  // The bar's state is a checkbox beside the board (it works without JavaScript and stays
  // as it is when the board is redrawn).
  function outcomesSwitch() {
    return document.getElementById("board-outcomes-open");
  }

  function openOutcomes() {
    var toggle = outcomesSwitch();
    if (toggle && !toggle.checked) {
      toggle.checked = true;
    }
  }

  // A click on a collapsed target (not a drag onto it) opens the recent outcomes.
  document.addEventListener("click", function (event) {
    var target = event.target;
    var toggle = outcomesSwitch();
    var afterDrag = state.dragging || Date.now() < state.suppressClickUntil;
    if (!(target instanceof Element) || !toggle || toggle.checked || afterDrag) {
      return;
    }
    if (target.closest(".board-outcomes .board-column")) {
      openOutcomes();
    }
  });

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

  // A card's "Move to" menu carries only a link to the deal's move page (for a browser
  // without JavaScript); opened, it gets the board's one copy of the form in its place,
  // for this card: its version, its stage left out. "toggle" does not bubble: captured.
  document.addEventListener(
    "toggle",
    function (event) {
      var menu = event.target;
      if (menu instanceof HTMLDetailsElement && menu.open && menu.matches(".deal-card-menu")) {
        fillMoveMenu(menu);
      }
    },
    true
  );

  function fillMoveMenu(menu) {
    var card = menu.closest(".deal-card");
    var link = menu.querySelector(".deal-card-menu-page");
    var template = document.getElementById("board-move-menu");
    if (!card || !link || !template) {
      return;
    }
    var form = template.content.querySelector("form").cloneNode(true);
    form.setAttribute("action", link.getAttribute("href"));
    form.querySelector('input[name="version"]').value = card.dataset.version;
    form.querySelector('input[name="from_stage"]').value = card.dataset.stageId;
    form.querySelectorAll('button[name="stage"]').forEach(function (button) {
      if (button.value === card.dataset.stageId) {
        button.remove();
      }
    });
    link.replaceWith(form);
  }

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

  // Open, or on its way in or out (the backdrop fades in before the dialog shows).
  function dialogOpen() {
    var dialog = document.getElementById("board-dialog");
    return dialog !== null && (dialog.classList.contains("show") || dialogState.changing);
  }

  // The dialog asks about this deal's move.
  function dialogAbout(id) {
    var form = document.querySelector("#board-dialog [data-board-move-dialog]");
    return form !== null && form.dataset.dealId === String(id);
  }

  // --- Server events -----------------------------------------------------------------------

  // Both come from the element the move was sent from (see sendMove).
  function answered(event) {
    if (isMoveSource(event.target)) {
      event.target.dataset.answered = "true";
    }
  }

  document.addEventListener("dealMoved", function (event) {
    var detail = event.detail || {};
    answered(event);
    placeCard(detail);
    delete state.origins[String(detail.id)];
    if (dialogOpen() && dialogAbout(detail.id)) {
      state.focusCardId = String(detail.id);
      closeDialog();
    }
  });

  // A deal created in the dialog (pipeline/new_deal.html): its card, its column's header and
  // the message came out of band. The dialog closes once it is still, like a move's, and the
  // new card then takes the focus: a hide() while the dialog is still fading in would be
  // ignored and leave it open.
  document.addEventListener("dealCreated", function (event) {
    var detail = event.detail || {};
    var card = cardById(detail.id);
    if (card) {
      card.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
    state.focusCardId = String(detail.id);
    closeDialog();
  });

  document.addEventListener("moveFailed", function (event) {
    answered(event);
    putBack(String((event.detail || {}).id));
  });

  // Sent from the board itself, so that htmx keeps one redraw on its way at a time.
  function refreshBoard() {
    var board = boardElement();
    if (board) {
      htmx.ajax("GET", board.dataset.refreshUrl, {
        source: board,
        target: board,
        swap: "outerHTML",
      });
    }
  }

  function redrawIfWanted() {
    if (state.redrawWanted && !isBusy()) {
      state.redrawWanted = false;
      refreshBoard();
    }
  }

  // A redraw the board asked for by itself (a poll, a refresh), not one the user asked for
  // with the filters: that one is swapped in whatever the board is doing.
  function isAutomaticRedraw(element) {
    return element instanceof Element && (element.id === "board-poller" || element.id === "board");
  }

  document.addEventListener("boardRefresh", refreshBoard);

  // A teammate's changes (see the top): each card replaces its old copy where the server
  // says it goes. One that goes under a card this board has not loaded lies further down
  // its column than "Load more" has reached: it is dropped, and comes with that page.
  function applyChanges(poller) {
    poller.querySelectorAll("template.board-change").forEach(function (change) {
      var old = cardById(change.dataset.dealId);
      var hadFocus = old !== null && old === document.activeElement;
      var column = document.getElementById("column-" + change.dataset.stageId);
      var list = column ? column.querySelector(".board-cards") : null;
      if (old) {
        old.remove();
      }
      if (change.hasAttribute("data-gone") || !list) {
        return;
      }
      var card = document.importNode(change.content, true).firstElementChild;
      var after = change.dataset.after ? cardById(change.dataset.after) : null;
      if (!change.dataset.after) {
        list.insertBefore(card, list.firstElementChild);
      } else if (after && after.parentElement === list) {
        list.insertBefore(card, after.nextElementSibling);
      } else if (!column.querySelector(".board-column-more button")) {
        list.appendChild(card);
      } else {
        return;
      }
      htmx.process(card);
      if (hadFocus) {
        card.focus({ preventScroll: true });
      }
    });
    poller.replaceChildren();
  }

  document.addEventListener("boardChanged", function () {
    var poller = document.getElementById("board-poller");
    if (poller) {
      applyChanges(poller);
    }
  });

  // Only deals this user cannot see changed: nothing to draw, but the next poll asks from
  // the new version on, past those changes.
  document.addEventListener("boardVersion", function (event) {
    var poller = document.getElementById("board-poller");
    var since = (event.detail || {}).since;
    if (poller && since) {
      // htmx reads hx-get once, when it sets up the polling: a new poller, set up anew
      // (the old one's polling stops once it has left the page).
      var renewed = poller.cloneNode(false);
      renewed.setAttribute(
        "hx-get",
        poller.getAttribute("hx-get").replace(/([?&]since=)[^&]*/, "$1" + encodeURIComponent(since)),
      );
      poller.replaceWith(renewed);
      htmx.process(renewed);
    }
  });

  // The deal panel changed a deal: redraw that card; after an edit of its details
  // ("columns"), its column's header too, which comes back out of band with the card.
  document.addEventListener("dealChanged", function (event) {
    var detail = event.detail || {};
    var card = cardById(detail.id);
    var cardUrl = card ? dealUrl("cardUrl", card.dataset.dealId) : null;
    if (cardUrl) {
      var url = withFilters(cardUrl);
      if (detail.columns) {
        url += (url.indexOf("?") === -1 ? "?" : "&") + "columns=1";
      }
      htmx.ajax("GET", url, { target: card, swap: "outerHTML" });
    }
  });

  // --- htmx plumbing -----------------------------------------------------------------------

  var BOARD_PARTS = "#board, #board-dialog, #board-moves, .deal-card, [data-board-move-dialog]";

  function fromBoard(element) {
    return element instanceof Element && element.closest(BOARD_PARTS) !== null;
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
    // This event is dispatched on the target; the element that sent the request is here.
    var requester = detail.requestConfig ? detail.requestConfig.elt : detail.elt;
    var target = detail.target;
    var redraws = target && (target.id === "board" || target.id === "board-poller");
    if (detail.shouldSwap && redraws && isAutomaticRedraw(requester)) {
      if (isBusy()) {
        // Drawn before the move on its way landed: swapped in now, it would take the card
        // back where it was, or away from under the pointer. Redraw once the moves settle.
        detail.shouldSwap = false;
        state.redrawWanted = true;
      }
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
    if (isBusy() || document.hidden || anyMenuOpen() || dialogOpen()) {
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

  function swappedNothing(xhr) {
    return Boolean(xhr) && xhr.getResponseHeader("HX-Reswap") === "none";
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!(target instanceof Element)) {
      return;
    }
    if (target.id === "deal-panel") {
      showPanel();
    } else if (target.id === "board-dialog-content") {
      // htmx reports a swap even when the answer said to swap nothing ("none", as a deal
      // created from the dialog does, its dealCreated closing it): that opens nothing.
      if (!swappedNothing(event.detail.xhr)) {
        openDialog();
      }
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

  // Bootstrap ignores hide() while the modal is still fading in, and show() while it is
  // still fading out: a move answered that quickly would leave the dialog open (or shut).
  // So the board says what the dialog should end up as, and that happens once it is still.

  function openDialog() {
    dialogState.wanted = "open";
    settleDialog();
  }

  function closeDialog() {
    dialogState.wanted = "closed";
    settleDialog();
  }

  function settleDialog() {
    var element = document.getElementById("board-dialog");
    if (!element || dialogState.changing || dialogState.wanted === null) {
      return;
    }
    var modal = bootstrap.Modal.getOrCreateInstance(element);
    var isOpen = element.classList.contains("show");
    if (dialogState.wanted === "open" && !isOpen) {
      modal.show();
    } else if (dialogState.wanted === "closed" && isOpen) {
      modal.hide();
    }
    dialogState.wanted = null;
  }

  ["show.bs.modal", "hide.bs.modal"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (event.target.id === "board-dialog") {
        dialogState.changing = true;
        dialogState.typedIn = null;
      }
    });
  });

  // A field someone starts typing in while the dialog still fades in keeps the focus once
  // it has: Bootstrap then focuses the dialog itself, and the first field would take over
  // and catch the rest of what was being typed elsewhere.
  document.addEventListener("focusin", function (event) {
    var dialog = document.getElementById("board-dialog");
    if (dialogState.changing && dialog && event.target !== dialog && dialog.contains(event.target)) {
      dialogState.typedIn = event.target;
    }
  });

  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target.id !== "board-dialog") {
      return;
    }
    dialogState.changing = false;
    var field =
      dialogState.typedIn ||
      event.target.querySelector(
        ".is-invalid, .modal-body input:not([type=hidden]), .modal-body select, .modal-body textarea"
      );
    dialogState.typedIn = null;
    if (field) {
      field.focus();
    }
    settleDialog();
  });

  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id !== "board-dialog") {
      return;
    }
    dialogState.changing = false;
    var card = state.focusCardId ? cardById(state.focusCardId) : null;
    if (card) {
      card.focus();
    }
    settleDialog();
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
