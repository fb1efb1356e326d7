import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@jpki/service-kit';
import { publicBaseUrl, type CaConfig } from './config';
import type { CaId } from './storage/types';

/** The stable public URLs written into certificates (AIA, CRL DP) and served by the read side. */
@Injectable()
export class CaUrls {
  readonly base: string;

  constructor(@Inject(SERVICE_CONFIG) config: CaConfig) {
    this.base = publicBaseUrl(config);
  }

  crl(ca: CaId): string {
    return `${this.base}/crl/${ca}.crl`;
  }

  deltaCrl(ca: CaId): string {
    return `${this.base}/crl/${ca}-delta.crl`;
  }

  get ocsp(): string {
    return `${this.base}/ocsp`;
  }

  caCertificate(ca: CaId): string {
    return `${this.base}/ca/${ca}.der`;
  }
}
