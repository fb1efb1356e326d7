import { QueryFailedError } from 'typeorm';
import { NonRetriableError } from './errors';
import { isInfrastructureFailure } from './infrastructure-failure';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('infrastructure failures are told apart from bad messages', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a pool losing its server', new Error('Connection terminated unexpectedly')],
    ['admin shutdown (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['starting up (57P03)', pgError('57P03')],
    ['too many connections (53300)', pgError('53300')],
    ['a connection exception (08006)', pgError('08006')],
    ['a role refused at login (28000)', pgError('28000', 'role is not permitted to log in')],
    ['a connection failure wrapped in another error', Object.assign(new Error('outer'), { cause: pgError('08001') })],
    ['TypeORM wrapping a driver error', new QueryFailedError('SELECT 1', [], pgError('57P01'))],
  ])('%s waits for the infrastructure', (_what, err) => {
    expect(isInfrastructureFailure(err)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', pgError('23505')],
    ['a check violation (23514)', new QueryFailedError('INSERT', [], pgError('23514'))],
    ['a handler bug', new TypeError('cannot read properties of undefined')],
    ['a refusal', new NonRetriableError('PROBE_REJECTED', 'asked to reject')],
    ['not an error at all', 'boom'],
  ])('%s is the message’s problem', (_what, err) => {
    expect(isInfrastructureFailure(err)).toBe(false);
  });
});
