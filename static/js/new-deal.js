// The board's "New deal" dialog (templates/pipeline/new_deal.html, new-deal-dialog). The
// server swaps the new card, its column's header and the message in out of band; it then
// sends dealCreated, and the dialog closes with the new card in view and focused.
(function () {
  "use strict";

  document.addEventListener("dealCreated", function (event) {
    var detail = event.detail || {};
    var dialog = document.getElementById("board-dialog");
    if (dialog && typeof bootstrap !== "undefined") {
      bootstrap.Modal.getOrCreateInstance(dialog).hide();
    }
    var card = document.getElementById("deal-" + detail.id);
    if (card) {
      card.scrollIntoView({ block: "nearest", inline: "nearest" });
      card.focus({ preventScroll: true });
    }
  });
})();
