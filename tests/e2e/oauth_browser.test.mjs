// OAuth sign-in of a remote MCP client, end to end: the official SDK's client (its
// StreamableHTTPClientTransport with an OAuthClientProvider) against the real pons-webhook
// --dashboard --mcp, and a real browser (headless Chromium) that signs in on the dashboard's
// login page and allows access on the consent page. The SDK discovers the authorization server
// from /mcp's 401, registers itself, starts the code flow with PKCE, and after the browser comes
// back to its redirect URI exchanges the code; then it lists and calls tools. A second client is
// denied. Nothing here knows Pons's endpoints but the /mcp URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { addUser, postSigned, startWebhook, tempDir, textPayload } from './lib.mjs';
import { launchBrowser, saveScreenshot, withPage } from './browser.mjs';

const member = { email: 'mo@example.com', password: 'a member long password' };

let t;
let webhook;
let base;
let browser;
let callback;

// The client's redirect URI: a loopback page that records the query it was sent back with.
function startCallback() {
  const state = { hits: [] };
  const server = createServer((req, res) => {
    // The browser also asks for /favicon.ico on its own: only the redirect URI counts.
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/callback') state.hits.push(url);
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('You can close this window.');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    state.url = `http://127.0.0.1:${server.address().port}/callback`;
    state.close = () => new Promise((done) => server.close(done));
    resolve(state);
  }));
}

// An OAuthClientProvider that keeps everything in memory and hands the authorization URL to the
// test, which opens it in the browser.
class MemoryProvider {
  constructor(name) {
    this.name = name;
    this.saved = {};
  }
  get redirectUrl() { return callback.url; }
  get clientMetadata() {
    return { client_name: this.name, redirect_uris: [callback.url], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  state() { return `state-${this.name}`; }
  clientInformation() { return this.saved.client; }
  saveClientInformation(info) { this.saved.client = info; }
  tokens() { return this.saved.tokens; }
  saveTokens(tokens) { this.saved.tokens = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(v) { this.saved.verifier = v; }
  codeVerifier() { return this.saved.verifier; }
}

before(async () => {
  t = tempDir();
  callback = await startCallback();
  webhook = await startWebhook(t.dir, ['--dashboard', '--mcp', '--no-template-sync', '--no-media']);
  base = `http://127.0.0.1:${webhook.port}`;
  await addUser(t.dir, webhook.db, member.email, 'member', member.password);
  assert.equal(await postSigned(webhook.port, textPayload('wamid.OAUTH1', 'Hello from WhatsApp')), 200);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  webhook?.child.kill();
  await callback?.close();
  t?.cleanup();
});

// Connecting without tokens: the SDK finds the authorization server, registers and asks the
// provider to send the user to the authorization URL.
async function firstConnect(provider) {
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { authProvider: provider });
  const client = new Client({ name: provider.name, version: '1.0.0' });
  await assert.rejects(client.connect(transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl, 'the SDK asked to open the authorization URL');
  return transport;
}

test('the SDK signs in through the consent page and calls tools with its token', async () => {
  const provider = new MemoryProvider('Remote assistant');
  const transport = await firstConnect(provider);
  const authorization = provider.authorizationUrl;
  assert.equal(authorization.origin, base);
  assert.equal(authorization.pathname, '/oauth/authorize');
  assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(provider.saved.client.client_id, 'the SDK registered itself');

  await withPage(browser, 'oauth-consent', async (page) => {
    // Not signed in: the login page first, then back to the consent page.
    await page.goto(authorization.href);
    await page.getByLabel('Email').fill(member.email);
    await page.getByLabel('Password').fill(member.password);
    await Promise.all([page.waitForURL(/\/oauth\/authorize\?/), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await page.getByText('Remote assistant', { exact: true }).waitFor();
    await page.getByText(member.email, { exact: true }).waitFor();
    await saveScreenshot(page, 'oauth-consent');
    await Promise.all([page.waitForURL(`${callback.url}?**`), page.getByRole('button', { name: 'Allow' }).click()]);
  });
  const back = callback.hits.at(-1);
  assert.equal(back.searchParams.get('state'), 'state-Remote assistant');
  const code = back.searchParams.get('code');
  assert.ok(code, 'the browser came back with a code');

  await transport.finishAuth(code);
  assert.equal(provider.saved.tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(provider.saved.tokens.scope, 'read send');

  const client = new Client({ name: provider.name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { authProvider: provider }));
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'send_text'));
    const listed = await client.callTool({ name: 'list_conversations', arguments: {} });
    assert.ok(!listed.isError, JSON.stringify(listed));
    assert.match(JSON.stringify(listed.content), /Hello from WhatsApp/);
  } finally {
    await client.close();
  }
});

test('a user who denies sends the client back with access_denied and no code', async () => {
  const provider = new MemoryProvider('Unwanted');
  await firstConnect(provider);
  await withPage(browser, 'oauth-deny', async (page) => {
    await page.goto(provider.authorizationUrl.href);
    await page.getByLabel('Email').fill(member.email);
    await page.getByLabel('Password').fill(member.password);
    await Promise.all([page.waitForURL(/\/oauth\/authorize\?/), page.getByRole('button', { name: 'Sign in' }).click()]);
    await Promise.all([page.waitForURL(`${callback.url}?**`), page.getByRole('button', { name: 'Deny' }).click()]);
  });
  const back = callback.hits.at(-1);
  assert.equal(back.searchParams.get('error'), 'access_denied');
  assert.equal(back.searchParams.get('code'), null);
  assert.equal(provider.saved.tokens, undefined);
});
