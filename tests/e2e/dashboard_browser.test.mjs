// The dashboard's sign-in in a real browser: headless Chromium (browser.mjs) against the real
// pons-webhook --dashboard on a fresh database, with an owner made by the real `users add`. The
// login page under its policy runs no inline script; the form signs in, and the session API
// fetched from the page says who; a wrong password shows the error and opens no session; the
// sign-out button ends the session on the server, not only in the browser.
//
// Each attempt is charged to the email's throttle bucket (a burst of 5): these tests make three.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { addUser, startWebhook, tempDir } from './lib.mjs';
import { failedLoad, launchBrowser, saveScreenshot, withPage } from './browser.mjs';

const owner = { email: 'ana@example.com', password: 'correct horse battery staple' };

let t;
let webhook;
let base;
let browser;

before(async () => {
  t = tempDir();
  webhook = await startWebhook(t.dir, ['--dashboard', '--no-template-sync', '--no-media']);
  base = `http://127.0.0.1:${webhook.port}`;
  await addUser(t.dir, webhook.db, owner.email, 'owner', owner.password);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  webhook?.child.kill();
  t?.cleanup();
});

// GET /api/v1/session from the page itself, with the cookies the browser holds.
function sessionFromPage(page) {
  return page.evaluate(async () => {
    const res = await fetch('/api/v1/session');
    return { status: res.status, body: res.ok ? await res.json() : null };
  });
}

// The page has no session: /api/v1/session answers it 401 (which the browser logs).
async function assertNoSession(page, watcher) {
  assert.deepEqual(await sessionFromPage(page), { status: 401, body: null });
  await watcher.expect(failedLoad(401, '/api/v1/session'));
  assert.deepEqual((await page.context().cookies()).filter((c) => c.name === 'pons_session'), []);
}

// The words of the page's alert, if it shows one (to say why a form was refused).
async function alertText(page) {
  const alert = page.getByRole('alert');
  return (await alert.count()) > 0 ? alert.textContent() : '(no alert)';
}

// Clicks a form's button and waits until the page it leads to has loaded; resolves to the answer
// to the form's POST (before any redirect).
async function submit(page, button, pathname) {
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === pathname),
    page.waitForEvent('load'),
    page.getByRole('button', { name: button }).click(),
  ]);
  return answer;
}

async function signIn(page, email, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  return submit(page, 'Sign in', '/login');
}

test('the login page carries its policy and runs no inline script', async () => {
  await withPage(browser, 'login-policy', async (page, watcher) => {
    const res = await page.goto(`${base}/login`);
    assert.equal(res.status(), 200);
    const policy = res.headers()['content-security-policy'];
    assert.match(policy, /(^|; )script-src 'self'(;|$)/, policy);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/, policy);
    assert.equal(await page.title(), 'Sign in - Pons');
    assert.equal(await page.locator('script').count(), 0, 'the page has no script of its own');
    await saveScreenshot(page, 'dashboard-login');

    // Markup that slipped through escaping: an inline script and an inline event handler. The
    // policy must stop both (had the handler run, its alert would open a dialog and fail the test).
    const outcome = await page.evaluate(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
      const script = document.createElement('script');
      script.textContent = 'window.inlineScriptRan = true;';
      document.body.append(script);
      const img = document.createElement('img');
      const failed = new Promise((resolve) => img.addEventListener('error', resolve, { once: true }));
      img.setAttribute('onerror', 'window.inlineHandlerRan = true; alert(1)');
      img.src = '/no-such-image.png';
      document.body.append(img);
      await failed;
      // Violation events are queued as tasks: give them a bounded number of turns to arrive.
      for (let turn = 0; turn < 100 && violations.length < 2; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      return {
        scriptRan: window.inlineScriptRan === true,
        handlerRan: window.inlineHandlerRan === true,
        violations: violations.sort(),
      };
    });
    assert.deepEqual(outcome, { scriptRan: false, handlerRan: false,
      violations: ['script-src-attr', 'script-src-elem'] });
    // Chromium reports each refusal, and the missing image, in the console.
    await watcher.expect(/^console error: .*Content Security Policy/, 2);
    await watcher.expect(failedLoad(404, '/no-such-image.png'));
  });
});

test('an owner signs in with the form and the session says who they are', async () => {
  await withPage(browser, 'sign-in', async (page) => {
    const answer = await signIn(page, owner.email, owner.password);
    // The form's answer sends the browser on to the inbox.
    assert.equal(answer.status(), 303, await alertText(page));
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.title(), 'Inbox - Pons');
    await page.getByText(`${owner.email} (owner)`).waitFor();

    const session = await sessionFromPage(page);
    assert.equal(session.status, 200);
    assert.equal(session.body.via, 'session');
    assert.equal(session.body.email, owner.email);
    assert.equal(session.body.role, 'owner');

    // The cookie is the browser's alone: script on the page cannot read it.
    const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'pons_session');
    assert.ok(cookie, 'the browser holds a pons_session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.doesNotMatch(await page.evaluate(() => document.cookie), /pons_session/);
  });
});

test('a wrong password shows the error and opens no session', async () => {
  await withPage(browser, 'wrong-password', async (page, watcher) => {
    const answer = await signIn(page, owner.email, 'not the password at all');
    assert.equal(answer.status(), 401, await alertText(page));
    assert.equal(await alertText(page), 'Wrong email or password.');
    assert.equal(await page.title(), 'Sign in - Pons');
    await watcher.expect(failedLoad(401, '/login'));
    await assertNoSession(page, watcher);
  });
});

test('the sign-out button ends the session', async () => {
  await withPage(browser, 'sign-out', async (page, watcher) => {
    const signedIn = await signIn(page, owner.email, owner.password);
    assert.equal(signedIn.status(), 303, await alertText(page));
    const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'pons_session');

    // The form's answer is a 303 back to the sign-in form.
    const answer = await submit(page, 'Sign out', '/logout');
    assert.equal(answer.status(), 303, await page.locator('body').textContent());
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.title(), 'Sign in - Pons');

    await assertNoSession(page, watcher);
    // Ended on the server: the old cookie, sent again from outside the browser, opens nothing.
    const replay = await fetch(`${base}/api/v1/session`, {
      headers: { Cookie: `pons_session=${cookie.value}` },
    });
    assert.equal(replay.status, 401);
  });
});
