import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { CARRIER_PROFILES, type Carrier } from '@jpki/contracts';
import { createServiceApp, type OperatorRole } from '@jpki/service-kit';
import { TsmUnderTest, waitUntil } from '@jpki/testing';
import { MnoTsmModule } from '../app.module';
import { loadMnoTsmConfig, type MnoTsmSettings } from '../config';
import { mnoTsmDefinition } from '../definition';
import { luhnCheckDigit } from '../domain/iccid';

/** A valid IMEI (15 digits, Luhn) from a 14-digit body. */
export function imei(body = String(Date.now()).slice(-8).padStart(14, '35')): string {
  return `${body}${luhnCheckDigit(body)}`;
}

/** One carrier's MNO-TSM under test (see `TsmUnderTest`), with its subscribers and carrier-scoped operator tokens. */
export class MnoTsmUnderTest extends TsmUnderTest {
  settings!: MnoTsmSettings;

  constructor(
    readonly carrier: Carrier,
    private readonly env: Record<string, string> = {},
  ) {
    super(`mno-tsm-${carrier}`, carrier);
  }

  protected create(env: Record<string, string>): Promise<INestApplication> {
    const { config, settings } = loadMnoTsmConfig({ CARRIER: this.carrier, ISD_MASTER_KEY: randomBytes(CARRIER_PROFILES[this.carrier].scp03KeyBytes).toString('hex'), ...env, ...this.env });
    this.settings = settings;
    const definition = mnoTsmDefinition(config, settings);
    return createServiceApp({ definition, module: MnoTsmModule.register(definition, settings), openApi: { title: this.name, description: 'test' } });
  }

  /** A token of one of this carrier's operators. */
  token(roles: OperatorRole[], sub = 'alice@ops'): string {
    return `Bearer ${this.keys.operatorToken(sub, roles, { carrier: this.carrier })}`;
  }

  /** Creates a subscriber through the operator API and waits until the test vsim manufactured its SIM. */
  async subscriber(body: Record<string, unknown> = {}): Promise<{ msisdn: string; iccid: string }> {
    const res = await this.http().post('/subscribers').set('authorization', this.token(['operator'])).send(body).expect(201);
    await this.waitStatus(res.body.msisdn, 'active');
    return { msisdn: res.body.msisdn, iccid: res.body.iccid };
  }

  async waitStatus(msisdn: string, status: string): Promise<void> {
    await waitUntil(async () => (await this.ds.query(`SELECT 1 FROM subscriber WHERE msisdn = $1 AND status = $2`, [msisdn, status])).length > 0, 20_000, `${msisdn} ${status}`);
  }
}
