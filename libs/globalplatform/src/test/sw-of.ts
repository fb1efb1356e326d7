import { SwError } from '../lib/errors';
import { Sw } from '../lib/status-words';

/** The status word an action answers: 9000 when it returns, the SW of the SwError it throws, -1 for anything else. */
export function swOf(action: () => unknown): number {
  try {
    action();
    return Sw.OK;
  } catch (error) {
    return error instanceof SwError ? error.sw : -1;
  }
}
