// Drives the dashboard in headless Chromium (Debian's chromium, through playwright-core),
// as the people on the bridge would. Called by dashboard_test.py, which owns the
// coordinator and checks the journal afterwards.
//
// Usage: node dashboard_browser.js MODE URL [ARGS...]
//   operate URL OLU_TOKEN KIM_TOKEN RELEASE_FILE   log in, watch a step finish, sign off, decide
//   public  URL                                    --public-view: read without logging in
// Prints one JSON object of what it saw; exits 1 (after printing the page's text) when an
// expectation fails.
"use strict";
const fs = require("fs");
const { launch } = require("./chromium");

function expect(condition, what) {
  if (!condition) throw new Error("expected " + what);
}

const TIMEOUT = 20000;

async function stepState(page, id) {
  return page.getAttribute(`#steps tr[data-step="${id}"]`, "data-state");
}

async function waitStep(page, id, state) {
  await page.waitForSelector(`#steps tr[data-step="${id}"][data-state="${state}"]`, { timeout: TIMEOUT });
}

async function act(page, step, verb, note) {
  const card = `[data-waiting="${step}"]`;
  await page.waitForSelector(`${card} button[data-act="${verb}"]`, { timeout: TIMEOUT });
  await page.evaluate(() => { document.getElementById("act-result").textContent = ""; });
  if (note !== undefined) await page.fill(`${card} input`, note);
  await page.click(`${card} button[data-act="${verb}"]`);
  await page.waitForFunction(() => document.getElementById("act-result").textContent !== "", null,
                             { timeout: TIMEOUT });
  return page.textContent("#act-result");
}

async function login(page, token) {
  await page.fill("#token", token);
  await page.click("#login");
}

async function operate(page, url, olu, kim, release) {
  const seen = {};
  await page.goto(url);
  // Without a login nothing of the run is shown, and the API refuses.
  await page.waitForSelector("#login-form:not([hidden])", { timeout: TIMEOUT });
  seen.banner_before_login = await page.textContent("#banner");
  seen.status_without_login = (await page.request.get(url + "api/status")).status();
  seen.act_without_login = (await page.request.post(url + "api/signoff", {
    data: { step: "confirm" }, headers: { "Content-Type": "application/json" } })).status();

  // A wrong token is refused on the page.
  await login(page, "tmn_" + "0".repeat(64));
  await page.waitForSelector("#banner.error", { timeout: TIMEOUT });
  seen.wrong_token = await page.textContent("#banner");

  await login(page, olu);
  await page.waitForSelector("#person:has-text('olu')", { timeout: TIMEOUT });
  seen.person = await page.textContent("#person");
  await waitStep(page, "prep", "running");
  seen.title = await page.textContent("#title");
  seen.timeline_steps = await page.$$eval("#timeline g[data-step]", (gs) => gs.map((g) => g.dataset.step));
  seen.now_line = (await page.$("#now-line")) !== null;
  seen.critical = await page.$$eval("#steps tr", (rows) =>
    rows.filter((r) => r.querySelector(".tag.crit")).map((r) => r.dataset.step));
  seen.streams = await page.$$eval("#timeline > text.stream", (ts) => ts.map((t) => t.textContent));
  seen.agents = await page.$$eval("#agents tr[data-agent]", (rows) =>
    rows.map((r) => [r.dataset.agent, r.querySelector("[data-health]").dataset.health]));
  seen.live = await page.textContent("#live");

  // The step finishes while the page is open: it updates without a reload.
  await page.evaluate(() => { window.tminusNoReload = true; });
  fs.writeFileSync(release, "");
  await waitStep(page, "prep", "succeeded");
  seen.reloaded = !(await page.evaluate(() => window.tminusNoReload === true));
  await page.waitForSelector('[data-waiting="confirm"]', { timeout: TIMEOUT });
  seen.confirm_card = await page.textContent('[data-waiting="confirm"]');
  seen.event_log = await page.$$eval("#event-log li", (lis) => lis.map((li) => li.dataset.type));

  // olu signs off from the page; then tries the gate, which is not olu's to decide.
  seen.signoff = await act(page, "confirm", "signoff", "checked from the dashboard");
  await waitStep(page, "confirm", "succeeded");
  seen.gate_card = await page.textContent('[data-waiting="go-live"]');
  seen.wrong_role = await act(page, "go-live", "go", "olu should not decide this");

  // kim logs in on the same browser and decides the gate.
  await page.click("#logout");
  await page.waitForSelector("#login-form:not([hidden])", { timeout: TIMEOUT });
  await login(page, kim);
  await page.waitForSelector("#person:has-text('kim')", { timeout: TIMEOUT });
  seen.decision = await act(page, "go-live", "go", "bridge agreed");
  await waitStep(page, "go-live", "succeeded");
  await waitStep(page, "finish", "running");
  seen.counts = await page.$$eval("#counts span", (ss) => ss.map((s) => s.textContent));
  return seen;
}

async function publicView(page, url) {
  const seen = {};
  await page.goto(url);
  await page.waitForSelector('#steps tr[data-step="confirm"][data-state="awaiting_signoff"]', { timeout: TIMEOUT });
  seen.person = await page.textContent("#person");
  seen.login_form_shown = await page.isVisible("#login-form");
  seen.confirm_card = await page.textContent('[data-waiting="confirm"]');
  seen.buttons = await page.$$eval('[data-waiting] button', (bs) => bs.length);
  seen.act_without_login = (await page.request.post(url + "api/signoff", {
    data: { step: "confirm" }, headers: { "Content-Type": "application/json" } })).status();
  seen.confirm_state = await stepState(page, "confirm");
  return seen;
}

async function main() {
  const [mode, url, ...rest] = process.argv.slice(2);
  const browser = await launch();
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  try {
    const seen = mode === "operate" ? await operate(page, url, ...rest) : await publicView(page, url);
    seen.page_errors = problems;
    process.stdout.write(JSON.stringify(seen) + "\n");
  } catch (e) {
    process.stderr.write("dashboard_browser: " + e.message + "\n");
    process.stderr.write("page errors: " + JSON.stringify(problems) + "\n");
    try { process.stderr.write("page text:\n" + (await page.innerText("body")) + "\n"); } catch (x) { /* gone */ }
    await browser.close();
    process.exit(1);
  }
  await browser.close();
}

main().catch((e) => { process.stderr.write(String(e.stack || e) + "\n"); process.exit(1); });
