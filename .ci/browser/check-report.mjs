// Opens report.html files in headless Chromium (Debian's /usr/bin/chromium) and fails on
// a console error, a page error, a failed request, a broken <img>, a chart that did not
// render (no size or no text), a first section that is not the summary, a link to a CSV
// file that is not there, or a table that does not sort when its header is clicked. Writes a full-page screenshot of each report to
// $SCREENSHOT_DIR (default: the temporary directory) as <run name>-report.png, and its first
// screen as <run name>-report-top.png.
//
//   node check-report.mjs outputs/mall/report.html [more reports...]
import { chromium } from "playwright-core";
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";

const reports = process.argv.slice(2);
if (reports.length === 0) {
  console.error("usage: node check-report.mjs REPORT.html...");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let failed = 0;
for (const report of reports) {
  const path = resolve(report);
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto("file://" + path, { waitUntil: "load" });
  const found = await page.evaluate(() => {
    const broken = [...document.images]
      .filter((i) => !i.complete || i.naturalWidth === 0)
      .map((i) => i.getAttribute("src"));
    const charts = [...document.querySelectorAll("figure[id^=chart-]")].map((f) => {
      const svg = f.querySelector("svg");
      const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      return {
        id: f.id.slice(6),
        ok: !!svg && box.width > 100 && box.height > 50 && svg.querySelectorAll("text").length > 0,
      };
    });
    const csv = [...document.querySelectorAll("a[href$='.csv']")].map((a) => a.getAttribute("href"));
    const firstSection = document.querySelector("h2")?.id;
    return { broken, charts, csv, firstSection, title: document.title, h1: document.querySelector("h1")?.textContent };
  });
  for (const b of found.broken) problems.push(`broken image: ${b}`);
  for (const c of found.charts) if (!c.ok) problems.push(`chart ${c.id} did not render`);
  // Every chart file written beside the report is on the page.
  const files = readdirSync(join(dirname(path), "charts")).filter((f) => f.endsWith(".svg"));
  if (files.length !== found.charts.length) {
    problems.push(`${files.length} charts in charts/ but ${found.charts.length} on the page`);
  }
  if (!found.h1) problems.push("no heading");
  // The summary comes first, and every CSV the page links to is there.
  if (found.firstSection !== "summary") problems.push(`first section is ${found.firstSection}, not the summary`);
  if (found.csv.length === 0) problems.push("no link to a CSV");
  for (const href of found.csv) {
    if (!existsSync(join(dirname(path), href))) problems.push(`link to a missing file: ${href}`);
  }
  const shot = join(
    process.env.SCREENSHOT_DIR || tmpdir(),
    `${basename(dirname(path))}-report.png`,
  );
  await page.screenshot({ path: shot, fullPage: true });
  // And the first screen alone, as a reader sees it on opening (the README's picture).
  await page.screenshot({ path: shot.replace(/\.png$/, "-top.png"), fullPage: false });
  // Clicking a header sorts its table: ascending, then descending on a second click.
  const sorting = await page.evaluate(() => {
    const tables = [...document.querySelectorAll("table.sortable")].filter((t) => t.rows.length >= 3);
    if (tables.length === 0) return { tables: 0, problem: "no sortable table with two rows or more" };
    for (const t of tables) {
      const head = t.rows[0];
      const num = (r) => parseFloat(r.cells[1].textContent.replace(/[,%\u00d7]/g, ""));
      const column = () => [...t.rows].slice(1).map(num);
      const ordered = (v, sign) => v.every((x, i) => i === 0 || isNaN(x) || isNaN(v[i - 1]) || sign * (x - v[i - 1]) >= 0);
      head.cells[1].click();
      const up = column();
      head.cells[1].click();
      const down = column();
      if (!ordered(up, 1) || !ordered(down, -1)) {
        return { tables: tables.length, problem: `a table did not sort on "${head.cells[1].textContent}": ${up} / ${down}` };
      }
    }
    return { tables: tables.length, problem: null };
  });
  if (sorting.problem) problems.push(sorting.problem);
  await page.close();
  if (problems.length) {
    failed++;
    console.log(`FAIL ${report}`);
    for (const p of problems) console.log(`  ${p}`);
  } else {
    console.log(`ok   ${report}: ${found.charts.length} charts rendered, summary first, ${found.csv.length} CSV links resolve, ${sorting.tables} tables sort, no console error, no broken image (screenshot ${shot})`);
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
