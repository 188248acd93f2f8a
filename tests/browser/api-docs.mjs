// The API reference page (/api/docs) in headless Chromium: the vendored Swagger UI renders
// Confab's OpenAPI document, with the stream's event schemas, under the page's CSP and
// without a console error. Driven by tests/api/browser.rs; exits 0 when all is well.
import { BASE, check, consoleErrors, launch, newPage, step, show, until } from "./harness.mjs";

const browser = await launch();
try {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
    );
  });
  const page = await newPage({ context }, "reader");
  show("reader", page);

  await step("the reference renders the API's operations", async () => {
    const response = await page.goto(`${BASE}/api/docs`);
    check(response.ok(), `GET /api/docs: ${response.status()}`);
    const csp = response.headers()["content-security-policy"] ?? "";
    check(!/script-src[^;]*unsafe-inline/.test(csp), `scripts stay strict: ${csp}`);
    await until(page, "the title", () => document.querySelector(".info .title")?.textContent.includes("Confab API"));
    const operations = await until(page, "operations", () => document.querySelectorAll(".opblock").length);
    check(operations >= 20, `only ${operations} operations shown`);
  });

  await step("the stream's event schemas are listed", async () => {
    const TITLES = '.models article[data-json-schema-level="0"] .json-schema-2020-12__title';
    const wanted = ["StreamEvent", "MessageCreatedEvent", "ThreadUpdatedEvent", "TypingEvent"];
    await until(
      page,
      `the event schemas ${wanted.join(", ")} among the models`,
      ([sel, wanted]) => {
        const shown = [...document.querySelectorAll(sel)].map((t) => t.textContent.trim());
        return wanted.every((n) => shown.includes(n));
      },
      [TITLES, wanted],
      { describe: ([sel]) => [...document.querySelectorAll(sel)].map((t) => t.textContent.trim()).join(", ") },
    );
  });

  await step("the stream operation expands with its description", async () => {
    await page.locator('.opblock-summary-path[data-path="/api/chat/sse"]').first().click();
    await until(page, "the stream's description", () =>
      document.querySelector(".opblock.is-open .opblock-description-wrapper")?.textContent.includes("Last-Event-ID"),
    );
  });

  await step("no console errors", async () => {
    // Let late work (fonts, images, lazy models) finish before judging.
    await page.waitForTimeout(500);
    const errors = consoleErrors();
    check(errors.length === 0, `console errors:\n  ${errors.join("\n  ")}`);
  });
} finally {
  await browser.close();
}
