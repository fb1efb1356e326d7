import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  algorithmIdentifierValue,
  asn1Der,
  Asn1Error,
  childrenOf,
  parseDer,
  pkijsExtensions,
  pkijsTime,
  receivedDer,
  signatureAlgorithmFor,
  signedEnvelope,
  type AlgorithmIdentifierValue,
} from '../asn1/pkijs-interop';
import { toDer } from '../encoding/pem';
import type { Signer } from '../keys/signer';
import { decodeNameNode, type DecodedName } from '../names/distinguished-name';
import { receivedExtension, type ExtensionInput, type X509Extension } from './extensions';

export interface DecodedTbsCertificate {
  readonly raw: Buffer;
  /** 1, 2 or 3. */
  readonly version: number;
  readonly serialNumber: bigint;
  /** Content octets of the serialNumber INTEGER (for the 20-octet limit). */
  readonly serialNumberOctets: Buffer;
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly issuer: DecodedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: DecodedName;
  /** SubjectPublicKeyInfo DER. */
  readonly subjectPublicKeyInfo: Buffer;
  readonly extensions: readonly X509Extension[];
}

export interface DecodedCertificate {
  readonly raw: Buffer;
  readonly tbs: DecodedTbsCertificate;
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly signature: Buffer;
}

export class CertificateFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateFormatError';
  }
}

/** Decodes an X.509 certificate (DER or PEM); throws CertificateFormatError on anything malformed. */
export function decodeCertificate(input: Buffer | string): DecodedCertificate {
  const der = toDer(input, 'CERTIFICATE');
  const key = der.toString('latin1');
  const known = recentlyDecoded.get(key);
  if (known) return known;
  // Decoded from a copy: the result must not change if the caller reuses its buffer.
  const decoded = decodeCertificateDer(Buffer.from(der));
  if (recentlyDecoded.size >= RECENTLY_DECODED) recentlyDecoded.delete(recentlyDecoded.keys().next().value as string);
  recentlyDecoded.set(key, decoded);
  return decoded;
}

/**
 * Certificates decoded lately, by DER. A CA's or relying party's chain certificates are decoded on every request; the
 * results are immutable, so they are shared (the extension views hang off them, see readCertificateExtensions).
 */
const recentlyDecoded = new Map<string, DecodedCertificate>();
const RECENTLY_DECODED = 512;

function decodeCertificateDer(der: Buffer): DecodedCertificate {
  try {
    const root = parseDer(der, 'Certificate');
    const certificate = new pkijs.Certificate({ schema: root });
    if (certificate.signatureValue.valueBlock.unusedBits !== 0) throw new Asn1Error('signature BIT STRING with unused bits');
    return {
      raw: der,
      tbs: decodeTbs(certificate, childrenOf(childrenOf(root)[0])),
      signatureAlgorithm: algorithmIdentifierValue(certificate.signatureAlgorithm),
      signature: Buffer.from(certificate.signatureValue.valueBlock.valueHexView),
    };
  } catch (error) {
    throw new CertificateFormatError(`malformed certificate: ${(error as Error).message}`);
  }
}

/** `fields`: the TBSCertificate's members as received, for the bytes pkijs would re-encode. */
function decodeTbs(certificate: pkijs.Certificate, fields: asn1js.AsnType[]): DecodedTbsCertificate {
  const versionTagged = fields[0]?.idBlock.tagClass === CONTEXT_SPECIFIC ? 1 : 0;
  const extensionsNode = fields.find((field) => field.idBlock.tagClass === CONTEXT_SPECIFIC && field.idBlock.tagNumber === 3);
  const extensions = extensionsNode ? childrenOf(childrenOf(extensionsNode)[0]) : [];
  if (extensionsNode && extensions.length === 0) throw new Asn1Error('Extensions must not be empty');
  return {
    raw: Buffer.from(certificate.tbsView),
    version: certificate.version + 1,
    serialNumber: certificate.serialNumber.toBigInt(),
    serialNumberOctets: Buffer.from(certificate.serialNumber.valueBlock.valueHexView),
    signatureAlgorithm: algorithmIdentifierValue(certificate.signature),
    issuer: decodeNameNode(fields[versionTagged + 2]),
    notBefore: certificate.notBefore.value,
    notAfter: certificate.notAfter.value,
    subject: decodeNameNode(fields[versionTagged + 4]),
    subjectPublicKeyInfo: receivedDer(fields[versionTagged + 5]),
    extensions: extensions.map((node, i) => receivedExtension((certificate.extensions ?? [])[i], node)),
  };
}

const CONTEXT_SPECIFIC = 3;

/** A bare TBSCertificate, decoded as the certificate it would become. */
export function decodeTbsCertificate(tbs: Buffer): DecodedTbsCertificate {
  return decodeCertificateDer(signedEnvelope(tbs, new pkijs.AlgorithmIdentifier({ algorithmId: '0.0' }), Buffer.alloc(0))).tbs;
}

export interface TbsCertificateFields {
  readonly serialNumber: bigint;
  /** The issuing key's signer (for its algorithm); the subject's own for a self-signed certificate. */
  readonly signer: Pick<Signer, 'signatureAlgorithm'>;
  /** Name DER of the issuer (the subject's for a self-signed certificate). */
  readonly issuerName: Buffer;
  readonly validity: { readonly notBefore: Date; readonly notAfter: Date };
  readonly subjectName: Buffer;
  readonly subjectPublicKeyInfo: Buffer;
  readonly extensions: readonly ExtensionInput[];
}

/** The DER TBSCertificate of a v3 certificate: the exact bytes the issuer signs. */
export function encodeTbsCertificate(fields: TbsCertificateFields): Buffer {
  const certificate = new pkijs.Certificate({
    version: 2,
    serialNumber: asn1js.Integer.fromBigInt(fields.serialNumber),
    signature: signatureAlgorithmFor(fields.signer),
    issuer: pkijs.RelativeDistinguishedNames.fromBER(fields.issuerName),
    notBefore: pkijsTime(fields.validity.notBefore),
    notAfter: pkijsTime(fields.validity.notAfter),
    subject: pkijs.RelativeDistinguishedNames.fromBER(fields.subjectName),
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(fields.subjectPublicKeyInfo),
    extensions: pkijsExtensions(fields.extensions).extensions,
  });
  return asn1Der(certificate.encodeTBS());
}
