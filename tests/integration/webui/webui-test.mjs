// webui-test.mjs: drives gnutd's web UI in the system chromium (through
// playwright-core, no browser download) at a phone viewport, for
// test-webui.sh. Environment: WEBUI_URL (the control URL of the leaf whose
// UI is opened), WEBUI_TOKEN, WEBUI_ARTEFACTS (screenshots go there),
// WEBUI_FILE (a name to search and download), WEBUI_SLOW_FILE (one
// served slowly enough to be paused and resumed), WEBUI_HTML_QUERY and
// WEBUI_HTML_NAME (a remote name with HTML in it), WEBUI_SHARE_DIR (a
// folder with one file for the leaf to share and unshare), CHROMIUM.
// Exits 0 when every step passed, 1 with a FAIL line otherwise.
import { chromium } from 'playwright-core';
import { strict as assert } from 'node:assert';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error('missing ' + name);
  return v;
};
const url = env('WEBUI_URL');
const token = env('WEBUI_TOKEN');
const artefacts = env('WEBUI_ARTEFACTS');
const file = env('WEBUI_FILE');
const slowFile = env('WEBUI_SLOW_FILE');
const shareDir = env('WEBUI_SHARE_DIR');
const htmlQuery = env('WEBUI_HTML_QUERY');
const htmlName = env('WEBUI_HTML_NAME');
const WAIT = 90_000; // generous: four builds share two CPUs

const step = (msg) => console.log('ok: ' + msg);

// The static files' headers, the token on the API, paths outside the set.
async function checkHttp() {
  const index = await fetch(url + '/');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(index.headers.get('content-security-policy'), /default-src 'self'/);
  const js = await fetch(url + '/app.js');
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  // libsoup itself refuses an encoded '/' (400); the rest is the API's (401)
  for (const path of ['/rpc', '/..%2fcontrol.token', '/.hidden.js', '/nothere.html']) {
    const status = (await fetch(url + path)).status;
    assert.ok(status === 401 || status === 400, `${path}: ${status} without the token`);
  }
  const rpc = await fetch(url + '/rpc', { method: 'POST', body: '{"method":"status"}' });
  assert.equal(rpc.status, 401);
  step('static files with their headers; the API and other paths want the token');
}

async function shot(page, name) {
  await page.screenshot({ path: `${artefacts}/${name}.png`, fullPage: true });
}

// Searches QUERY and waits for a result named NAME (and for the others named).
async function searchFor(page, query, name, ...others) {
  await page.fill('#query', query);
  await page.click('#search-form button[type=submit]');
  const row = (n) =>
    page.locator('#results li.result', { has: page.locator('.name', { hasText: n }) }).first();
  for (const n of others) await row(n).waitFor({ timeout: WAIT });
  await row(name).waitFor({ timeout: WAIT });
  return row(name);
}

// Both .bin files of L1 answer "bin": sorted by size the slow (bigger) one
// comes first, by name the other.
async function checkSort(page) {
  await searchFor(page, 'bin', file, slowFile);
  const names = () => page.locator('#results li.result .name').allTextContents();
  await page.selectOption('#sort', 'size');
  assert.deepEqual((await names()).slice(0, 2), [slowFile, file]);
  await page.selectOption('#sort', 'name');
  assert.deepEqual((await names()).slice(0, 2), [file, slowFile]);
  await page.selectOption('#sort', 'sources');
  step('results sort by size and by name');
}

// A folder shared and unshared from the shares view.
async function shareAndUnshare(page) {
  await page.click('#tabs button[data-view=shares]');
  await page.fill('#share-path', shareDir);
  await page.click('#share-form button[type=submit]');
  await page.locator('#shares-info', { hasText: /^1 shared file$/ }).waitFor({ timeout: WAIT });
  await shot(page, '07-shares');
  await checkMagnet(page, page.locator('#shares li').first(), 'l2file.txt', '07-shares-magnet');
  await page.fill('#share-path', shareDir);
  await page.click('#unshare');
  await page.locator('#shares-info', { hasText: /^0 shared files$/ }).waitFor({ timeout: WAIT });
  step('a folder shared (its file has a magnet) and unshared from the page');
}

// Limits set in the settings view and read back from the daemon.
async function setLimits(page) {
  await page.click('#tabs button[data-view=settings]');
  await page.fill('#upload-limit', '64');
  await page.fill('#download-limit', '0');
  await page.click('#limits-form button[type=submit]');
  await page.locator('#limits-info', { hasText: 'up 64.0 KiB/s, down no limit' })
    .waitFor({ timeout: WAIT });
  await page.click('#tabs button[data-view=peers]');
  await page.click('#tabs button[data-view=settings]');
  await page.waitForFunction(() => document.getElementById('upload-limit').value === '64');
  await shot(page, '09-settings');
  step('limits changed from the settings view');
}

// The Magnet button of scope (a result, download or share card) fills the
// magnet box with gnutd's magnet for it, dn naming the file.
async function checkMagnet(page, scope, name, shotName) {
  await scope.locator('button', { hasText: 'Magnet' }).first().click({ timeout: WAIT });
  await page.locator('#magnet-box').waitFor({ state: 'visible', timeout: WAIT });
  const uri = await page.inputValue('#magnet-uri');
  assert.match(uri, /^magnet:\?xt=urn:(sha1|bitprint):[A-Z2-7.]+&dn=/);
  assert.ok(uri.includes('&dn=' + encodeURIComponent(name) + '&'), uri);
  assert.equal(await page.getAttribute('#magnet-open', 'href'), uri);
  await shot(page, shotName);
  await page.click('#magnet-close');
  await page.locator('#magnet-box').waitFor({ state: 'hidden', timeout: WAIT });
}

const downloadItem = (page, name, state) =>
  page.locator('#downloads li' + (state ? `[data-state=${state}]` : ''),
    { has: page.locator('.name', { hasText: name }) });

async function startDownload(page, name) {
  await page.click('#tabs button[data-view=search]');
  const row = await searchFor(page, name, name);
  assert.match(await row.locator('.meta').textContent(), /1 source/);
  await row.locator('button', { hasText: 'Download' }).click();
  await row.locator('button', { hasText: 'Started' }).waitFor({ timeout: WAIT });
  return row;
}

// The slow file: paused from its card, then resumed to completion.
async function pauseAndResume(page) {
  await startDownload(page, slowFile);
  await page.click('#tabs button[data-view=downloads]');
  const running = downloadItem(page, slowFile, 'downloading')
    .filter({ has: page.locator('.meta', { hasText: /\/s · ETA / }) });
  await running.waitFor({ timeout: WAIT });
  await shot(page, '05-downloading');
  await running.locator('button', { hasText: 'Pause' }).click({ timeout: WAIT });
  const paused = downloadItem(page, slowFile, 'paused');
  await paused.waitFor({ timeout: WAIT });
  await shot(page, '06-paused');
  await paused.locator('button', { hasText: 'Resume' }).click();
  await downloadItem(page, slowFile, 'complete').waitFor({ timeout: 3 * WAIT });
  step('a download paused and resumed from its card, then complete');
}

async function run(page) {
  const problems = [];
  page.on('dialog', (d) => { problems.push('a dialog opened: ' + d.message()); d.dismiss(); });
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));

  await page.goto(url + '/');
  await page.locator('#login').waitFor({ state: 'visible' });
  await shot(page, '01-token');
  await page.fill('#token', 'wrong-' + token);
  await page.click('#login-form button');
  await page.locator('#login-error', { hasText: 'refused' }).waitFor();
  problems.length = 0; // the browser logs the refused call's 401
  await page.fill('#token', token);
  await page.click('#login-form button');
  await page.locator('#status', { hasText: ' shared · ' }).waitFor({ timeout: WAIT });
  step('the token is asked, a wrong one refused, the right one accepted');

  await page.reload();
  await page.locator('#status', { hasText: ' shared · ' }).waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#login').isHidden(), true);
  step('the token is kept across a reload');

  const html = await searchFor(page, htmlQuery, htmlName);
  assert.equal(await html.locator('.name').textContent(), htmlName);
  assert.equal(await page.locator('#results img, #results b, #results i').count(), 0);
  await shot(page, '02-search-html-name');
  step('a remote name with HTML in it shows as text');

  await checkSort(page);
  const result = await startDownload(page, file);
  await shot(page, '03-search');
  step('search results arrive and one click starts the download');
  await checkMagnet(page, result, file, '03-search-magnet');
  step('a magnet for a search result');

  await page.click('#tabs button[data-view=downloads]');
  await downloadItem(page, file, 'complete').waitFor({ timeout: WAIT });
  await shot(page, '04-downloads');
  step('the download completes in the downloads view');
  await checkMagnet(page, downloadItem(page, file, 'complete'), file, '04-downloads-magnet');
  step('a magnet for a download');

  await pauseAndResume(page);

  await shareAndUnshare(page);
  await page.click('#tabs button[data-view=peers]');
  await page.locator('#peers li').first().waitFor({ timeout: WAIT });
  await shot(page, '08-peers');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= page.viewportSize().width, `the page is ${width} px wide`);
  step('the peers view; nothing wider than the phone');
  await setLimits(page);

  assert.deepEqual(problems, []);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
let failed = false;
const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true,
                                           isMobile: true, deviceScaleFactor: 2 });
const page = await context.newPage();
try {
  await checkHttp();
  await run(page);
} catch (e) {
  failed = true;
  console.log('FAIL: ' + (e.stack || e));
  await shot(page, '99-failure').catch(() => {});
}
await browser.close();
process.exit(failed ? 1 : 0);
