// Attachments from the composer in headless Chromium: ana picks an image with the file
// picker (setInputFiles), sees its progress bar (her upload is throttled so it runs for a
// while), and sends it as a message of files only; bob's page, open all along, shows the
// message and then, without a reload, its thumbnail (the `message.updated` that brings
// it). A text file shows as a card (name, size, type); a running upload can be cancelled
// and holds back Send until then; a file over the limit shows the server's reason; axe-core
// finds nothing serious on the conversation with chips and attachments, light and dark.
// Run by tests/api/browser.rs with CONFAB_URL set (and MAX_UPLOAD_BYTES at 3 MiB); prints
// `ok <step>` per step.
import { mkdir, writeFile } from "node:fs/promises";
import { deflateSync } from "node:zlib";
import { axeCheck } from "./axe.mjs";
import { BASE, api, check, expectingNetworkErrors, register, run, screenshots, show, step, until } from "./harness.mjs";
import { composer, live, pageHelpers } from "./chat.mjs";

const WORK = new URL("./artifacts/uploads-files/", import.meta.url);

// ---- Files to upload, made here --------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An RGB PNG of `width`×`height`: a colour gradient, with `noise` (0–255) of random speckle. */
function png(width, height, noise) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const at = row + 1 + x * 3;
      const speckle = noise ? (random() * noise) >> 8 : 0;
      raw[at] = ((x * 255) / width + speckle) & 0xff;
      raw[at + 1] = ((y * 255) / height + speckle) & 0xff;
      raw[at + 2] = (160 + speckle) & 0xff;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 1 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function file(name, bytes) {
  await mkdir(WORK, { recursive: true });
  const path = new URL(name, WORK).pathname;
  await writeFile(path, bytes);
  return { path, size: bytes.length };
}

// ---- Page helpers ---------------------------------------------------------------------------------

/** Records every progress bar the composer shows (a MutationObserver), in `window.__bars`. */
function watchBars() {
  window.__bars = [];
  const seen = new WeakSet();
  const form = document.querySelector("form[data-composer]");
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        const bars = node instanceof Element ? [...(node.matches("progress") ? [node] : node.querySelectorAll("progress"))] : [];
        for (const bar of bars.filter((bar) => !seen.has(bar) && seen.add(bar))) window.__bars.push({ label: bar.getAttribute("aria-label"), sendDisabled: form.querySelector('button[type="submit"]').disabled });
      }
    }
  }).observe(form, { childList: true, subtree: true });
}

const chips = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll("form[data-composer] .upload-chip")].map((li) => ({
      name: li.querySelector(".chip-name")?.textContent,
      uploading: li.classList.contains("uploading"),
      failed: li.classList.contains("failed"),
      error: li.querySelector(".chip-error")?.textContent ?? null,
      id: li.dataset.attachmentId ?? null,
    })),
  );

/** Limits `page`'s upload speed (bytes per second; -1 lifts it). */
async function throttle(page, bytesPerSecond) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

/** The attachments shown in the message `id` on `page`. */
const shownAttachments = (page, id) =>
  page.evaluate((id) => {
    const article = document.getElementById(`m-${id}`);
    if (!article) return null;
    return {
      images: [...article.querySelectorAll(".attachments img")].map((img) => ({
        src: img.getAttribute("src"),
        loaded: img.complete && img.naturalWidth > 0,
        link: img.closest("a")?.getAttribute("href") ?? null,
        lazy: img.loading === "lazy",
      })),
      cards: [...article.querySelectorAll(".attachments .file-card")].map((card) => card.textContent.replace(/\s+/g, " ").trim()),
    };
  }, id);

// ---- The scenario -------------------------------------------------------------------------------------

async function scenario(browser) {
  const ana = await register(browser, "ana", { helpers: pageHelpers });
  const bob = await register(browser, "bob", { helpers: pageHelpers });
  const bobId = (await api(bob, "/api/me")).id;
  const dm = await api(ana, "/api/threads", { action: "create", participantIds: [bobId] });
  show("ana", ana.page);
  show("bob", bob.page);
  const photo = await file("photo.png", png(900, 700, 255));
  const notes = await file("notes.txt", Buffer.from("Agenda\n- uploads\n- avatars\n".repeat(20)));
  const big = await file("huge.png", png(1000, 900, 255));
  const tooBig = await file("too-big.bin", Buffer.alloc(3 * 1024 * 1024 + 1, 7));
  check(photo.size > 1_000_000 && big.size > 2_000_000 && big.size < 3 * 1024 * 1024, `file sizes ${photo.size}, ${big.size}`);

  await step("both open the conversation and are live", async () => {
    for (const [person, who] of [[bob, "bob"], [ana, "ana"]]) {
      await person.page.goto(`${BASE}/chats/${dm.id}`);
      await live(person.page, who);
    }
    await bob.page.evaluate(() => (window.__notReloaded = true));
    check(await ana.page.getByRole("button", { name: "Attach files" }).isVisible(), "an Attach button");
  });

  let imageMessage;
  await step("ana picks an image: a progress bar, Send held back, then a chip", async () => {
    await ana.page.evaluate(watchBars);
    await throttle(ana.page, 600 * 1024);
    await ana.page.locator('form[data-composer] input[type="file"]').setInputFiles(photo.path);
    await until(ana.page, "a running upload", () => document.querySelector("form[data-composer] .upload-chip.uploading progress"));
    await screenshots("uploads-progress");
    const bars = await ana.page.evaluate(() => window.__bars);
    check(bars.length === 1 && bars[0].label === "Uploading photo.png", `the progress bar and its name: ${JSON.stringify(bars)}`);
    check(bars[0].sendDisabled, "Send is disabled while the upload runs");
    const value = await ana.page.locator("form[data-composer] progress").evaluate((bar) => bar.value);
    await until(ana.page, "the upload to finish", () => document.querySelector('form[data-composer] input[name="attachment_ids"]'), null, {
      timeout: 20_000,
      describe: () => document.querySelector("form[data-composer] .upload-list")?.textContent,
    });
    const [done] = await chips(ana.page);
    check(done.name === "photo.png" && done.id && !done.uploading && !done.failed, `the chip: ${JSON.stringify(done)}`);
    check(value < 100, `the bar had not reached the end when first seen: ${value}`);
    check(!(await composer(ana.page).getByRole("button", { name: "Send", exact: true }).isDisabled()), "Send is enabled again");
    await throttle(ana.page, -1);
  });

  await step("ana sends the image alone; the chips clear", async () => {
    await composer(ana.page).getByRole("button", { name: "Send", exact: true }).click();
    await until(ana.page, "the chips to clear", () => document.querySelectorAll("form[data-composer] .upload-chip").length === 0);
    await until(ana.page, "the message sent, with its attachment", () =>
      [...document.querySelectorAll("#messages article.message:not(.pending) .attachments")].length > 0,
    );
    const { messages } = await api(ana, `/api/messages?threadId=${dm.id}&limit=5`);
    imageMessage = messages.at(-1);
    check(imageMessage.content === "" && imageMessage.attachments.length === 1, `stored: ${JSON.stringify(imageMessage)}`);
    const [a] = imageMessage.attachments;
    check(a.name === "photo.png" && a.contentType === "image/png" && a.width === 900 && a.height === 700, `the attachment: ${JSON.stringify(a)}`);
  });

  await step("bob's open page shows the thumbnail without a reload", async () => {
    await until(bob.page, "the message with its image", (id) => document.querySelector(`#m-${id} .attachments img`), imageMessage.id, {
      describe: (id) => document.getElementById(`m-${id}`)?.outerHTML.slice(0, 300) ?? "no message",
    });
    let thumbnail;
    for (const started = Date.now(); !thumbnail && Date.now() - started < 20_000; await new Promise((r) => setTimeout(r, 100))) {
      const { messages } = await api(bob, `/api/messages?threadId=${dm.id}&limit=5`);
      thumbnail = messages.find((m) => m.id === imageMessage.id)?.attachments[0]?.thumbnailUrl;
    }
    check(thumbnail, "the server made a thumbnail");
    const shown = await until(
      bob.page,
      "the thumbnail, loaded, linked to the full image",
      ({ id, thumbnail }) => {
        const img = document.querySelector(`#m-${id} .attachments img`);
        return img && img.getAttribute("src") === thumbnail && img.complete && img.naturalWidth > 0 && { link: img.closest("a")?.getAttribute("href"), lazy: img.loading };
      },
      { id: imageMessage.id, thumbnail },
      { describe: ({ id }) => document.querySelector(`#m-${id} .attachments`)?.outerHTML.slice(0, 400) ?? "none", timeout: 20_000 },
    );
    check(shown.link === imageMessage.attachments[0].url, `the thumbnail links to the full image: ${shown.link}`);
    check(shown.lazy === "lazy", "loaded lazily");
    check(await bob.page.evaluate(() => window.__notReloaded === true), "bob's page was not reloaded");
    await screenshots("uploads-image");
  });

  let textMessage;
  await step("a text file shows as a card with name, size and type", async () => {
    await ana.page.locator('form[data-composer] input[type="file"]').setInputFiles(notes.path);
    await until(ana.page, "the chip", () => document.querySelector('form[data-composer] input[name="attachment_ids"]'));
    await composer(ana.page).locator('textarea[name="content"]').fill("the notes for today");
    await composer(ana.page).locator('textarea[name="content"]').press("Enter");
    await until(bob.page, "the message with its card", () =>
      [...document.querySelectorAll("#messages article.message")].find((a) => a.textContent.includes("the notes for today") && a.querySelector(".file-card")),
    );
    const { messages } = await api(bob, `/api/messages?threadId=${dm.id}&limit=5`);
    textMessage = messages.at(-1);
    const card = (await shownAttachments(bob.page, textMessage.id)).cards[0];
    check(card.includes("notes.txt") && /\d+(\.\d)? KB|\d+ B/.test(card) && /text\/plain|TXT|text/i.test(card), `the card: ${card}`);
    await screenshots("uploads-file");
  });

  await step("a file dropped onto the conversation and an image pasted into the composer upload too", async () => {
    await ana.page.evaluate(() => {
      const dropped = new DataTransfer();
      dropped.items.add(new File(["dropped text"], "dropped.txt", { type: "text/plain" }));
      const chat = document.getElementById("chat");
      for (const type of ["dragenter", "dragover"]) chat.dispatchEvent(new DragEvent(type, { dataTransfer: dropped, bubbles: true, cancelable: true }));
      window.__dropTarget = chat.classList.contains("drop-target");
      chat.querySelector(".message-pane").dispatchEvent(new DragEvent("drop", { dataTransfer: dropped, bubbles: true, cancelable: true }));
    });
    check(await ana.page.evaluate(() => window.__dropTarget), "the conversation shows where to drop");
    check(!(await ana.page.locator("#chat.drop-target").count()), "and stops showing it after the drop");
    await until(ana.page, "the dropped file's chip", () => document.querySelector('form[data-composer] .upload-chip[data-attachment-id]'));
    await ana.page.evaluate((bytes) => {
      const pasted = new DataTransfer();
      pasted.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
      const area = document.querySelector("form[data-composer] textarea");
      area.dispatchEvent(new ClipboardEvent("paste", { clipboardData: pasted, bubbles: true, cancelable: true }));
    }, [...png(40, 30, 0)]);
    await until(ana.page, "two finished chips", () => document.querySelectorAll("form[data-composer] .upload-chip[data-attachment-id]").length === 2);
    check(JSON.stringify((await chips(ana.page)).map((c) => c.name)) === '["dropped.txt","image.png"]', "the chips, in order");
    await composer(ana.page).locator('textarea[name="content"]').fill("dropped and pasted");
    await composer(ana.page).locator('textarea[name="content"]').press("Enter");
    await until(bob.page, "the message with both", () =>
      [...document.querySelectorAll("#messages article.message")].find((a) => a.textContent.includes("dropped and pasted") && a.querySelectorAll(".attachment").length === 2),
    );
    const { messages } = await api(bob, `/api/messages?threadId=${dm.id}&limit=5`);
    const names = messages.at(-1).attachments.map((a) => a.name);
    check(JSON.stringify(names) === '["dropped.txt","image.png"]', `stored in order: ${JSON.stringify(names)}`);
  });

  await step("a running upload can be cancelled", async () => {
    await throttle(ana.page, 200 * 1024);
    await ana.page.locator('form[data-composer] input[type="file"]').setInputFiles(big.path);
    const cancel = ana.page.getByRole("button", { name: "Cancel upload of huge.png" });
    await cancel.waitFor();
    await expectingNetworkErrors("cancelling an upload", async () => {
      await ana.page.keyboard.press("Enter");
      check(await ana.page.evaluate(() => document.querySelectorAll("#messages article.pending").length) === 0, "Enter does not send while uploading");
      await cancel.click();
      await until(ana.page, "the chip to go", () => document.querySelectorAll("form[data-composer] .upload-chip").length === 0);
    });
    check(!(await composer(ana.page).getByRole("button", { name: "Send", exact: true }).isDisabled()), "Send is enabled after cancelling");
    await throttle(ana.page, -1);
  });

  await step("a file over the limit shows the server's reason", async () => {
    await expectingNetworkErrors("uploading a file over the limit", async () => {
      await ana.page.locator('form[data-composer] input[type="file"]').setInputFiles(tooBig.path);
      await until(ana.page, "the failed chip", () => document.querySelector("form[data-composer] .upload-chip.failed .chip-error"));
    });
    const [refused] = await chips(ana.page);
    check(/larg|limit|MiB|MB|bytes/i.test(refused.error) && !refused.id, `the reason: ${JSON.stringify(refused)}`);
  });

  await step("one finished and one failed chip, and attachments: no serious axe violation, light and dark", async () => {
    await ana.page.locator('form[data-composer] input[type="file"]').setInputFiles(notes.path);
    await until(ana.page, "the chip", () => document.querySelector('form[data-composer] input[name="attachment_ids"]'));
    for (const scheme of ["light", "dark"]) {
      await ana.page.emulateMedia({ colorScheme: scheme });
      await ana.page.evaluate(() => document.fonts.ready);
      await screenshots(`uploads-chips-${scheme}`);
      await axeCheck(ana.page, `the conversation with chips (${scheme})`);
      await bob.page.emulateMedia({ colorScheme: scheme });
      await axeCheck(bob.page, `the conversation with attachments (${scheme})`);
    }
  });
}

await run(scenario);
