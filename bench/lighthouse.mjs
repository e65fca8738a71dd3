// Lighthouse on pages of a signed-in learner, the way its docs recommend for authenticated
// pages: Chromium is started once, the session's cookies are set in it (as a browser that
// signed in keeps them), then Lighthouse audits each URL in that browser. Called by
// bench/lighthouse.py:  node bench/lighthouse.mjs COOKIES_JSON URL... (prints JSON lines)
import * as chromeLauncher from "chrome-launcher";
import puppeteer from "puppeteer-core";
import lighthouse from "lighthouse";

const [cookiesJson, ...urls] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"],
});
const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
const page = await browser.newPage();
await page.setCookie(...JSON.parse(cookiesJson));
await page.close();
const categories = ["performance", "accessibility", "best-practices", "seo"];
for (const url of urls) {
  const result = await lighthouse(url, {
    port: chrome.port, output: "json", logLevel: "error", onlyCategories: categories,
    formFactor: "mobile",
  });
  const lhr = result.lhr;
  const lost = [];
  for (const name of categories) {
    for (const ref of lhr.categories[name].auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight && audit.score !== null && audit.score < 1) lost.push(ref.id);
    }
  }
  for (const item of lhr.audits["errors-in-console"].details?.items || []) {
    lost.push(`[console: ${String(item.description).slice(0, 120)} ${item.sourceLocation?.url || ""}]`);
  }
  const scores = Object.fromEntries(
    categories.map((name) => [name, Math.round((lhr.categories[name].score || 0) * 100)]),
  );
  console.log(JSON.stringify({ url, scores, lost: [...new Set(lost)].sort(), error: lhr.runtimeError?.code || null }));
}
await browser.disconnect();
await chrome.kill();
