// Small progressive enhancements; every page works without them.
"use strict";

// A form with data-confirm asks before it is sent (e.g. a cancellation that cannot be undone)
// and, once the question is answered with OK, says so (confirmed=1): without it the server asks
// on a page of its own. Registered before .submit-once so that a declined form can still be
// sent later.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.dataset.confirm;
  if (!question) return;
  if (!window.confirm(question)) { event.preventDefault(); return; }
  if (!form.elements.confirmed) {
    var confirmed = document.createElement("input");
    confirmed.type = "hidden";
    confirmed.name = "confirmed";
    confirmed.value = "1";
    form.appendChild(confirmed);
  }
});

// A form marked .submit-once sends once: a double click does not send it twice. (The server
// also recognises a resent form by its one-time key.)
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !form.classList.contains("submit-once")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
});

// Show the fields that belong to the chosen option: data-show-when="setting=video,telefon".
function updateConditionalFields() {
  document.querySelectorAll("[data-show-when]").forEach(function (block) {
    var rule = block.dataset.showWhen.split("=");
    var checked = document.querySelector('input[name="' + rule[0] + '"]:checked');
    block.hidden = !checked || rule[1].split(",").indexOf(checked.value) === -1;
  });
}
document.addEventListener("change", updateConditionalFields);
document.addEventListener("DOMContentLoaded", updateConditionalFields);

// After a failed submit the error summary takes the focus, so a screen reader reads it and
// the keyboard starts from its links (focus() also scrolls it into view). A summary without
// a tabindex (the login page's) is made focusable for this.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (!summary) return;
  if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
  summary.focus();
});

// On a phone the main navigation folds behind «Menü» (the CSS decides by the width); the
// button says whether it is open; Escape closes it and gives the focus back to the button.
// Without the script the navigation is always shown.
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".menu-toggle");
  if (!toggle) return;
  var header = toggle.closest(".site-header");
  header.classList.add("menu-folds");
  toggle.hidden = false;
  function show(open) {
    header.classList.toggle("menu-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () {
    show(!header.classList.contains("menu-open"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !header.classList.contains("menu-open")) return;
    show(false);
    toggle.focus();
  });
});
