// Half-year report: the claim computed while typing (the server computes it again on submit,
// and that is the one that counts), and the interpreter suggestion taken over on request only.
"use strict";

(function () {
  var form = document.getElementById("report-form");
  if (!form) return;

  function count(name) {
    var input = form.elements[name];
    var value = input ? input.value.trim() : "";
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
