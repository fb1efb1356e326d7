import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { arrayBuffer, derOf } from '../asn1/pkijs-interop';
import { hashAlgorithmFromOid, hashAlgorithmOid, nodeHashName, type HashAlgorithmName } from '../asn1/oids';
import { formatSerialNumber } from '../encoding/serial-number';
import { decodeCertificate } from '../x509/certificate';
import { subjectPublicKeyBits } from '../x509/extensions';

/** RFC 6960 CertID: identifies a certificate by hashes of its issuer's name and key plus its serial. */
export interface CertId {
  /** Undefined when the request uses a hash this toolkit does not support. */
  readonly hashAlgorithm?: HashAlgorithmName;
  readonly hashAlgorithmOid: string;
  readonly issuerNameHash: Buffer;
  readonly issuerKeyHash: Buffer;
  /** Uppercase hex. */
  readonly serialNumber: string;
  /** DER as received, echoed verbatim in responses so clients match it byte for byte. */
  readonly raw: Buffer;
}

/** `raw`: the CertID's DER as received, when the caller has it (else pkijs re-encodes it). */
export function decodeCertId(certId: pkijs.CertID, raw = derOf(certId)): CertId {
  const algorithm = certId.hashAlgorithm.algorithmId;
  return {
    hashAlgorithm: hashAlgorithmFromOid(algorithm),
    hashAlgorithmOid: algorithm,
    issuerNameHash: Buffer.from(certId.issuerNameHash.valueBlock.valueHexView),
    issuerKeyHash: Buffer.from(certId.issuerKeyHash.valueBlock.valueHexView),
    serialNumber: formatSerialNumber(certId.serialNumber.toBigInt()),
    raw,
  };
}

export interface IssuerHashes {
  readonly issuerNameHash: Buffer;
  readonly issuerKeyHash: Buffer;
}

// A responder matches every request against the same few CA certificates: hash them once.
const issuerHashCache = new WeakMap<Buffer, Map<HashAlgorithmName, IssuerHashes>>();

/** Hashes of the issuer's subject DN (DER) and of its subjectPublicKey BIT STRING value. */
export function issuerHashes(issuerCertificate: Buffer, hash: HashAlgorithmName): IssuerHashes {
  const cached = issuerHashCache.get(issuerCertificate)?.get(hash);
  if (cached) return cached;
  const issuer = decodeCertificate(issuerCertificate).tbs;
  const digest = (data: Buffer) => createHash(nodeHashName(hash)).update(data).digest();
  const hashes = { issuerNameHash: digest(issuer.subject.raw), issuerKeyHash: digest(subjectPublicKeyBits(issuer.subjectPublicKeyInfo)) };
  const byHash = issuerHashCache.get(issuerCertificate) ?? new Map<HashAlgorithmName, IssuerHashes>();
  issuerHashCache.set(issuerCertificate, byHash.set(hash, hashes));
  return hashes;
}

/** CertID for `certificate` (DER). SHA-1 is what OpenSSL and RFC 5019 clients send by default. */
export function computeCertId(certificate: Buffer, issuerCertificate: Buffer, hash: HashAlgorithmName = 'SHA-1'): CertId {
  const { issuerNameHash, issuerKeyHash } = issuerHashes(issuerCertificate, hash);
  // NULL parameters, as OpenSSL emits them; RFC 6960 verifiers compare the algorithm OID.
  return decodeCertId(
    new pkijs.CertID({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: hashAlgorithmOid(hash), algorithmParams: new asn1js.Null() }),
      issuerNameHash: new asn1js.OctetString({ valueHex: arrayBuffer(issuerNameHash) }),
      issuerKeyHash: new asn1js.OctetString({ valueHex: arrayBuffer(issuerKeyHash) }),
      serialNumber: asn1js.Integer.fromBigInt(decodeCertificate(certificate).tbs.serialNumber),
    }),
  );
}

/** True when the CertID names `issuerCertificate` as issuer (computed with the CertID's own hash). */
export function certIdMatchesIssuer(certId: CertId, issuerCertificate: Buffer): boolean {
  if (!certId.hashAlgorithm) return false;
  const expected = issuerHashes(issuerCertificate, certId.hashAlgorithm);
  return expected.issuerNameHash.equals(certId.issuerNameHash) && expected.issuerKeyHash.equals(certId.issuerKeyHash);
}
