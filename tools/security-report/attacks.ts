/**
 * The attacks tried against the running platform (apps/e2e/src/attacks). Each has an id that its test names in its
 * title (`ATK-07: ...`); the security report fails when an attack has no passing test there.
 */
export interface Attack {
  id: string;
  /** The trust boundary it tries. */
  boundary: string;
  /** What the attacker does, and what the platform must answer. */
  title: string;
}

export const ATTACKS: Attack[] = [
  // handset channel (ATK-01..09)
  // clock, topics and producers (ATK-10..29)
  // CA issuance and the enrollment API (ATK-30..39)
  // operator tokens (ATK-40..49)
  // cheap abuse and bad input (ATK-50..69)
];
