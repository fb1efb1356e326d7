import { buildCapLoadFile, fromHex, hex, JpkiAid, LoadFileLifeCycle, Privilege, Privileges } from '@jpki/globalplatform';
import { LoadFileRecord } from './card-image';

/** GP default SD package and module (GPPro uses them for `--domain`). */
export const SecurityDomainPackage = {
  LOAD_FILE: fromHex('A0000001515350'),
  MODULE: fromHex('A000000151535041'),
} as const;

export const DEFAULT_ISD_AID = fromHex('A000000151000000');

/** ISD privileges: SD, Card Lock/Terminate/Reset, CVM Management, Authorized Management, Global Registry. */
export const ISD_PRIVILEGES = Privileges.of(
  Privilege.SecurityDomain,
  Privilege.CardLock,
  Privilege.CardTerminate,
  Privilege.CardReset,
  Privilege.CVMManagement,
  Privilege.AuthorizedManagement,
  Privilege.GlobalRegistry,
);

/**
 * The JPKI applet's load file as it sits in ROM: a CAP with Header, Applet and a Method component whose bytes stand
 * for code. Identical on every card and free of secrets (security item 7): keys, PINs and certificates exist only
 * in instance data created after installation.
 */
export const JPKI_LOAD_FILE_IMAGE = buildCapLoadFile(
  { packageAid: JpkiAid.LOAD_FILE, version: { major: 1, minor: 0 }, appletAids: [JpkiAid.MODULE] },
  Buffer.from('JPKI user-authentication applet 1.0: PIN, RSA-2048 key pair, certificate EF, PSO CDS', 'ascii'),
);

const SECURITY_DOMAIN_IMAGE = buildCapLoadFile({
  packageAid: SecurityDomainPackage.LOAD_FILE,
  version: { major: 1, minor: 0 },
  appletAids: [SecurityDomainPackage.MODULE],
});

function preloaded(aid: Buffer, module: Buffer, image: Buffer, isdAid: string): LoadFileRecord {
  return {
    kind: 'ELF',
    aid: hex(aid),
    lifeCycle: LoadFileLifeCycle.LOADED,
    associatedSd: isdAid,
    version: '0100',
    modules: [hex(module)],
    image: hex(image),
    preloaded: true,
  };
}

export function preloadedLoadFiles(isdAid: string): LoadFileRecord[] {
  return [
    preloaded(SecurityDomainPackage.LOAD_FILE, SecurityDomainPackage.MODULE, SECURITY_DOMAIN_IMAGE, isdAid),
    preloaded(JpkiAid.LOAD_FILE, JpkiAid.MODULE, JPKI_LOAD_FILE_IMAGE, isdAid),
  ];
}
