import { CARRIERS, type Carrier } from '@jpki/contracts';

/** Default local ports of the platform's services. */
export const DEFAULT_PORTS = {
  'jpki-ca': 7100,
  'sp-tsm': 7200,
  'mno-tsm-docomo': 7301,
  'mno-tsm-kddi': 7302,
  'mno-tsm-softbank': 7303,
  'se-tsm': 7304,
  vsim: 7400,
  lifecycle: 7500,
  'rp-bank': 7600,
  'rp-ticketing': 7700,
  'rp-eapplication': 7900,
} as const;
export type PlatformServiceName = keyof typeof DEFAULT_PORTS;

export interface PlatformEndpoints {
  ca: string;
  spTsm: string;
  mno: Record<Carrier, string>;
  /** The SE-management TSM (the handsets' embedded SEs). */
  seTsm: string;
  vsim: string;
  lifecycle: string;
  rpBank: string;
  rpTicketing: string;
  rpEapplication: string;
}

export function localEndpoints(portOffset = 0, host = '127.0.0.1'): PlatformEndpoints {
  const url = (name: PlatformServiceName) => `http://${host}:${DEFAULT_PORTS[name] + portOffset}`;
  return {
    ca: url('jpki-ca'),
    spTsm: url('sp-tsm'),
    mno: Object.fromEntries(CARRIERS.map((c) => [c, url(`mno-tsm-${c}`)])) as Record<Carrier, string>,
    seTsm: url('se-tsm'),
    vsim: url('vsim'),
    lifecycle: url('lifecycle'),
    rpBank: url('rp-bank'),
    rpTicketing: url('rp-ticketing'),
    rpEapplication: url('rp-eapplication'),
  };
}
