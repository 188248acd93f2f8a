// Confab's live stream (#live, htmx hx-sse), shared by the tabs of one browser, with a
// slower path when the stream cannot connect. Kept apart from app.js; no framework.
//
// - Browsers allow six HTTP/1.1 connections per host, so a stream per tab would leave a
//   seventh tab unable to load. One tab per session (the leader, elected with Web Locks)
//   holds the stream (GET /events); it tells the other tabs over a BroadcastChannel when
//   its position moves, and relays typing and presence. They fetch what they missed from
//   their own position (GET /events/catch-up: the same fragments for what they show,
//   answered at once) and apply it as the stream would: at once when visible, at most
//   every HIDDEN_MS when hidden. A tab brought to the front catches up at once. When the
//   leader goes (closed, navigated), the next tab takes over.
// - The leader's stream: first attempts are retried here with backoff (until a stream
//   starts, the extension is not in charge), then the extension reconnects. A stream
//   counts once its `ready` event arrives. After FALLBACK_AFTER failed attempts in a
//   row, or a stream that stays silent (a proxy holding it back), the stream rests: the
//   catch-up is fetched every POLL_MS instead (the indicator says so), and the stream is
//   tried again every STREAM_EVERY polls and when the browser comes back online.
// - `pos` is the newest position this page has applied. Every catch-up and every new
//   stream starts from it, and they never run at the same time, so nothing is applied
//   twice and nothing is skipped.
"use strict";

(() => {
  const live = document.getElementById("live");
  if (!live) return;
  const FALLBACK_AFTER = 4;
  const POLL_MS = 3000;
  const STREAM_EVERY = 5;
  const HIDDEN_MS = 2000;
  const READY_MS = 5000;
  const source = new URL(live.getAttribute("hx-sse:connect"), location.href);
  let pos = source.searchParams.get("lastEventId") ?? "";
  const from = (path) => {
    const url = new URL(source);
    url.pathname = path;
    url.searchParams.set("lastEventId", pos);
    return url.pathname + url.search;
  };
  // One name per session (its CSRF token): tabs of another login do not share a stream.
  const NAME = `confab-live:${live.dataset.csrf ?? ""}`;
  const channel = navigator.locks && window.BroadcastChannel ? new BroadcastChannel(NAME) : null;
  // Headers come at once from a healthy server: waiting a minute (htmx's default) is too
  // long. The leader keeps its stream while hidden: the other tabs depend on it.
  htmx.config.sse = { connectTimeout: 10_000, ...htmx.config.sse, ...(channel ? { pauseOnBackground: false } : {}) };

  // ---- The indicator (#connection) -----------------------------------------------------

  const LABELS = {
    connecting: "connecting…",
    connected: "live",
    reconnecting: "reconnecting…",
    offline: "offline",
    polling: "updates every few seconds",
  };
  const TITLES = {
    polling: "The live connection does not get through on this network: new messages are fetched every few seconds.",
  };
  let leader = !channel;
  let state = "connecting";

  function show(next) {
    state = next;
    const el = document.getElementById("connection");
    if (el) {
      el.hidden = false;
      el.dataset.state = next;
      el.textContent = LABELS[next];
      el.title = TITLES[next] ?? "";
    }
    if (leader) channel?.postMessage({ type: "state", state: next });
  }

  // ---- Catching up: what came since `pos`, applied as the stream applies it --------------

  function frames(text) {
    const out = [];
    let frame = { id: null, event: "", data: [] };
    for (const line of text.split(/\r\n|\r|\n/)) {
      if (line === "") {
        if (frame.id !== null || frame.event || frame.data.length) out.push(frame);
        frame = { id: null, event: "", data: [] };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") frame.data.push(value);
      else if (field === "event") frame.event = value;
      else if (field === "id") frame.id = value;
    }
    return out;
  }

  let fetching = null;
  let again = false;
  let ended = false;

  /** Fetches and applies what came since `pos`; true when it got through. */
  function catchUp() {
    if (fetching) {
      again = true;
      return fetching;
    }
    fetching = (async () => {
      let ok = true;
      do {
        again = false;
        const before = pos;
        try {
          const response = await fetch(from("/events/catch-up"), { credentials: "same-origin", cache: "no-store" });
          // Logged out (or the login ended): nothing more will come this way.
          if (response.status === 401) ended = true;
          if (!response.ok) throw new Error(`catch-up: ${response.status}`);
          for (const frame of frames(await response.text())) {
            if (frame.event === "reset") return void location.reload();
            const data = frame.data.join("\n");
            if (!frame.event && data) {
              await htmx.swap({ sourceElement: live, target: live, text: data, swap: "innerHTML swapEmpty:false" });
            } else if (frame.event === "typing" || frame.event === "presence") {
              htmx.trigger(live, frame.event, { data, id: frame.id });
            }
            if (frame.id) pos = frame.id;
          }
          ok = true;
        } catch {
          ok = false;
        }
        if (leader && pos !== before) channel?.postMessage({ type: "tick" });
      } while (again && ok);
      return ok;
    })().finally(() => (fetching = null));
    return fetching;
  }

  // ---- The leader's stream and its slower path -------------------------------------------

  let conn = null; // the extension's connection while a stream is open or reconnecting
  let inFlight = false; // a first request of a stream, not answered yet
  let started = false; // whether that request turned into a stream
  let failures = 0; // failed attempts in a row
  let polling = false;
  let polls = 0;
  let timer;

  function connect() {
    clearTimeout(timer);
    if (!leader || conn || inFlight || !live.isConnected) return;
    // Never while a catch-up is applying: the stream starts where it ends.
    if (fetching) return void fetching.then(connect);
    // The tabs it holds the stream for may show typing this page does not.
    const url = from(source.pathname) + (channel ? "&typing=all" : "");
    htmx.ajax("GET", url, { source: live, timeout: htmx.config.sse.connectTimeout });
  }

  function failed() {
    failures++;
    if (failures >= FALLBACK_AFTER) return poll();
    show(navigator.onLine ? "reconnecting" : "offline");
    const delay = Math.min(500 * 2 ** (failures - 1), 30_000) * (0.7 + 0.6 * Math.random());
    timer = setTimeout(connect, delay);
  }

  async function poll() {
    clearTimeout(timer);
    if (!leader || conn || inFlight) return;
    polling = true;
    show(navigator.onLine ? "polling" : "offline");
    if (++polls % STREAM_EVERY === 0) return connect();
    await catchUp();
    if (polling && !conn && !inFlight && !ended) timer = setTimeout(poll, POLL_MS);
  }

  document.addEventListener("htmx:before:request", (event) => {
    if (event.target !== live) return;
    inFlight = true;
    started = false;
  });
  document.addEventListener("htmx:after:request", (event) => {
    // Only answers that are not a stream get here; an error page is not for #live.
    if (event.target === live && !started) event.preventDefault();
  });
  document.addEventListener("htmx:finally:request", (event) => {
    if (event.target !== live) return;
    inFlight = false;
    if (!started) failed();
  });
  document.addEventListener("htmx:sse:before:connection", (event) => {
    if (event.target !== live) return;
    const connection = event.detail?.connection;
    started = true;
    conn = connection;
    const attempt = connection?.attempt ?? 0;
    if (attempt > 0 && (failures >= FALLBACK_AFTER || !leader)) {
      // Rest the stream (it closes; htmx:sse:close below) and take the slower path.
      connection.cancelled = true;
      return;
    }
    // A reconnect resumes from what this page applied.
    if (connection && pos) connection.lastEventId = pos;
    show(!navigator.onLine ? "offline" : attempt > 0 ? "reconnecting" : polling ? "polling" : "connecting");
  });
  // Connected is not through: a proxy may pass the headers on and hold the events back.
  // The stream starts with a `ready` event; without it in READY_MS, take the slower path.
  let watchdog;
  document.addEventListener("htmx:sse:after:connection", (event) => {
    if (event.target !== live) return;
    clearTimeout(timer);
    clearTimeout(watchdog);
    const connection = event.detail?.connection;
    watchdog = setTimeout(() => {
      failures = FALLBACK_AFTER;
      connection?.abortController?.abort();
    }, READY_MS);
  });
  live.addEventListener("ready", (event) => {
    if (event.target !== live) return;
    clearTimeout(watchdog);
    failures = 0;
    polls = 0;
    polling = false;
    show("connected");
  });
  document.addEventListener("htmx:sse:error", (event) => {
    if (event.target !== live) return;
    failures++;
    show(navigator.onLine ? "reconnecting" : "offline");
  });
  document.addEventListener("htmx:sse:close", (event) => {
    if (event.target !== live) return;
    clearTimeout(watchdog);
    conn = null;
    if (leader && live.isConnected) poll();
  });
  document.addEventListener("htmx:sse:after:message", (event) => {
    if (event.target !== live) return;
    const id = event.detail?.connection?.lastEventId;
    if (id && id !== pos) {
      pos = id;
      channel?.postMessage({ type: "tick" });
    }
  });
  for (const kind of ["typing", "presence"]) {
    live.addEventListener(kind, (event) => {
      if (leader && event.target === live) channel?.postMessage({ type: "event", event: kind, data: event.detail?.data });
    });
  }

  window.addEventListener("offline", () => show("offline"));
  window.addEventListener("online", () => {
    if (!leader) {
      channel.postMessage({ type: "hello" });
      catchUp();
      return;
    }
    show(conn && !polling ? "connected" : polling ? "polling" : "reconnecting");
    if (polling || !conn) connect();
  });

  // ---- Who holds the stream -----------------------------------------------------------------

  const ready = new Promise((resolve) =>
    document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", resolve, { once: true }) : resolve(),
  );

  async function lead() {
    await ready;
    await fetching;
    leader = true;
    show("connecting");
    connect();
    return new Promise(() => {}); // held until the page goes
  }

  if (!channel) {
    lead();
    return;
  }
  channel.addEventListener("message", ({ data: message }) => {
    if (message?.type === "hello" && leader) channel.postMessage({ type: "state", state });
    if (leader) return;
    if (message?.type === "state") show(navigator.onLine ? message.state : "offline");
    else if (message?.type === "tick") behind();
    else if (message?.type === "event") htmx.trigger(live, message.event, { data: message.data });
  });
  // A hidden tab catches up at most every HIDDEN_MS (its title's unread count stays
  // current), a visible one at once. (Headless Chromium reports every tab visible.)
  let later;
  const behind = () => {
    if (document.visibilityState === "visible") return catchUp();
    later ??= setTimeout(() => {
      later = null;
      if (!leader) catchUp();
    }, HIDDEN_MS);
  };
  const front = () => !leader && document.visibilityState === "visible" && catchUp();
  document.addEventListener("visibilitychange", front);
  window.addEventListener("focus", front);
  navigator.locks.request(NAME, { ifAvailable: true }, (lock) => {
    if (lock) return lead();
    // Another tab holds the stream: ask it how it is doing, catch up, and wait in line.
    channel.postMessage({ type: "hello" });
    ready.then(catchUp);
    navigator.locks.request(NAME, lead);
  });
})();
