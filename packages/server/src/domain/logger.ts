/** The little the domain needs to say: pino satisfies it, tests can collect it. */
export interface DomainLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export const silentLogger: DomainLogger = { info: () => {}, warn: () => {}, error: () => {} };
