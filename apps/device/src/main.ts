import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { CARRIERS, MVNOS, type Carrier, type EnrollmentView, type MvnoId } from '@jpki/contracts';
import {
  CONTEXT_OPTION,
  createSubscriber,
  Handset,
  HttpJson,
  JpkiUiApp,
  RelyingPartyVerifier,
  reportFailure,
  wantsJson,
} from '@jpki/jpki-client';
import type { BiometricPresentation } from '@jpki/iphone-device';
import { loadCardFile, saveCardFile, VirtualMyNumberCard } from '@jpki/mynumber-card';
import { loadHandset, saveHandset } from './handset-file';
import { registerIphoneCommands } from './iphone';
import { endpoints, operatorToken, type CommonOptions } from './platform-clients';
import { PASSCODE, PHONE_PIN, PHONE_SIGNING_PASSWORD, PIN, readSecret, secretOptions, SIGNING_PASSWORD } from './secrets';

/**
 * The JPKI-UI app as a command line: a test citizen's My Number card, a subscriber on a carrier,
 * enrollment with a progress bar, the phone PIN, and authentication at a relying party. The platform context
 * (`--context` / JPKI_CONTEXT, default the local platform) gives the service URLs and the integrator token. Secrets
 * never come from the command line (./secrets): the card's signing password from `--password-file` or
 * JPKI_SIGNING_PASSWORD, a PIN from `--pin-file` or JPKI_PIN, enroll's new phone PIN from `--phone-pin-file` or
 * JPKI_PHONE_PIN, the phone signing password from `--phone-signing-password-file` or JPKI_PHONE_SIGNING_PASSWORD.
 */
const program = new Command('device')
  .description('JPKI-UI app and handset simulator for the JPKI smartphone platform (SIMULATION)')
  .option(CONTEXT_OPTION.flags, CONTEXT_OPTION.description)
  .option('--json', 'machine-readable output (failures as { error, reason })')
  .exitOverride();

const opts = (): CommonOptions => program.opts<CommonOptions>();
const out = (human: string, data: unknown) => console.log(opts().json ? JSON.stringify(data) : human);
const operators = [...CARRIERS, ...Object.keys(MVNOS)];

secretOptions(
  program
    .command('citizen-create')
    .description('issue a virtual My Number card for a synthetic person and save its card file')
    .requiredOption('--card <file>', 'where to save the card file'),
  [SIGNING_PASSWORD, 'the new card’s signing password: 6–16 A–Z and 0–9, both'],
  [PIN, 'the new card’s user-authentication PIN: 4 digits'],
)
  .option('--name <name>', 'name', '山田 太郎')
  .option('--dob <yyyy-mm-dd>', 'date of birth', '1990-04-01')
  .option('--gender <g>', 'male | female | other', 'male')
  .option('--address <text>', 'address', '東京都千代田区霞が関2-1-2')
  .option('--prefecture <text>', 'issuing prefecture', '東京都')
  .option('--municipality <text>', 'issuing municipality', '千代田区')
  .action(async (c) => {
    const password = readSecret(c, SIGNING_PASSWORD);
    const pin = readSecret(c, PIN);
    const http = new HttpJson(endpoints(opts()).ca, operatorToken(opts()));
    const created = await http.post<{ personId: string; cardFile: unknown }>('/citizens', {
      name: c.name,
      gender: c.gender,
      dateOfBirth: c.dob,
      address: c.address,
      prefecture: c.prefecture,
      municipality: c.municipality,
      signingPassword: password,
      userAuthenticationPin: pin,
    });
    await saveCardFile(c.card, VirtualMyNumberCard.open(created.cardFile).toFile());
    out(`card issued for person ${created.personId} → ${c.card}`, { personId: created.personId, card: c.card });
  });

program
  .command('subscriber-create')
  .description('open a subscription with a new SIM at a carrier or MVNO, the SIM put in a new phone (integrator token)')
  .requiredOption('--operator <op>', operators.join(' | '))
  .requiredOption('--handset <file>', 'where to save the phone holding the SIM (its device key: keep it private)')
  .option('--generation <g>', 'SIM generation (default: the carrier’s current one)')
  .action(async (c) => {
    const { handset, ...sub } = await createSubscriber(endpoints(opts()), operatorToken(opts()), c.operator as Carrier | MvnoId, c.generation);
    saveHandset(c.handset, handset);
    out(`${sub.msisdn} on ${c.operator} (host ${sub.carrier}), SIM ${sub.iccid} ${sub.sim.generation} in phone IMEI ${handset.imei} → ${c.handset}`, {
      ...sub,
      imei: handset.imei,
      handset: c.handset,
    });
  });

secretOptions(
  program
    .command('handset-insert')
    .description('put an existing SIM in a new phone (integrator token): from then on only that phone reaches the SIM')
    .requiredOption('--iccid <iccid>', 'the SIM')
    .requiredOption('--handset <file>', 'where to save the new phone (its device key: keep it private)')
    .option('--imei <imei>', 'the phone’s IMEI (default: a new one)')
    .option('--biometric-sensor', 'a model with a biometric sensor (biometric unlock of the user-authentication key)'),
  [PASSCODE, 'with --biometric-sensor: the device passcode (re-enables biometry after a lockout)'],
)
  .action(async (c) => {
    const handset = Handset.create(c.iccid, c.imei, c.biometricSensor ? { passcode: readSecret(c, PASSCODE) } : undefined);
    await handset.insertSim(endpoints(opts()).vsim, operatorToken(opts()));
    saveHandset(c.handset, handset);
    out(`SIM ${c.iccid} is in phone IMEI ${handset.imei} → ${c.handset}`, { iccid: c.iccid, imei: handset.imei, handset: c.handset });
  });

secretOptions(
  program
    .command('enroll')
    .description('sign the application with the My Number card, enroll the phone (SIM applet) and set its PIN on the phone')
    .requiredOption('--card <file>', 'card file')
    .requiredOption('--msisdn <msisdn>', 'phone number, +81…')
    .requiredOption('--operator <op>', operators.join(' | '))
    .requiredOption('--handset <file>', 'the phone holding the SIM (subscriber-create / handset-insert)'),
  [SIGNING_PASSWORD, 'the card’s signing password'],
  [PHONE_PIN, 'the phone’s new 4-digit PIN, set on the phone once the certificate is on the SIM'],
  [PHONE_SIGNING_PASSWORD, 'with --signing-certificate: the phone signing certificate’s new password (6–16 upper-case letters and digits)'],
)
  .option('--key-mode <mode>', 'on-card | delivered', 'on-card')
  .option('--signing-certificate', 'also the phone signing certificate (on-card keys only)')
  .action(async (c) => {
    const password = readSecret(c, SIGNING_PASSWORD);
    const phonePin = readSecret(c, PHONE_PIN);
    const phoneSigningPassword = c.signingCertificate ? readSecret(c, PHONE_SIGNING_PASSWORD) : undefined;
    const card = VirtualMyNumberCard.open(await loadCardFile(c.card), { persist: (f) => saveCardFile(c.card, f) });
    const app = new JpkiUiApp(endpoints(opts()));
    const bar = opts().json ? undefined : new SingleBar({ format: ' {bar} {value}/{total} {step} ({state})', hideCursor: true });
    let started = false;
    const done = await app.enroll(
      {
        card,
        signingPassword: password,
        msisdn: c.msisdn,
        operator: c.operator,
        keyMode: c.keyMode,
        handset: loadHandset(c.handset),
        phonePin,
        ...(phoneSigningPassword ? { signingCertificate: true, phoneSigningPassword } : {}),
      },
      (v: EnrollmentView) => {
        if (!started) bar?.start(v.stepCount, 0, { step: 'starting', state: v.state });
        started = true;
        bar?.update(v.stepIndex, { step: v.step ?? v.status, state: v.state });
      },
    );
    bar?.stop();
    if (done.status !== 'completed') {
      out(`enrollment ${done.enrollmentId} FAILED: ${done.failure?.reason} ${done.failure?.detail ?? ''}`, done);
      process.exitCode = 2;
      return;
    }
    const signing = done.signingSerial ? `, signing certificate ${done.signingSerial} and its password set` : '';
    out(`enrolled ${done.msisdn}: SIM ${done.iccid}, certificate ${done.serial}, phone PIN set${signing} (${done.enrollmentId})`, done);
  });

secretOptions(
  program
    .command('sign-document')
    .description('sign a document with the phone signing key (after its password): a detached CMS SignedData, DER')
    .requiredOption('--handset <file>', 'the phone holding the SIM')
    .requiredOption('--document <file>', 'the document to sign')
    .requiredOption('--out <file>', 'where to write the SignedData (DER)'),
  [PHONE_SIGNING_PASSWORD, 'the phone signing password'],
)
  .action(async (c) => {
    const password = readSecret(c, PHONE_SIGNING_PASSWORD);
    const { signedData } = await new JpkiUiApp(endpoints(opts())).signDocument(loadHandset(c.handset), password, readFileSync(c.document));
    writeFileSync(c.out, signedData);
    out(`signed ${c.document} → ${c.out} (${signedData.length} bytes)`, { out: c.out, bytes: signedData.length });
  });

secretOptions(
  program.command('pin-set').description('choose the phone’s 4-digit PIN, if enroll could not (first time only)'),
  [PIN, 'the phone’s new PIN: 4 digits'],
)
  .requiredOption('--handset <file>', 'the phone holding the SIM')
  .action(async (c) => {
    const pin = readSecret(c, PIN);
    await new JpkiUiApp(endpoints(opts())).setPhonePin(loadHandset(c.handset), pin);
    out('phone PIN set', { ok: true });
  });

secretOptions(
  program
    .command('biometrics-enable')
    .description('biometric unlock of the user-authentication key on a phone with a sensor (the PIN, checked first, is kept in its keystore)')
    .requiredOption('--handset <file>', 'the phone holding the SIM'),
  [PIN, 'the phone PIN'],
)
  .action(async (c) => {
    const handset = loadHandset(c.handset);
    await new JpkiUiApp(endpoints(opts())).enableBiometricUnlock(handset, readSecret(c, PIN));
    saveHandset(c.handset, handset);
    out('biometric unlock is on for the user-authentication key (the signing key always needs its password)', { ok: true });
  });

secretOptions(
  program
    .command('authenticate')
    .description('answer a relying party’s challenge with the phone and verify it (signature, chain, OCSP)')
    .requiredOption('--handset <file>', 'the phone holding the SIM'),
  [PIN, 'the phone PIN (not with --biometric)'],
)
  .option('--challenge <hex>', 'challenge (default: 32 random bytes)')
  .option('--biometric <presentation>', 'unlock with biometrics instead of the PIN: match | no-match (simulated sensor)')
  .action(async (c) => {
    // A PIN on the command line is refused even with --biometric (which needs none).
    const pin = readSecret(c, PIN, process.env, c.biometric ? '' : undefined);
    const e = endpoints(opts());
    const handset = loadHandset(c.handset);
    const challenge = c.challenge ? Buffer.from(c.challenge, 'hex') : randomBytes(32);
    const check = c.biometric
      ? await biometricLogin(e, handset, c.biometric, challenge).finally(() => saveHandset(c.handset, handset))
      : await challengeLogin(e, handset, pin, challenge);
    out(check.ok ? `authenticated: certificate ${check.serial} is good` : `REFUSED: ${check.reason} ${check.detail}`, check);
    if (!check.ok) process.exitCode = 3;
  });

program
  .command('enrollment')
  .description('show an enrollment with its history')
  .argument('<id>')
  .action(async (id: string) => {
    const v = await new JpkiUiApp(endpoints(opts())).enrollment(id);
    out(`${v.enrollmentId} ${v.status} ${v.state} step=${v.step}\n${v.history.map((h) => `  ${h.at} ${h.step} ${h.outcome}`).join('\n')}`, v);
  });

async function challengeLogin(e: ReturnType<typeof endpoints>, handset: Handset, pin: string, challenge: Buffer) {
  const { signature, certificate } = await new JpkiUiApp(e).signChallenge(handset, pin, challenge);
  return new RelyingPartyVerifier(e.ca).verifyLogin(challenge, signature, certificate);
}

async function biometricLogin(e: ReturnType<typeof endpoints>, handset: Handset, presentation: BiometricPresentation, challenge: Buffer) {
  const { signature, certificate } = await new JpkiUiApp(e).signChallengeWithBiometrics(handset, presentation, challenge);
  return new RelyingPartyVerifier(e.ca).verifyLogin(challenge, signature, certificate);
}

registerIphoneCommands(program, opts, out);

program.parseAsync().catch((err: Error & { code?: string; exitCode?: number }) => {
  // commander has printed its own usage errors and help.
  const usage = err.code?.startsWith('commander.');
  if (!usage || (err.exitCode && wantsJson(process.argv))) reportFailure(err, wantsJson(process.argv), { out: console.log, err: console.error }, 'device: ');
  process.exit(usage ? (err.exitCode ?? 1) : 1);
});
