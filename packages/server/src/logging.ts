/**
 * How `npm start` logs. A terminal (stdout is a TTY) gets pretty, colourised lines through pino-pretty, loaded by pino
 * as its own transport (a worker thread) and so only then; anything else (a file, a pipe, a log collector) gets one
 * JSON object per line. Either way secrets are redacted before a line is written (REDACT_PATHS), and each request is
 * one line when it ends, not the two ("incoming request", "request completed") Fastify writes by default.
 */
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
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

type Levelled = { isLevelEnabled?: (level: string) => boolean };
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArgs = Parameters<FastifyBaseLogger['info']>;

/**
 * A request's logger that becomes pino's child logger only when a line is written at an enabled level. Fastify makes
 * a child logger for every request (its bindings serialised, redaction applied): about a quarter of a notification's
 * HTTP cost measured here, for a logger most requests never write to when LOG_LEVEL is above `info`.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  private real: FastifyBaseLogger | undefined;
  readonly fatal = this.method('fatal');
  readonly error = this.method('error');
  readonly warn = this.method('warn');
  readonly info = this.method('info');
  readonly debug = this.method('debug');
  readonly trace = this.method('trace');

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: Parameters<FastifyBaseLogger['child']>[1],
  ) {}

  get level(): string {
    return (this.real ?? this.parent).level;
  }

  set level(level: string) {
    this.materialize().level = level;
  }

  silent(): void {}

  isLevelEnabled(level: string): boolean {
    const target = (this.real ?? this.parent) as FastifyBaseLogger & Levelled;
    return target.isLevelEnabled?.(level) ?? true;
  }

  child(bindings: Record<string, unknown>, options?: Parameters<FastifyBaseLogger['child']>[1]): FastifyBaseLogger {
    return this.materialize().child(bindings, options);
  }

  private materialize(): FastifyBaseLogger {
    this.real ??= this.parent.child(this.bindings, this.options);
    return this.real;
  }

  private method(level: Level): FastifyBaseLogger[Level] {
    return ((...args: LogArgs) => {
      if (!this.isLevelEnabled(level)) return;
      this.materialize()[level](...args);
    }) as FastifyBaseLogger[Level];
  }
}

/**
 * Fastify's childLoggerFactory: request loggers made on first use (LazyRequestLogger). A route with its own log level
 * gets its child at once, since that level decides what is enabled.
 */
export const lazyChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) =>
  options.level === undefined ? new LazyRequestLogger(logger, bindings, options) : logger.child(bindings, options);

/** One line per request, written when the response is sent: method, path, status and how long it took. */
export function logEachRequestOnce(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request, and below `info` (LOG_LEVEL=warn under load) it
  // should cost nothing, not a promise and a line object that is then dropped.
  // Written through the app's logger with the request id as a field: the same line as through the request's child
  // logger, without making one for a request that logs nothing else.
  app.addHook('onResponse', (request, reply, done) => {
    const log = app.log as typeof app.log & Levelled;
    if (log.isLevelEnabled?.('info') !== false) {
      log.info({ reqId: request.id, method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    }
    done();
  });
}
