// Renders report pages in headless Chromium (Debian's chromium, through playwright-core),
// offline, as a change manager would open them the morning after: a screenshot, a PDF as
// the browser prints it, and what the page itself shows. Called by report_test.py, which
// checks the results.
//
// Usage: node report_browser.js OUT_DIR PAGE.html...
// For each page writes OUT_DIR/NAME.png and OUT_DIR/NAME.pdf and prints one JSON line:
// {"page", "png", "pdf", "console_errors", "page_errors", "requests", "title", "bars",
//  "svg_width", "svg_height", "headings"}.
"use strict";
const path = require("path");
const { launch } = require("./chromium");

async function render(browser, outDir, file) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [];
  const pageErrors = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("request", (r) => { if (!r.url().startsWith("file://")) requests.push(r.url()); });
  await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
  const name = path.basename(file, ".html");
  const png = path.join(outDir, name + ".png");
  const pdf = path.join(outDir, name + ".pdf");
  await page.screenshot({ path: png, fullPage: false });
  await page.emulateMedia({ media: "print" });
  await page.pdf({ path: pdf, format: "A4", landscape: true, printBackground: true });
  const seen = await page.evaluate(() => {
    const svg = document.querySelector("svg.gantt");
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return {
      title: document.title,
      bars: document.querySelectorAll("svg.gantt g.row rect, svg.gantt g.row path").length,
      svg_width: box.width,
      svg_height: box.height,
      headings: Array.from(document.querySelectorAll("h2")).map((h) => h.textContent),
    };
  });
  await page.close();
  return Object.assign({ page: file, png, pdf, console_errors: consoleErrors, page_errors: pageErrors, requests },
                       seen);
}

async function main() {
  const [outDir, ...pages] = process.argv.slice(2);
  const browser = await launch();
  try {
    for (const file of pages) process.stdout.write(JSON.stringify(await render(browser, outDir, file)) + "\n");
  } finally {
    await browser.close();
  }
}

main().catch((e) => { process.stderr.write(String(e.stack || e) + "\n"); process.exit(1); });
