// Desktop notifications in headless Chromium. Bob's context has the notification
// permission granted; an init script records every `new Notification(…)` (window.__notes)
// and every permission request (window.__asked), and lets the test hide the page
// (`__setHidden`: document.visibilityState reads "hidden" and visibilitychange fires).
// Steps: no permission is asked on load, only on the settings page's button; a direct
// message from ana shows a notification while bob's page is hidden, none while it is
// shown; an @mention in a group shows one; with notifications turned off in Settings
// (stored on the server) nothing shows.
// Run by tests/api/browser.rs with CONFAB_URL set; prints `ok <step>` per step.
import { BASE, api, check, register, run, show, step, until } from "./harness.mjs";
import { live, pageHelpers } from "./chat.mjs";

function notificationHelpers() {
  let hidden = false;
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  window.__setHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  window.__notes = [];
  window.__asked = 0;
  const Real = window.Notification;
  window.Notification = class {
    constructor(title, options = {}) {
      window.__notes.push({ title, body: options.body ?? "", tag: options.tag ?? "" });
    }
    close() {}
    static get permission() {
      return Real.permission;
    }
    static requestPermission() {
      window.__asked += 1;
      return Real.requestPermission();
    }
  };
}

async function scenario(browser) {
  const ana = await register(browser, "ana", { helpers: pageHelpers });
  const bob = await register(browser, "bob", { helpers: pageHelpers });
  await bob.context.addInitScript(notificationHelpers);
  await bob.context.grantPermissions(["notifications"], { origin: BASE });
  const bobId = (await api(bob, "/api/me")).id;
  const dm = await api(ana, "/api/threads", { action: "create", participantIds: [bobId] });
  const group = await api(ana, "/api/threads", { action: "create", name: "Launch", participantIds: [bobId] });
  show("bob", bob.page);
  const notes = () => bob.page.evaluate(() => window.__notes);

  await step("no permission is asked on load; the settings button asks once", async () => {
    for (const path of ["/chats", `/chats/${dm.id}`, "/settings"]) {
      await bob.page.goto(`${BASE}${path}`);
      await live(bob.page, "bob");
      check((await bob.page.evaluate(() => window.__asked)) === 0, `${path} asked for the permission on load`);
    }
    await until(bob.page, "the permission state", () => document.getElementById("notify-state")?.textContent.includes("allowed"));
    check(!(await bob.page.locator("#notify-ask").isVisible()), "no ask button once allowed");
    // As a person who has not decided yet sees it: the button asks.
    await bob.page.evaluate(() => {
      document.getElementById("notify-ask").hidden = false;
    });
    await bob.page.getByRole("button", { name: "Allow notifications in this browser" }).click();
    check((await bob.page.evaluate(() => window.__asked)) === 1, "one request, on the click");
  });

  await step("a direct message shows a notification while bob's page is hidden", async () => {
    await bob.page.goto(`${BASE}/chats/${group.id}`);
    await live(bob.page, "bob");
    await bob.page.evaluate(() => window.__setHidden(true));
    await api(ana, "/api/messages", { threadId: dm.id, content: "are you around?" });
    const shown = await until(bob.page, "a notification", () => window.__notes.length > 0 && window.__notes, null, {
      describe: () => JSON.stringify(window.__notes),
    });
    check(shown.length === 1 && shown[0].title === "ana" && shown[0].body.includes("are you around?"), JSON.stringify(shown));
  });

  await step("an @mention in a group shows one; nothing shows while the page is visible", async () => {
    await api(ana, "/api/messages", { threadId: group.id, content: "@bob can you check the launch?" });
    await until(bob.page, "a notification for the mention", () => window.__notes.some((n) => n.body.includes("check the launch")), null, {
      describe: () => JSON.stringify(window.__notes),
    });
    const before = (await notes()).length;
    await bob.page.evaluate(() => window.__setHidden(false));
    await api(ana, "/api/messages", { threadId: dm.id, content: "never mind, seen you" });
    await until(bob.page, "the direct conversation to show the new message", () => document.querySelector(`#threads .thread-preview`)?.textContent.includes("never mind"));
    await bob.page.waitForTimeout(500);
    check((await notes()).length === before, `shown while visible: ${JSON.stringify(await notes())}`);
  });

  await step("turned off in Settings, nothing shows", async () => {
    await bob.page.goto(`${BASE}/settings`);
    await bob.page.getByLabel("Show desktop notifications for direct messages and mentions").uncheck();
    await bob.page.getByRole("button", { name: "Save notifications" }).click();
    await bob.page.waitForURL(/\/settings#settings-notifications$/);
    check(!(await bob.page.getByLabel("Show desktop notifications for direct messages and mentions").isChecked()), "stored off");
    await bob.page.goto(`${BASE}/chats`);
    await live(bob.page, "bob");
    await bob.page.evaluate(() => window.__setHidden(true));
    await api(ana, "/api/messages", { threadId: dm.id, content: "one more thing" });
    await bob.page.waitForTimeout(1500);
    check((await notes()).length === 0, `shown while turned off: ${JSON.stringify(await notes())}`);
    await bob.page.evaluate(() => window.__setHidden(false));
    await until(bob.page, "the list to show the message", () => document.querySelector("#threads .thread-preview")?.textContent.includes("one more thing"));
    check((await notes()).length === 0, `shown while turned off: ${JSON.stringify(await notes())}`);
  });
}

await run(scenario);
