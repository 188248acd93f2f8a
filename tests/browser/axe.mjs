// axe-core for the browser tests: `axeCheck(page, label)` fails the step on any serious or
// critical violation on the page as it is now.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { check } from "./harness.mjs";

const AXE = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function axeCheck(page, label) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  check(violations.length === 0, `axe on ${label}:\n  ${violations.join("\n  ")}`);
}
