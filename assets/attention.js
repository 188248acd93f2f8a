// Confab attention and keyboard (kept apart from app.js; framework-free, no inline code).
// - The tab title shows how many messages wait unread: the unread badges of the
//   conversation list on the page (kept live by the stream), plus the messages from others
//   that arrived in the open conversation while the tab was hidden. It rises and clears live.
// - Keyboard: Up in an empty composer edits your last message, Esc cancels an edit,
//   Ctrl/Cmd+K opens a quick switcher of conversations (read from the /chats page).
"use strict";

(() => {
  // ---- The unread count in the tab title -------------------------------------------
  const baseTitle = document.title;
  let unseenHere = 0;

  function openThreadId() {
    return document.getElementById("messages")?.dataset.threadId;
  }

  function unreadCount() {
    const open = openThreadId();
    let total = 0;
    for (const badge of document.querySelectorAll(".thread-item .unread")) {
      if (open && badge.closest(".thread-item")?.dataset.threadId === open) continue;
      total += Number.parseInt(badge.textContent, 10) || 0;
    }
    return total + unseenHere;
  }

  let titleQueued = false;
  function updateTitle() {
    if (titleQueued) return;
    titleQueued = true;
    queueMicrotask(() => {
      titleQueued = false;
      const n = unreadCount();
      const title = n > 0 ? `(${n}) ${baseTitle}` : baseTitle;
      if (document.title !== title) document.title = title;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const messages = document.getElementById("messages");
    if (messages) {
      new MutationObserver((changes) => {
        if (document.visibilityState === "visible") return;
        for (const change of changes) {
          for (const node of change.addedNodes) {
            if (node instanceof HTMLElement && node.matches("article.message:not(.mine)") && node.dataset.messageId) {
              unseenHere += 1;
            }
          }
        }
        updateTitle();
      }).observe(messages, { childList: true });
    }
    const threads = document.getElementById("threads");
    if (threads) new MutationObserver(updateTitle).observe(threads, { childList: true, subtree: true, characterData: true });
    updateTitle();
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      unseenHere = 0;
      updateTitle();
    }
  });

  // ---- Keyboard: edit the last message, cancel an edit -------------------------------

  document.addEventListener("keydown", (event) => {
    const area = event.target;
    if (!(area instanceof HTMLTextAreaElement) || event.isComposing) return;
    if (event.key === "ArrowUp" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      if (area.value !== "" || !area.closest("form[data-composer]")) return;
      const mine = document.querySelectorAll("#messages article.message.mine[data-message-id]:not(.deleted)");
      const edit = mine[mine.length - 1]?.querySelector("a.action[hx-get$='/edit']");
      if (!edit) return;
      event.preventDefault();
      edit.click();
    } else if (event.key === "Escape") {
      const form = area.closest("form.edit-form");
      const cancel = form?.querySelector("a[href]");
      if (!cancel) return;
      event.preventDefault();
      cancel.click();
    }
  });

  // After an edit form arrives (Up or the Edit link), put the caret at the end of its text.
  document.addEventListener("htmx:after:swap", () => {
    const area = document.querySelector("#messages form.edit-form textarea");
    if (area && document.activeElement !== area) {
      area.focus();
      area.setSelectionRange(area.value.length, area.value.length);
    }
  });

  // ---- Ctrl/Cmd+K: the quick switcher -------------------------------------------------

  let switcher;

  function buildSwitcher() {
    const dialog = document.createElement("dialog");
    dialog.id = "quick-switcher";
    dialog.className = "quick-switcher";
    dialog.setAttribute("aria-label", "Switch conversation");
    const input = document.createElement("input");
    input.type = "search";
    input.placeholder = "Jump to a conversation…";
    input.setAttribute("aria-label", "Conversation name");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-controls", "quick-switcher-list");
    input.setAttribute("aria-expanded", "true");
    input.autocomplete = "off";
    const list = document.createElement("ul");
    list.id = "quick-switcher-list";
    list.setAttribute("role", "listbox");
    dialog.append(input, list);
    document.body.append(dialog);
    const state = { dialog, input, list, items: [], active: 0 };

    const render = () => {
      const q = input.value.trim().toLowerCase();
      const shown = state.items.filter((item) => item.name.toLowerCase().includes(q)).slice(0, 20);
      state.active = Math.min(state.active, Math.max(shown.length - 1, 0));
      list.replaceChildren(
        ...shown.map((item, i) => {
          const li = document.createElement("li");
          li.setAttribute("role", "option");
          li.id = `qs-${i}`;
          li.setAttribute("aria-selected", String(i === state.active));
          const a = document.createElement("a");
          a.href = item.href;
          a.textContent = item.name;
          a.tabIndex = -1;
          if (item.unread) {
            const badge = document.createElement("span");
            badge.className = "unread";
            badge.textContent = item.unread;
            a.append(" ", badge);
          }
          li.append(a);
          return li;
        }),
      );
      if (shown.length === 0) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = state.items.length ? "No conversation matches" : "Loading…";
        list.append(li);
      }
      input.setAttribute("aria-activedescendant", shown.length ? `qs-${state.active}` : "");
      state.shown = shown;
    };
    state.render = render;

    input.addEventListener("input", () => {
      state.active = 0;
      render();
    });
    input.addEventListener("keydown", (event) => {
      const n = state.shown?.length ?? 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (n) state.active = (state.active + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
        render();
      } else if (event.key === "Enter") {
        event.preventDefault();
        const item = state.shown?.[state.active];
        if (item) location.assign(item.href);
      }
    });
    dialog.addEventListener("close", () => {
      input.value = "";
    });
    return state;
  }

  async function loadConversations(state) {
    try {
      const response = await fetch("/chats", { credentials: "same-origin" });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      state.items = [...doc.querySelectorAll(".thread-item a.thread-link")].map((a) => ({
        href: a.getAttribute("href"),
        name: a.querySelector(".thread-name")?.textContent.trim() ?? a.textContent.trim(),
        unread: a.querySelector(".unread")?.textContent.trim() ?? "",
      }));
    } catch {
      // Offline: the switcher stays empty until it is opened again.
    }
    state.render();
  }

  function openSwitcher() {
    switcher ??= buildSwitcher();
    if (switcher.dialog.open) return;
    switcher.active = 0;
    switcher.render();
    switcher.dialog.showModal();
    switcher.input.focus();
    loadConversations(switcher);
  }

  document.addEventListener("keydown", (event) => {
    if (event.key.toLowerCase() !== "k" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    if (!document.querySelector(".nav-user")) return;
    event.preventDefault();
    openSwitcher();
  });
})();
