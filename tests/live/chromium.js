// Debian's Chromium, headless, through playwright-core (which tools/install-deps.sh installs
// from npm into .cache/node; TMINUS_NODE_MODULES says where). Shared by the browser tests.
"use strict";
const fs = require("fs");
const path = require("path");

const modules = process.env.TMINUS_NODE_MODULES;
const { chromium } = require(modules ? path.join(modules, "playwright-core") : "playwright-core");

function executable() {
  for (const p of [process.env.TMINUS_CHROMIUM, "/usr/lib/chromium/chromium", "/usr/bin/chromium"]) {
    if (p && fs.existsSync(p)) return p;
  }
  throw new Error("no Chromium: install Debian's chromium package (tools/install-deps.sh does)");
}

function launch() {
  return chromium.launch({ executablePath: executable(), headless: true, args: ["--no-sandbox", "--disable-gpu"] });
}

module.exports = { launch };
