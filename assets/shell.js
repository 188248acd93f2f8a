// Confab's reading view (kept small; no framework). Pages work without it; with it:
// - times (`<time datetime>`, UTC from the server) read in the reader's own zone and
//   language: "14:05", "Yesterday 09:12", a date for older ones, the full date on hover;
// - the open conversation gets day separators, groups one author's messages within a
//   few minutes under one name and avatar, and a reply quotes its (loaded) parent;
// - the message pane: opens at the "New" divider (or the newest message), follows new
//   messages while read at the bottom and otherwise offers a "New messages ↓" pill, and
//   keeps its place when older messages load above;
// - forms marked `data-confirm` (on the form or its button) ask before they submit.
"use strict";

// ---- Times in the reader's zone ------------------------------------------------------------

const DAY_MS = 86_400_000;
const GROUP_GAP_MS = 5 * 60_000;
const clock = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit" });
const shortDate = new Intl.DateTimeFormat([], { day: "numeric", month: "short" });
const longDate = new Intl.DateTimeFormat([], { day: "numeric", month: "short", year: "numeric" });
const fullDate = new Intl.DateTimeFormat([], { dateStyle: "full", timeStyle: "long" });
const dayName = new Intl.DateTimeFormat([], { weekday: "long", day: "numeric", month: "long" });
const dayNameYear = new Intl.DateTimeFormat([], { weekday: "long", day: "numeric", month: "long", year: "numeric" });

const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
/** Whole days from `d` to today (0 today, 1 yesterday). */
const daysAgo = (d) => Math.round((startOfDay(new Date()) - startOfDay(d)) / DAY_MS);

function timeLabel(d) {
  const days = daysAgo(d);
  if (days === 0) return clock.format(d);
  if (days === 1) return `Yesterday ${clock.format(d)}`;
  if (d.getFullYear() === new Date().getFullYear()) return `${shortDate.format(d)} ${clock.format(d)}`;
  return longDate.format(d);
}

function dayLabel(d) {
  const days = daysAgo(d);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return (d.getFullYear() === new Date().getFullYear() ? dayName : dayNameYear).format(d);
}

function localTimes(root) {
  for (const el of root.querySelectorAll("time.local-time[datetime]")) {
    const d = new Date(el.dateTime);
    if (Number.isNaN(d.getTime())) continue;
    el.textContent = timeLabel(d);
    el.title = fullDate.format(d);
  }
}

// ---- Day separators and grouping -----------------------------------------------------------

const messageTime = (el) => {
  const t = el.querySelector(":scope > .message-meta time[datetime]");
  return t ? new Date(t.dateTime) : null;
};

function arrange(list) {
  for (const old of list.querySelectorAll(":scope > .day-separator")) old.remove();
  let prev = null;
  for (const el of list.querySelectorAll(":scope > article.message")) {
    const at = messageTime(el);
    if (!at) continue; // a message still being sent
    const newDay = !prev || startOfDay(prev.at) !== startOfDay(at);
    if (newDay) {
      const sep = document.createElement("div");
      sep.className = "day-separator";
      sep.setAttribute("role", "separator");
      sep.textContent = dayLabel(at);
      const before = el.previousElementSibling?.matches(".new-divider") ? el.previousElementSibling : el;
      before.before(sep);
    }
    const grouped =
      !newDay &&
      prev.author === el.dataset.authorId &&
      at - prev.at < GROUP_GAP_MS &&
      !el.previousElementSibling?.matches(".new-divider") &&
      !el.classList.contains("deleted") &&
      !prev.el.classList.contains("deleted");
    el.classList.toggle("grouped", grouped);
    prev = { el, at, author: el.dataset.authorId };
    quoteParent(el);
  }
}

/** A reply's link to its parent (quoted by the server) follows the parent's text when it is loaded. */
function quoteParent(el) {
  const ref = el.querySelector(":scope > .reply-ref");
  const parent = ref && document.getElementById(ref.hash.slice(1));
  if (!parent) return;
  const author = parent.querySelector(".author")?.textContent.trim() ?? "";
  const text = (parent.querySelector(".content")?.textContent ?? "message deleted").trim().replace(/\s+/g, " ");
  const snippet = `↪ ${author}: ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`;
  if (ref.textContent !== snippet) ref.textContent = snippet;
  // The parent is on the page: jump to it here instead of loading the page around it.
  if (ref.getAttribute("href") !== `#${parent.id}`) ref.setAttribute("href", `#${parent.id}`);
  ref.classList.add("reply-quote");
}

// ---- The message pane ------------------------------------------------------------------------

function messagePane(list) {
  const pill = document.getElementById("new-pill");
  const nearBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  const toBottom = () => {
    list.scrollTop = list.scrollHeight;
    if (pill) pill.hidden = true;
  };
  let atBottom = true;
  // The first message in view and its distance from the pane's top: kept in place when
  // older messages (and separators) arrive above it.
  let anchor = null;
  const offset = (el) => el.getBoundingClientRect().top - list.getBoundingClientRect().top;
  const remember = () => {
    atBottom = nearBottom();
    if (atBottom && pill) pill.hidden = true;
    const el = [...list.querySelectorAll(":scope > article.message")].find((a) => offset(a) + a.offsetHeight > 0);
    anchor = el ? { el, top: offset(el) } : null;
  };

  // Open where reading continues: a linked message, the "New" divider, or the newest.
  const target = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const divider = document.getElementById("new-divider");
  if (target && list.contains(target)) target.scrollIntoView({ block: "center" });
  else if (divider) divider.scrollIntoView({ block: "start" });
  else toBottom();
  remember();

  list.addEventListener("scroll", remember, { passive: true });
  // Older messages may arrive before a scroll event told where the reader is.
  document.addEventListener("htmx:before:swap", (event) => {
    if (event.target instanceof Node && list.contains(event.target)) remember();
  });
  pill?.addEventListener("click", () => {
    toBottom();
    list.focus({ preventScroll: true });
  });
  new ResizeObserver(() => {
    if (atBottom) list.scrollTop = list.scrollHeight;
  }).observe(list);

  const observer = new MutationObserver((changes) => {
    let prepended = false;
    let pagedNewer = false;
    let appendedOther = false;
    let appendedMine = false;
    for (const change of changes) {
      if (change.target !== list) continue;
      const added = [...change.addedNodes].filter((n) => n instanceof HTMLElement);
      const removed = [...change.removedNodes].filter((n) => n instanceof HTMLElement);
      const removedOlder = removed.some((n) => n.matches(".load-older"));
      if (removed.some((n) => n.matches(".load-newer"))) pagedNewer = true;
      if (removedOlder || (change.previousSibling === null && added.length > 0 && list.children.length > added.length)) {
        prepended = true;
        continue;
      }
      for (const node of added) {
        if (!node.matches("article.message") || node.nextElementSibling) continue;
        if (node.classList.contains("mine")) appendedMine = true;
        else appendedOther = true;
      }
    }
    arrange(list);
    localTimes(list);
    observer.takeRecords(); // our own separators are not news
    if (prepended && anchor?.el.isConnected) list.scrollTop += offset(anchor.el) - anchor.top;
    else if (pagedNewer) {
      // A newer page of a conversation opened at an older message: read on from here.
    } else if (atBottom || appendedMine) toBottom();
    else if (appendedOther && pill) pill.hidden = false;
    remember();
  });
  observer.observe(list, { childList: true });
}

// ---- Confirmations -----------------------------------------------------------------------------

// On window, in the capture phase: before htmx or any other submit handler sees the form.
window.addEventListener(
  "submit",
  (event) => {
    const question = event.submitter?.dataset.confirm ?? event.target?.dataset?.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);

// ---- Start (this script runs at the end of the page: the document is there) ---------------

localTimes(document);
document.addEventListener("htmx:after:swap", (event) => {
  if (event.target instanceof Element) localTimes(event.target.closest("#messages, main") ?? document);
});
{
  const list = document.getElementById("messages");
  if (list) {
    arrange(list);
    messagePane(list);
  }
}
