import { Controller, Get, HttpStatus, Inject, type OnApplicationBootstrap, type BeforeApplicationShutdown, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod/v4';
import type { Carrier } from '@jpki/contracts';
import { ApiErrors, ApiZodResponse, DomainHttpException } from '@jpki/service-kit';
import { DeadLetters } from './dashboard';
import { EventFeed } from './feed';
import type { FeedEvent } from './feed-event';
import { Sessions, sessionToken } from './sessions';

const HEARTBEAT_MS = 15_000;

export const dashboardSchema = z.object({
  carrier: z.enum(['docomo', 'kddi', 'softbank']).nullable(),
  feed: z.object({ received: z.number(), refused: z.number() }).describe('records read from the event topics, and those refused (unsigned, wrong producer, malformed)'),
  enrollmentsPerHour: z.array(z.object({ hour: z.string(), carrier: z.string(), count: z.number() })),
  failuresByCause: z.array(z.object({ cause: z.string(), carrier: z.string(), count: z.number() })),
  deadLetters: z.object({
    total: z.number(),
    byReason: z.array(z.object({ reason: z.string(), count: z.number() })),
    recent: z.array(z.object({ id: z.string(), originalTopic: z.string(), reason: z.string(), messageType: z.string().nullable(), failedBy: z.string().nullable(), failedAt: z.string().nullable(), detail: z.string() })),
    error: z.string().optional(),
  }),
});
export type Dashboard = z.infer<typeof dashboardSchema>;

/** The live event feed (server-sent events) and the carrier dashboards, both in the signed-in user's carrier scope. */
@ApiTags('events')
@Controller('api')
export class EventsController implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(Sessions) private readonly sessions: Sessions,
    @Inject(EventFeed) private readonly feed: EventFeed,
    @Inject(DeadLetters) private readonly deadLetters: DeadLetters,
  ) {}

  onApplicationBootstrap(): void {
    this.feed.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.feed.stop();
    await this.deadLetters.close();
  }

  private async scope(req: Request): Promise<Carrier | null> {
    const principal = await this.sessions.principal(sessionToken(req.headers.cookie));
    if (!principal) throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'SIGNED_OUT', 'not signed in, or the session expired');
    return (principal.carrier as Carrier | undefined) ?? null;
  }

  @Get('events')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Live platform events (server-sent events): lifecycle cases, enrollments, certificate status changes, in the user’s carrier scope',
    description:
      'Each `event: platform` carries one FeedEvent (JSON). It starts with the recent events, then follows live. Only envelopes signed by the producer routed for them are shown; ' +
      'a carrier operator sees the events of their carrier only (events not tied to one carrier are shown to platform staff only).',
  })
  @ApiErrors(401)
  async events(@Req() req: Request, @Res() res: Response): Promise<void> {
    const scope = await this.scope(req);
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache, no-transform');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    const send = (e: FeedEvent) => {
      if (EventFeed.visible(e, scope)) res.write(`id: ${e.id}\nevent: platform\ndata: ${JSON.stringify(e)}\n\n`);
    };
    res.write('retry: 3000\n\n');
    for (const e of this.feed.backlog(scope)) send(e);
    this.feed.on('event', send);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    req.on('close', () => {
      clearInterval(heartbeat);
      this.feed.off('event', send);
    });
  }

  @Get('dashboard')
  @ApiOperation({
    summary: 'Carrier dashboard figures in the user’s carrier scope: enrollments per hour, failures by cause, dead letters',
    description: 'Enrollment figures come from the SP-TSM’s enrollment events (read from the beginning at start); dead letters from the dead-letter topics (the reader of `npm run dlq`).',
  })
  @ApiZodResponse(200, dashboardSchema, 'figures')
  @ApiErrors(401)
  async dashboard(@Req() req: Request): Promise<Dashboard> {
    const scope = await this.scope(req);
    return {
      carrier: scope,
      feed: { received: this.feed.received, refused: this.feed.refused },
      ...this.feed.figures(scope),
      deadLetters: await this.deadLetters.figures(scope),
    };
  }
}
