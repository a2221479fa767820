// Drives the playground page in headless Chromium (web/test.sh starts the
// server): the Spectrum example's output as convert writes it, a typo's
// diagnostic on its line (the cursor moves there), a runaway mapping's
// time-out while the page stays responsive, and a screenshot.
//
// usage: node drive.mjs URL CONVERT_OUTPUT SCREENSHOT
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { inflateRawSync } from "node:zlib";

const [url, convertOutput, screenshot] = process.argv.slice(2);
const SPECTRUM = "mappings/oneserve-spectrum/order.yaml#orders.ndjson";
const SPECTRUM_CSV = "mappings/oneserve-spectrum/order.yaml#order-lines.csv";
const SYNERGETIC = "mappings/oneserve-synergetic/order.yaml#special-characters.json";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const elsewhere = [];
page.on("request", (r) => { if (!r.url().startsWith(url)) elsewhere.push(r.url()); });
const text = (selector) => page.textContent(selector);
const step = (what) => console.log("ok: " + what);

try {
  await page.goto(url);
  await page.waitForSelector(`#integration option[value="${SPECTRUM}"]`, { state: "attached" });
  await page.selectOption("#integration", SPECTRUM);
  await page.waitForFunction(() => document.querySelector("#counts").textContent.startsWith("200 input records"));
  assert.equal(await text("#counts"), "200 input records, 200 units: 187 accepted, 13 rejected, 0 skipped");
  assert.equal(await text("#output"), readFileSync(convertOutput, "utf8"), "the output shown is convert's");
  step("the Spectrum example shows convert's output and counts");

  // A rejection's trace, for the screenshot.
  await page.click("#rejections li >> nth=0");
  const first = await text("#rejections li >> nth=0");
  const [, traced] = /^line (\d+) /.exec(first);
  assert.equal(await page.inputValue("#record"), traced, "the record traced is the rejection's line");
  await page.waitForFunction(() => document.querySelector("#trace-text").textContent.startsWith("oneserve-order-to-spectrum: rejected"));
  await page.screenshot({ path: screenshot, fullPage: true });
  step("a rejection's trace is shown; screenshot " + screenshot);

  // A CSV rejection names its unit's lines: clicking it traces that unit.
  await page.selectOption("#integration", SPECTRUM_CSV);
  await page.waitForFunction(() => document.querySelector("#counts").textContent.startsWith("619 input records"));
  await page.click("#rejections li >> nth=0");
  assert.match(await text("#rejections li >> nth=0"), /^line 6 team-assigned /);
  assert.equal(await page.inputValue("#record"), "6");
  await page.waitForFunction(() => document.querySelector("#trace-text").textContent.startsWith("oneserve-order-to-spectrum: rejected"));
  assert.match(await text("#trace-text"), /team-assigned/);
  await page.selectOption("#integration", SPECTRUM);
  await page.waitForFunction(() => document.querySelector("#counts").textContent.startsWith("200 input records"));
  step("a CSV rejection's trace is of its grouped unit");

  // A typo: `lookups:` misspelt on its line; the diagnostic moves the cursor there.
  const mapping = await page.inputValue("#mapping");
  const lines = mapping.split("\n");
  const line = lines.findIndex((l) => l.startsWith("lookups:")) + 1;
  assert.ok(line > 0);
  await page.fill("#mapping", mapping.replace("\nlookups:", "\nlookup:"));
  const diagnostic = page.locator("#diagnostics li", { hasText: "unknown-key" });
  await diagnostic.waitFor();
  assert.match(await diagnostic.textContent(), new RegExp(`line ${line}, column 1 unknown-key unknown key 'lookup'`));
  assert.equal(await text("#status"), "the mapping did not run");
  await diagnostic.click();
  const cursor = await page.evaluate(() => [document.activeElement.id, document.querySelector("#mapping").selectionStart]);
  const lineStart = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  assert.deepEqual(cursor, ["mapping", lineStart]);
  assert.equal(await text("#cursor"), `line ${line}, column 1`);
  step(`the typo's diagnostic names line ${line}; clicking it puts the cursor there`);

  // A runaway: every record compares 3,000 items with each other, under
  // budgets the mapping raised to a billion operations and an hour.
  await page.selectOption("#integration", "");
  const runaway = (n) => ({
    mapping: "mapping: runaway\ntarget: pruvan.acknowledgement\nlimits: {operations: 1000000000, time_ms: 3600000}\n" +
      "record:\n  action: create\n  orders: = l.filter(|a| l.all(|b| a >= 0 && b >= 0)).len()\n  created: 1\n  updated: 0\n  deleted: 0\n",
    input: Array(5).fill(JSON.stringify({ l: [...Array(n).keys()] })).join("\n"),
  });
  await page.fill("#params", "{}");
  await page.fill("#input-name", "in.ndjson");
  await page.fill("#input", runaway(3000).input);
  await page.fill("#mapping", runaway(3000).mapping);
  await page.click("#run");
  await page.waitForFunction(() => document.querySelector("#status").textContent === "running…");
  // The page answers while the server works.
  assert.equal(await page.evaluate(() => 6 * 7), 42);
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("time-out"));
  assert.match(await text("#status"), /time-out: stopped after 2 s \(the playground's time limit per request, serve --time-limit\)/);
  step("the runaway mapping is reported as timed out");
  // And the next edit runs.
  await page.fill("#input", runaway(3).input);
  await page.waitForFunction(() => document.querySelector("#counts").textContent.startsWith("5 input records"));
  assert.equal(await text("#counts"), "5 input records, 5 units: 5 accepted, 0 rejected, 0 skipped");
  step("the page and the server go on: the next edit runs");

  // The state in the URL: compressed, without the secret vendor token, and
  // a page opened on the link has the same mapping and input.
  await page.selectOption("#integration", SYNERGETIC);
  await page.waitForFunction(() => document.querySelector("#counts").textContent.startsWith("1 input records"));
  await page.waitForFunction(() => location.hash.startsWith("#z="));
  const link = page.url();
  const state = JSON.parse(inflateRawSync(Buffer.from(link.split("#z=")[1], "base64url")).toString());
  assert.equal(state.i, SYNERGETIC);
  assert.equal(state.m, await page.inputValue("#mapping"));
  assert.deepEqual(Object.keys(state.p), [], "the secret vendor_token is left out");
  assert.ok(!link.includes("3FC2ABA9") && !JSON.stringify(state).includes("3FC2ABA9"));
  const second = await browser.newPage();
  await second.goto(link);
  await second.waitForFunction(() => document.querySelector("#status").textContent !== "");
  assert.equal(await second.inputValue("#mapping"), state.m);
  assert.equal(await second.inputValue("#input"), await page.inputValue("#input"));
  assert.equal(await second.inputValue("#integration"), SYNERGETIC);
  await second.close();
  step("the link holds the state, compressed, without the secret param, and reopens it");

  assert.deepEqual(elsewhere, [], "nothing is fetched from another host");
  step("nothing was fetched from another host");
} finally {
  await browser.close();
}
