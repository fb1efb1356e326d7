import { SwError } from '../errors';
import { Sw } from '../status-words';

/** Privileges as a 24-bit value, byte 1 in the high bits (GPC 2.3.1 §11.1.2; GPPro GPRegistryEntry.Privilege). */
export const Privilege = {
  SecurityDomain: 0x800000,
  DAPVerification: 0xc00000,
  DelegatedManagement: 0xa00000,
  CardLock: 0x100000,
  CardTerminate: 0x080000,
  CardReset: 0x040000,
  CVMManagement: 0x020000,
  MandatedDAPVerification: 0xc10000,
  TrustedPath: 0x008000,
  AuthorizedManagement: 0x004000,
  TokenVerification: 0x002000,
  GlobalDelete: 0x001000,
  GlobalLock: 0x000800,
  GlobalRegistry: 0x000400,
  FinalApplication: 0x000200,
  GlobalService: 0x000100,
  ReceiptGeneration: 0x000080,
  CipheredLoadFileDataBlock: 0x000040,
  ContactlessActivation: 0x000020,
  ContactlessSelfActivation: 0x000010,
  PrivacyTrusted: 0x000008,
} as const;

export type PrivilegeName = keyof typeof Privilege;

export class Privileges {
  private constructor(readonly bits: number) {}

  static of(...privileges: number[]): Privileges {
    return new Privileges(privileges.reduce((all, p) => all | p, 0));
  }

  /** Decodes the 1- or 3-byte INSTALL/GET STATUS encoding; a single byte leaves bytes 2-3 at 00. */
  static fromBytes(bytes: Uint8Array): Privileges {
    if (bytes.length === 1) {
      return new Privileges(bytes[0] << 16);
    }
    if (bytes.length === 3) {
      return new Privileges(Buffer.from(bytes).readUIntBE(0, 3));
    }
    throw new SwError(Sw.WRONG_DATA, `privileges must be 1 or 3 bytes, got ${bytes.length}`);
  }

  has(privilege: number): boolean {
    return (this.bits & privilege) === privilege;
  }

  with(privilege: number): Privileges {
    return new Privileges(this.bits | privilege);
  }

  isSubsetOf(other: Privileges): boolean {
    return (this.bits & ~other.bits) === 0;
  }

  toBytes(): Buffer {
    const bytes = Buffer.alloc(3);
    bytes.writeUIntBE(this.bits, 0, 3);
    return bytes;
  }

  names(): PrivilegeName[] {
    return (Object.keys(Privilege) as PrivilegeName[]).filter((name) => this.has(Privilege[name]));
  }
}
