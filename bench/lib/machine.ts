// What the numbers were measured on: they mean little without the machine, the Node version and the date.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, type as osType, release } from 'node:os';

export type Machine = { cpu: string; cores: number; memoryGiB: number; os: string; node: string; date: string; load: string; code: string };

export function describeMachine(): Machine {
  const list = cpus();
  let load = '';
  try {
    load = execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/^.*load average:\s*/, '');
  } catch {
    load = 'unknown';
  }
  return {
    code: describeCode(),
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
    load,
  };
}

/** Which code was measured: the commit, and whether packages/ had uncommitted changes at the time. */
function describeCode(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { encoding: 'utf8' }).trim();
    const files = dirty === '' ? 0 : dirty.split('\n').length;
    return files === 0 ? `commit ${head}` : `commit ${head} plus uncommitted changes in ${files} file(s) under packages/`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
