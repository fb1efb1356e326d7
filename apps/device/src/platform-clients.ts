import { localEndpoints, type PlatformEndpoints } from '@jpki/jpki-client';

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
