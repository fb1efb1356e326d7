import { Controller, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ProbePing, type PayloadOf } from '@jpki/contracts';
import { CreateMessagingTables1700000000000, MessageContext, NonRetriableError, subscriptionsOf } from '@jpki/messaging';
import { ServiceKitModule, type ServiceDefinition } from '../index';

/** A minimal service used by the messaging integration tests: it records every ping it handles. */
export class CreateProbeEffects1700000000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE probe_effect (id BIGSERIAL PRIMARY KEY, probe_id TEXT NOT NULL, sequence INT NOT NULL, attempt INT NOT NULL)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE probe_effect`);
  }
}

export const failures = new Map<string, number>();
export const slowHandlers = { delayMs: 0 };

@Controller()
class ProbeHandler {
  @EventPattern(ProbePing.type)
  async onPing(@Payload() ping: PayloadOf<typeof ProbePing>, @Ctx() ctx: MessageContext): Promise<void> {
    if (slowHandlers.delayMs) await new Promise((r) => setTimeout(r, slowHandlers.delayMs));
    await ctx.manager.query(`INSERT INTO probe_effect (probe_id, sequence, attempt) VALUES ($1, $2, $3)`, [
      ping.probeId,
      ping.sequence,
      ctx.attempt,
    ]);
    if (ping.note === 'reject') throw new NonRetriableError('PROBE_REJECTED', 'asked to reject');
    if (ping.note === 'fail-always') throw new Error('probe handler always fails');
    const left = failures.get(ping.probeId) ?? 0;
    if (left > 0) {
      failures.set(ping.probeId, left - 1);
      throw new Error(`transient failure, ${left - 1} left`);
    }
    if (ping.note === 'echo') await ctx.publish(ProbePing, { probeId: `${ping.probeId}-echo`, sequence: ping.sequence + 1 });
  }
}

@Module({})
export class ProbeModule {
  static register(def: ServiceDefinition): DynamicModule {
    return { module: ProbeModule, imports: [ServiceKitModule.forRoot(def)], controllers: [ProbeHandler] };
  }
}

export const probeMigrations = [CreateMessagingTables1700000000000, CreateProbeEffects1700000000001];
export const probeSubscriptions = subscriptionsOf('probe');
