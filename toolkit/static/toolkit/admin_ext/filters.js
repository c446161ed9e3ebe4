/**
 * Toolkit changelist filters (toolkit.admin_ext.filters).
 *
 * - A filter form (range, dates, autocomplete) navigates to the changelist URL built
 *   from its fields, leaving out the empty ones, so "?price__gte=&price__lte=50" reads
 *   "?price__lte=50". The form's hidden inputs carry the rest of the query string.
 * - Picking a row in an autocomplete filter (select2, fed by the admin's autocomplete
 *   view) applies it at once; clearing it removes the filter.
 *
 * - Every section of the filter sidebar (the toolkit's and Django's own) folds: its
 *   title is a <details> summary (Enter or Space on it). Which sections are folded is
 *   remembered per list in localStorage, across sessions, and a "Fold all" / "Unfold
 *   all" button above them folds or unfolds every one at once.
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

    const STORAGE_PREFIX = "toolkit.admin.filters:";

    // The button's labels, translated by the changelist template (data-fold,
    // data-unfold); else the admin's JavaScript catalog, else English.
    function foldLabel(name, text) {
        const labels = document.querySelector("[data-toolkit-filters-labels]");
        if (labels && labels.dataset[name]) {
            return labels.dataset[name];
        }
        return typeof window.gettext === "function" ? window.gettext(text) : text;
    }

    function readFolded(key) {
        try {
            const saved = JSON.parse(window.localStorage.getItem(key) || "{}");
            return saved && typeof saved === "object" ? saved : {};
        } catch (error) {
            return {};  // storage disabled or a value from elsewhere: start unfolded
        }
    }

    function writeFolded(key, state) {
        try {
            window.localStorage.setItem(key, JSON.stringify(state));
        } catch (error) {
            // Storage full or disabled: the sections still fold, just not remembered.
        }
    }

    function initSections(sidebar) {
        const sections = Array.from(
            sidebar.querySelectorAll("details[data-filter-title]")
        );
        if (!sections.length) {
            return;
        }
        const key = STORAGE_PREFIX + window.location.pathname;
        const state = readFolded(key);
        sections.forEach((section) => {
            const title = section.dataset.filterTitle;
            if (Object.prototype.hasOwnProperty.call(state, title)) {
                section.open = !state[title];
            }
        });

        const toggle = document.createElement("button");
        toggle.type = "button";
        toggle.className = "toolkit-filters-fold";
        toggle.setAttribute("data-toolkit-filters-fold", "");
        const label = () => {
            const anyOpen = sections.some((section) => section.open);
            toggle.textContent = anyOpen
                ? foldLabel("fold", "Fold all")
                : foldLabel("unfold", "Unfold all");
            toggle.setAttribute("aria-expanded", anyOpen ? "true" : "false");
        };
        toggle.addEventListener("click", () => {
            const open = !sections.some((section) => section.open);
            sections.forEach((section) => {
                section.open = open;
            });
            label();
        });
        sections.forEach((section) => {
            section.addEventListener("toggle", () => {
                state[section.dataset.filterTitle] = !section.open;
                writeFolded(key, state);
                label();
            });
        });
        label();
        const heading = sidebar.querySelector("#changelist-filter-header");
        const bar = document.createElement("div");
        bar.className = "toolkit-filters-toolbar";
        bar.appendChild(toggle);
        if (heading) {
            heading.after(bar);
        } else {
            sidebar.prepend(bar);
        }
    }

    function init() {
        const sidebar = document.getElementById("changelist-filter");
        if (sidebar) {
            initSections(sidebar);
        }
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
