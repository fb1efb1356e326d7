import { fromHex, Privileges, Sw, SwError } from '@jpki/globalplatform';
import { ApplicationRecord, RegistryRecord, SecurityDomainRecord } from './card-image';

export type InstanceRecord = SecurityDomainRecord | ApplicationRecord;

/** GlobalPlatform Registry operations over the registry array of a (draft) card image. */
export class Registry {
  constructor(private readonly records: RegistryRecord[]) {}

  all(): readonly RegistryRecord[] {
    return this.records;
  }

  find(aid: string): RegistryRecord | undefined {
    return this.records.find((record) => record.aid === aid);
  }

  isd(): SecurityDomainRecord {
    const isd = this.records.find((record): record is SecurityDomainRecord => record.kind === 'ISD');
    if (!isd) {
      throw new SwError(Sw.NO_PRECISE_DIAGNOSIS, 'registry has no ISD');
    }
    return isd;
  }

  securityDomain(aid: string): SecurityDomainRecord {
    const record = this.find(aid);
    if (!record || (record.kind !== 'ISD' && record.kind !== 'SSD')) {
      throw new SwError(Sw.NO_PRECISE_DIAGNOSIS, `security domain ${aid} missing`);
    }
    return record;
  }

  instances(): InstanceRecord[] {
    return this.records.filter((record): record is InstanceRecord => record.kind !== 'ELF');
  }

  instancesOf(loadFileAid: string): InstanceRecord[] {
    return this.instances().filter((record) => record.loadFile === loadFileAid);
  }

  /** Everything directly or indirectly associated with the SD (not the SD itself). */
  subtree(sdAid: string): RegistryRecord[] {
    const direct = this.records.filter((record) => record.associatedSd === sdAid && record.aid !== sdAid);
    return direct.flatMap((record) => (record.kind === 'SSD' ? [record, ...this.subtree(record.aid)] : [record]));
  }

  add(record: RegistryRecord): void {
    this.records.push(record);
  }

  remove(aids: ReadonlySet<string>): void {
    for (let index = this.records.length - 1; index >= 0; index--) {
      if (aids.has(this.records[index].aid)) {
        this.records.splice(index, 1);
      }
    }
  }
}

export function privilegesOf(record: { privileges: string }): Privileges {
  return Privileges.fromBytes(fromHex(record.privileges));
}
