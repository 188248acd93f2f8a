// Confab's desktop notifications (kept apart from app.js; framework-free, no inline code).
// While the tab is hidden, a direct message or an @mention of the viewer shows a desktop
// notification (and, if the viewer turned it on, a short beep made with WebAudio). The
// browser's permission is asked for only when the viewer clicks "Allow notifications" on
// the settings page, never on load. The viewer's settings come from the page
// (#notify-settings, stored server-side). Several hidden tabs show one notification: each
// carries a tag naming what it is about, and the browser keeps one per tag.
// - The open conversation: a new message from someone else, in a direct conversation or
//   mentioning the viewer (or @everyone/@here).
// - The conversation list: a direct conversation moving up with more unread messages.
// - The unread-mentions count rising (a mention elsewhere), unless a notification for the
//   message itself was just shown.
"use strict";

(() => {
  const supported = "Notification" in window;
  let lastShown = 0;
  /** The last group that moved up in the list: a mention notification names it. */
  let lastGroupActivity = null;

  function settings() {
    const el = document.getElementById("notify-settings");
    return { desktop: el?.dataset.desktop === "true", sound: el?.dataset.sound === "true" };
  }

  function beep() {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      tone.connect(gain).connect(audio.destination);
      tone.onended = () => audio.close();
      tone.start();
      tone.stop(audio.currentTime + 0.25);
    } catch {
      // No sound: the notification still shows.
    }
  }

  function notify(title, body, tag, href) {
    const wanted = settings();
    if (!supported || !wanted.desktop || document.visibilityState === "visible") return;
    if (Notification.permission !== "granted") return;
    lastShown = Date.now();
    const note = new Notification(title, { body: body.slice(0, 240), tag, icon: "/assets/favicon.svg" });
    note.onclick = () => {
      window.focus();
      if (href && `${location.pathname}${location.search}` !== href) location.assign(href);
      note.close?.();
    };
    if (wanted.sound) beep();
  }

  const me = () => document.querySelector(".mentions-link")?.dataset.me;

  function mentionsMe(article) {
    const names = [me(), "everyone", "here"].filter(Boolean);
    return [...article.querySelectorAll(".content .mention[data-mention]")].some((a) => names.includes(a.dataset.mention));
  }

  // ---- The open conversation ---------------------------------------------------------
  function watchMessages(messages) {
    const thread = messages.dataset.threadId;
    new MutationObserver((changes) => {
      if (document.visibilityState === "visible") return;
      const direct = document.getElementById(`t-${thread}`)?.dataset.kind === "direct";
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (!(node instanceof HTMLElement) || !node.matches("article.message:not(.mine)[data-message-id]")) continue;
          if (!direct && !mentionsMe(node)) continue;
          const author = node.querySelector(".author")?.textContent.trim() ?? "New message";
          const text = node.querySelector(".content")?.textContent.trim() ?? "";
          notify(author, text, `m-${node.dataset.messageId}`, `/chats/${thread}`);
        }
      }
    }).observe(messages, { childList: true });
  }

  // ---- The conversation list ---------------------------------------------------------
  const unreadOf = (item) => Number.parseInt(item.querySelector(".unread")?.textContent ?? "0", 10) || 0;

  function watchList(threads) {
    const counts = new Map([...threads.querySelectorAll("li.thread-item")].map((li) => [li.dataset.threadId, unreadOf(li)]));
    new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (!(node instanceof HTMLElement) || !node.matches("li.thread-item")) continue;
          const id = node.dataset.threadId;
          const count = unreadOf(node);
          const before = counts.get(id) ?? 0;
          counts.set(id, count);
          if (!node.dataset.bump || count <= before || node.classList.contains("current")) continue;
          const name = node.querySelector(".thread-name")?.textContent.trim() ?? "";
          const preview = node.querySelector(".thread-preview")?.textContent.trim() ?? "";
          if (node.dataset.kind === "direct") {
            notify(name, preview, `t-${id}-${count}`, `/chats/${id}`);
          } else {
            lastGroupActivity = { id, name, preview, at: Date.now() };
          }
        }
      }
    }).observe(threads, { childList: true });
  }

  // ---- The unread-mentions count -----------------------------------------------------
  function watchMentions(link) {
    const countNow = () => Number.parseInt(document.getElementById("mention-count")?.dataset.count ?? "0", 10) || 0;
    let seen = countNow();
    new MutationObserver(() => {
      const count = countNow();
      const rose = count > seen;
      seen = count;
      if (!rose) return;
      // Let the message's own update land first: it may already have been notified.
      setTimeout(() => {
        if (Date.now() - lastShown < 2000) return;
        const group = lastGroupActivity && Date.now() - lastGroupActivity.at < 3000 ? lastGroupActivity : null;
        if (group) notify(group.name, group.preview, `mention-${count}`, `/chats/${group.id}`);
        else notify("New mention", `You have ${count} unread mention${count === 1 ? "" : "s"}`, `mention-${count}`, "/mentions");
      }, 300);
    }).observe(link, { childList: true, subtree: true, attributes: true });
  }

  // ---- Asking for the permission (a click on the settings page) ----------------------
  function permissionControls() {
    const box = document.getElementById("notify-permission");
    if (!box || !supported) return;
    const button = document.getElementById("notify-ask");
    const state = document.getElementById("notify-state");
    const show = () => {
      const permission = Notification.permission;
      button.hidden = permission !== "default";
      state.textContent =
        permission === "granted" ? "Notifications are allowed in this browser." :
        permission === "denied" ? "This browser blocks notifications from Confab; allow them in its site settings." :
        "";
    };
    button.addEventListener("click", async () => {
      await Notification.requestPermission();
      show();
    });
    box.hidden = false;
    show();
  }

  // A hidden tab's stream must stay open for its notifications (htmx's stream extension
  // pauses in the background by default). Read when the stream connects, after this runs.
  if (supported && settings().desktop && Notification.permission === "granted" && window.htmx) {
    htmx.config.sse = { ...htmx.config.sse, pauseOnBackground: false };
  }

  document.addEventListener("DOMContentLoaded", () => {
    const messages = document.getElementById("messages");
    if (messages) watchMessages(messages);
    const threads = document.getElementById("threads");
    if (threads) watchList(threads);
    const link = document.querySelector(".mentions-link");
    if (link) watchMentions(link);
    permissionControls();
  });
})();
