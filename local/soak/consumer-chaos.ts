import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultPoint } from '../esm/emulator.js';
import { ESM_EVENT_LINES_ENV, parseEventLine } from '../esm/event-lines.js';
import { PARTITIONS } from '../infra/services.js';
import { type ScriptProcess, spawnScript } from '../support/child-process.js';

/** One batch retry a consumer reported (an esm.retry line), stamped when the soak read it. */
export interface Retry {
  readonly at: number;
  readonly partition: number;
  readonly attempt: number;
  readonly delayMs: number;
}

/** How often and how the consumers die. */
export interface ChaosSettings {
  /** Mean seconds between kills (each random in 0.5x..1.5x); 0: none. */
  readonly killEverySeconds: number;
  /** The consumers' batching window: it paces their invocations, and so the fault points. */
  readonly windowSeconds: number;
}

/** How a consumer process is to die: at an ESM fault point, by an external SIGKILL, or not at all. */
type DeathPlan =
  | { readonly kind: 'fault'; readonly point: FaultPoint; readonly invocation: number }
  | { readonly kind: 'timer'; readonly afterMs: number }
  | { readonly kind: 'none' };

const FAULT_POINTS: readonly FaultPoint[] = ['before-invoke', 'after-invoke-before-commit', 'after-commit'];
const EXTERNAL_KILL = 'external SIGKILL';

/**
 * Runs `npm start -- --no-produce` consumer processes one after the other, each armed to die: SIGKILL
 * at an ESM fault point of a random invocation (ESM_FAULT), or from outside at a random moment. A
 * consumer that exits by itself (it cannot start while the database is down) is started again with
 * backoff. calm() holds the kills (for the database outage and the drain); chaos() resumes them.
 */
export class ConsumerChaos {
  readonly kills = new Map<string, number>();
  readonly retries: Retry[] = [];
  readonly selfExits: string[] = [];
  starts = 0;
  private child: ScriptProcess | undefined;
  /** The running consumer's plan: a timer can be disarmed, a fault point cannot. */
  private armedWith: DeathPlan['kind'] = 'none';
  /** Why the soak killed the running consumer, once it has. */
  private killedAs: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private mode: 'chaos' | 'calm' = 'chaos';
  private finishing = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly args: readonly string[],
    private readonly env: Readonly<Record<string, string>>,
    private readonly random: () => number,
    private readonly settings: ChaosSettings,
    private readonly print: (line: string) => void,
  ) {
    this.loop = this.superviseConsumers();
  }

  get killCount(): number {
    return [...this.kills.values()].reduce((sum, n) => sum + n, 0);
  }

  /** Holds the kills; resolves once a consumer that will not kill itself is running since `minUpMs`. */
  async calm(minUpMs: number): Promise<void> {
    this.mode = 'calm';
    clearTimeout(this.timer);
    // A consumer armed with a timer is simply disarmed; one armed with ESM_FAULT cannot be: kill it now.
    if (this.armedWith === 'timer') this.armedWith = 'none';
    if (this.armedWith === 'fault') this.killNow(EXTERNAL_KILL);
    while (!(this.child && this.armedWith === 'none' && Date.now() - this.child.startedAt >= minUpMs)) {
      await sleep(200);
    }
  }

  /** Resumes the kills: the running consumer is given a random moment to die. */
  chaos(): void {
    this.mode = 'chaos';
    if (this.child && this.armedWith === 'none' && this.settings.killEverySeconds > 0) {
      this.armTimer(this.randomLifetimeMs());
    }
  }

  /** Stops the running consumer (SIGINT: it finishes its batches) and starts no more. */
  async finish(): Promise<void> {
    this.finishing = true;
    clearTimeout(this.timer);
    this.child?.kill('SIGINT');
    await this.loop;
  }

  private randomLifetimeMs(): number {
    return Math.round(this.settings.killEverySeconds * 1000 * (0.5 + this.random()));
  }

  private nextPlan(): DeathPlan {
    if (this.mode === 'calm' || this.settings.killEverySeconds <= 0) return { kind: 'none' };
    if (this.random() < 0.5) return { kind: 'timer', afterMs: this.randomLifetimeMs() };
    // One invocation per partition per window: pick one within about one kill interval.
    const perSecond = PARTITIONS / Math.max(this.settings.windowSeconds, 0.1);
    const span = Math.max(1, Math.round(this.settings.killEverySeconds * perSecond * (0.5 + this.random())));
    const point = FAULT_POINTS[Math.floor(this.random() * FAULT_POINTS.length)] ?? 'before-invoke';
    return { kind: 'fault', point, invocation: 1 + Math.floor(this.random() * span) };
  }

  private armTimer(afterMs: number): void {
    clearTimeout(this.timer);
    this.armedWith = 'timer';
    this.timer = setTimeout(() => this.killNow(EXTERNAL_KILL), afterMs);
  }

  private killNow(kind: string): void {
    if (!this.child || this.killedAs) return;
    this.killedAs = kind;
    this.child.kill('SIGKILL');
  }

  private async superviseConsumers(): Promise<void> {
    let failures = 0;
    while (!this.finishing) {
      const plan = this.nextPlan();
      const env: Record<string, string> = { ...this.env, [ESM_EVENT_LINES_ENV]: '1' };
      if (plan.kind === 'fault') env.ESM_FAULT = `${plan.point}:${plan.invocation}`;
      const child = spawnScript('local/run/cli.ts', this.args, { env, onLine: (line) => this.read(line) });
      this.child = child;
      this.killedAs = undefined;
      this.armedWith = plan.kind;
      this.starts++;
      if (plan.kind === 'timer') this.armTimer(plan.afterMs);
      const exit = await child.exited;
      clearTimeout(this.timer);
      this.child = undefined;
      const upSeconds = ((Date.now() - child.startedAt) / 1000).toFixed(1);
      const diedAtFault = exit.signal === 'SIGKILL' && plan.kind === 'fault';
      let restartInMs = 200;
      if (this.killedAs || diedAtFault) {
        this.count(this.killedAs ?? (plan.kind === 'fault' ? plan.point : EXTERNAL_KILL));
        failures = 0;
      } else if (!this.finishing) {
        this.selfExits.push(`exit ${exit.signal ?? exit.code} after ${upSeconds} s`);
        restartInMs = Math.min(8_000, 500 * 2 ** failures++);
      }
      if (!this.finishing) {
        const how =
          this.killedAs ??
          (plan.kind === 'fault' && diedAtFault
            ? `killed at ${plan.point} of invocation ${plan.invocation}`
            : `exited (${exit.signal ?? exit.code})`);
        this.print(`consumer ${this.starts} ${how} after ${upSeconds} s; restarting`);
        await sleep(restartInMs);
      }
    }
  }

  private count(kind: string): void {
    this.kills.set(kind, (this.kills.get(kind) ?? 0) + 1);
  }

  private read(line: string): void {
    const event = parseEventLine(line);
    if (event?.event === 'esm.retry') {
      const { partition, attempt, delayMs } = event;
      this.retries.push({ at: Date.now(), partition, attempt, delayMs });
    } else if (!event && /MISMATCH|error:/.test(line)) {
      this.print(`consumer: ${line}`);
    }
  }
}
