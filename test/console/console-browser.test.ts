// The web console in a real headless Chromium (Debian's, driven by playwright-core): a wrong token is
// refused, the right one logs in, status and lists show, a new block appears in the live feed within
// 2 s, a search by client finds it, explain answers, and the page logs no console error. Screenshots
// at desktop and phone width go to test/artifacts/ (git-ignored).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBanwall, testConfig, ROOT, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { dig } from '../helpers/dig.ts';
import { hasTool } from '../helpers/tools.ts';
import type { Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'console-test-token-0123456789';
const ARTIFACTS = path.join(ROOT, 'test/artifacts');

void describe(
  'the web console in Chromium',
  { skip: !hasTool('chromium') && 'chromium not installed (Debian package chromium)' },
  () => {
    let upstream: FakeUpstream;
    let bw: RunningBanwall;
    let browser: Browser;
    let base: string;
    const errors: string[] = [];

    before(async () => {
      const { chromium } = await import('playwright-core');
      const dir = await mkdtemp(path.join(tmpdir(), 'banwall-console-'));
      await writeFile(path.join(dir, 'wechat.txt'), 'weixin.example\n');
      upstream = await startFakeUpstream({ zone: { 'www.example': [{ type: 'A', data: '192.0.2.10' }] } });
      bw = await startBanwall(
        testConfig([upstream.url], {
          lists: [{ name: 'wechat-core', app: 'wechat', category: 'core', source: 'wechat.txt' }],
          groups: [{ name: 'default', lists: ['wechat-core'] }],
          http: { listen: ['127.0.0.1:0'], token: TOKEN },
          events: { store: { path: 'events.db', flushInterval: '100ms' } },
        }),
        { dir },
      );
      base = `http://127.0.0.1:${bw.httpPort}`;
      // Root needs --no-sandbox; nothing may be fetched from the network (the page has no CDN anyway).
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      await mkdir(ARTIFACTS, { recursive: true });
    });

    after(async () => {
      await browser?.close();
      await bw?.stop();
      await upstream?.close();
    });

    void it('logs in with the token, shows status, the live feed, search and explain', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      const response = await page.goto(`${base}/`);
      const csp = response?.headers()['content-security-policy'] ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);

      await page.fill('#token', 'not-the-token-at-all');
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#login-error:text("wrong API token")', { timeout: 5000 });
      assert.ok(await page.isHidden('#app-view'), 'a wrong token is refused');
      // The 403 above is the refusal working; it is not a page error.
      errors.length = 0;

      await page.fill('#token', TOKEN);
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#app-view:not([hidden])', { timeout: 5000 });
      const cookie = (await page.context().cookies()).find((c) => c.name === 'banwall_session');
      assert.ok(cookie?.httpOnly, 'the session cookie is HttpOnly');
      assert.equal(cookie?.sameSite, 'Strict');
      await page.waitForSelector('#lists tbody tr', { timeout: 5000 });
      assert.match((await page.textContent('#lists tbody')) ?? '', /wechat-core/);
      await page.waitForSelector('#feed-state:text("(live)")', { timeout: 5000 });

      const asked = Date.now();
      assert.equal((await dig(bw.dnsPort, 'weixin.example', 'A', ['-b', '127.0.0.7'])).status, 'NXDOMAIN');
      await page.waitForSelector('#feed tbody tr:has-text("weixin.example")', { timeout: 2000 });
      assert.ok(Date.now() - asked < 2000, 'the block reached the live feed within 2 s');

      await page.fill('#search input[name=client]', '127.0.0.7');
      await page.click('#search button[type=submit]');
      await page.waitForSelector('#results tbody tr:has-text("weixin.example")', { timeout: 5000 });
      assert.match(
        (await page.textContent('#results tbody')) ?? '',
        /wechat \/ core.*weixin\.example \(.*wechat\.txt:1\)/,
      );

      await page.fill('#explain-name', 'weixin.example');
      await page.click('#explain button[type=submit]');
      await page.waitForSelector('#explain-result p.blocked', { timeout: 5000 });

      await page.screenshot({ path: path.join(ARTIFACTS, 'console-desktop.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'console-phone.png'), fullPage: true });
      const overflow = (await page.evaluate(
        'document.documentElement.scrollWidth - window.innerWidth',
      )) as number;
      assert.ok(overflow <= 1, `the page fits a phone's width (overflow ${overflow}px)`);
      assert.deepEqual(errors, []);
    });
  },
);
