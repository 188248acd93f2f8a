// What the chat pages show and how a person uses them, for live.mjs: in-page helpers
// (`window.__t`, installed in every page), sending from the composer, and the checks that
// a message is shown once, in order, on both people's pages and stored once.
import { api, check, until } from "./harness.mjs";

/** In-page helpers (an init script: it runs in every page of both people). */
export function pageHelpers() {
  const articles = () => [...document.querySelectorAll("#messages article.message")];
  const text = (a) => a.querySelector(".content")?.textContent.trim();
  window.__t = {
    /** The copies of the message with exactly this text. */
    copies: (t) =>
      articles()
        .filter((a) => text(a) === t)
        .map((a) => ({
          id: a.dataset.messageId ?? null,
          clientId: a.dataset.clientId ?? null,
          pending: a.classList.contains("pending"),
          failed: a.classList.contains("failed"),
          state: a.dataset.state ?? null,
          status: a.querySelector(".pending-status")?.textContent ?? null,
          retry: !!a.querySelector("button.retry"),
        })),
    /** How each of `ts` shows, for failure messages: `"text": sent+pending(queued)`. */
    summary: (ts) =>
      ts
        .map((t) => {
          const states = window.__t.copies(t).map((c) => (c.failed ? "failed" : c.pending ? `pending(${c.state})` : "sent"));
          return `"${t}": ${states.join("+") || "missing"}`;
        })
        .join(", "),
    /** The conversation as shown: message ids (null for unsent ones) and texts, in order. */
    shown: () => articles().map((a) => ({ id: a.dataset.messageId ?? null, text: text(a) })),
    connection: () => document.getElementById("connection")?.textContent ?? null,
    /** A conversation-list item: its place, copies and unread badge. */
    item: (id) => ({
      first: document.querySelector("#threads > li")?.id ?? null,
      copies: document.querySelectorAll(`[id="t-${id}"]`).length,
      unread: document.getElementById(`t-${id}`)?.querySelector(".unread")?.textContent.trim() ?? null,
    }),
    /** The presence of the other person in a direct conversation's heading. */
    presence: () => {
      const el = document.querySelector("#chat-heading .presence-text");
      return el && { text: el.textContent.trim(), online: el.classList.contains("online") };
    },
  };
}

export const composer = (page) => page.locator("form[data-composer]");

/** Sends `text` with the Send button; returns when it was clicked (ms since the epoch). */
export async function sendByClick(page, text) {
  await composer(page).locator('textarea[name="content"]').fill(text);
  const sentAt = Date.now();
  await composer(page).getByRole("button", { name: "Send", exact: true }).click();
  return sentAt;
}

export async function sendByEnter(page, text) {
  await composer(page).locator('textarea[name="content"]').fill(text);
  await composer(page).locator('textarea[name="content"]').press("Enter");
}

export function live(page, who) {
  return until(page, `${who}'s indicator to read "live"`, () => __t.connection() === "live", null, {
    describe: () => __t.connection(),
  });
}

/** Waits until `page` shows each of `texts` once, stored (with its id). */
export function stored(page, who, texts) {
  return until(
    page,
    `${who}'s page to show ${JSON.stringify(texts)} once each, sent`,
    (ts) => ts.every((t) => __t.copies(t).length === 1 && __t.copies(t)[0].id && !__t.copies(t)[0].pending),
    texts,
    { describe: (ts) => __t.summary(ts) },
  );
}

/**
 * Checks that `texts`, sent from `sender`'s page, are shown once each on both pages, in
 * order, and that both pages show the same conversation. It first waits until the
 * receiver has read them and the sender's page shows that (read ticks): the sender's
 * stream is then past the messages, so a late duplicate would already be on the page.
 */
export async function deliveredOnce(sender, receiver, texts) {
  await stored(sender.page, sender.who, texts);
  await stored(receiver.page, receiver.who, texts);
  const [last] = await sender.page.evaluate((t) => __t.copies(t).map((c) => c.id), texts.at(-1));
  await until(
    sender.page,
    `${sender.who}'s ticks to show "${texts.at(-1)}" read`,
    (id) => document.getElementById(`st-${id}`)?.querySelector(".status-read"),
    last,
  );
  const views = [];
  for (const { page, who } of [sender, receiver]) {
    const shown = await page.evaluate(() => __t.shown());
    const ids = shown.map((m) => m.id);
    check(!ids.includes(null), `${who}'s page still shows an unsent copy: ${JSON.stringify(shown)}`);
    check(new Set(ids).size === ids.length, `${who}'s page shows a message twice: ${JSON.stringify(shown)}`);
    for (const t of texts) {
      const n = shown.filter((m) => m.text === t).length;
      check(n === 1, `${who}'s page shows "${t}" ${n} times`);
    }
    const order = texts.map((t) => shown.findIndex((m) => m.text === t));
    check(
      order.every((i, k) => k === 0 || i > order[k - 1]),
      `${who}'s page shows ${JSON.stringify(texts)} out of order: ${JSON.stringify(shown.map((m) => m.text))}`,
    );
    views.push(ids.join(","));
  }
  check(views[0] === views[1], `the two pages show different conversations:\n${views.join("\n")}`);
}

/** The stored messages with this text, as the receiver's JSON API sees them. */
export async function storedOnServer(person, thread, text) {
  const { messages } = await api(person, `/api/messages?threadId=${thread}&limit=100`);
  return messages.filter((m) => m.content === text);
}

export async function onceOnServer(person, thread, text, clientId) {
  const found = await storedOnServer(person, thread, text);
  check(found.length === 1, `the server stored "${text}" ${found.length} times`);
  if (clientId) check(found[0].clientId === clientId, `"${text}" was stored with another clientId`);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
