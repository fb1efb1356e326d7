import { createHash } from 'node:crypto';
import { Controller, Get, Headers } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ApiErrors, ApiZodResponse } from '@jpki/service-kit';
import { accountViewSchema, type AccountView } from '../login/login.schemas';
import { Sessions } from '../login/sessions';

@ApiTags('accounts')
@Controller('accounts')
export class AccountsController {
  constructor(
    private readonly ds: DataSource,
    private readonly sessions: Sessions,
  ) {}

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'The account of the session’s certificate holder (synthetic data)',
    description:
      'Needs a live session: 401 SESSION_REQUIRED / SESSION_INVALID / SESSION_EXPIRED / SESSION_ENDED (details.endReason, e.g. ' +
      'CERTIFICATE_ON_HOLD after a loss report). The certificate is re-checked by OCSP when the last check is older than ' +
      'SESSION_STATUS_MAX_AGE_SECONDS (a refusal ends the session: 403 CERTIFICATE_ON_HOLD / CERTIFICATE_REVOKED; 503 keeps it).',
  })
  @ApiZodResponse(200, accountViewSchema, 'account and session')
  @ApiErrors(401, 403, 503)
  async me(@Headers('authorization') authorization?: string): Promise<AccountView> {
    const session = await this.sessions.authenticate(authorization);
    const [account] = (await this.ds.query(`SELECT account_id, holder_subject, opened_at, balance_yen FROM account WHERE account_id = $1`, [session.account_id])) as {
      account_id: string;
      holder_subject: string;
      opened_at: Date;
      balance_yen: string;
    }[];
    return {
      account: {
        accountId: account.account_id,
        holderSubject: account.holder_subject,
        openedAt: account.opened_at.toISOString(),
        balanceYen: Number(account.balance_yen),
        transactions: syntheticTransactions(account.account_id, account.opened_at),
      },
      session: {
        sessionId: session.session_id,
        certificateSerial: session.certificate_serial,
        expiresAt: session.expires_at.toISOString(),
        statusCheckedAt: session.status_checked_at.toISOString(),
      },
    };
  }
}

const DESCRIPTIONS = ['給与 (salary)', 'ATM 引出 (withdrawal)', '振込 (transfer)', '電気料金 (electricity)', 'カード利用 (card)'];

/** Three stable, made-up transactions per account. */
function syntheticTransactions(accountId: string, openedAt: Date): AccountView['account']['transactions'] {
  const seed = createHash('sha256').update(accountId).digest();
  return [0, 1, 2].map((i) => ({
    at: new Date(openedAt.getTime() - (i + 1) * 86_400_000 * (1 + (seed[i] % 9))).toISOString(),
    description: DESCRIPTIONS[seed[i + 3] % DESCRIPTIONS.length],
    amountYen: (seed[i + 6] % 2 === 0 ? 1 : -1) * (1_000 + seed.readUInt16BE(i * 2 + 10) * 10),
  }));
}
