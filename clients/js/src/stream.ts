// One joined conversation's message stream: hands every message to the app exactly once and
// in `seq` order, whatever order (or gaps) the socket delivers them in.
//
// `delivered` is the highest seq handed out. A live `message:new` right after it is delivered
// at once; one further ahead means messages were missed, so it is buffered and `message:sync`
// pages fill the gap first. While a fill runs every live message is buffered; anything at or
// below `delivered` is a duplicate and dropped.

import type { Clock, TimerHandle } from "./clock.js";
import { ConfabError } from "./errors.js";
import type { Message, SyncAck } from "./events.js";

export interface StreamHooks {
  /** Hands one message to the app. */
  deliver(message: Message): void;
  /** One `message:sync` page after `afterSeq`; rejects with a ConfabError. */
  fetchPage(afterSeq: number, limit: number): Promise<SyncAck>;
  /** A fill failed for a reason other than the connection (which the next join retries). */
  onError(error: ConfabError): void;
}

export interface StreamOptions {
  /** Messages per `message:sync` page. */
  pageSize: number;
  /** Pause before filling again when a round made no progress. */
  stallRetryMs: number;
}

export class ConversationStream {
  /** The highest seq delivered; null until the first join answered (its `lastSeq`). */
  private delivered: number | null = null;
  private readonly buffer = new Map<number, Message>();
  private filling = false;
  private again = false;
  private stallTimer: TimerHandle | null = null;
  private closed = false;

  constructor(
    readonly conversationId: string,
    private readonly hooks: StreamHooks,
    private readonly clock: Clock,
    private readonly options: StreamOptions,
  ) {}

  /** The highest seq handed to the app (null before the first join). */
  get lastDelivered(): number | null {
    return this.delivered;
  }

  /**
   * A join was acknowledged. The first one sets where delivery starts (messages up to
   * `lastSeq` are history, fetched over REST). Every join then checks with a sync: after a
   * reconnect to catch up, and on the first one because the server reads `lastSeq` before the
   * socket enters the room, so a message stored in between reaches the room without us.
   */
  joined(lastSeq: number): void {
    if (this.closed) return;
    if (this.delivered === null) this.delivered = lastSeq;
    void this.fill();
  }

  /** A `message:new` for this conversation. */
  live(message: Message): void {
    if (this.closed) return;
    if (this.delivered === null || this.filling) {
      this.hold(message);
      return;
    }
    if (message.seq <= this.delivered) return;
    if (message.seq === this.delivered + 1) {
      this.emit(message);
      if (this.drain()) void this.fill();
      return;
    }
    this.hold(message);
    void this.fill();
  }

  /** Stops delivering (after `leave` or `close`). */
  close(): void {
    this.closed = true;
    this.buffer.clear();
    if (this.stallTimer !== null) this.clock.clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private hold(message: Message): void {
    if (this.delivered !== null && message.seq <= this.delivered) return;
    this.buffer.set(message.seq, message);
  }

  private emit(message: Message): void {
    this.delivered = message.seq;
    this.hooks.deliver(message);
  }

  /** Delivers the buffered messages that follow on; true if some remain behind a gap. */
  private drain(): boolean {
    if (this.delivered === null) return this.buffer.size > 0;
    for (let next = this.buffer.get(this.delivered + 1); next; next = this.buffer.get(this.delivered + 1)) {
      this.buffer.delete(next.seq);
      this.emit(next);
    }
    for (const seq of this.buffer.keys()) if (seq <= this.delivered) this.buffer.delete(seq);
    return this.buffer.size > 0;
  }

  /** Pages `message:sync` from `delivered` until the server has no more, then drains. */
  private async fill(): Promise<void> {
    if (this.filling) {
      this.again = true;
      return;
    }
    if (this.delivered === null || this.closed) return;
    this.filling = true;
    let retryNow = false;
    try {
      do {
        this.again = false;
        const before: number | null = this.delivered;
        await this.syncPages();
        if (this.closed) return;
        if (this.drain()) {
          // A buffered message the sync did not reach yet: go again, but not in a tight loop
          // if nothing moved (unless a join asked for another round meanwhile).
          if (this.delivered === before && !this.again) {
            this.scheduleStallRetry();
            return;
          }
          this.again = true;
        }
      } while (this.again && !this.closed);
    } catch (error) {
      const e = asConfabError(error);
      // A join that came in meanwhile asked for another round; otherwise the next join
      // (after the reconnect) starts one.
      retryNow = this.again && e.isTransport;
      if (!e.isTransport) this.hooks.onError(e);
    } finally {
      this.filling = false;
    }
    if (retryNow) void this.fill();
  }

  private async syncPages(): Promise<void> {
    for (;;) {
      const after = this.delivered ?? 0;
      const page = await this.hooks.fetchPage(after, this.options.pageSize);
      if (this.closed) return;
      for (const message of page.messages) {
        const at = this.delivered ?? 0;
        if (message.seq <= at) continue;
        if (message.seq !== at + 1) {
          // The server promises no holes; if one shows anyway, keep the rest for later.
          this.hold(message);
          continue;
        }
        this.emit(message);
      }
      if (!page.hasMore || page.messages.length === 0 || this.delivered === after) return;
    }
  }

  private scheduleStallRetry(): void {
    if (this.stallTimer !== null || this.closed) return;
    this.stallTimer = this.clock.setTimeout(() => {
      this.stallTimer = null;
      void this.fill();
    }, this.options.stallRetryMs);
  }
}

export function asConfabError(error: unknown): ConfabError {
  if (error instanceof ConfabError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ConfabError("internal_error", message, { cause: error });
}
