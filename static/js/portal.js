// Small progressive enhancements; every page works without them.
"use strict";

// A form marked .submit-once sends once: a double click does not send it twice. (The server
// also recognises a resent form by its one-time key.)
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.classList.contains("submit-once")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
});
