/**
 * `wxpay-kit reconcile <date>` and `wxpay-kit notifications replay <id>`: both run the server's own services
 * (BillReconciler, NotificationService) on the operator's assembly, then print what the admin API shows.
 */
import cliProgress from 'cli-progress';
import type { ReconcileProgress } from '../jobs/bill-reconciliation.js';
import { billDateProblem } from '../jobs/bill-reconciliation.js';
import { billDate } from '../http/schemas/admin-console.js';
import { CommandFailed, UsageError } from './commands.js';
import type { CommandOptions } from './commands.js';
import type { Operator } from './operate.js';
import { formatFen } from '../domain/yuan.js';

type Out = (text: string) => void;
type Json = Record<string, unknown>;

/** Thrown after the summary was printed: the run found differences a person should review (exit 3). */
export class NeedsAttention extends Error {}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '-');
const yuan = (v: unknown): string => (typeof v === 'number' ? formatFen(v) : '-');

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (/^-?[\d.]+$/.test(cell) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

const STAGES: Record<ReconcileProgress['stage'], string> = { download: 'downloading the bill', compare: 'compared with the database', resolve: 'acting on differences' };

/** A progress bar on stderr when it is a terminal (cli-progress); nothing otherwise (a pipe, a log, --json). */
function progressBar(enabled: boolean): { update(p: ReconcileProgress): void; stop(): void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: '{stage} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const total = Math.max(p.total, 1);
      if (!started) {
        bar.start(total, p.done, { stage: STAGES[p.stage] });
        started = true;
      }
      bar.setTotal(total);
      bar.update(p.done, { stage: STAGES[p.stage] });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

export async function reconcileCommand(op: Operator, args: readonly string[], o: CommandOptions, out: Out): Promise<void> {
  if (args.length !== 1 || args[0] === undefined) throw new UsageError('reconcile <date>: the China day whose bill to reconcile, YYYY-MM-DD');
  const date = args[0];
  const parsed = billDate.safeParse(date);
  if (!parsed.success) throw new UsageError(`reconcile <date>: ${parsed.error.issues[0]?.message ?? 'YYYY-MM-DD'} (got ${JSON.stringify(date)})`);
  const problem = billDateProblem(date, op.app.wxpay.clock.now());
  if (problem !== undefined) throw new UsageError(`reconcile ${date}: ${problem}`);
  const bills = op.app.wxpay.bills;
  if (bills === undefined) throw new CommandFailed('reconciliation needs the SQL store');

  const bar = progressBar(!o.json && process.stderr.isTTY === true);
  let result;
  try {
    result = await bills.reconcileBill(date, (p) => bar.update(p));
  } finally {
    bar.stop();
  }
  if (!result.ok) throw new CommandFailed('reconciliation_running: another reconciliation is running; try again shortly');
  // What the admin API shows for the date: the command and GET /admin/reconciliations/:date say the same.
  const shown = await op.admin('GET', `/admin/reconciliations/${date}`);
  const run = (shown.body.reconciliation ?? {}) as Json;
  if (o.json) out(JSON.stringify(shown.body));
  else out(summary(run));
  if (run.status === 'failed') throw new CommandFailed(`the bill of ${date} could not be reconciled: ${str(run.error)}`);
  if (run.status === 'differences') throw new NeedsAttention(`${str(run.differenceCount)} difference(s) to review: wxpay-kit orders list --flagged`);
}

function summary(run: Json): string {
  const lines = [
    table([
      ['date', 'status', 'bill payments', 'bill refunds', 'matched', 'ignored', 'applied', 'paid (yuan)', 'refunded (yuan)', 'differences'],
      [str(run.date), str(run.status), str(run.billPayments), str(run.billRefunds), str(run.matched), str(run.ignored), str(run.applied), yuan(run.billPaid), yuan(run.billRefunded), str(run.differenceCount)],
    ]),
  ];
  const differences = (run.differences ?? []) as Json[];
  if (differences.length > 0) {
    lines.push('', table([
      ['difference', 'out_trade_no', 'order', 'bill (yuan)', 'ours (yuan)', 'resolution'],
      ...differences.map((d) => [str(d.kind), str(d.outTradeNo), str(d.orderId), yuan(d.billAmount), yuan(d.ourAmount), str(d.resolution)]),
    ]));
  }
  if (typeof run.error === 'string') lines.push('', `error: ${run.error}`);
  return lines.join('\n');
}

export async function notificationsCommand(op: Operator, args: readonly string[], o: CommandOptions, out: Out): Promise<void> {
  const [sub, id, ...rest] = args;
  if (sub !== 'replay' || id === undefined || rest.length > 0) throw new UsageError('notifications replay <id>   (ids: wxpay-kit orders show <orderId>)');
  const { adminStore, notifications, store } = op.app.wxpay;
  if (adminStore === undefined) throw new CommandFailed('the notification log needs the SQL store');
  const entry = await adminStore.getNotification(id);
  if (entry === undefined) throw new CommandFailed(`not_found: no logged notification ${id}`);
  const result = await notifications.replay(entry);
  const order = result.outTradeNo === undefined ? undefined : await store.getAttemptByOutTradeNo(result.outTradeNo).then((a) => (a === undefined ? undefined : store.getOrder(a.orderId)));
  const report = {
    id,
    kind: entry.kind,
    authentic: result.authentic,
    ...(result.authentic ? { recorded: result.recorded } : { reason: result.reason }),
    ...(result.authentic && result.recorded ? { outcome: result.outcome, redelivery: !result.first } : {}),
    ...(result.outTradeNo === undefined ? {} : { outTradeNo: result.outTradeNo }),
    ...(order === undefined ? {} : { orderId: order.id, status: order.status }),
  };
  if (o.json) out(JSON.stringify(report));
  else if (!result.authentic) out(`${id}: refused again (${result.reason}); nothing changed`);
  else if (!result.recorded) out(`${id}: authentic but could not be recorded (see the log); nothing changed`);
  else out(`${id}: ${entry.kind} ${result.outTradeNo ?? ''} → ${result.outcome}${result.first ? '' : ' (already recorded: a redelivery, nothing applied twice)'}${order === undefined ? '' : `; order ${order.id} ${order.status}`}`);
  if (!result.authentic || !result.recorded) throw new CommandFailed(`notification ${id} was not applied`);
}
