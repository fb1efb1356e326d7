import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { HttpJson } from '@jpki/jpki-client';
import { kafkaClient, localKafkaEnv } from '@jpki/messaging';
import { ServiceProcess, startPlatformUnderTest, testDatabaseUrl, testKafkaBrokers, testRunId, waitUntil, type PlatformUnderTest } from '@jpki/testing';
import { casesOf, enrollPhone, knownToLifecycle, lifecycleApi, LIFECYCLE_SERVICES, outcomeOf, phoneOf, setPower, waitForCaseOf, type Phone } from './lifecycle-support';

/**
 * The operator console in a real browser (Debian's Chromium driven by playwright-core) against the real platform:
 * every service as its own process, the console server as one more, its single-page app built by Vite for this run.
 * Screenshots of the main pages are kept in reports/console/.
 */
const ROOT = resolve(__dirname, '../../..');
const SHOTS = join(ROOT, 'reports', 'console');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CONSOLE_BASE_PORT = 7800;

const password = () => randomBytes(12).toString('base64url');
const USERS = {
  operator: { username: 'olivia', password: password(), displayName: 'Olivia (operator)', roles: ['operator'] },
  auditor: { username: 'audrey', password: password(), displayName: 'Audrey (auditor)', roles: ['auditor'] },
  docomo: { username: 'daichi', password: password(), displayName: 'Daichi (docomo)', roles: ['operator'], carrier: 'docomo' },
} as const;

describe('e2e console: the operator console in Chromium against the real platform', () => {
  let platform: PlatformUnderTest;
  let consoleServer: ServiceProcess;
  let browser: Browser;
  let url: string;
  let staticDir: string;
  let docomoPhone: Phone;
  let kddiPhone: Phone;
  /** A docomo subscriber whose contract the docomo operator ends. */
  let endedPhone: Phone;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    staticDir = mkdtempSync(join(tmpdir(), 'jpki-console-web-'));
    // The console's build step: the single-page app's typecheck (browser code, outside the root tsconfig) and its Vite build.
    const run = (script: string, args: string[]) =>
      promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', ...script.split('/')), ...args], { cwd: ROOT, timeout: 120_000 }).catch((err: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`${script} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      });
    const build = Promise.all([
      run('typescript/bin/tsc', ['-p', 'apps/console/tsconfig.web.json']),
      run('vite/bin/vite.js', ['build', '--config', 'apps/console/web/vite.config.mts', '--outDir', staticDir, '--logLevel', 'warn']),
    ]);
    platform = await startPlatformUnderTest({ only: LIFECYCLE_SERVICES });
    await build;
    const offset = Number(new URL(platform.endpoints.lifecycle).port) - 7500;
    const port = CONSOLE_BASE_PORT + offset;
    const logDir = join(tmpdir(), 'jpki-e2e', testRunId(), 'console');
    mkdirSync(logDir, { recursive: true });
    consoleServer = new ServiceProcess(
      { name: 'console', app: 'console', port, schema: '' },
      {
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        OPERATOR_TOKEN_PRIVATE_KEY: platform.keys.operatorIdp.signingPkcs8,
        CONSOLE_USERS: JSON.stringify(Object.values(USERS)),
        LIFECYCLE_URL: platform.endpoints.lifecycle,
        JPKI_CA_URL: platform.endpoints.ca,
        SP_TSM_URL: platform.endpoints.spTsm,
        VSIM_URL: platform.endpoints.vsim,
        MNO_TSM_DOCOMO_URL: platform.endpoints.mno.docomo,
        MNO_TSM_KDDI_URL: platform.endpoints.mno.kddi,
        MNO_TSM_SOFTBANK_URL: platform.endpoints.mno.softbank,
        CONSOLE_STATIC_DIR: staticDir,
        // The live feed and dashboards: this platform's topics, read with the producers' keys as the services read them.
        KAFKA_BROKERS: testKafkaBrokers().join(','),
        ...localKafkaEnv('console'),
        KAFKA_TOPIC_PREFIX: platform.topicPrefix,
        TRUSTED_PRODUCER_KEYS: platform.keys.envFor('lifecycle')['TRUSTED_PRODUCER_KEYS'],
        DATABASE_URL: testDatabaseUrl(),
        LOG_LEVEL: 'info',
      },
      join(logDir, `console-${port}.log`),
    ).start();
    [docomoPhone, kddiPhone, endedPhone] = await Promise.all([
      enrollPhone(platform, 'docomo', 'on-card'),
      enrollPhone(platform, 'kddi', 'on-card'),
      enrollPhone(platform, 'docomo', 'on-card'),
      consoleServer.waitReady(),
    ]);
    await Promise.all([docomoPhone, kddiPhone, endedPhone].map((p) => knownToLifecycle(lifecycleApi(platform), p)));
    url = consoleServer.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await consoleServer?.stop();
    await platform?.stop();
    if (staticDir) rmSync(staticDir, { recursive: true, force: true });
  });

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    // bypassCSP: the accessibility check injects axe-core into the page, which the console's CSP would refuse.
    const context = await browser.newContext({ viewport, locale: 'en-US', acceptDownloads: true, bypassCSP: true });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    return page;
  }

  /**
   * axe-core (pinned in package.json) injected into the page: WCAG 2.1 A and AA rules (labels, names, contrast, ARIA).
   * The violations are kept next to the screenshots; the page must have none.
   */
  async function accessible(page: Page, name: string): Promise<void> {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    // Evaluated in the page (a string: this file is compiled without the DOM library).
    const violations = (await page.evaluate(`(async () => {
      const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })) }));
    })()`)) as { id: string; impact: string; help: string; nodes: { target: string; summary: string }[] }[];
    writeFileSync(join(SHOTS, `axe-${name}.json`), JSON.stringify(violations, null, 2));
    expect(violations).toEqual([]);
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  async function signIn(page: Page, user: { username: string; password: string }): Promise<void> {
    await page.goto(url);
    await page.getByRole('textbox', { name: 'Username' }).fill(user.username);
    await page.getByRole('textbox', { name: 'Password' }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('search').waitFor();
  }

  async function searchBy(page: Page, key: 'ICCID (SIM)' | 'IMEI (handset)' | 'Certificate serial' | 'Person id' | 'Enrollment id', value: string): Promise<void> {
    await page.getByRole('search').getByLabel('Search by').click();
    await page.getByRole('option', { name: key }).click();
    await page.getByRole('search').getByLabel('Value').fill(value);
    await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
  }

  async function searchMsisdn(page: Page, msisdn: string): Promise<void> {
    await page.getByRole('search').getByLabel('Value').fill(msisdn);
    await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
  }

  it('an operator finds a phone by MSISDN, reports it lost with a reason, sees the case complete and the certificate on hold, then reports it found', async () => {
    const page = await newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot(page, '01-sign-in');
    await accessible(page, 'sign-in');
    // A wrong password is refused with the server's reason next to the field.
    await page.getByRole('textbox', { name: 'Username' }).fill(USERS.operator.username);
    await page.getByRole('textbox', { name: 'Password' }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByText('SIGN_IN_FAILED'), 'SIGN_IN_FAILED');
    await signIn(page, USERS.operator);
    await expectText(page.getByTestId('carrier-scope'), 'all carriers');

    await searchMsisdn(page, docomoPhone.subscriber.msisdn);
    await expectText(page.getByTestId('certificate-status'), 'good');
    await expectText(page.getByRole('heading', { level: 2, name: /^Phone / }), docomoPhone.subscriber.msisdn);
    await expectText(page.getByTestId('certificates-table'), docomoPhone.serial);
    await expectText(page.getByTestId('enrollment'), 'completed');
    await page.getByTestId('enrollment').getByRole('button', { name: 'Show steps' }).click();
    await expectText(page.getByTestId('enrollment'), 'ms)');
    await shot(page, '02-phone-page-operator');
    await accessible(page, 'phone-page-operator');

    // Report loss: confirmation dialog, reason mandatory.
    await page.getByRole('button', { name: 'Report loss' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expectText(dialog, 'A reason is required');
    expect((await phoneOf(lifecycleApi(platform), { serial: docomoPhone.serial })).lost).toBe(false);
    await dialog.getByLabel('Reason (kept in the audit log)').fill('holder called the hotline; identity checked by PIN questions');
    await shot(page, '03-report-loss-dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();

    const live = page.getByTestId('live-case');
    await live.waitFor();
    await page.locator('[data-testid="live-case"][data-case-status="completed"]').waitFor({ timeout: 60_000 });
    await expectText(page.getByTestId('live-case-certificate'), 'on-hold');
    await expectText(page.getByTestId('certificate-status'), 'on hold');
    await expectText(page.getByTestId('lost-flag'), 'yes');
    await expectText(page.getByTestId(`cert-status-${docomoPhone.serial}`), 'on hold');
    await shot(page, '04-loss-case-completed');
    // The platform agrees: the lifecycle service and the CA both see the hold.
    expect(await phoneOf(lifecycleApi(platform), { serial: docomoPhone.serial })).toMatchObject({ lost: true, certificate: { status: 'on-hold' } });
    const loss = (await casesOf(lifecycleApi(platform), { serial: docomoPhone.serial })).find((c) => c.kind === 'loss');
    expect(loss).toMatchObject({ status: 'completed', openedBy: 'operator:console:olivia', reason: expect.stringContaining('hotline') });

    // Report found.
    await page.getByRole('button', { name: 'Report found' }).click();
    await page.getByRole('dialog').getByLabel('Reason (kept in the audit log)').fill('holder found it at home');
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.locator('[data-testid="live-case"][data-case-status="completed"]').filter({ hasText: 'found' }).waitFor({ timeout: 60_000 });
    await expectText(page.getByTestId('live-case-certificate'), 'released');
    await expectText(page.getByTestId('certificate-status'), 'good');
    await expectText(page.getByTestId('lost-flag'), 'no');
    expect(await phoneOf(lifecycleApi(platform), { serial: docomoPhone.serial })).toMatchObject({ lost: false, certificate: { status: 'good' } });
    await expectText(page.getByTestId('cases-table'), 'found');
    await shot(page, '05-found-case-completed');

    // Revocation offers the RFC 5280 reasons an operator may give; cancelling changes nothing.
    await page.getByRole('button', { name: 'Revoke certificate' }).click();
    await page.getByRole('dialog').getByLabel('Revocation reason (RFC 5280)').click();
    for (const reason of ['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'privilegeWithdrawn', 'unspecified']) await page.getByRole('option', { name: reason }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await phoneOf(lifecycleApi(platform), { serial: docomoPhone.serial })).toMatchObject({ certificate: { status: 'good' } });

    // The same page in Japanese.
    await page.getByText('日本語').click();
    await page.getByRole('button', { name: '紛失届' }).waitFor();
    await expectText(page.getByRole('heading', { name: '申込・案件の履歴' }), '申込・案件の履歴');
    await shot(page, '06-phone-page-japanese');

    // A certificate's PEM downloads.
    await page.getByText('English').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download PEM ${docomoPhone.serial}` }).click()]);
    const pemFile = await download.path();
    const pem = readFileSync(pemFile, 'utf8');
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
  }, 180_000);

  it('an auditor sees the audit trail but no action buttons (narrow screen, keyboard sign-in)', async () => {
    const page = await newPage({ width: 390, height: 844 });
    await page.goto(url);
    // Keyboard only: the username field has focus, Tab to the password, Enter submits.
    await page.getByRole('textbox', { name: 'Username' }).waitFor();
    await page.keyboard.type(USERS.auditor.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(USERS.auditor.password);
    await page.keyboard.press('Enter');
    await page.getByRole('search').waitFor();

    // Found by ICCID and by certificate serial: the same phone.
    await searchBy(page, 'Certificate serial', docomoPhone.serial);
    await expectText(page.getByRole('heading', { level: 2, name: /^Phone / }), docomoPhone.subscriber.msisdn);
    await searchBy(page, 'ICCID (SIM)', docomoPhone.subscriber.iccid);
    await expectText(page.getByRole('heading', { level: 2, name: /^Phone / }), docomoPhone.subscriber.msisdn);
    await searchBy(page, 'Enrollment id', docomoPhone.enrollmentId);
    await expectText(page.getByRole('heading', { level: 2, name: /^Phone / }), docomoPhone.subscriber.msisdn);
    const audit = page.getByTestId('audit-table');
    await expectText(audit, 'loss.report');
    await expectText(audit, 'found.report');
    await expectText(audit, 'operator:console:olivia');
    await expectText(audit, 'holder called the hotline');
    await expectText(page.getByTestId('read-only-note'), 'read but not act');
    await expectText(page.getByTestId('card-state'), 'SSD');
    for (const name of ['Report loss', 'Report found', 'Revoke certificate']) expect(await page.getByRole('button', { name }).count()).toBe(0);
    await shot(page, '07-phone-page-auditor-narrow');
    await accessible(page, 'phone-page-auditor-narrow');

    // The API agrees: the auditor's session cannot act either.
    const refused = await page.request.post(`${url}/api/lifecycle/loss-reports`, {
      headers: { 'x-console-request': '1' },
      data: { msisdn: docomoPhone.subscriber.msisdn, reason: 'an auditor tries to act' },
    });
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toMatchObject({ reason: 'ROLE_REQUIRED' });
  }, 90_000);

  it('a docomo operator cannot see or act on a KDDI subscriber: refused in the page and by the API, nothing changes', async () => {
    const page = await newPage();
    await signIn(page, USERS.docomo);
    await expectText(page.getByTestId('carrier-scope'), 'docomo');

    // Their own carrier's phone is there (the refusal below is about scope, not a broken page).
    await searchMsisdn(page, docomoPhone.subscriber.msisdn);
    await expectText(page.getByTestId('certificate-status'), 'good');
    await page.getByRole('button', { name: 'Report loss' }).waitFor();

    // Bad input: the API's precise reason next to the field, and no phone shown.
    await searchMsisdn(page, '12345');
    await expectText(page.getByRole('search'), 'VALIDATION_FAILED');
    expect(await page.getByTestId('phone-page').count()).toBe(0);

    await searchMsisdn(page, kddiPhone.subscriber.msisdn);
    const field = page.getByRole('search');
    await expectText(field, 'CARRIER_SCOPE');
    expect(await page.getByTestId('phone-page').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Report loss' }).count()).toBe(0);
    await shot(page, '08-carrier-scope-refused');

    const casesBefore = await casesOf(lifecycleApi(platform), { serial: kddiPhone.serial });
    const act = await page.request.post(`${url}/api/lifecycle/loss-reports`, {
      headers: { 'x-console-request': '1' },
      data: { msisdn: kddiPhone.subscriber.msisdn, reason: 'a docomo operator tries a KDDI subscriber' },
    });
    expect(act.status()).toBe(403);
    expect(await act.json()).toMatchObject({ reason: 'CARRIER_SCOPE' });
    const read = await page.request.get(`${url}/api/lifecycle/phones?msisdn=${encodeURIComponent(kddiPhone.subscriber.msisdn)}`);
    expect(read.status()).toBe(403);
    expect(await read.json()).toMatchObject({ reason: 'CARRIER_SCOPE' });
    // Named by its enrollment id, the KDDI phone is refused the same way (in the page and by the service).
    await searchBy(page, 'Enrollment id', kddiPhone.enrollmentId);
    await expectText(page.getByRole('search'), 'CARRIER_SCOPE');
    expect(await page.getByTestId('phone-page').count()).toBe(0);
    const byEnrollment = await page.request.get(`${url}/api/lifecycle/phones?enrollmentId=${encodeURIComponent(kddiPhone.enrollmentId)}`);
    expect(byEnrollment.status()).toBe(403);
    expect(await byEnrollment.json()).toMatchObject({ reason: 'CARRIER_SCOPE' });
    const own = await page.request.get(`${url}/api/lifecycle/phones?enrollmentId=${encodeURIComponent(docomoPhone.enrollmentId)}`);
    expect(own.status()).toBe(200);
    expect(await own.json()).toMatchObject({ enrollmentId: docomoPhone.enrollmentId, carrier: 'docomo' });
    const unknown = await page.request.get(`${url}/api/lifecycle/phones?enrollmentId=enr-no-such-enrollment`);
    expect(unknown.status()).toBe(404);
    expect(await unknown.json()).toMatchObject({ reason: 'PHONE_UNKNOWN' });
    // Without the console's header a state-changing call is not even forwarded.
    const forged = await page.request.post(`${url}/api/lifecycle/loss-reports`, { data: { msisdn: docomoPhone.subscriber.msisdn, reason: 'cross-site attempt' } });
    expect(forged.status()).toBe(403);
    expect(await forged.json()).toMatchObject({ reason: 'CONSOLE_REQUEST_REQUIRED' });

    expect(await phoneOf(lifecycleApi(platform), { serial: kddiPhone.serial })).toMatchObject({ lost: false, certificate: { status: 'good' } });
    expect(await phoneOf(lifecycleApi(platform), { serial: docomoPhone.serial })).toMatchObject({ lost: false, certificate: { status: 'good' } });
    expect(await casesOf(lifecycleApi(platform), { serial: kddiPhone.serial })).toEqual(casesBefore);
  }, 90_000);

  it('the live feed shows a loss report as it happens, in the carrier scope of the user; the dashboards show the platform’s figures', async () => {
    // A docomo operator watches the feed; platform staff watch the dashboard.
    const docomo = await newPage();
    await signIn(docomo, USERS.docomo);
    await docomo.getByRole('tab', { name: 'Live events' }).click();
    await docomo.locator('[data-testid="live-feed"][data-connected="true"]').waitFor();
    // The backlog: their own carrier's enrollment, nothing of KDDI's.
    await docomo.locator('[data-testid="feed-event"][data-event-type="sptsm.enrollment.completed"]').filter({ hasText: docomoPhone.serial }).first().waitFor({ timeout: 30_000 });
    const carriersShown = await docomo.locator('[data-testid="feed-event"] td:nth-child(3)').allTextContents();
    expect(carriersShown.length).toBeGreaterThan(0);
    expect(new Set(carriersShown)).toEqual(new Set(['docomo']));
    expect(await docomo.getByTestId('feed-table').textContent()).not.toContain(kddiPhone.serial);

    // A loss report (the docomo operator's own session, through the console) appears in the feed while it is open.
    const opened = await docomo.request.post(`${url}/api/lifecycle/loss-reports`, {
      headers: { 'x-console-request': '1' },
      data: { msisdn: docomoPhone.subscriber.msisdn, reason: 'holder lost it on the train (feed test)' },
    });
    expect(opened.status()).toBe(202);
    const { caseId } = (await opened.json()) as { caseId: string };
    const lossEvents = docomo.locator('[data-testid="feed-event"][data-event-type="lifecycle.case.changed"]').filter({ hasText: `caseId=${caseId}` });
    await lossEvents.filter({ hasText: 'kind=loss' }).first().waitFor({ timeout: 30_000 });
    await lossEvents.filter({ hasText: 'status=completed' }).first().waitFor({ timeout: 60_000 });
    await docomo.locator('[data-testid="feed-event"][data-event-type="ca.certificate.status-changed"]').filter({ hasText: docomoPhone.serial }).filter({ hasText: 'status=on-hold' }).first().waitFor();
    await shot(docomo, '09-live-feed-docomo');
    await accessible(docomo, 'live-feed');

    // A poison record on docomo's MNO events topic: the consumers dead-letter it, the dashboards count it.
    const producer = kafkaClient('console-e2e', testKafkaBrokers()).producer();
    await producer.connect();
    await producer.send({ topic: `${platform.topicPrefix}mno.docomo.events`, messages: [{ key: 'console-e2e-poison', value: '{ not json' }] });
    await producer.disconnect();

    const staff = await newPage();
    await signIn(staff, USERS.operator);
    await staff.getByRole('tab', { name: 'Dashboard' }).click();
    await expectText(staff.getByTestId('figure-enrollments-value'), '3', 30_000);
    await expectText(staff.getByTestId('enrollments-docomo'), '2');
    await expectText(staff.getByTestId('enrollments-kddi'), '1');
    await expectText(staff.getByTestId('figure-failures-value'), '0');
    const deadLettersShown = async (page: Page) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        await page.getByRole('button', { name: 'Refresh' }).click();
        const n = Number((await page.getByTestId('figure-dead-letters-value').textContent()) ?? '0');
        if (n > 0 && ((await page.getByTestId('dead-letters').textContent()) ?? '').includes('mno.docomo.events')) return n;
        await new Promise((r) => setTimeout(r, 2_000));
      }
      throw new Error('the dead letter never reached the dashboard');
    };
    expect(await deadLettersShown(staff)).toBeGreaterThanOrEqual(1);
    await shot(staff, '10-dashboard-platform');
    await accessible(staff, 'dashboard');

    // The docomo operator's dashboard: their enrollment only, and the dead letter of their carrier's topic.
    await docomo.getByRole('tab', { name: 'Dashboard' }).click();
    await expectText(docomo.getByTestId('figure-enrollments-value'), '2', 30_000);
    expect(await docomo.getByTestId('enrollments-kddi').count()).toBe(0);
    expect(await deadLettersShown(docomo)).toBeGreaterThanOrEqual(1);
    await shot(docomo, '11-dashboard-docomo');

    // The server agrees: figures in the user's scope, and no feed without a session.
    const figures = (await (await docomo.request.get(`${url}/api/dashboard`)).json()) as { carrier: string; enrollmentsPerHour: { carrier: string }[] };
    expect(figures.carrier).toBe('docomo');
    expect(new Set(figures.enrollmentsPerHour.map((x) => x.carrier))).toEqual(new Set(['docomo']));
    const anonymous = await fetch(`${url}/api/events`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ reason: 'SIGNED_OUT' });
  }, 150_000);

  /** The carrier's MNO-TSM, as the platform's integrator (what the carrier's own systems do, outside the console). */
  const carrierApi = (carrier: 'docomo' | 'kddi') => new HttpJson(platform.endpoints.mno[carrier], platform.operatorToken);
  const subscriberStatus = async (carrier: 'docomo' | 'kddi', msisdn: string) => (await carrierApi(carrier).get<{ status: string }>(`/subscribers/${encodeURIComponent(msisdn)}`)).status;

  it('an operator finds a phone by the IMEI its carrier reported; a KDDI handset is refused to a docomo operator', async () => {
    // The carriers record the handsets the SIMs are in (mno.subscriber.handset-changed reaches the lifecycle service).
    for (const [carrier, phone] of [['docomo', docomoPhone], ['kddi', kddiPhone]] as const) {
      await carrierApi(carrier).post(`/subscribers/${encodeURIComponent(phone.subscriber.msisdn)}/handset-change`, { imei: phone.subscriber.handset.imei });
    }
    const lifecycle = lifecycleApi(platform);
    for (const phone of [docomoPhone, kddiPhone]) {
      const imei = phone.subscriber.handset.imei;
      await waitUntil(async () => {
        const view = await outcomeOf(phoneOf(lifecycle, { imei }));
        return 'serial' in view ? view : undefined;
      }, 30_000, `lifecycle knows handset ${imei}`);
    }

    const page = await newPage();
    await signIn(page, USERS.docomo);
    await searchBy(page, 'IMEI (handset)', docomoPhone.subscriber.handset.imei);
    await expectText(page.getByRole('heading', { level: 2, name: /^Phone / }), docomoPhone.subscriber.msisdn);
    await shot(page, '12-found-by-imei');

    await searchBy(page, 'IMEI (handset)', kddiPhone.subscriber.handset.imei);
    await expectText(page.getByRole('search'), 'CARRIER_SCOPE');
    expect(await page.getByTestId('phone-page').count()).toBe(0);
    const refused = await page.request.get(`${url}/api/lifecycle/phones?imei=${kddiPhone.subscriber.handset.imei}`);
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toMatchObject({ reason: 'CARRIER_SCOPE' });
    await searchBy(page, 'IMEI (handset)', '35');
    await expectText(page.getByRole('search'), 'VALIDATION_FAILED');
  }, 90_000);

  it('a carrier operator ends a contract with a reason and sees the case complete; a docomo operator cannot end a KDDI contract', async () => {
    // Platform staff are not offered it: the contract is the carrier's.
    const staff = await newPage();
    await signIn(staff, USERS.operator);
    await searchMsisdn(staff, endedPhone.subscriber.msisdn);
    await staff.getByRole('button', { name: 'Report loss' }).waitFor();
    expect(await staff.getByRole('button', { name: 'End contract' }).count()).toBe(0);

    const page = await newPage();
    await signIn(page, USERS.docomo);
    await searchMsisdn(page, endedPhone.subscriber.msisdn);
    await expectText(page.getByTestId('certificate-status'), 'good');
    await page.getByRole('button', { name: 'End contract' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expectText(dialog, 'A reason is required');
    expect(await subscriberStatus('docomo', endedPhone.subscriber.msisdn)).toBe('active');
    await dialog.getByLabel('Reason (kept in the audit log)').fill('holder cancelled at the docomo shop; identity checked with the My Number card');
    await shot(page, '13-contract-end-dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();

    await page.locator('[data-testid="live-case"][data-case-status="completed"]').filter({ hasText: 'contract-end' }).waitFor({ timeout: 60_000 });
    await expectText(page.getByTestId('live-case-certificate'), 'revoked:cessationOfOperation');
    await expectText(page.getByTestId('certificate-status'), 'revoked');
    await expectText(page.getByTestId('sim-closed'), 'contract-ended');
    expect(await page.getByRole('button', { name: 'End contract' }).count()).toBe(0);
    await shot(page, '14-contract-end-completed');
    await accessible(page, 'contract-end-completed');
    // The platform agrees: the carrier cancelled the subscriber, the lifecycle case revoked the certificate and terminated the service.
    expect(await subscriberStatus('docomo', endedPhone.subscriber.msisdn)).toBe('cancelled');
    expect(await phoneOf(lifecycleApi(platform), { serial: endedPhone.serial })).toMatchObject({ certificate: { status: 'revoked', revocationReason: 'cessationOfOperation' }, sim: { closedReason: 'contract-ended' } });
    expect((await casesOf(lifecycleApi(platform), { serial: endedPhone.serial })).find((c) => c.kind === 'contract-end')).toMatchObject({ status: 'completed', openedBy: 'system:mno-tsm-docomo' });

    // KDDI's contract: refused by KDDI's MNO-TSM (the console forwards, the carrier decides), nothing changes.
    const kddiCases = await casesOf(lifecycleApi(platform), { serial: kddiPhone.serial });
    const refused = await page.request.post(`${url}/api/mno-tsm/kddi/subscribers/${encodeURIComponent(kddiPhone.subscriber.msisdn)}/contract-end`, {
      headers: { 'x-console-request': '1' },
      data: { note: 'a docomo operator tries a KDDI contract' },
    });
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toMatchObject({ reason: 'CARRIER_SCOPE' });
    expect(await subscriberStatus('kddi', kddiPhone.subscriber.msisdn)).toBe('active');
    expect(await phoneOf(lifecycleApi(platform), { serial: kddiPhone.serial })).toMatchObject({ certificate: { status: 'good' } });
    expect(await casesOf(lifecycleApi(platform), { serial: kddiPhone.serial })).toEqual(kddiCases);
  }, 120_000);

  it('a device change waiting for the old phone: the dashboard counts the queued deletion, the operator follows the case up and sees it complete when the old phone is back', async () => {
    // docomoPhone (reported lost by the feed test) is off; its holder enrolls a new phone: the CA supersedes the old
    // certificate and the old SSD's deletion waits at docomo's MNO-TSM for the old phone.
    await setPower(platform, docomoPhone.subscriber.iccid, 'off');
    await enrollPhone(platform, 'docomo', 'on-card', docomoPhone.citizen);
    const change = await waitForCaseOf(lifecycleApi(platform), { serial: docomoPhone.serial }, 'device-change', (c) => c.status === 'waiting-device');

    const page = await newPage();
    await signIn(page, USERS.docomo);
    await page.getByRole('tab', { name: 'Dashboard' }).click();
    await expectText(page.getByTestId('figure-queued-operations-value'), '1', 30_000);
    await expectText(page.getByTestId('queued-waiting-for-phone-delete'), 'waiting for the phone');
    await shot(page, '15-dashboard-queued-operations');
    await accessible(page, 'dashboard-queued-operations');

    await page.getByRole('tab', { name: 'Find a phone' }).click();
    await searchMsisdn(page, docomoPhone.subscriber.msisdn);
    const waiting = page.getByTestId('waiting-device').filter({ hasText: 'device-change' });
    await waiting.getByRole('button', { name: 'Follow up' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expectText(dialog, 'A reason is required');
    await dialog.getByLabel('Reason (kept in the audit log)').fill('holder called; asked to switch the old phone on once at home');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('[data-testid="live-case"][data-case-status="waiting-device"]').filter({ hasText: 'device-change' }).waitFor();
    await expectText(page.getByTestId('waiting-device'), 'operator:console:daichi');
    await shot(page, '16-device-change-follow-up');
    expect((await lifecycleApi(platform).get<{ result: { followUps?: { by: string }[] } }>(`/cases/${change.caseId}`)).result.followUps).toEqual([
      expect.objectContaining({ by: 'operator:console:daichi', reason: 'holder called; asked to switch the old phone on once at home' }),
    ]);

    // The old phone comes back: the queued deletion runs, the case the page follows completes, the queue is empty.
    await setPower(platform, docomoPhone.subscriber.iccid, 'on');
    await page.locator('[data-testid="live-case"][data-case-status="completed"]').filter({ hasText: 'device-change' }).waitFor({ timeout: 60_000 });
    await shot(page, '17-device-change-completed');
    await page.getByRole('tab', { name: 'Dashboard' }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(page.getByTestId('figure-queued-operations-value'), '0', 30_000);
  }, 150_000);

  it('after a SIM swap, an operator sends the holder a re-enrollment notice; a docomo operator cannot notify a KDDI holder', async () => {
    await carrierApi('kddi').post(`/subscribers/${encodeURIComponent(kddiPhone.subscriber.msisdn)}/sim-swap`, {});
    await waitForCaseOf(lifecycleApi(platform), { serial: kddiPhone.serial }, 'sim-swap', (c) => c.status === 'completed');

    const page = await newPage();
    await signIn(page, USERS.operator);
    await searchBy(page, 'Certificate serial', kddiPhone.serial);
    await expectText(page.getByTestId('reenrollment-flag'), 'yes');
    await page.getByRole('button', { name: 'Send re-enrollment notice' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason (kept in the audit log)').fill('holder called after the SIM swap; told to apply again on the new SIM');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expectText(page.getByTestId('notice-sent'), 'sim-swapped');
    await expectText(page.getByTestId('notice-sent'), 'operator:console:olivia');
    await shot(page, '18-reenrollment-notice');
    await accessible(page, 'reenrollment-notice');

    const docomo = await newPage();
    await signIn(docomo, USERS.docomo);
    const refused = await docomo.request.post(`${url}/api/lifecycle/reenrollment-notices`, {
      headers: { 'x-console-request': '1' },
      data: { personId: kddiPhone.citizen.personId, reason: 'a docomo operator tries a KDDI holder' },
    });
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toMatchObject({ reason: 'CARRIER_SCOPE' });
    const notices = await lifecycleApi(platform).get<{ actor: string; outcome: string }[]>(`/audit?${new URLSearchParams({ action: 'reenrollment.notice', target: `person:${kddiPhone.citizen.personId}` })}`);
    expect(notices).toEqual([expect.objectContaining({ actor: 'operator:console:olivia', outcome: 'accepted' })]);
  }, 120_000);
});

/** Waits until the locator's text contains `text` (Playwright's auto-waiting, failing with what it last saw). */
async function expectText(locator: ReturnType<Page['getByTestId']>, text: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.first().textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => null)) ?? '';
    if (last.includes(text)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`expected "${text}" in ${locator.toString()}; last text: ${JSON.stringify(last.slice(0, 500))}`);
}

