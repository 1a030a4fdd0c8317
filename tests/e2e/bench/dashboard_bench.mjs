// The dashboard benchmark, run by scripts/bench-dashboard against a release pons-webhook
// --dashboard already serving the generated inbox (10,000 conversations, 1,000,000 messages) with
// an owner signed up. In headless Chromium (playwright-core, Debian's chromium), measured inside
// the page from the navigation's start (performance.now()):
//   1. the inbox's first load: HTML, script, style and the conversations, until the list shows;
//   2. the first load of the thread of 1,000 messages, until its messages show;
//   3. webhook to visible: with that thread open, a signed webhook posted from here, until its
//      text shows in the thread (Date.now() on both sides: one machine, one clock);
//   4. the JavaScript and CSS the pages ship, in bytes.
// Prints one JSON object (medians, p95/p99, counts) on stdout.
//   node dashboard_bench.mjs --base URL --email E --password P --app-secret S --loads N --live N
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const base = option('--base');
const email = option('--email');
const password = option('--password');
const appSecret = option('--app-secret');
const loads = Number(option('--loads', '10'));
const live = Number(option('--live', '20'));

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
const round = (x) => (x === null ? null : Math.round(x * 10) / 10);
const summary = (values) => ({ runs: values.length, median_ms: round(quantile(values, 0.5)),
  p95_ms: round(quantile(values, 0.95)), max_ms: round(Math.max(...values)) });

// The inbound text webhook of the generated inbox's first customer, as Meta sends it.
function inbound(wamid, text) {
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '100000000000001', changes: [{ field: 'messages', value: {
    messaging_product: 'whatsapp', metadata: { display_phone_number: '15550100001', phone_number_id: '200000000000001' },
    contacts: [{ profile: { name: 'Customer 1' }, wa_id: '447700900001' }],
    messages: [{ from: '447700900001', id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
  } }] }] });
}

async function post(body) {
  const signature = 'sha256=' + createHmac('sha256', appSecret).update(body).digest('hex');
  const res = await fetch(`${base}/webhook/meta`, { method: 'POST', body,
    headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature } });
  return res.status;
}

const browser = await chromium.launch({
  executablePath: process.env.PONS_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const result = { benchmark: 'dashboard' };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // When the first conversation and the first message are in the page, from the navigation's start.
  await context.addInitScript(() => {
    window.__marks = {};
    new MutationObserver(() => {
      if (!window.__marks.inbox && document.querySelector('.conversations li')) window.__marks.inbox = performance.now();
      if (!window.__marks.thread && document.querySelector('.messages li')) window.__marks.thread = performance.now();
    }).observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: 'Sign in' }).click()]);

  const firstLoad = async (url, mark, selector) => {
    const times = [];
    let shown = 0;
    for (let i = 0; i < loads; ++i) {
      await page.goto('about:blank');
      await page.goto(url);
      await page.waitForFunction((m) => window.__marks[m] !== undefined, mark, { timeout: 30000 });
      times.push(await page.evaluate((m) => window.__marks[m], mark));
      shown = await page.locator(selector).count();
    }
    return { ...summary(times), items_shown: shown };
  };
  result.inbox_first_load = await firstLoad(`${base}/`, 'inbox', '.conversations li');
  result.thread_first_load = await firstLoad(`${base}/#/c/1`, 'thread', '.messages li');
  result.thread_first_load.conversation_messages = 1000;

  // Webhook to visible, one message at a time, the thread open.
  await page.goto(`${base}/#/c/1`);
  await page.waitForFunction(() => window.__marks.thread !== undefined);
  const latencies = [];
  let posted = 0;
  let accepted = 0;
  // The first message is not counted: it waits for the page's event stream to open.
  for (let i = -1; i < live; ++i) {
    const text = `bench live ${Date.now()} ${i}`;
    await page.evaluate((t) => {
      window.__seen = new Promise((resolve) => {
        const look = () => [...document.querySelectorAll('.messages li')].some((li) => li.textContent.includes(t));
        if (look()) { resolve(Date.now()); return; }
        const observer = new MutationObserver(() => {
          if (look()) { observer.disconnect(); resolve(Date.now()); }
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      });
    }, text);
    const sent = Date.now();
    const status = await post(inbound(`wamid.live.${sent}.${i}`, text));
    const seen = await page.evaluate(() => Promise.race([window.__seen,
      new Promise((resolve) => setTimeout(() => resolve(null), 10000))]));
    if (i < 0) continue;
    posted += 1;
    if (status === 200) accepted += 1;
    if (seen !== null) latencies.push(seen - sent);
  }
  result.webhook_to_visible = { posted, accepted, seen: latencies.length, latencies_ms: latencies,
    median_ms: round(quantile(latencies, 0.5)), p99_ms: round(quantile(latencies, 0.99)),
    max_ms: latencies.length ? round(Math.max(...latencies)) : null };

  const size = async (name) => (await (await page.request.get(`${base}/assets/${name}`)).body()).length;
  result.assets_bytes = { js: await size('app.js'), css: await size('app.css') };
  result.assets_bytes.total = result.assets_bytes.js + result.assets_bytes.css;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
