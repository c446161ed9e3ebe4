/**
 * Toolkit changelist filters (toolkit.admin_ext.filters).
 *
 * - A filter form (range, dates, autocomplete) navigates to the changelist URL built
 *   from its fields, leaving out the empty ones, so "?price__gte=&price__lte=50" reads
 *   "?price__lte=50". The form's hidden inputs carry the rest of the query string.
 * - Picking a row in an autocomplete filter (select2, fed by the admin's autocomplete
 *   view) applies it at once; clearing it removes the filter.
 *
 * Strict-CSP clean: no inline code, behaviour found through data-* attributes.
 */
"use strict";
{
    function navigate(form) {
        const params = new URLSearchParams();
        for (const [name, value] of new FormData(form)) {
            if (typeof value === "string" && value.trim() !== "") {
                params.append(name, value.trim());
            }
        }
        const query = params.toString();
        window.location.assign(window.location.pathname + (query ? "?" + query : ""));
    }

    function initForm(form) {
        form.addEventListener("submit", (event) => {
            event.preventDefault();
            navigate(form);
        });
    }

    function initAutocomplete(select) {
        const form = select.form;
        if (!form) {
            return;
        }
        const button = form.querySelector("[data-toolkit-filter-submit]");
        if (button) {
            button.hidden = true;
        }
        const apply = () => navigate(form);
        // select2 reports a pick through jQuery's "change" event, which native
        // listeners do not receive; the admin's jQuery is django.jQuery.
        const jq = window.django && window.django.jQuery;
        if (jq) {
            jq(select).on("change", apply);
        } else {
            select.addEventListener("change", apply);
        }
    }

    function init() {
        document.querySelectorAll("form[data-toolkit-filter-form]").forEach(initForm);
        document
            .querySelectorAll("select[data-toolkit-autocomplete-filter]")
            .forEach(initAutocomplete);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
}
