// Screenshot of Neo4j Browser (served by kgtool's managed Neo4j server) showing a demo explanation
// subgraph styled with toolkit/browser/kgtool.grass. Drives Debian's Chromium with puppeteer-core
// (no browser download). Run through ./take.sh, which installs the npm dependency and fills in
// the environment below from kgtool's own settings.
//
// Environment:
//   KGTOOL_HTTP_PORT (7474), KGTOOL_BOLT_PORT (7687), KGTOOL_HOST (127.0.0.1)
//   NEO4J_PASSWORD, or KGTOOL_HOME whose neo4j/password file kgtool's managed server keeps
//   CHROMIUM (/usr/bin/chromium), SCREENSHOT_OUT (docs/browser.png)
//   COMPOUND (BRD-K90000001), GENES (6), TERMS (2): what cypher/browser/explanation_paths.cypher shows
//   WIDTH (1400), HEIGHT (900), FULLSCREEN (1: the result frame fills the window; 0: plain Browser layout)
//   STYLE_FILE (toolkit/browser/kgtool.grass), SETTLE_MS (4000: time for the force layout to settle)

import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const env = process.env;

const host = env.KGTOOL_HOST || "127.0.0.1";
const httpPort = env.KGTOOL_HTTP_PORT || "7474";
const boltPort = env.KGTOOL_BOLT_PORT || "7687";
const home = env.KGTOOL_HOME || join(homedir(), ".kgtool");
const out = resolve(env.SCREENSHOT_OUT || join(repo, "docs", "browser.png"));
const width = Number(env.WIDTH || 1400);
const height = Number(env.HEIGHT || 900);
const compound = env.COMPOUND || "BRD-K90000001";
const genes = Number(env.GENES || 6);
const terms = Number(env.TERMS || 2);

function password() {
  if (env.NEO4J_PASSWORD) return env.NEO4J_PASSWORD;
  const file = join(home, "neo4j", "password");
  try {
    return readFileSync(file, "utf-8").trim();
  } catch (err) {
    throw new Error(`no NEO4J_PASSWORD and cannot read ${file} (${err.code}); start the server with kgtool first`);
  }
}

// Same one-line form as `kgtool query --browser-style` (toolkit/browser/__init__.py: style_command).
function styleCommand() {
  const grass = readFileSync(env.STYLE_FILE || join(repo, "toolkit", "browser", "kgtool.grass"), "utf-8");
  const lines = grass.split(/\r?\n/).filter((l) => l.trim() && !l.trimStart().startsWith("/*"));
  return ":style " + lines.map((l) => l.trim()).join(" ");
}

function query() {
  const text = readFileSync(join(repo, "cypher", "browser", "explanation_paths.cypher"), "utf-8");
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() && !l.trimStart().startsWith("//"))
    .join("\n");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...args) => console.error("[take]", ...args);

const frames = (page) => page.$$eval('[data-testid="frame"]', (els) => els.length);

// Replace the editor's text and run it (Ctrl+Enter); waits for the new frame to appear.
async function run(page, text, { waitFrame = true } = {}) {
  const before = await frames(page);
  const editor = '[data-testid="activeEditor"]';
  await page.waitForSelector(editor, { visible: true });
  await page.click(editor);
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.press("Backspace");
  // insertText: no per-key auto-closing brackets or suggestion pop-ups in the Monaco editor
  await page.keyboard.sendCharacter(text);
  await page.keyboard.press("Escape");
  await page.keyboard.down("Control");
  await page.keyboard.press("Enter");
  await page.keyboard.up("Control");
  if (waitFrame) {
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="frame"]').length !== n,
      { timeout: 30000 },
      before,
    );
  }
  await sleep(500);
}

async function main() {
  const pw = password();
  const profile = mkdtempSync(join(tmpdir(), "kgtool-shot-"));
  const browser = await puppeteer.launch({
    executablePath: env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    userDataDir: profile,
    // the machine notes' flags: no sandbox as root, and no background traffic to a closed network
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      `--window-size=${width},${height}`,
    ],
    defaultViewport: { width, height, deviceScaleFactor: 1 },
  });
  try {
    const page = await browser.newPage();
    page.on("pageerror", (err) => log("page error:", err.message));
    const dbms = encodeURIComponent(`bolt://neo4j@${host}:${boltPort}`);
    const url = `http://${host}:${httpPort}/browser/?dbms=${dbms}&db=neo4j&preselectAuthMethod=NATIVE`;
    log("opening", url);
    await page.goto(url, { waitUntil: "networkidle2", timeout: 60000 });

    // Log in through the connect form (username comes from the dbms URL; the password is typed).
    const pwField = await page.waitForSelector('[data-testid="password"]', { visible: true, timeout: 30000 }).catch(() => null);
    if (pwField) {
      log("filling the connect form");
      const user = await page.$('[data-testid="username"]');
      if (user) {
        await user.click({ clickCount: 3 });
        await user.type("neo4j");
      }
      await pwField.click({ clickCount: 3 });
      await pwField.type(pw);
      await page.click('[data-testid="connect"]');
    }
    await page.waitForFunction(() => !document.querySelector('[data-testid="password"]'), { timeout: 30000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid="disconnectedBanner"]'), { timeout: 30000 });
    log("connected");
    await sleep(1500);

    // Dismiss the usage-data consent banner, if shown.
    await page.evaluate(() => {
      const span = [...document.querySelectorAll("span")].find((s) => s.textContent.startsWith("To help make Neo4j Browser better"));
      const close = span && span.parentElement.lastElementChild;
      if (close && close !== span) close.click();
    });
    // Show only the relationships the query returns ("Connect result nodes" off), then the style.
    await run(page, ":config autoComplete: false");
    await run(page, styleCommand());
    await run(page, `:param compound => '${compound.replace(/'/g, "\\'")}'`);
    await run(page, `:param genes => ${genes}`);
    await run(page, `:param terms => ${terms}`);
    await run(page, ":clear", { waitFrame: false });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="frame"]').length === 0, { timeout: 10000 });
    await run(page, query());

    // Wait for the graph view, then for the force layout to settle.
    await page.waitForSelector('[data-testid="frame"] svg g.node', { timeout: 60000 });
    const shape = await page.$$eval('[data-testid="frame"] svg', (svgs) => {
      const svg = svgs.find((s) => s.querySelector("g.node"));
      return {
        nodes: svg.querySelectorAll("g.node").length,
        rels: svg.querySelectorAll("g.relationship").length,
        captions: [...svg.querySelectorAll("g.node text")].map((t) => t.textContent).filter(Boolean),
      };
    });
    log("graph:", JSON.stringify(shape));
    if (!shape.nodes) throw new Error("the query returned no graph");
    await sleep(Number(env.SETTLE_MS || 4000));
    if ((env.FULLSCREEN || "1") !== "0") {
      await page.click('[data-testid="frame"] button[title="Fullscreen"]');
      await sleep(1000);
    }
    const fit = await page.$('[data-testid="frame"] [aria-label="zoom-to-fit"]');
    if (fit) {
      await fit.click();
      await sleep(1000);
    }
    // Move the mouse off the graph so that nothing is hovered.
    await page.mouse.move(width - 5, height - 5);
    await sleep(300);
    await page.screenshot({ path: out, type: "png" });
    log(`wrote ${out} (${statSync(out).size} bytes)`);
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error("[take] failed:", err && err.stack ? err.stack : err);
  process.exit(1);
});
