/**
 * The sandbox's virtual clock. Virtual time = base + real elapsed × timeScale + manual advances, so WeChat's 24-hour
 * notification schedule can run in seconds (`--time-scale 3600`) or be stepped exactly in tests (`advance`).
 *
 * Tasks are scheduled on virtual time. `advance(seconds)` fires every task that becomes due, in due order, with the
 * clock standing at each task's due time while it runs, and awaits it: a test sees every consequence of an advance
 * once the promise resolves. A real timer (unref'd) starts tasks that become due as real time passes.
 */

export type ClockOptions = {
  /** The underlying time source in ms (default Date.now). A frozen source makes the clock move only by `advance`. */
  now?: () => number;
  /** Virtual seconds per real second (default 1; 0 freezes real-time drift). */
  timeScale?: number;
  /** Start virtual time here instead of at now() (used when restoring persisted state). */
  startAt?: number;
};

type Task = { id: number; dueAt: number; run: () => Promise<void> | void };

/** The longest delay setTimeout accepts; longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

export class VirtualClock {
  private readonly source: () => number;
  readonly timeScale: number;
  private readonly realStart: number;
  private readonly virtualStart: number;
  private offsetMs = 0;
  private tasks: Task[] = [];
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  /** Serialises advances: each one steps through its window alone, so tests see a deterministic order. */
  private running: Promise<void> = Promise.resolve();
  /** Tasks started by the real timer and not yet finished. A task is removed from the queue before it starts. */
  private readonly inflight = new Set<Promise<void>>();
  /** While an advance steps through time, the real timer stays off so the advance alone runs tasks, in order. */
  private advancing = false;
  private closed = false;
  /** Errors thrown by tasks; a task failing must not stop the clock, but tests can inspect them. */
  readonly errors: unknown[] = [];

  constructor(options: ClockOptions = {}) {
    this.source = options.now ?? Date.now;
    const scale = options.timeScale ?? 1;
    if (!Number.isFinite(scale) || scale < 0) throw new RangeError('timeScale must be a finite number >= 0');
    this.timeScale = scale;
    this.realStart = this.source();
    this.virtualStart = Math.max(options.startAt ?? this.realStart, this.realStart);
  }

  /** Virtual time in ms since the epoch. */
  now(): number {
    return Math.floor(this.virtualStart + (this.source() - this.realStart) * this.timeScale + this.offsetMs);
  }

  /** Run `run` when virtual time reaches `dueAt` (ms). Returns an id for `cancel`. */
  at(dueAt: number, run: () => Promise<void> | void): number {
    const task: Task = { id: this.nextId++, dueAt, run };
    // Stable insertion: equal due times run in scheduling order.
    let index = this.tasks.findIndex((t) => t.dueAt > dueAt);
    if (index < 0) index = this.tasks.length;
    this.tasks.splice(index, 0, task);
    this.arm();
    return task.id;
  }

  /** Run `run` after `delayMs` of virtual time. */
  after(delayMs: number, run: () => Promise<void> | void): number {
    return this.at(this.now() + delayMs, run);
  }

  cancel(id: number): void {
    this.tasks = this.tasks.filter((t) => t.id !== id);
  }

  /** How many tasks are waiting. */
  get pending(): number {
    return this.tasks.length;
  }

  /** Due time of the next task, if any. */
  get nextDueAt(): number | undefined {
    return this.tasks[0]?.dueAt;
  }

  /**
   * Move virtual time forward by `seconds`, running every task that falls due on the way, in order, each one seeing
   * the clock at its own due time. Tasks scheduled by tasks are run too if they fall inside the window.
   */
  advance(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) return Promise.reject(new RangeError('seconds must be >= 0'));
    const job = this.running.then(async () => {
      // Tasks the real timer already started finish first, so an advance sees their effects, in order.
      this.advancing = true;
      while (this.inflight.size > 0) await Promise.all([...this.inflight]);
      const target = this.now() + Math.round(seconds * 1000);
      for (;;) {
        const next = this.tasks[0];
        if (next === undefined || next.dueAt > target) break;
        const current = this.now();
        if (next.dueAt > current) this.offsetMs += next.dueAt - current;
        this.tasks.shift();
        await this.runTask(next);
      }
      const current = this.now();
      if (target > current) this.offsetMs += target - current;
    });
    this.running = job.catch(() => undefined);
    return job.finally(() => {
      this.advancing = false;
      this.arm();
    });
  }

  /**
   * Start every task already due (the real timer's path). They run concurrently, as WeChat's notifier delivers to
   * different merchants independently: one slow notify_url must not hold back the others.
   */
  runDue(): Promise<void> {
    if (this.advancing) return this.running;
    const started: Promise<void>[] = [];
    for (;;) {
      const next = this.tasks[0];
      if (next === undefined || next.dueAt > this.now()) break;
      this.tasks.shift();
      const run = this.runTask(next);
      this.inflight.add(run);
      void run.finally(() => this.inflight.delete(run));
      started.push(run);
    }
    this.arm();
    return Promise.all(started).then(() => undefined);
  }

  /** Wait until no task is running (tests use this after an action that schedules immediate work). */
  async idle(): Promise<void> {
    await this.running;
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.tasks = [];
  }

  private async runTask(task: Task): Promise<void> {
    try {
      await task.run();
    } catch (error) {
      this.errors.push(error);
    }
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.tasks[0];
    if (this.closed || this.advancing || next === undefined) return;
    const virtualWait = Math.max(0, next.dueAt - this.now());
    // With a frozen scale only `advance` moves time, so only an already-due task needs the real timer.
    if (this.timeScale === 0 && virtualWait > 0) return;
    const realWait = Math.min(Math.ceil(this.timeScale === 0 ? 0 : virtualWait / this.timeScale), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runDue();
    }, realWait);
    this.timer.unref();
  }
}
