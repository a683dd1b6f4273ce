// Stand-ins for the unit tests: a clock moved by hand and a socket driven by the test (it
// records what the client emits and lets the test answer acks and push server events).

import type { SocketLike } from "../../src/client.js";
import type { Clock } from "../../src/clock.js";
import type { Message } from "../../src/events.js";

/** Lets promise callbacks run (several rounds, for chains of awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t = 1_000_000;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): number {
    const timer = { id: this.nextId++, at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers still waiting, as delays from now. */
  pending(): number[] {
    return this.timers.map((t) => t.at - this.t).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = due.at;
      due.fn();
      await flush();
    }
    this.t = target;
    await flush();
  }
}

export interface Request {
  event: string;
  payload: any;
  /** Answers the ack (`{ ok: true, ... }` or `{ error }`). */
  answer(res: unknown): void;
  /** Fails the ack as socket.io-client does on a timeout. */
  timeOut(): void;
  answered: boolean;
}

type Listener = (...args: any[]) => void;

export class FakeSocket implements SocketLike {
  connected = false;
  active = true;
  closed = false;
  connectCalls = 0;
  /** Tokens the client handed over, one per handshake. */
  readonly tokens: (string | undefined)[] = [];
  /** Every emit, in order (with an ack or without). */
  readonly emitted: Request[] = [];
  private readonly handlers = new Map<string, Listener[]>();

  constructor(private readonly auth: (cb: (data: object) => void) => void) {}

  on(event: string, listener: Listener): this {
    const list = this.handlers.get(event) ?? [];
    list.push(listener);
    this.handlers.set(event, list);
    return this;
  }

  emit(event: string, ...args: unknown[]): this {
    this.record(event, args[0], typeof args[1] === "function" ? (args[1] as Listener) : undefined);
    return this;
  }

  timeout(_ms: number): { emit(event: string, ...args: unknown[]): unknown } {
    return {
      emit: (event: string, ...args: unknown[]) => this.record(event, args[0], args[1] as Listener),
    };
  }

  connect(): this {
    this.connectCalls += 1;
    return this;
  }

  close(): this {
    this.closed = true;
    this.connected = false;
    return this;
  }

  // ---- the test's side

  /** Runs the handshake: asks the client for its auth, then connects. */
  async serverAccepts(): Promise<void> {
    const data = await new Promise<{ token?: string }>((resolve) => this.auth(resolve));
    this.tokens.push(data.token);
    this.connected = true;
    this.active = true;
    this.fire("connect");
    await flush();
  }

  /** A handshake refused by the server's middleware (socket.io-client stops retrying). */
  async serverRefuses(message: string): Promise<void> {
    const data = await new Promise<{ token?: string }>((resolve) => this.auth(resolve));
    this.tokens.push(data.token);
    this.active = false;
    this.fire("connect_error", new Error(message));
    await flush();
  }

  /** The connection drops: unanswered acks fail, then `disconnect` fires. */
  async drop(reason = "transport close"): Promise<void> {
    this.connected = false;
    if (reason === "io server disconnect") this.active = false;
    for (const req of this.emitted) if (!req.answered) req.timeOut();
    this.fire("disconnect", reason);
    await flush();
  }

  /** A server -> client event. */
  fire(event: string, ...args: unknown[]): void {
    for (const listener of this.handlers.get(event) ?? []) listener(...args);
  }

  /** Unanswered requests of `event`, oldest first. */
  waiting(event: string): Request[] {
    return this.emitted.filter((r) => r.event === event && !r.answered);
  }

  /** Emits of `event` (answered or not). */
  all(event: string): Request[] {
    return this.emitted.filter((r) => r.event === event);
  }

  private record(event: string, payload: unknown, ack: Listener | undefined): void {
    const req: Request = {
      event,
      payload,
      answered: ack === undefined,
      answer: (res) => {
        if (req.answered) throw new Error(`${event} answered twice`);
        req.answered = true;
        ack?.(null, res);
      },
      timeOut: () => {
        if (req.answered) return;
        req.answered = true;
        ack?.(new Error(this.connected ? "operation has timed out" : "socket has been disconnected"));
      },
    };
    this.emitted.push(req);
  }
}

const CONVERSATION = "c0000000-0000-4000-8000-000000000001";

/** A stored message with `seq` in `conversationId`. */
export function message(seq: number, conversationId = CONVERSATION, extra: Partial<Message> = {}): Message {
  return {
    id: `m-${conversationId.slice(0, 4)}-${seq}`,
    conversationId,
    seq,
    senderId: "u-1",
    content: `message ${seq}`,
    type: "text",
    metadata: {},
    files: [],
    createdAt: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
    ...extra,
  };
}

export { CONVERSATION };
