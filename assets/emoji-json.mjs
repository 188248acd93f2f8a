// Regenerates assets/emoji.json, the emoji picker's list: one [emoji, "label|tags"] per
// emoji, in Unicode order, without components (skin tones, hair) or lone regional
// indicators. Labels and tags come from emojibase-data (MIT, Miles Johnson); the emoji
// themselves in their fully-qualified form from unicode-emoji-json (MIT, Mu-An Chiou),
// the form the server stores (src/chat/fields.rs tests that it accepts every one).
//
//   cd "$(mktemp -d)" && npm pack emojibase-data@17.0.0 unicode-emoji-json@0.9.0 &&
//   mkdir base full && tar xzf emojibase-data-*.tgz -C base && tar xzf unicode-emoji-json-*.tgz -C full &&
//   node /path/to/confab/assets/emoji-json.mjs base/package full/package > /path/to/confab/assets/emoji.json
import { readFileSync } from "node:fs";

const [base, full] = process.argv.slice(2);
const read = (path) => JSON.parse(readFileSync(path, "utf8"));
const labelled = read(`${base}/en/compact.json`);
const qualified = new Map(Object.keys(read(`${full}/data-by-emoji.json`)).map((e) => [e.replaceAll("\uFE0F", ""), e]));

const out = [];
for (const e of labelled.toSorted((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity))) {
  if (e.group === undefined || e.group === 2) continue;
  const emoji = qualified.get(e.unicode.replaceAll("\uFE0F", ""));
  if (!emoji) throw new Error(`no fully-qualified form of ${e.label}`);
  const label = e.label.split(" ");
  const words = (e.tags ?? []).filter((t) => !label.includes(t)).join(" ");
  out.push([emoji, words ? `${e.label}|${words}` : e.label]);
}
process.stdout.write(`${JSON.stringify(out).replaceAll("],[", "],\n[")}\n`);
