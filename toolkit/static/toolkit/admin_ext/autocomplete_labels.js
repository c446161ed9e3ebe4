// An autocomplete box (select2, the admin's widget) is named after its label, for
// screen readers: select2 names its combobox after the chosen value only, so an empty
// box has no name. Used by the toolkit's autocomplete filters and the mass update form.
"use strict";

function toolkitLabelAutocompletes(root) {
  root.querySelectorAll("select.admin-autocomplete[id]").forEach(function (select) {
    const label = document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
    const container = select.nextElementSibling;
    if (!label || !container || !container.classList.contains("select2")) {
      return;
    }
    label.id = label.id || select.id + "-label";
    container.querySelectorAll("[role=combobox]").forEach(function (box) {
      const own = box.getAttribute("aria-labelledby");
      if (!own || own.split(" ").indexOf(label.id) === -1) {
        box.setAttribute("aria-labelledby", own ? label.id + " " + own : label.id);
      }
    });
    // The chosen value is read as part of the box's name, not as a textbox of its own.
    container.querySelectorAll("[role=textbox]").forEach(function (value) {
      value.removeAttribute("role");
      value.removeAttribute("aria-readonly");
    });
  });
}

// The admin starts select2 in a jQuery "ready" callback, which may come after "load":
// queued behind it, this one names the boxes once they exist.
window.addEventListener("load", function () {
  const jq = window.django && window.django.jQuery;
  const label = function () {
    toolkitLabelAutocompletes(document);
  };
  return jq ? jq(label) : label();
});
