// Typing signals without flooding: `typing(id, true)` on every keystroke sends `typing:start`
// at most once per interval (the server keeps a start alive for 6 s and coalesces broadcasts
// to one per user and conversation every 2 s, so more would be wasted), and `typing(id, false)`
// sends `typing:stop` only if a start went out.

import type { Clock } from "./clock.js";

export class TypingThrottle {
  /** conversationId -> when the last `typing:start` went out. */
  private readonly started = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly emit: (conversationId: string, isTyping: boolean) => void,
    private readonly intervalMs: number,
  ) {}

  set(conversationId: string, isTyping: boolean): void {
    if (isTyping) {
      const now = this.clock.now();
      const last = this.started.get(conversationId);
      if (last !== undefined && now - last < this.intervalMs) return;
      this.started.set(conversationId, now);
      this.emit(conversationId, true);
    } else if (this.started.delete(conversationId)) {
      this.emit(conversationId, false);
    }
  }

  /** Forgets one conversation (left) or all (disconnected: the server ended our typing). */
  reset(conversationId?: string): void {
    if (conversationId === undefined) this.started.clear();
    else this.started.delete(conversationId);
  }
}
