// Confab page behaviour (kept small; no inline scripts). Everything here is an
// improvement on pages that already work without JavaScript:
// - live updates (#live; the connection itself is assets/stream.js): swaps that update in
//   place instead of duplicating, typing and presence, reload on `reset`;
// - the composer: optimistic sends with a clientId, failed sends marked with a retry
//   control, sends written while offline queued and sent once each when back.
"use strict";

const live = () => document.getElementById("live");
const csrf = () => live()?.dataset.csrf ?? document.querySelector('input[name="csrf_token"]')?.value ?? "";
const openThread = () => document.getElementById("messages")?.dataset.threadId;

function post(url, body) {
  return fetch(url, {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { "HX-Request": "true", "x-csrf-token": csrf() },
  });
}

// ---- When the stream (re)connects (the connection itself: stream.js) ----------------------

document.addEventListener("htmx:sse:after:connection", (event) => {
  if (event.target !== live()) return;
  flushOutbox();
  // What arrived while the connection was away may not have been marked read yet.
  markRead();
});
window.addEventListener("online", () => {
  flushOutbox();
  markRead();
});

// ---- Live swaps: update in place, never twice ---------------------------------------
// The stream appends new messages (beforeend:#messages) and new or changed conversations
// (afterbegin:#threads). When the element is already on the page (the sender's own
// message, a replayed event, an optimistic message with the same clientId), replace it
// where it is instead; a conversation with new activity moves to the top.

document.addEventListener("htmx:before:swap", (event) => {
  for (const task of event.detail?.tasks ?? []) {
    if (task.type !== "oob" || !["beforeend", "afterbegin"].includes(task.swapSpec?.style)) continue;
    const incoming = task.fragment.firstElementChild?.firstElementChild;
    if (!incoming?.id) continue;
    let existing = document.getElementById(incoming.id);
    const clientId = incoming.dataset.clientId;
    if (!existing && clientId) {
      existing = document.querySelector(`[data-pending][data-client-id="${CSS.escape(clientId)}"]`);
    }
    if (!existing) continue;
    if (incoming.dataset.bump) {
      existing.remove();
      continue;
    }
    task.target = existing;
    task.swapSpec.style = "outerHTML";
    task.swapSpec.strip = true;
  }
});

// ---- Named live events: typing, presence, reset ----------------------------------------

function liveData(event) {
  try {
    return JSON.parse(event.detail?.data ?? "null");
  } catch {
    return null;
  }
}

const typers = new Map();

function showTyping() {
  const el = document.getElementById("typing");
  if (!el) return;
  const names = [...typers.values()].map((t) => t.name);
  el.textContent =
    names.length === 0 ? "" :
    names.length === 1 ? `${names[0]} is typing…` :
    names.length === 2 ? `${names[0]} and ${names[1]} are typing…` :
    "Several people are typing…";
}

function stopTyping(userId) {
  const typer = typers.get(userId);
  if (!typer) return;
  clearTimeout(typer.timer);
  typers.delete(userId);
  showTyping();
}

function onTyping(data) {
  if (data.threadId === openThread()) {
    clearTimeout(typers.get(data.userId)?.timer);
    typers.set(data.userId, { name: data.name, timer: setTimeout(() => stopTyping(data.userId), 5000) });
    showTyping();
  }
  const item = document.getElementById(`t-${data.threadId}`);
  if (item) {
    item.classList.add("typing");
    clearTimeout(item.typingTimer);
    item.typingTimer = setTimeout(() => item.classList.remove("typing"), 5000);
  }
}

function lastSeen(iso) {
  if (!iso) return "offline";
  const when = new Date(iso);
  return `last seen ${when.toLocaleString([], { dateStyle: "short", timeStyle: "short" })}`;
}

function onPresence(data) {
  const online = data.status === "ONLINE";
  for (const el of document.querySelectorAll(`[data-presence-user="${CSS.escape(data.userId)}"]`)) {
    el.classList.toggle("online", online);
    el.title = online ? "online" : lastSeen(data.lastSeen);
    if (el.classList.contains("presence-text")) el.textContent = online ? "online" : lastSeen(data.lastSeen);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const el = live();
  if (!el) return;
  el.addEventListener("typing", (event) => {
    const data = liveData(event);
    if (data) onTyping(data);
  });
  el.addEventListener("presence", (event) => {
    const data = liveData(event);
    if (data) onPresence(data);
  });
  // The page's position is older than what the server keeps: start over.
  el.addEventListener("reset", (event) => {
    if (event.target === el) location.reload();
  });
});

// ---- The open conversation: read pointer, typing notices (scrolling: shell.js) ------------

let readTimer;
function markRead() {
  const thread = openThread();
  if (!thread || document.visibilityState !== "visible") return;
  clearTimeout(readTimer);
  readTimer = setTimeout(() => post(`/chats/${thread}/read`).catch(() => {}), 300);
}

document.addEventListener("visibilitychange", markRead);

document.addEventListener("DOMContentLoaded", () => {
  const messages = document.getElementById("messages");
  if (!messages) return;
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (!(node instanceof HTMLElement) || !node.matches("article.message")) continue;
        if (node.dataset.authorId) stopTyping(node.dataset.authorId);
        if (!node.classList.contains("mine") && change.target === messages) markRead();
      }
    }
  }).observe(messages, { childList: true });
});

let lastTypingNotice = 0;
document.addEventListener("input", (event) => {
  const form = event.target instanceof Element ? event.target.closest("form[data-composer]") : null;
  const thread = openThread();
  if (!form || !thread || !navigator.onLine || Date.now() - lastTypingNotice < 2500) return;
  lastTypingNotice = Date.now();
  post(`/chats/${thread}/typing`).catch(() => {});
});

// ---- The composer: optimistic sends and the outbox ----------------------------------------

const outbox = [];
let flushing = false;

function pendingMessage(text, clientId) {
  const el = document.createElement("article");
  el.className = "message mine pending";
  el.dataset.pending = "1";
  el.dataset.clientId = clientId;
  const content = document.createElement("div");
  content.className = "content";
  content.textContent = text;
  const footer = document.createElement("footer");
  footer.className = "message-actions row";
  const status = document.createElement("span");
  status.className = "status pending-status";
  footer.append(status);
  el.append(content, footer);
  return el;
}

function mark(item, state, message) {
  const status = item.el.querySelector(".pending-status");
  item.el.dataset.state = state;
  item.el.classList.toggle("failed", state === "failed");
  status.textContent = { sending: "sending…", queued: "waiting for connection…", failed: message || "not sent" }[state];
  item.el.querySelector(".retry")?.remove();
  if (state === "failed") {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "link retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => {
      outbox.push(item);
      flushOutbox();
    });
    status.after(retry);
  }
}

function settle(item, html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const article = template.content.firstElementChild;
  if (!item.el.isConnected || !article) return;
  if (article.id && document.getElementById(article.id)) {
    item.el.remove();
    return;
  }
  item.el.replaceWith(article);
  htmx.process(article);
}

// Every message still in the outbox waits, not only the first.
function waitForConnection() {
  for (const item of outbox) mark(item, "queued");
}

async function flushOutbox() {
  if (flushing) return;
  flushing = true;
  try {
    while (outbox.length > 0) {
      const item = outbox[0];
      if (!navigator.onLine) {
        waitForConnection();
        return;
      }
      mark(item, "sending");
      let response;
      try {
        response = await post(item.action, new URLSearchParams(item.fields));
      } catch {
        // No answer at all: keep it (and everything after it) for when the connection is back.
        waitForConnection();
        return;
      }
      outbox.shift();
      if (response.ok) {
        settle(item, await response.text());
      } else {
        const text = new DOMParser().parseFromString(await response.text(), "text/html").body.textContent;
        mark(item, "failed", text?.trim() || `not sent (${response.status})`);
      }
    }
  } finally {
    flushing = false;
  }
}

document.addEventListener(
  "submit",
  (event) => {
    const form = event.target instanceof HTMLFormElement && event.target.matches("form[data-composer]") ? event.target : null;
    const messages = document.getElementById("messages");
    if (!form || !messages || !window.crypto?.randomUUID) return;
    // Files still in the picker go with a plain multipart post (uploads.js sends them
    // ahead and leaves their ids in attachment_ids instead).
    if (form.querySelector("input[type=file]")?.files?.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const fields = new FormData(form);
    fields.delete("file");
    const content = String(fields.get("content") ?? "");
    // A message may be files only (uploads.js adds their ids).
    const files = String(fields.get("attachment_ids") ?? "").split(",").filter(Boolean).length;
    if (!content.trim() && files === 0) return;
    const clientId = crypto.randomUUID();
    fields.set("client_id", clientId);
    const shown = content.trim() ? content : `${files} file${files === 1 ? "" : "s"}`;
    const item = { action: form.action, fields: [...fields.entries()], el: pendingMessage(shown, clientId) };
    messages.append(item.el);
    messages.scrollTop = messages.scrollHeight;
    form.reset();
    // A reply banner belongs to the message just sent, not to the next one.
    form.querySelectorAll("[data-clear-on-send]").forEach((el) => el.remove());
    outbox.push(item);
    flushOutbox();
  },
  true,
);

// Enter sends, Shift+Enter makes a new line.
document.addEventListener("keydown", (event) => {
  const area = event.target;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  if (!(area instanceof HTMLTextAreaElement)) return;
  const form = area.closest("form[data-composer]");
  if (!form) return;
  event.preventDefault();
  form.requestSubmit();
});
