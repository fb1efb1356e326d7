import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod/v4';
import { ApiErrors, ApiZodBody, ApiZodResponse, DomainHttpException } from '@jpki/service-kit';
import { createLogger } from '@jpki/observability';
import { requireConsoleRequest } from './console-request';
import { SESSION_COOKIE, Sessions, sessionToken, type SessionView } from './sessions';

export const signInSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

export const sessionViewSchema = z.object({
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.enum(['operator', 'auditor', 'integrator'])),
  carrier: z.enum(['docomo', 'kddi', 'softbank']).nullable().describe('null: platform staff (every carrier)'),
  expiresAt: z.string(),
});

/** Sign-in: the console issues the role- and carrier-scoped operator token the services require, kept in an HttpOnly cookie. */
@ApiTags('session')
@Controller('api/session')
export class SessionController {
  private readonly log = createLogger('console-session');

  constructor(@Inject(Sessions) private readonly sessions: Sessions) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: checks the password of a configured user and sets the session cookie (an operator token with their roles and carrier scope)' })
  @ApiZodBody(signInSchema)
  @ApiZodResponse(200, sessionViewSchema, 'signed in')
  @ApiErrors(400, 401, 403)
  async signIn(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionView> {
    requireConsoleRequest(req);
    const parsed = signInSchema.safeParse(body);
    if (!parsed.success) {
      throw new DomainHttpException(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'username and password are required', parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    }
    const user = this.sessions.authenticate(parsed.data.username, parsed.data.password);
    if (!user) {
      this.log.warn({ username: parsed.data.username.slice(0, 64) }, 'sign-in refused');
      throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'SIGN_IN_FAILED', 'unknown user or wrong password');
    }
    const token = this.sessions.issue(user);
    const principal = await this.sessions.principal(token);
    if (!principal) throw new Error('a token the console just issued does not verify');
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/api', maxAge: (principal.exp - principal.iat) * 1000 });
    this.log.info({ username: user.username, roles: user.roles, carrier: user.carrier ?? null }, 'signed in');
    return this.sessions.view(principal);
  }

  @Get()
  @ApiOperation({ summary: 'The signed-in user: roles, carrier scope, expiry' })
  @ApiZodResponse(200, sessionViewSchema, 'signed in')
  @ApiErrors(401)
  async current(@Req() req: Request): Promise<SessionView> {
    const principal = await this.sessions.principal(sessionToken(req.headers.cookie));
    if (!principal) throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'SIGNED_OUT', 'not signed in, or the session expired');
    return this.sessions.view(principal);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out (clears the session cookie)' })
  @ApiErrors(403)
  signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): void {
    requireConsoleRequest(req);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/api' });
  }
}
