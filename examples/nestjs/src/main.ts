import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { loadConfig } from './config.js';

const config = loadConfig();
// rawBody: true keeps the exact bytes of JSON bodies as req.rawBody: v3 signatures are over them.
const app = await NestFactory.create(AppModule.forRoot(config), { rawBody: true });
await app.listen(config.port, '0.0.0.0');
console.log(`nest-shop listening on http://127.0.0.1:${config.port}`);
