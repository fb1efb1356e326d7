import { migrateDatabase } from '@jpki/service-kit';
import { columnsOf, testDatabaseUrl, testSchema } from '@jpki/testing';
import { CreateTsmTables1700000000500, TSM_TABLES } from '@jpki/tsm';
import { mnoTsmMigrations } from './migrations';

describe('mno-tsm: the shared TSM tables', () => {
  it('reach through the MNO-TSM migration history the shape @jpki/tsm creates for a new TSM (name, type and nullability of every column)', async () => {
    const [history, lib] = [testSchema('mno_tsm_tables'), testSchema('tsm_lib_tables')];
    await migrateDatabase({ url: testDatabaseUrl(), schema: history, entities: [], migrations: mnoTsmMigrations });
    await migrateDatabase({ url: testDatabaseUrl(), schema: lib, entities: [], migrations: [CreateTsmTables1700000000500] });
    const shape = await columnsOf(history, TSM_TABLES);
    expect(new Set(shape.map((c) => c.table))).toEqual(new Set(TSM_TABLES));
    expect(shape).toEqual(await columnsOf(lib, TSM_TABLES));
  });
});
