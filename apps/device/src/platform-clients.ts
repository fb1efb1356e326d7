import { randomUUID } from 'node:crypto';
import { HttpJson, localEndpoints, type PlatformEndpoints } from '@jpki/jpki-client';
import { hostCarrierOf, type Carrier, type MvnoId } from '@jpki/contracts';

export interface CommonOptions {
  portOffset?: string;
  token?: string;
  json?: boolean;
}

export function endpoints(o: CommonOptions): PlatformEndpoints {
  return localEndpoints(Number(o.portOffset ?? process.env['JPKI_PORT_OFFSET'] ?? 0));
}

export function operatorToken(o: CommonOptions): string {
  const token = o.token ?? process.env['JPKI_OPERATOR_TOKEN'];
  if (!token) throw new Error('an operator/integrator token is needed: --token or JPKI_OPERATOR_TOKEN');
  return token;
}

export interface SubscriberView {
  msisdn: string;
  iccid: string;
  mvno: string | null;
  status: string;
  sim: { generation: string; state: string };
}

/** Creates a subscriber with a new SIM at the operator's host carrier and waits until the SIM exists. */
export async function createSubscriber(o: CommonOptions, operator: Carrier | MvnoId, generation?: string): Promise<SubscriberView & { carrier: Carrier }> {
  const carrier = hostCarrierOf(operator);
  const http = new HttpJson(endpoints(o).mno[carrier], operatorToken(o), randomUUID());
  const body = { ...(operator !== carrier ? { mvno: operator } : {}), ...(generation ? { generation } : {}) };
  let sub = await http.post<SubscriberView>('/subscribers', body);
  const deadline = Date.now() + 30_000;
  while (sub.status !== 'active') {
    if (Date.now() > deadline) throw new Error(`subscriber ${sub.msisdn} still ${sub.status}`);
    await new Promise((r) => setTimeout(r, 200));
    sub = await http.get<SubscriberView>(`/subscribers/${encodeURIComponent(sub.msisdn)}`);
  }
  return { ...sub, carrier };
}
