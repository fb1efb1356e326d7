/** One entry of a card's GlobalPlatform registry as vsim's operator API shows it (`GET /sims/{seid}`). */
export interface CardRegistryEntry {
  aid: string;
  kind: 'ISD' | 'SSD' | 'APP' | 'ELF';
  lifeCycle: { name: string };
  associatedSd?: string;
}

/** What the card itself holds: its issuer security domain and its registry. */
export interface CardContent {
  isdAid: string;
  registry: CardRegistryEntry[];
}

/** Reads one card; `undefined` when vsim has no such SIM. */
export type CardReader = (iccid: string) => Promise<CardContent | undefined>;

/**
 * The OpenSSL CLI in a scratch directory, as `OpenSslWorkspace` of `@jpki/openssl-judge` offers it (passed in by the
 * tool running the checks: this library may not depend on a testing library).
 */
export interface OpenSslRunner {
  write(name: string, data: Buffer | string): Promise<string>;
  run(args: readonly string[]): Promise<{ code: number; output: string }>;
}

/** The running services the invariants beyond the databases read. */
export interface PlatformServices {
  /** Base URL of the CA (its OCSP responder, CRLs and CA certificates). */
  caUrl: string;
  cards: CardReader;
  openssl: OpenSslRunner;
  /** How many phone certificates (the most recently changed first) OpenSSL judges; 50 by default. */
  certificateSample?: number;
  /** The environment's simulation time, at which OpenSSL verifies the OCSP responder's certificate; machine time by default. */
  now?: () => Date;
}

/** Cards read from vsim's operator API with a token holding the auditor (or integrator) role. */
export function vsimCards(vsimUrl: string, operatorToken: string): CardReader {
  return async (iccid) => {
    const res = await fetch(`${vsimUrl}/sims/${encodeURIComponent(iccid)}`, { headers: { authorization: `Bearer ${operatorToken}` } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`vsim GET /sims/${iccid}: HTTP ${res.status}`);
    const sim = (await res.json()) as { card: CardContent };
    return sim.card;
  };
}
