// Sends that survive disconnects without duplicates. Each send gets its `clientMsgId` once and
// keeps it through every retry, so the server stores it at most once (a retry of a stored
// message answers with the stored message and broadcasts nothing).
//
// One queue per conversation, one send in flight per queue: a user's messages keep the order
// they were written in, even when an early one needs a retry.

import type { Clock, TimerHandle } from "./clock.js";
import { CLOSED, ConfabError } from "./errors.js";
import type { Message, SendPayload } from "./events.js";
import { asConfabError } from "./stream.js";

export interface OutboxWire {
  connected(): boolean;
  /** Emits `message:send`; resolves with the ack's message, rejects with a ConfabError. */
  send(payload: SendPayload): Promise<Message>;
}

export interface OutboxOptions {
  /** First pause before retrying after a timeout or a transient refusal; doubles each time. */
  retryBaseMs: number;
  retryMaxMs: number;
}

interface Entry {
  payload: SendPayload;
  attempts: number;
  resolve(message: Message): void;
  reject(error: ConfabError): void;
}

interface Queue {
  entries: Entry[];
  inFlight: boolean;
  timer: TimerHandle | null;
  /** The timer waits out the server's `retryAfterMs`: a reconnect does not cut it short. */
  timerFromServer: boolean;
}

export class Outbox {
  private readonly queues = new Map<string, Queue>();
  private closed = false;

  constructor(
    private readonly wire: OutboxWire,
    private readonly clock: Clock,
    private readonly options: OutboxOptions,
  ) {}

  /** Queues a send; resolves with the stored message, rejects on a permanent refusal. */
  enqueue(payload: SendPayload): Promise<Message> {
    if (this.closed) return Promise.reject(new ConfabError(CLOSED, "the client is closed"));
    return new Promise((resolve, reject) => {
      const queue = this.queue(payload.conversationId);
      queue.entries.push({ payload, attempts: 0, resolve, reject });
      this.pump(payload.conversationId);
    });
  }

  /** Sends waiting in all queues. */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.entries.length;
    return n;
  }

  /** The socket (re)connected: send what waits, without waiting out our own back-off. */
  resume(): void {
    for (const [conversationId, queue] of this.queues) {
      if (queue.timer !== null && !queue.timerFromServer) {
        this.clock.clearTimeout(queue.timer);
        queue.timer = null;
      }
      this.pump(conversationId);
    }
  }

  /** Rejects everything waiting (the client closed, or can never connect). */
  failAll(error: ConfabError, { close = false } = {}): void {
    this.closed ||= close;
    for (const queue of this.queues.values()) {
      if (queue.timer !== null) this.clock.clearTimeout(queue.timer);
      queue.timer = null;
      for (const entry of queue.entries.splice(0)) entry.reject(error);
    }
    this.queues.clear();
  }

  private queue(conversationId: string): Queue {
    let queue = this.queues.get(conversationId);
    if (!queue) {
      queue = { entries: [], inFlight: false, timer: null, timerFromServer: false };
      this.queues.set(conversationId, queue);
    }
    return queue;
  }

  private pump(conversationId: string): void {
    const queue = this.queues.get(conversationId);
    if (!queue || queue.inFlight || queue.timer !== null || this.closed) return;
    const entry = queue.entries[0];
    if (!entry) {
      this.queues.delete(conversationId);
      return;
    }
    if (!this.wire.connected()) return; // resume() picks it up after the reconnect
    queue.inFlight = true;
    entry.attempts += 1;
    this.wire.send(entry.payload).then(
      (message) => this.stored(queue, entry, message),
      (error: unknown) => this.failed(queue, entry, asConfabError(error)),
    );
  }

  private stored(queue: Queue, entry: Entry, message: Message): void {
    queue.inFlight = false;
    if (queue.entries[0] !== entry) return; // failAll() took it meanwhile
    queue.entries.shift();
    entry.resolve(message);
    this.pump(entry.payload.conversationId);
  }

  private failed(queue: Queue, entry: Entry, error: ConfabError): void {
    queue.inFlight = false;
    if (queue.entries[0] !== entry) return;
    if (error.isTransient) {
      this.retryLater(queue, entry, error.retryAfterMs);
    } else if (error.isTransport) {
      // Still connected (a timeout): the server may be slow, try again after a pause.
      // Disconnected: resume() sends it on the next connect.
      if (this.wire.connected()) this.retryLater(queue, entry);
    } else {
      queue.entries.shift();
      entry.reject(error);
      this.pump(entry.payload.conversationId);
    }
  }

  private retryLater(queue: Queue, entry: Entry, afterMs?: number): void {
    const { retryBaseMs, retryMaxMs } = this.options;
    const backoff = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(entry.attempts - 1, 16));
    queue.timerFromServer = afterMs !== undefined;
    queue.timer = this.clock.setTimeout(() => {
      queue.timer = null;
      this.pump(entry.payload.conversationId);
    }, afterMs ?? backoff);
  }
}
