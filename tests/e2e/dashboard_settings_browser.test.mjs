// The forwarding and accounts pages in a real browser: headless Chromium (browser.mjs) against
// the real pons-webhook --dashboard, forwarding to a receiver written here that accepts only what
// is signed with the secret the page showed. Checked: an admin adds a target and sees its secret
// once; a test event sent from the page verifies; after the secret is rotated on the page, the
// receiver refuses the next test event until it learns the new secret, and the page says so; an
// ingested message is delivered and its delivery, with its attempt, shows on the deliveries
// page; the accounts page shows the configured number; a member is offered neither page's tools.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { addUser, postSigned, startWebhook, tempDir, textPayload } from './lib.mjs';
import { failedLoad, launchBrowser, saveScreenshot, withPage } from './browser.mjs';

const admin = { email: 'ada@example.com', password: 'an admin long password' };
const member = { email: 'mo@example.com', password: 'another long password' };

let t;
let webhook;
let base;
let browser;
let receiver;

// A forwarding receiver: answers 200 to a request signed with `secret`, 401 to anything else.
function startReceiver() {
  const state = { secret: '', requests: [] };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const expected = createHmac('sha256', state.secret)
        .update(`${req.headers['x-pons-timestamp']}.${body}`).digest('hex');
      const given = String(req.headers['x-pons-signature'] ?? '');
      const valid = state.secret !== '' && given.length === expected.length &&
        timingSafeEqual(Buffer.from(given), Buffer.from(expected));
      state.requests.push({ type: req.headers['x-pons-event-type'], valid, body });
      res.writeHead(valid ? 200 : 401).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    state.url = `http://127.0.0.1:${server.address().port}/hook`;
    state.close = () => new Promise((done) => server.close(done));
    resolve(state);
  }));
}

before(async () => {
  t = tempDir();
  receiver = await startReceiver();
  webhook = await startWebhook(t.dir, ['--dashboard', '--no-template-sync', '--no-media'],
    { PONS_FORWARD_POLL_MS: '50' });
  base = `http://127.0.0.1:${webhook.port}`;
  await addUser(t.dir, webhook.db, admin.email, 'admin', admin.password);
  await addUser(t.dir, webhook.db, member.email, 'member', member.password);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  webhook?.child.kill();
  await receiver?.close();
  t?.cleanup();
});

async function signIn(page, user) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: 'Sign in' }).click()]);
}

// What the page's status line says once it says something matching `pattern`.
async function statusText(page, pattern) {
  const line = page.getByRole('status').filter({ hasText: pattern });
  await line.waitFor();
  return line.textContent();
}

test('an admin adds a target, tests it, rotates its secret and sees its deliveries', async () => {
  await withPage(browser, 'forwarding', async (page) => {
    await signIn(page, admin);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Forwarding' }).click();
    await page.getByText('No forwarding targets yet').waitFor();

    const form = page.getByRole('form', { name: 'New target' });
    await form.getByLabel('URL').fill(receiver.url);
    await form.getByLabel('Description').fill('<b>crm</b>');
    await form.getByRole('button', { name: 'Add target' }).click();
    const secret = (await page.locator('code.secret').textContent()).trim();
    assert.match(secret, /^[0-9a-f]{64}$/);
    const targets = page.getByRole('table', { name: 'Forwarding targets' });
    // A description written as markup is text.
    await targets.getByText('<b>crm</b>', { exact: true }).waitFor();
    assert.equal(await targets.locator('b').count(), 0);

    // The receiver knows the secret the page showed: the test event verifies.
    receiver.secret = secret;
    await targets.getByRole('button', { name: 'Send test event' }).click();
    assert.match(await statusText(page, /answered 200/), /delivery works/);
    assert.deepEqual(receiver.requests.map((r) => [r.type, r.valid]), [['pons.test', true]]);
    await saveScreenshot(page, 'dashboard-forwarding');

    // A new secret, confirmed with a second click; the receiver still holds the old one, so the
    // next test event is refused, and the page says so.
    const rotate = targets.getByRole('button', { name: 'Rotate secret' });
    await rotate.click();
    await rotate.click();
    await page.getByText('has a new signing secret').waitFor();
    const fresh = (await page.locator('code.secret').textContent()).trim();
    assert.notEqual(fresh, secret);
    await targets.getByRole('button', { name: 'Send test event' }).click();
    assert.match(await statusText(page, /failed after/), /401/);
    assert.equal(receiver.requests.at(-1).valid, false);
    receiver.secret = fresh;
    await targets.getByRole('button', { name: 'Send test event' }).click();
    await statusText(page, /answered 200/);

    // A customer's message is forwarded; its delivery and attempt show on the target's page.
    assert.equal(await postSigned(webhook.port, textPayload('wamid.FWD1', 'Forward me')), 200);
    let delivered = false;
    for (let i = 0; i < 200 && !delivered; ++i) {
      const { deliveries } = await page.evaluate(async () => (await fetch('/api/v1/deliveries')).json());
      delivered = deliveries.some((d) => d.state === 'succeeded');
      if (!delivered) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(delivered, 'the delivery succeeded');
    assert.ok(receiver.requests.some((r) => r.type === 'message.inbound.received' && r.valid));
    await page.reload();
    await targets.getByRole('link', { name: /1 delivered/ }).click();
    const deliveries = page.getByRole('table', { name: 'Deliveries' });
    const row = deliveries.getByRole('row').filter({ hasText: 'message.inbound.received' });
    await row.getByText('succeeded').waitFor();
    await row.getByText('Attempts and body').click();
    await row.getByText(/HTTP 200 in \d+ ms/).waitFor();
    await row.getByText(/Forward me/).waitFor();
  });
});

test('the accounts page shows the configured account and number; a member gets no forwarding',
  async () => {
    await withPage(browser, 'accounts', async (page, watcher) => {
      await signIn(page, member);
      const nav = page.getByRole('navigation', { name: 'Pages' });
      assert.equal(await nav.getByRole('link', { name: 'Forwarding' }).count(), 0);
      await nav.getByRole('link', { name: 'Accounts' }).click();
      const account = page.getByRole('region', { name: 'Account 419561257915477' });
      await account.getByText('106540352242922').waitFor();
      await account.getByText(/App secret configured/).waitFor();
      await saveScreenshot(page, 'dashboard-accounts');

      // The page is not offered, and its API refuses a member.
      await page.goto(`${base}/#/forwarding`);
      await page.getByRole('alert').filter({ hasText: /admin/ }).waitFor();
      await watcher.expect(failedLoad(403, '/api/v1/targets'));
    });
  });
