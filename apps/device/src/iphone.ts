/**
 * The SIMULATED iPhone as a command line: a device file (public header + the Secure Enclave's sealed state +
 * the certificates it holds), a hardware-key file beside it (`<device>.uid`, the simulated fused key the
 * sealed state is wrapped with), enrollment by method ① or ②, and authentication after Face ID.
 * The platform vendor (attestation CA) comes from `--vendor <file>` or JPKI_DEVICE_ATTESTATION (a file path); the
 * device passcode from `--passcode-file <file>` or JPKI_PASSCODE, never from the command line (./secrets).
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { CARRIERS, MVNOS, type Carrier, type IphoneEnrollmentView, type IphoneMethod, type MvnoId } from '@jpki/contracts';
import { SimulatedAttestationAuthority, type BiometricPresentation, type EnclaveStateFile } from '@jpki/iphone-device';
import { Iphone, IphoneAuthenticator, IphoneJpkiApp, loadIphoneVendor, RelyingPartyVerifier } from '@jpki/jpki-client';
import { loadCardFile, saveCardFile, VirtualMyNumberCard } from '@jpki/mynumber-card';
import { endpoints, type CommonOptions } from './platform-clients';
import { PASSCODE, readSecret, secretOptions, SIGNING_PASSWORD } from './secrets';

const DEVICE_FORMAT = 'jpki-sim-iphone-device/1';
/** The passcode iphone-create gives a new iPhone when neither --passcode-file nor JPKI_PASSCODE names one. */
const DEFAULT_PASSCODE = '000000';

interface DeviceFile {
  format: typeof DEVICE_FORMAT;
  deviceId: string;
  model: string;
  enclave: EnclaveStateFile;
  /** Newest last; the last completed one is the active JPKI key. */
  enrollments: { enrollmentId: string; method: IphoneMethod; keyLabel: string; serial: string; certificate: string }[];
}

type Out = (human: string, data: unknown) => void;

function writeAtomically(path: string, data: string, mode = 0o600): void {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, data, { mode });
  renameSync(temporary, path);
}

/** Opens the device: its enclave writes the device file at every change (counters, keys). */
function openDevice(path: string, vendorPath: string | undefined): { iphone: Iphone; file: DeviceFile; save: () => void } {
  const file = JSON.parse(readFileSync(path, 'utf8')) as DeviceFile;
  if (file.format !== DEVICE_FORMAT) throw new Error(`${path} is not an iPhone device file`);
  const hardwareKey = Buffer.from(readFileSync(`${path}.uid`, 'utf8').trim(), 'base64');
  const save = () => writeAtomically(path, JSON.stringify(file, null, 2));
  const iphone = Iphone.restore({
    vendor: loadIphoneVendor(vendorPath),
    state: file.enclave,
    hardwareKey,
    model: file.model,
    enclave: {
      onStateChange: (state) => {
        file.enclave = state;
        save();
      },
    },
  });
  return { iphone, file, save };
}

function activeAuthenticator(iphone: Iphone, file: DeviceFile): IphoneAuthenticator {
  const active = file.enrollments.at(-1);
  if (!active) throw new Error('this iPhone holds no JPKI certificate yet: run iphone-enroll');
  return new IphoneAuthenticator(iphone, active.keyLabel, Buffer.from(active.certificate, 'base64'));
}

export function registerIphoneCommands(program: Command, opts: () => CommonOptions, out: Out): void {
  const operators = [...CARRIERS, ...Object.keys(MVNOS)];

  program
    .command('iphone-vendor-create')
    .description('create a SIMULATED platform vendor (device attestation CA); prints the root for jpki-ca’s DEVICE_ATTESTATION_ROOTS')
    .requiredOption('--out <file>', 'where to save the vendor (it holds the attestation signing key)')
    .action((c) => {
      const vendor = SimulatedAttestationAuthority.generate();
      writeAtomically(c.out, JSON.stringify(vendor.toJSON(), null, 2));
      out(`vendor saved to ${c.out}\nDEVICE_ATTESTATION_ROOTS=${vendor.trustAnchorBase64}`, { vendor: c.out, DEVICE_ATTESTATION_ROOTS: vendor.trustAnchorBase64 });
    });

  secretOptions(
    program
      .command('iphone-create')
      .description('a new SIMULATED iPhone with Face ID enrolled: device file + hardware key file (<device>.uid)')
      .requiredOption('--device <file>', 'where to save the device file'),
    [PASSCODE, `the device passcode (re-enables Face ID after a lockout; never unlocks the JPKI key); without either, ${DEFAULT_PASSCODE}`],
  )
    .option('--vendor <file>', 'platform vendor file (or JPKI_DEVICE_ATTESTATION)')
    .option('--device-id <id>', 'device identifier (default: random)')
    .option('--model <model>', 'model name', 'iPhone 16')
    .action((c) => {
      const passcode = readSecret(c, PASSCODE, process.env, DEFAULT_PASSCODE);
      if (existsSync(c.device)) throw new Error(`${c.device} exists`);
      const hardwareKey = randomBytes(32);
      const holder: { file?: DeviceFile } = {};
      const iphone = Iphone.create({
        vendor: loadIphoneVendor(c.vendor),
        deviceId: c.deviceId,
        model: c.model,
        passcode,
        hardwareKey,
        enclave: {
          onStateChange: (state) => {
            if (holder.file) holder.file.enclave = state;
          },
        },
      });
      const file: DeviceFile = { format: DEVICE_FORMAT, deviceId: iphone.deviceId, model: iphone.model, enclave: iphone.enclave.exportState(), enrollments: [] };
      holder.file = file;
      writeAtomically(`${c.device}.uid`, hardwareKey.toString('base64'));
      chmodSync(`${c.device}.uid`, 0o600);
      writeAtomically(c.device, JSON.stringify(file, null, 2));
      out(`iPhone ${iphone.deviceId} (${iphone.model}) → ${c.device} (hardware key ${c.device}.uid)`, { deviceId: iphone.deviceId, device: c.device });
    });

  secretOptions(
    program
      .command('iphone-enroll')
      .description('enroll the iPhone with the My Number card: --method device-key (②, Secure Enclave key + attestation) or ca-generated (①)')
      .requiredOption('--device <file>', 'device file')
      .requiredOption('--card <file>', 'card file'),
    [SIGNING_PASSWORD, 'the card’s signing password'],
  )
    .option('--method <method>', 'device-key | ca-generated', 'device-key')
    .option('--vendor <file>', 'platform vendor file (or JPKI_DEVICE_ATTESTATION)')
    .option('--msisdn <msisdn>', 'the phone line named in the application (+81…)')
    .option('--operator <op>', operators.join(' | '), 'docomo')
    .option('--biometric <b>', 'what Face ID sees when the key is used: match | no-match', 'match')
    .action(async (c) => {
      if (!['device-key', 'ca-generated'].includes(c.method)) throw new Error('--method is device-key or ca-generated');
      const password = readSecret(c, SIGNING_PASSWORD);
      const { iphone, file, save } = openDevice(c.device, c.vendor);
      const card = VirtualMyNumberCard.open(await loadCardFile(c.card), { persist: (f) => saveCardFile(c.card, f) });
      const app = new IphoneJpkiApp(endpoints(opts()), iphone);
      const biometric = c.biometric as BiometricPresentation;
      const started = await app.startEnrollment({ card, signingPassword: password, method: c.method, msisdn: c.msisdn, operator: c.operator as Carrier | MvnoId, biometric });
      const bar = opts().json ? undefined : new SingleBar({ format: ' {bar} {value}/{total} {step} ({state})', hideCursor: true });
      bar?.start(started.view.stepCount, 0, { step: 'starting', state: started.view.state });
      const done = await app.waitForEnrollment(started.view.enrollmentId, (v: IphoneEnrollmentView) => bar?.update(v.stepIndex, { step: v.step ?? v.status, state: v.state }));
      bar?.stop();
      const authenticator = app.install(done, started, biometric);
      if (!authenticator) {
        out(`iPhone enrollment ${done.enrollmentId} FAILED: ${done.failure?.reason} ${done.failure?.detail ?? ''}`, done);
        process.exitCode = 2;
        return;
      }
      file.enrollments.push({
        enrollmentId: done.enrollmentId,
        method: done.method,
        keyLabel: authenticator.keyLabel,
        serial: authenticator.serial,
        certificate: authenticator.certificate.toString('base64'),
      });
      save();
      out(`enrolled iPhone ${iphone.deviceId} by ${done.method}: certificate ${authenticator.serial} (${done.enrollmentId})`, { ...done, deliveredKey: undefined });
    });

  program
    .command('iphone-authenticate')
    .description('answer a relying party’s challenge with the iPhone key after Face ID and verify it (signature, chain, OCSP)')
    .requiredOption('--device <file>', 'device file')
    .option('--vendor <file>', 'platform vendor file (or JPKI_DEVICE_ATTESTATION)')
    .option('--biometric <b>', 'match | no-match', 'match')
    .option('--challenge <hex>', 'challenge (default: 32 random bytes)')
    .action(async (c) => {
      const { iphone, file } = openDevice(c.device, c.vendor);
      const challenge = c.challenge ? Buffer.from(c.challenge, 'hex') : randomBytes(32);
      const answer = activeAuthenticator(iphone, file).signChallenge(challenge, c.biometric as BiometricPresentation);
      const check = await new RelyingPartyVerifier(endpoints(opts()).ca).verifyLogin(challenge, answer.signature, answer.certificate);
      out(check.ok ? `authenticated: certificate ${check.serial} is good` : `REFUSED: ${check.reason} ${check.detail}`, check);
      if (!check.ok) process.exitCode = 3;
    });

  program
    .command('iphone-status')
    .description('the iPhone’s enclave keys (public data only), Face ID state and certificates')
    .requiredOption('--device <file>', 'device file')
    .option('--vendor <file>', 'platform vendor file (or JPKI_DEVICE_ATTESTATION)')
    .action((c) => {
      const { iphone, file } = openDevice(c.device, c.vendor);
      const enclave = iphone.enclave.toJSON();
      const status = {
        ...enclave,
        keys: enclave.keys.map((k) => ({ ...k, publicKeySpki: k.publicKeySpki.toString('base64') })),
        enrollments: file.enrollments.map(({ certificate: _c, ...e }) => e),
      };
      const keys = status.keys.map((k) => `  ${k.label} ${k.purpose} ${k.origin} ${k.accessControl} keyId=${k.keyId}`).join('\n');
      const bio = status.biometrics;
      out(`${iphone.deviceId} ${iphone.model}\nFace ID: ${bio.enrolled ? 'enrolled' : 'not enrolled'}, ${bio.lockedOut ? 'LOCKED OUT' : `${bio.failuresLeft} tries left`}\n${keys}`, status);
    });

  secretOptions(
    program
      .command('iphone-unlock')
      .description('after a Face ID lockout: the device passcode re-enables Face ID (it never authorizes the JPKI key itself)')
      .requiredOption('--device <file>', 'device file'),
    [PASSCODE, 'the device passcode'],
  )
    .option('--vendor <file>', 'platform vendor file (or JPKI_DEVICE_ATTESTATION)')
    .action((c) => {
      const passcode = readSecret(c, PASSCODE);
      const { iphone } = openDevice(c.device, c.vendor);
      iphone.enclave.biometrics.unlockWithPasscode(passcode);
      out('Face ID re-enabled', iphone.enclave.biometrics.status());
    });
}
