/**
 * How `npm start` logs. A terminal (stdout is a TTY) gets pretty, colourised lines through pino-pretty, loaded by pino
 * as its own transport (a worker thread) and so only then; anything else (a file, a pipe, a log collector) gets one
 * JSON object per line. Either way secrets are redacted before a line is written (REDACT_PATHS), and each request is
 * one line when it ends, not the two ("incoming request", "request completed") Fastify writes by default.
 */
import Fastify from 'fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';

export type LogFormat = 'pretty' | 'json';

/** Pretty only for a person at a terminal. */
export function chooseLogFormat(stdout: { isTTY?: boolean | undefined }): LogFormat {
  return stdout.isTTY === true ? 'pretty' : 'json';
}

/** pino's options for the format: level and redaction as given, pino-pretty as a transport when pretty. */
export function loggerOptions(format: LogFormat, level: string, redact: readonly string[]): LoggerOptions {
  const base = { level, redact: { paths: [...redact], censor: '[redacted]' } };
  if (format === 'json') return base;
  return {
    ...base,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,reqId', singleLine: true } },
  };
}

export function createLogger(format: LogFormat, level: string, redact: readonly string[]): Logger {
  return pino(loggerOptions(format, level, redact));
}

/**
 * Fastify's options that turn its own two request lines off (logEachRequestOnce writes one instead). Fastify 5.12 moved
 * the switch into a LogController (the top-level option is deprecated there and warns); older 5.x only has the option.
 */
export function quietRequestLogging(): Pick<FastifyServerOptions, 'disableRequestLogging' | 'logController'> {
  const Controller = (Fastify as unknown as { LogController?: new (options: { disableRequestLogging: boolean }) => NonNullable<FastifyServerOptions['logController']> }).LogController;
  return Controller === undefined ? { disableRequestLogging: true } : { logController: new Controller({ disableRequestLogging: true }) };
}

/** One line per request, written when the response is sent: method, path, status and how long it took. */
export function logEachRequestOnce(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request, and below `info` (LOG_LEVEL=warn under load) it
  // should cost nothing, not a promise and a line object that is then dropped.
  app.addHook('onResponse', (request, reply, done) => {
    const log = request.log as typeof request.log & { isLevelEnabled?: (level: string) => boolean };
    if (log.isLevelEnabled?.('info') !== false) {
      log.info({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    }
    done();
  });
}
