import { fromHex, isScp03Kvn, parseKeySetDgis, parseStoreData, ResponseApdu, Sw } from '@jpki/globalplatform';
import { CardContext, fail, SecuredCommand } from './card-context';
import { SecurityDomainRecord } from './card-image';
import { personalizeJpki } from './jpki-personalization';
import { newKeysetRecord } from './keysets';
import { sessionKeyset } from './secure-channel-gate';

/**
 * STORE DATA inside a personalization session (GPC §11.11): blocks are numbered and reassembled, then the whole
 * message is processed at once — an SSD's first keyset (DGI 00B9/8113) or the JPKI applet's data objects.
 */
export function storeData(ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand): ResponseApdu {
  const session = ctx.channel.personalization;
  if (!session) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'STORE DATA without INSTALL [for personalization]');
  }
  const block = parseStoreData(secured.command);
  const flags = `${block.flags.structure}/${block.flags.encryption}`;
  if (block.blockNumber !== session.nextBlock || (session.flags !== undefined && session.flags !== flags)) {
    ctx.channel.personalization = undefined;
    fail(Sw.INCORRECT_P1P2, 'STORE DATA block out of sequence');
  }
  session.blocks.push(block.data);
  session.nextBlock += 1;
  session.flags = flags;
  if (!block.lastBlock) {
    return ResponseApdu.ok();
  }
  ctx.channel.personalization = undefined;
  const data = Buffer.concat(session.blocks);
  const target = ctx.registry.find(session.targetAid);
  const dek = fromHex(sessionKeyset(ctx, sd).dek);
  if (target?.kind === 'SSD') {
    if (block.flags.structure !== 'dgi' || target.keysets.length > 0) {
      fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'an SSD receives only its first keyset, as DGIs');
    }
    const keys = parseKeySetDgis(data, dek);
    if (!isScp03Kvn(keys.kvn)) {
      fail(Sw.WRONG_DATA, 'SCP03 keysets use KVN 30-3F');
    }
    target.keysets.push(newKeysetRecord(keys));
    return ResponseApdu.ok();
  }
  if (target?.kind === 'APP' && target.jpki) {
    personalizeJpki({ app: target, store: target.jpki, flags: block.flags, securityLevel: secured.securityLevel, dek }, data);
    return ResponseApdu.ok();
  }
  return fail(Sw.REFERENCED_DATA_NOT_FOUND, 'personalization target is gone');
}
