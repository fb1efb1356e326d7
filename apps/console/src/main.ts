import 'reflect-metadata';
import { createLogger } from '@jpki/observability';
import { loadConsoleConfig } from './config';
import { createConsoleApp } from './server';

async function main(): Promise<void> {
  const config = loadConsoleConfig();
  const log = createLogger('console', config.LOG_LEVEL);
  const app = await createConsoleApp(config);
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  log.info({ url: await app.getUrl(), users: config.CONSOLE_USERS.map((u) => u.username) }, 'console ready');
}

main().catch((err) => {
  console.error('console failed to start:', err);
  process.exit(1);
});
