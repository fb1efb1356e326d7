/** PEM (RFC 7468) armour for the DER artefacts this library produces and consumes. */

export type PemLabel =
  | 'CERTIFICATE'
  | 'X509 CRL'
  | 'CERTIFICATE REQUEST'
  | 'PUBLIC KEY'
  | 'PRIVATE KEY'
  | 'CMS'
  | 'PKCS7';

export class PemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PemError';
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export function toPem(der: Buffer, label: PemLabel): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

/** Every PEM block in the text, in order (a bundle yields several). */
export function decodePemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1], der: decodeBase64Body(match[2]) }));
}

export function fromPem(text: string, expectedLabel?: PemLabel): Buffer {
  const blocks = decodePemBlocks(text);
  const block = expectedLabel ? blocks.find((candidate) => candidate.label === expectedLabel) : blocks[0];
  if (!block) throw new PemError(`no PEM block${expectedLabel ? ` labelled ${expectedLabel}` : ''}`);
  return block.der;
}

/** Accepts DER bytes or PEM text (string or Buffer) and returns DER. */
export function toDer(input: Buffer | string, expectedLabel?: PemLabel): Buffer {
  if (typeof input === 'string') return fromPem(input, expectedLabel);
  const looksLikePem = input.subarray(0, 64).toString('latin1').includes('-----BEGIN ');
  return looksLikePem ? fromPem(input.toString('latin1'), expectedLabel) : input;
}

function decodeBase64Body(body: string): Buffer {
  const compact = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new PemError('PEM body is not base64');
  return Buffer.from(compact, 'base64');
}
