import { migrateDatabase } from '@jpki/service-kit';
import { columnsOf, testDatabaseUrl, testSchema } from '@jpki/testing';
import { CreateTsmTables1700000000500, TSM_TABLES } from '@jpki/tsm';
import { seTsmMigrations } from './migrations';

describe('se-tsm: the shared TSM tables', () => {
  it('have the shape @jpki/tsm creates (name, type and nullability of every column): se-tsm adds to them only its foreign key', async () => {
    const [app, lib] = [testSchema('se_tsm_tables'), testSchema('tsm_lib_tables')];
    await migrateDatabase({ url: testDatabaseUrl(), schema: app, entities: [], migrations: seTsmMigrations });
    await migrateDatabase({ url: testDatabaseUrl(), schema: lib, entities: [], migrations: [CreateTsmTables1700000000500] });
    const shape = await columnsOf(app, TSM_TABLES);
    expect(new Set(shape.map((c) => c.table))).toEqual(new Set(TSM_TABLES));
    expect(shape).toEqual(await columnsOf(lib, TSM_TABLES));
  });
});
