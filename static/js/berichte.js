// Half-year report: the claim computed while typing (the server computes it again on submit,
// and that is the one that counts), and the interpreter suggestion taken over on request only.
"use strict";

(function () {
  var form = document.getElementById("report-form");
  if (!form) return;

  // A count read as the server reads it (forms.fields.THOUSANDS_SEPARATORS): apostrophes,
  // spaces and no-break spaces are thousands separators, «1'000» is 1000.
  var SEPARATORS = /['\u2019 \t\u00a0\u202f]/g;

  function count(name) {
    var input = form.elements[name];
    var value = input ? input.value.replace(SEPARATORS, "") : "";
    return /^\d+$/.test(value) ? parseInt(value, 10) : 0;
  }

  function tariff(name) {
    return parseInt(form.dataset[name] || "0", 10);
  }

  function chf(centimes) {
    var francs = Math.floor(centimes / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "'");
    var rest = ("0" + (centimes % 100)).slice(-2);
    return "CHF " + francs + "." + rest;
  }

  function update() {
    var amounts = {
      case: (count("first_info_conversations") + count("integration_conversations")) * tariff("tariffCase"),
      interpreter: (count("first_info_interpreter") + count("integration_interpreter")) * tariff("tariffInterpreter"),
      s: count("s_conversations") * tariff("tariffSConversation") + count("s_follow_ups") * tariff("tariffSFollowUp")
    };
    amounts.total = amounts.case + amounts.interpreter + amounts.s;
    Object.keys(amounts).forEach(function (key) {
      var cell = form.querySelector('[data-claim="' + key + '"]');
      if (cell) cell.textContent = chf(amounts[key]);
    });
  }

  form.addEventListener("input", update);
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-suggest]");
    if (!button) return;
    var input = form.elements[button.dataset.suggestTarget];
    if (input) {
      input.value = button.dataset.suggest;
      input.focus();
      update();
    }
  });
  update();
})();

// What was typed but not yet saved survives a session that ran out: on sending, the form's
// values are kept in this tab (sessionStorage); when the form comes back without them (the
// login page was in between), they are offered for restoring, never filled in silently.
// The key holds the user's id (data-keep-unsaved), so the next person at a shared computer is
// never offered someone else's input; entries of other users are dropped on sight.
(function () {
  var form = document.querySelector("form[data-keep-unsaved]");
  if (!form || !window.sessionStorage || !form.dataset.keepUnsaved) return;
  var prefix = "unsaved:" + form.dataset.keepUnsaved + ":";
  var key = prefix + window.location.pathname;
  Object.keys(sessionStorage).forEach(function (name) {
    if (name.indexOf("unsaved:") === 0 && name.indexOf(prefix) !== 0) sessionStorage.removeItem(name);
  });

  function snapshot() {
    var data = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || /^(submit|button|hidden)$/.test(el.type)) return;
      if (el.type === "checkbox" || el.type === "radio") data.push([el.name, el.value, el.checked]);
      else data.push([el.name, null, el.value]);
    });
    return JSON.stringify(data);
  }

  function restore(stored) {
    JSON.parse(stored).forEach(function (item) {
      form.querySelectorAll('[name="' + item[0] + '"]').forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === item[1]) el.checked = item[2];
        } else {
          el.value = item[2];
        }
      });
    });
    form.dispatchEvent(new Event("input", { bubbles: true }));
  }

  form.addEventListener("submit", function () {
    try { sessionStorage.setItem(key, snapshot()); } catch (e) { /* storage full or off */ }
  });

  var stored = sessionStorage.getItem(key);
  if (!stored) return;
  if (document.querySelector(".notice-success") || stored === snapshot()) {
    sessionStorage.removeItem(key);
    return;
  }
  var notice = document.createElement("div");
  notice.className = "notice notice-info unsaved-notice";
  notice.setAttribute("role", "status");
  notice.textContent = "Hier sind Eingaben, die noch nicht gespeichert wurden (zum Beispiel, weil Ihre Sitzung abgelaufen war). ";
  var take = document.createElement("button");
  take.type = "button";
  take.className = "button secondary";
  take.textContent = "Nicht gespeicherte Eingaben wiederherstellen";
  var drop = document.createElement("button");
  drop.type = "button";
  drop.className = "link-button";
  drop.textContent = "Verwerfen";
  notice.appendChild(take);
  notice.appendChild(document.createTextNode(" "));
  notice.appendChild(drop);
  form.parentNode.insertBefore(notice, form);
  take.addEventListener("click", function () {
    restore(stored);
    sessionStorage.removeItem(key);
    notice.remove();
  });
  drop.addEventListener("click", function () {
    sessionStorage.removeItem(key);
    notice.remove();
  });
})();
