// Confab's emoji picker (kept apart from app.js; framework-free, no inline code): every
// message's "Add a reaction" button opens a searchable list of all emoji, read once from
// /assets/emoji.json (vendored, [emoji, "label|tags"] per emoji). Picking one fills that
// message's reaction form and submits it (htmx swaps the message; others see it live).
// Without JavaScript the button's form stays hidden and the quick reactions remain.
"use strict";

(() => {
  let picker;
  let list;

  async function loadList() {
    list ??= fetch("/assets/emoji.json", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`emoji list: ${r.status}`))))
      .catch((err) => {
        list = undefined;
        throw err;
      });
    return list;
  }

  function build() {
    const dialog = document.createElement("dialog");
    dialog.id = "emoji-picker";
    dialog.className = "emoji-picker";
    dialog.setAttribute("aria-label", "Pick a reaction");
    const input = document.createElement("input");
    input.type = "search";
    input.placeholder = "Search emoji…";
    input.setAttribute("aria-label", "Search emoji");
    input.autocomplete = "off";
    const grid = document.createElement("div");
    grid.className = "emoji-grid";
    grid.setAttribute("role", "group");
    grid.setAttribute("aria-label", "Emoji");
    const empty = document.createElement("p");
    empty.className = "muted emoji-empty";
    empty.textContent = "Loading…";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link emoji-close";
    close.textContent = "Close";
    dialog.append(input, grid, empty, close);
    document.body.append(dialog);
    const state = { dialog, input, grid, empty, form: null, buttons: [] };

    // Matches by label first (whole, then its start, then a word of it), tags last.
    const rank = (b, query, words) => {
      const label = b.dataset.label;
      if (label === query) return 0;
      if (label.startsWith(query)) return 1;
      if (label.split(/[\s:]+/).some((w) => w.startsWith(words[0]))) return 2;
      return label.includes(query) ? 3 : 4;
    };
    const filter = () => {
      const query = input.value.trim().toLowerCase();
      const words = query.split(/\s+/).filter(Boolean);
      let best = null;
      for (const b of state.buttons) {
        const match = words.every((w) => b.dataset.search.includes(w));
        b.hidden = !match;
        const order = match && words.length ? rank(b, query, words) : 0;
        b.style.order = order ? String(order) : "";
        if (match && (!best || order < best.order)) best = { b, order };
      }
      state.best = best?.b ?? null;
      empty.hidden = best !== null;
      empty.textContent = state.buttons.length ? "No emoji matches" : "Loading…";
    };
    state.filter = filter;

    input.addEventListener("input", filter);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        state.best?.click();
      }
    });
    grid.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-emoji]");
      if (button) pick(state, button.dataset.emoji);
    });
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", () => {
      input.value = "";
      state.opener?.focus();
    });
    return state;
  }

  function fill(state, emoji) {
    const frag = document.createDocumentFragment();
    for (const [char, text] of emoji) {
      const [label, tags = ""] = text.split("|");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "emoji";
      b.textContent = char;
      b.title = label;
      b.setAttribute("aria-label", label);
      b.dataset.emoji = char;
      b.dataset.label = label.toLowerCase();
      b.dataset.search = `${label} ${tags}`.toLowerCase();
      frag.append(b);
      state.buttons.push(b);
    }
    state.grid.append(frag);
  }

  function pick(state, emoji) {
    const form = state.form;
    state.dialog.close();
    if (!form?.isConnected) return;
    form.querySelector('input[name="emoji"]').value = emoji;
    form.requestSubmit();
  }

  async function open(opener) {
    picker ??= build();
    picker.form = opener.closest("form.react-any");
    picker.opener = opener;
    if (!picker.dialog.open) picker.dialog.showModal();
    picker.input.focus();
    picker.filter();
    if (picker.buttons.length) return;
    try {
      fill(picker, await loadList());
    } catch {
      picker.empty.textContent = "The emoji list could not be loaded";
      return;
    }
    picker.filter();
  }

  document.addEventListener("click", (event) => {
    const opener = event.target.closest?.("button.emoji-open");
    if (!opener) return;
    event.preventDefault();
    open(opener);
  });

  // The "Add a reaction" forms are hidden until this script runs.
  document.documentElement.classList.add("emoji-picker-ready");
})();
