"use strict";
// Keeps a job's progress panel (toolkit/jobs/progress.html) up to date by polling the
// JSON status view named in its data-job-status-url. Loaded as a file, never inline, so
// the page works under a strict Content-Security-Policy. When the job finishes the page
// reloads once, to show the result (message, download link) rendered by the server.
{
    const panel = document.getElementById("toolkit-job-progress");

    // The whole page, not only the panel: the Status field and the job's line in "Your
    // recent jobs" carry data-job-field="status_display" too, and must say the same.
    const setText = (name, value) => {
        for (const element of document.querySelectorAll(`[data-job-field="${name}"]`)) {
            element.textContent = value;
        }
    };

    const render = (data) => {
        panel.dataset.jobStatus = data.status;
        setText("status_display", data.status_display);
        setText("done", String(data.done));
        setText("failed", String(data.failed));
        setText("skipped", String(data.skipped || 0));
        setText("processed", String(data.processed));
        const stats = data.stats || {};
        setText("tokens_in", String(stats.tokens_in || 0));
        setText("tokens_out", String(stats.tokens_out || 0));
        data.tokens = Boolean(stats.tokens_in || stats.tokens_out);
        setText("total", data.total === null ? "?" : String(data.total));
        setText("percent", data.percent === null ? "…" : String(data.percent));
        const bar = panel.querySelector("[data-job-progress]");
        if (bar && data.total) {
            bar.max = data.total;
            bar.value = Math.min(data.total, data.processed);
            bar.textContent = `${data.percent}%`;
        }
        for (const element of panel.querySelectorAll("[data-job-show-if]")) {
            element.hidden = !data[element.dataset.jobShowIf];
        }
    };

    const start = () => {
        const url = panel.dataset.jobStatusUrl;
        const interval = Number(panel.dataset.jobPollInterval) || 1000;
        const poll = async () => {
            let delay = interval;
            try {
                const response = await fetch(url, {
                    headers: {Accept: "application/json"},
                    credentials: "same-origin",
                    cache: "no-store",
                });
                if (response.ok) {
                    const data = await response.json();
                    render(data);
                    if (data.finished) {
                        window.location.reload();
                        return;
                    }
                } else {
                    // A busy database says when to ask again (503 + Retry-After); without
                    // it (logged out, the job was deleted) back off.
                    const retryAfter = Number(response.headers.get("Retry-After"));
                    delay = retryAfter > 0 ? retryAfter * 1000 : interval * 5;
                }
            } catch (error) {
                delay = interval * 5;  // the server is restarting: try again later
            }
            window.setTimeout(poll, delay);
        };
        window.setTimeout(poll, interval);
    };

    if (panel && panel.dataset.jobActive === "true" && window.fetch) {
        start();
    }
}
