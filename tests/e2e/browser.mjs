// A real browser for the dashboard's end-to-end tests: Debian's Chromium (scripts/setup installs
// it) driven by the pinned playwright-core, which downloads no browser of its own. Each test gets
// a fresh context, so no cookie or storage crosses from one test to the next, and a page whose
// page errors, console errors and dialogs are all recorded: a dialog is what an injected
// `alert(1)` would open, so any dialog fails the test.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

/** The Chromium binary: Debian's, unless PONS_CHROMIUM names another. */
export const chromiumPath = process.env.PONS_CHROMIUM || '/usr/bin/chromium';

/** Starts headless Chromium; close it with `browser.close()`. */
export async function launchBrowser() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} not found: the browser tests need Chromium. Run scripts/setup ` +
      "(it installs Debian's chromium), or set PONS_CHROMIUM to a Chromium binary");
  }
  // Chromium will not start its sandbox as root (containers, CI runners): only then is it off.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: chromiumPath, headless: true, args });
}

/**
 * Where screenshots go: PONS_SCREENSHOTS when set (`PONS_SCREENSHOTS=$PWD/docs/images` refreshes
 * the documentation's), else `screenshots/` of the build directory, so a plain run (and CI) never
 * writes into the source tree.
 */
export function screenshotDir() {
  if (process.env.PONS_SCREENSHOTS) return path.resolve(process.env.PONS_SCREENSHOTS);
  return path.join(process.env.PONS_BINARY_DIR || tmpdir(), 'screenshots');
}

/** Saves the page's viewport as `<name>.png` in screenshotDir(); returns the file's path. */
export async function saveScreenshot(page, name, dir = screenshotDir()) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  // Frozen animations and a hidden caret keep a refreshed image from differing for nothing.
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  return file;
}

/** A pattern for the console error a browser logs when `pathname` answered `status`. */
export function failedLoad(status, pathname) {
  const escaped = pathname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^console error: Failed to load resource: .* ${status} .*\\[https?://[^/]+${escaped}\\]$`);
}

/** Records what a page must not do: throw, log an error, or open a dialog. */
function watch(page) {
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url;
    // The browser asks for /favicon.ico on its own, whenever it likes; the dashboard has no icon.
    if (url && new URL(url).pathname === '/favicon.ico') return;
    problems.push(`console error: ${message.text()} [${url}]`);
  });
  page.on('dialog', async (dialog) => {
    problems.push(`dialog (${dialog.type()}): ${dialog.message()}`);
    // An open dialog blocks the page; dismissing it lets the test reach its end and fail there.
    await dialog.dismiss().catch(() => {});
  });
  return {
    problems,
    /**
     * Waits until `count` problems matching `pattern` are recorded (errors the test caused on
     * purpose, such as the 401 of a fetch it made) and takes them off the list; any more stay and
     * fail the test. The browser sends its console messages on its own time, hence the wait.
     */
    async expect(pattern, count = 1) {
      for (;;) {
        const matching = problems.filter((p) => pattern.test(p)).slice(0, count);
        if (matching.length === count) {
          for (const m of matching) problems.splice(problems.indexOf(m), 1);
          return;
        }
        await page.waitForEvent('console').catch((error) => {
          throw new Error(`expected ${count} of ${pattern}; recorded:\n  ${problems.join('\n  ')}\n${error.message}`);
        });
      }
    },
  };
}

/**
 * Runs `fn(page, watcher)` in a fresh context of `browser` and closes it. The test fails if the
 * page threw, logged a console error or opened a dialog that `watcher.expect` did not account
 * for; when it fails, a screenshot of the page is saved as `failed-<name>.png` in the build
 * directory's screenshots.
 */
export async function withPage(browser, name, fn) {
  const context = await browser.newContext({
    viewport: { width: 800, height: 480 }, deviceScaleFactor: 1, colorScheme: 'light', locale: 'en-US',
  });
  const page = await context.newPage();
  const watcher = watch(page);
  try {
    await fn(page, watcher);
    if (watcher.problems.length > 0) {
      throw new Error(`the page misbehaved:\n  ${watcher.problems.join('\n  ')}`);
    }
  } catch (error) {
    const dir = path.join(process.env.PONS_BINARY_DIR || tmpdir(), 'screenshots');
    const shot = await saveScreenshot(page, `failed-${name}`, dir).catch(() => null);
    if (shot) error.message += `\n(screenshot: ${shot})`;
    throw error;
  } finally {
    await context.close();
  }
}
