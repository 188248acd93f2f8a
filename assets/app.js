// Confab page behaviour (kept small; no inline scripts).
"use strict";

// A form marked data-reset-on-success (the composer) clears itself once htmx got a
// successful answer, so the next message starts empty; a failed send keeps the text.
document.addEventListener("htmx:after:request", (event) => {
  const form = event.target instanceof Element ? event.target.closest("form[data-reset-on-success]") : null;
  const status = event.detail?.ctx?.response?.status;
  if (form && status !== undefined && status < 400) {
    form.reset();
    // A reply banner belongs to the message just sent, not to the next one.
    form.querySelectorAll("[data-clear-on-send]").forEach((el) => el.remove());
  }
});

// Enter sends, Shift+Enter makes a new line.
document.addEventListener("keydown", (event) => {
  const area = event.target;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  if (!(area instanceof HTMLTextAreaElement)) return;
  const form = area.closest("form[data-reset-on-success]");
  if (!form) return;
  event.preventDefault();
  form.requestSubmit();
});
