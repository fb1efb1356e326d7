import { bodyParserRefusal, findInputProblem, MAX_INPUT_DEPTH, printable, printableJson } from './http-input';

describe('http-input', () => {
  it('finds NUL bytes and unpaired surrogates in values and keys, and says where', () => {
    expect(findInputProblem({ a: 'ok', b: ['x', 'y\u0000'] }, 'body')).toEqual({ reason: 'INPUT_CONTAINS_NUL', where: 'body.b.1' });
    expect(findInputProblem({ 'k\u0000': 1 }, 'query')).toEqual({ reason: 'INPUT_CONTAINS_NUL', where: 'query.k\\u0000[key]' });
    expect(findInputProblem({ id: '\ud800' }, 'path')).toEqual({ reason: 'INPUT_INVALID_UNICODE', where: 'path.id' });
    expect(findInputProblem({ emoji: '😀', text: '日本語', controls: '\t\n' }, 'body')).toBeUndefined();
    expect(findInputProblem(Buffer.from([0, 0]), 'body')).toBeUndefined();
  });

  it('refuses absurd nesting without using the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(findInputProblem(deep, 'body')).toMatchObject({ reason: 'INPUT_TOO_DEEP' });
    let ok: unknown = 'leaf';
    for (let i = 0; i < MAX_INPUT_DEPTH - 1; i++) ok = [ok];
    expect(findInputProblem(ok, 'body')).toBeUndefined();
  });

  it('escapes what PostgreSQL cannot store, unambiguously', () => {
    expect(printable('a\u0000b')).toBe('a\\u0000b');
    expect(printable('a\\u0000b')).toBe('a\\u005cu0000b');
    expect(printable('x\ud800')).toBe('x\\ud800');
    expect(printable('😀 ok')).toBe('😀 ok');
    expect(printable('abcdef', 4)).toBe('abc…');
    expect(printableJson({ 'k\u0000': ['v\u0000', 1, null] })).toEqual({ 'k\\u0000': ['v\\u0000', 1, null] });
  });

  it('maps body-parser errors to precise refusals and leaves server errors alone', () => {
    const error = (props: Record<string, unknown>) => Object.assign(new Error('x'), props);
    expect(bodyParserRefusal(error({ type: 'entity.too.large', status: 413, limit: 1024, length: 5000 }))?.getResponse()).toMatchObject({
      statusCode: 413,
      reason: 'PAYLOAD_TOO_LARGE',
      details: { limitBytes: 1024 },
    });
    expect(bodyParserRefusal(error({ type: 'entity.parse.failed', status: 400 }))?.getStatus()).toBe(400);
    expect(bodyParserRefusal(error({ type: 'charset.unsupported', status: 415, charset: 'latin1' }))?.getResponse()).toMatchObject({ reason: 'UNSUPPORTED_CHARSET' });
    expect(bodyParserRefusal(error({ type: 'stream.not.readable', status: 500 }))).toBeUndefined();
    expect(bodyParserRefusal(new Error('boom'))).toBeUndefined();
  });
});
