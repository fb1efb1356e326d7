import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { decodeCertificate, decodeOcspGetRequest, formatDistinguishedName, formatSerialNumber, OcspRequestError, buildOcspErrorResponse, toPem } from '@jpki/pki';
import { ApiErrors, ApiZodResponse, notFound } from '@jpki/service-kit';
import { CertificateAuthority } from '../signer/certificate-authority';
import { CaStore } from '../storage/ca-store';
import { ALL_CAS, type AuthorityId, type CaId } from '../storage/types';
import { CaUrls } from '../urls';
import { OcspService } from '../va/ocsp.service';
import { writeOcspResponse } from './ocsp-front-door';
import { caListSchema } from './schemas';

const AUTHORITY_FILES: readonly AuthorityId[] = ['root', 'user-authentication', 'digital-signature', 'user-authentication-ocsp', 'digital-signature-ocsp'];
const BINARY = { schema: { type: 'string', format: 'binary' } } as const;

/** Public PKI distribution: CA certificates, CRLs and the OCSP responder (no authentication, as in JPKI). */
@ApiTags('pki')
@Controller()
export class PkiController {
  constructor(
    private readonly ca: CertificateAuthority,
    private readonly store: CaStore,
    private readonly ocsp: OcspService,
    private readonly urls: CaUrls,
  ) {}

  @Get('ca')
  @ApiOperation({ summary: 'The SIMULATED JPKI hierarchy: root, issuing CAs and delegated OCSP responders' })
  @ApiZodResponse(200, caListSchema, 'CA and responder certificates with their URLs')
  listAuthorities() {
    return AUTHORITY_FILES.map((name) => {
      const tbs = decodeCertificate(this.ca.certificate(name)).tbs;
      const isCa = (ALL_CAS as readonly string[]).includes(name);
      return {
        name,
        subject: formatDistinguishedName(tbs.subject),
        serial: formatSerialNumber(tbs.serialNumber),
        notBefore: tbs.notBefore.toISOString(),
        notAfter: tbs.notAfter.toISOString(),
        der: `${this.urls.base}/ca/${name}.der`,
        pem: `${this.urls.base}/ca/${name}.pem`,
        ...(isCa ? { crl: this.urls.crl(name as CaId) } : {}),
        ...(isCa && name !== 'root' ? { deltaCrl: this.urls.deltaCrl(name as CaId) } : {}),
      };
    });
  }

  @Get('ca/:file')
  @ApiOperation({ summary: 'A CA or responder certificate: <name>.der (application/pkix-cert) or <name>.pem; chain.pem for all CAs' })
  @ApiParam({ name: 'file', example: 'user-authentication.der' })
  @ApiProduces('application/pkix-cert', 'application/x-pem-file')
  @ApiOkResponse(BINARY)
  @ApiErrors(404)
  caCertificate(@Param('file') file: string, @Res() res: Response): void {
    if (file === 'chain.pem') {
      const pem = (['user-authentication', 'digital-signature', 'root'] as const).map((ca) => toPem(this.ca.certificate(ca), 'CERTIFICATE')).join('');
      res.type('application/x-pem-file').send(pem);
      return;
    }
    const match = /^([a-z-]+)\.(der|cer|crt|pem)$/.exec(file);
    const name = match?.[1] as AuthorityId | undefined;
    if (!match || !name || !AUTHORITY_FILES.includes(name)) throw notFound('CA_UNKNOWN', `no CA certificate ${file}`);
    const der = this.ca.certificate(name);
    if (match[2] === 'pem') res.type('application/x-pem-file').send(toPem(der, 'CERTIFICATE'));
    else res.type('application/pkix-cert').send(der);
  }

  @Get('crl/:file')
  @ApiOperation({ summary: 'Latest CRL (DER): <ca>.crl (complete) or <ca>-delta.crl; these are the CRL DP / Freshest CRL URLs in certificates' })
  @ApiParam({ name: 'file', example: 'user-authentication.crl' })
  @ApiProduces('application/pkix-crl')
  @ApiOkResponse(BINARY)
  @ApiErrors(404)
  async crl(@Param('file') file: string, @Res() res: Response): Promise<void> {
    const match = /^(root|user-authentication|digital-signature)(-delta)?\.crl$/.exec(file);
    if (!match || (match[1] === 'root' && match[2])) throw notFound('CRL_UNKNOWN', `no CRL ${file}`);
    const row = await this.store.latestCrl(match[1] as CaId, match[2] ? 'delta' : 'full');
    if (!row) throw notFound('CRL_NOT_YET_PUBLISHED', `no CRL published yet for ${match[1]}`);
    res
      .type('application/pkix-crl')
      .setHeader('Cache-Control', 'no-cache')
      .setHeader('X-CRL-Number', row.crlNumber.toString())
      .send(row.der);
  }

  @Post('ocsp')
  @HttpCode(200)
  @ApiOperation({
    summary: 'OCSP (RFC 6960) over POST; nonce echoed; signed by the delegated responder with SHA-256',
    description: 'Answered by OcspFrontDoor (before routing) when the content type is application/ocsp-request; any other content type gets malformedRequest.',
  })
  @ApiConsumes('application/ocsp-request')
  @ApiBody(BINARY)
  @ApiProduces('application/ocsp-response')
  @ApiOkResponse(BINARY)
  ocspPost(@Res() res: Response): void {
    writeOcspResponse(res, buildOcspErrorResponse('malformedRequest'));
  }

  @Get('ocsp/*request')
  @ApiOperation({ summary: 'OCSP over GET (RFC 6960 Appendix A): /ocsp/<url-encoded base64 DER request>' })
  @ApiParam({ name: 'request', description: 'url-encoded base64 (or base64url) of the DER OCSPRequest' })
  @ApiProduces('application/ocsp-response')
  @ApiOkResponse(BINARY)
  async ocspGet(@Req() req: Request, @Res() res: Response): Promise<void> {
    const raw = req.originalUrl.split('?')[0].replace(/^.*?\/ocsp\//, '');
    let der: Buffer;
    try {
      der = decodeOcspGetRequest(raw);
    } catch (error) {
      if (!(error instanceof OcspRequestError)) throw error;
      return writeOcspResponse(res, buildOcspErrorResponse('malformedRequest'));
    }
    writeOcspResponse(res, await this.ocsp.respond(der));
  }
}
