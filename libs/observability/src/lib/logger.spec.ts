import { Writable } from 'node:stream';
import { childTraceparent, newWorkContext, runInContext } from './context';
import { createLogger } from './logger';

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write: (chunk, _enc, cb) => {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, logger: createLogger('svc', 'info', stream) };
}

describe('structured logging', () => {
  it('adds the correlation id of the current unit of work', () => {
    const { lines, logger } = captureLogger();
    runInContext(newWorkContext({ correlationId: 'saga-1' }), () => logger.info({ iccid: '8981' }, 'hello'));
    expect(lines[0]).toMatchObject({ correlationId: 'saga-1', iccid: '8981', level: 'info', service: 'svc', msg: 'hello' });
  });

  it('never writes secret fields, even nested ones', () => {
    const { lines, logger } = captureLogger();
    logger.info({ keyset: { enc: '0011' }, privateKey: 'PEM', nested: { pin: '1234', inner: { dek: 'ff' } } });
    expect(JSON.stringify(lines[0])).not.toMatch(/0011|PEM|1234|"ff"/);
  });

  it('keeps the trace id and starts a new span per hop', () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const child = childTraceparent(parent);
    expect(child.slice(0, 36)).toBe(parent.slice(0, 36));
    expect(child).not.toBe(parent);
    expect(childTraceparent('garbage')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
