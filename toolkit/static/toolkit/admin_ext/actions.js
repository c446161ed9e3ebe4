// Mass update: editing a field's value ticks its box, so the person does not have to.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const form = document.querySelector("[data-toolkit-mass-update]");
  if (!form) {
    return;
  }
  form.querySelectorAll("[data-toolkit-field]").forEach(function (row) {
    const tick = row.querySelector("[data-toolkit-tick]");
    row.querySelectorAll("input, select, textarea").forEach(function (input) {
      if (input === tick) {
        return;
      }
      input.addEventListener("change", function () {
        tick.checked = true;
      });
    });
  });
});
