import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { HttpErrorFilter } from '@jpki/service-kit';
import { createLogger, JsonLogger } from '@jpki/observability';
import { ConsoleModule } from './app.module';
import type { ConsoleConfig } from './config';

const ROOT = resolve(__dirname, '../../..');

/** The console: the built single-page app, sign-in, and the forwarded operator APIs, on one origin. */
export async function createConsoleApp(config: ConsoleConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ConsoleModule.forRoot(config), { logger: new JsonLogger(createLogger('console', config.LOG_LEVEL)), bodyParser: false });
  app.useBodyParser('json', { limit: '64kb' });
  app.useGlobalFilters(new HttpErrorFilter());
  app.disable('x-powered-by');
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    next();
  });

  const doc = new DocumentBuilder()
    .setTitle('jpki console')
    .setDescription('The operator console: sign-in (issues role- and carrier-scoped operator tokens) and the operator APIs it forwards')
    .setVersion('1')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs-json' });

  const staticDir = resolve(ROOT, config.CONSOLE_STATIC_DIR);
  const index = join(staticDir, 'index.html');
  app.useStaticAssets(staticDir, { index: false, immutable: true, maxAge: '1h' });
  // The single-page app answers every other GET page address (its own router reads the URL).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || /^\/(api|docs|health)(\/|$|-)/.test(req.path)) return next();
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send(`the console is not built: vite build --config apps/console/web/vite.config.mts (looked in ${staticDir})`);
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
  app.enableShutdownHooks();
  return app;
}
