import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { createServiceApp, type OperatorRole } from '@jpki/service-kit';
import { TsmUnderTest, waitUntil } from '@jpki/testing';
import { SeTsmModule } from '../app.module';
import { loadSeTsmConfig, type SeTsmSettings } from '../config';
import { seTsmDefinition } from '../definition';

/** The SE-management TSM under test (see `TsmUnderTest`), with its eSEs and platform operator tokens. */
export class SeTsmUnderTest extends TsmUnderTest {
  settings!: SeTsmSettings;

  constructor(private readonly env: Record<string, string> = {}) {
    super('se-tsm', 'ese');
  }

  protected create(env: Record<string, string>): Promise<INestApplication> {
    const { config, settings } = loadSeTsmConfig({ ISD_MASTER_KEY: randomBytes(16).toString('hex'), ...env, ...this.env });
    this.settings = settings;
    const definition = seTsmDefinition(config);
    return createServiceApp({ definition, module: SeTsmModule.register(definition, settings), openApi: { title: this.name, description: 'test' } });
  }

  /** A token of the platform's staff (no carrier). */
  token(roles: OperatorRole[], sub = 'alice@platform'): string {
    return `Bearer ${this.keys.operatorToken(sub, roles)}`;
  }

  /** Manufactures an eSE for a handset of `model` through the operator API and waits until the test vsim made it. */
  async secureElement(model = 'kumo-5g'): Promise<string> {
    const res = await this.http().post('/secure-elements').set('authorization', this.token(['operator'])).send({ model }).expect(201);
    const seid: string = res.body.seid;
    await waitUntil(async () => (await this.ds.query(`SELECT 1 FROM secure_element WHERE seid = $1 AND state = 'active'`, [seid])).length > 0, 20_000, `${seid} active`);
    return seid;
  }
}
