/**
 * The saved-views menu of a changelist (toolkit.admin_ext.saved_views).
 *
 * The page renders the menu closed, with a link to a page of saved views instead of the
 * views themselves, so that a changelist costs no query for a menu nobody opens. The
 * first time the menu is opened, its panel (the person's views and the "Save current
 * view" form) is fetched from the URL in data-toolkit-saved-views and takes the link's
 * place. If it does not come back (a network error, or a session that expired and was
 * answered with the login page), the link stays, with a line saying so, and the next
 * opening tries again.
 *
 * Strict-CSP clean: no inline code; elements are found by their data-* attributes. The
 * panel is parsed in a <template>, which runs nothing.
 */
"use strict";
{
    const PANEL = "[data-toolkit-saved-views-panel]";
    const ERROR = "[data-toolkit-saved-views-error]";

    async function fetchPanel(url) {
        const response = await fetch(url, {
            credentials: "same-origin",
            headers: {Accept: "text/html"},
        });
        if (!response.ok) {
            throw new Error(`${response.status} ${response.statusText}`);
        }
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const panel = template.content.querySelector(PANEL);
        if (!panel) {
            throw new Error("the answer holds no saved-views panel");
        }
        return panel;
    }

    function init(menu) {
        let loading = false;

        async function load() {
            const placeholder = menu.querySelector(PANEL);
            if (loading || !placeholder || placeholder.dataset.loaded) {
                return;
            }
            loading = true;
            menu.setAttribute("aria-busy", "true");
            try {
                const panel = await fetchPanel(menu.dataset.toolkitSavedViews);
                panel.dataset.loaded = "true";
                placeholder.replaceWith(panel);
            } catch {
                const message = placeholder.querySelector(ERROR);
                if (message) {
                    message.hidden = false;
                }
            } finally {
                loading = false;
                menu.removeAttribute("aria-busy");
            }
        }

        menu.addEventListener("toggle", () => {
            if (menu.open) {
                load();
            }
        });
        // A browser that restores the page with the menu open fires no "toggle".
        if (menu.open) {
            load();
        }
    }

    function initAll() {
        document.querySelectorAll("details[data-toolkit-saved-views]").forEach(init);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", initAll);
    } else {
        initAll();
    }
}
