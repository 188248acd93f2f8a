// Mentions and links to a message: the composer's @-suggestions, opening a page at one
// message, and copying a message's link. Works alongside app.js; without JavaScript,
// plain `@username` text still mentions and links still open.

// ---- Suggestions after "@" in the composer --------------------------------------------------

const suggest = { list: null, area: null, start: 0, items: [], index: 0, seq: 0 };

function pageMembers() {
  const t = document.getElementById("mention-members");
  if (!t) return null;
  const options = [...t.content.querySelectorAll("option")];
  return options.length ? options.map((o) => ({ username: o.value, name: o.textContent })) : null;
}

// The "@word" being typed just before the caret, if any.
function typedMention(area) {
  const before = area.value.slice(0, area.selectionStart);
  const match = /(^|[^A-Za-z0-9_.\-])@([A-Za-z0-9_.\-]{0,32})$/.exec(before);
  return match ? { start: before.length - match[2].length, prefix: match[2].toLowerCase() } : null;
}

function closeSuggestions() {
  suggest.list?.remove();
  suggest.list = null;
  suggest.items = [];
  suggest.area?.removeAttribute("aria-activedescendant");
}

function showSuggestions(area, items) {
  closeSuggestions();
  if (!items.length) return;
  const list = document.createElement("ul");
  list.className = "mention-suggest";
  list.id = "mention-suggest";
  list.setAttribute("role", "listbox");
  items.forEach((item, i) => {
    const li = document.createElement("li");
    li.id = `mention-option-${i}`;
    li.setAttribute("role", "option");
    li.dataset.username = item.username;
    li.textContent = `@${item.username} `;
    const name = document.createElement("span");
    name.className = "muted";
    name.textContent = item.name;
    li.append(name);
    li.addEventListener("mousedown", (event) => {
      event.preventDefault();
      choose(i);
    });
    list.append(li);
  });
  const form = area.closest("form");
  form.style.position ||= "relative";
  list.style.left = `${area.offsetLeft}px`;
  list.style.bottom = `${form.offsetHeight - area.offsetTop}px`;
  form.append(list);
  Object.assign(suggest, { list, area, items, index: 0 });
  highlightOption();
}

function highlightOption() {
  suggest.list?.querySelectorAll("li").forEach((li, i) => li.setAttribute("aria-selected", String(i === suggest.index)));
  suggest.area?.setAttribute("aria-activedescendant", `mention-option-${suggest.index}`);
}

function choose(i) {
  const area = suggest.area;
  const item = suggest.items[i];
  if (!area || !item) return;
  const end = area.selectionStart;
  area.value = `${area.value.slice(0, suggest.start)}${item.username} ${area.value.slice(end)}`;
  const caret = suggest.start + item.username.length + 1;
  area.setSelectionRange(caret, caret);
  closeSuggestions();
  area.focus();
}

async function candidates(prefix) {
  const members = pageMembers();
  const match = (u) => u.username.toLowerCase().startsWith(prefix) || u.name.toLowerCase().startsWith(prefix);
  if (members) return members.filter(match).slice(0, 8);
  if (!prefix) return [];
  const response = await fetch(`/api/users?q=${encodeURIComponent(prefix)}`, { credentials: "same-origin" });
  if (!response.ok) return [];
  const body = await response.json();
  const users = Array.isArray(body) ? body : body.users || [];
  return users.map((u) => ({ username: u.username, name: u.name })).filter(match).slice(0, 8);
}

document.addEventListener("input", async (event) => {
  const area = event.target;
  if (!(area instanceof HTMLTextAreaElement) || !area.closest("form[data-composer]")) return;
  const typed = typedMention(area);
  if (!typed) return closeSuggestions();
  const seq = ++suggest.seq;
  const items = await candidates(typed.prefix);
  if (seq !== suggest.seq) return;
  suggest.start = typed.start;
  showSuggestions(area, items);
  suggest.start = typed.start;
});

// Runs before app.js's Enter-to-send: while suggestions are open, the keys choose.
document.addEventListener(
  "keydown",
  (event) => {
    if (!suggest.list || event.target !== suggest.area) return;
    const n = suggest.items.length;
    const keys = {
      ArrowDown: () => (suggest.index = (suggest.index + 1) % n),
      ArrowUp: () => (suggest.index = (suggest.index - 1 + n) % n),
      Enter: () => choose(suggest.index),
      Tab: () => choose(suggest.index),
      Escape: () => closeSuggestions(),
    };
    const act = keys[event.key];
    if (!act || event.isComposing) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    act();
    highlightOption();
  },
  true,
);

document.addEventListener("focusout", (event) => {
  if (event.target === suggest.area) setTimeout(closeSuggestions, 150);
});

// ---- A page opened at one message ------------------------------------------------------------

function showLinkedMessage() {
  const id = new URLSearchParams(location.search).get("message");
  const el = id && document.getElementById(`m-${id}`);
  if (!el) return;
  el.classList.add("permalinked");
  el.scrollIntoView({ block: "center" });
}

// After app.js scrolled the conversation to its end.
document.addEventListener("DOMContentLoaded", () => setTimeout(showLinkedMessage, 0));

// A page of newer messages can repeat messages that arrived live meanwhile: keep the first.
document.addEventListener("htmx:after:swap", () => {
  const seen = new Set();
  document.querySelectorAll("#messages article[data-message-id]").forEach((el) => {
    if (seen.has(el.dataset.messageId)) el.remove();
    else seen.add(el.dataset.messageId);
  });
});

// ---- Messages that mention the viewer -------------------------------------------------------

function markMine() {
  const me = document.querySelector("[data-me]")?.dataset.me;
  if (!me) return;
  const selector = ["everyone", "here", me].map((n) => `a.mention[data-mention="${CSS.escape(n)}"]`).join(",");
  document.querySelectorAll("article.message").forEach((el) => {
    el.classList.toggle("mentions-me", !!el.querySelector(selector));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  markMine();
  const messages = document.getElementById("messages");
  if (messages) new MutationObserver(markMine).observe(messages, { childList: true, subtree: true });
});

// ---- Copying a message's link ---------------------------------------------------------------

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-permalink]") : null;
  if (!link || !navigator.clipboard || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigator.clipboard.writeText(link.href).then(
    () => {
      link.textContent = "Link copied";
      setTimeout(() => (link.textContent = "Link"), 1500);
    },
    () => (location.href = link.href),
  );
});
