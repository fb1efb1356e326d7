import { Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiZodBody, ApiZodResponse, ValidBody } from '@jpki/service-kit';
import { challengeViewSchema, loginRequestSchema, loginViewSchema, type ChallengeView, type LoginRequest, type LoginView } from './login.schemas';
import { LoginService } from './login.service';
import { Sessions } from './sessions';

@ApiTags('login')
@Controller()
export class LoginController {
  constructor(
    private readonly logins: LoginService,
    private readonly sessions: Sessions,
  ) {}

  @Post('login/challenges')
  @HttpCode(201)
  @ApiOperation({
    summary: 'A fresh login challenge: 32 random bytes, single use, short-lived',
    description: 'Unauthenticated, so bounded: 503 CHALLENGE_CAPACITY_REACHED (Retry-After) while CHALLENGE_CAPACITY challenges are outstanding.',
  })
  @ApiZodResponse(201, challengeViewSchema, 'sign `challenge` with the phone’s user-authentication key')
  @ApiErrors(503)
  issueChallenge(): Promise<ChallengeView> {
    return this.logins.challenge();
  }

  @Post('login')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Log in with the signed challenge and the certificate',
    description:
      'Checks the challenge (unused, unexpired), the signature over it, the chain to the JPKI user-authentication CA and the ' +
      'status by OCSP, then opens a session bound to the certificate. Refusals: 409 CHALLENGE_REPLAYED / CHALLENGE_EXPIRED / ' +
      'CHALLENGE_UNKNOWN; 401 SIGNATURE_INVALID, CHAIN_UNTRUSTED, CERTIFICATE_EXPIRED, CERTIFICATE_NOT_YET_VALID, ' +
      'CERTIFICATE_NOT_FOR_AUTHENTICATION; 403 CERTIFICATE_REVOKED (details.revocationReason), CERTIFICATE_ON_HOLD, ' +
      'CERTIFICATE_STATUS_UNKNOWN, ISSUING_CA_REVOKED; 503 STATUS_UNAVAILABLE (OCSP unreachable: fail closed).',
  })
  @ApiZodBody(loginRequestSchema)
  @ApiZodResponse(201, loginViewSchema, 'session opened')
  @ApiErrors(400, 401, 403, 409, 503)
  login(@ValidBody(loginRequestSchema) body: LoginRequest): Promise<LoginView> {
    return this.logins.login(body);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the session of the bearer token' })
  @ApiErrors(401)
  async logout(@Headers('authorization') authorization?: string): Promise<void> {
    const session = await this.sessions.authenticate(authorization);
    await this.sessions.end(session.session_id, 'LOGOUT');
  }
}
