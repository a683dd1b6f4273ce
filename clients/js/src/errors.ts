// One error type for everything the client reports: server refusals keep the server's `code`
// (`forbidden`, `validation_failed`, `rate_limited`...), the client's own failures use the
// codes below.

import type { AckErrorBody } from "./events.js";

/** The socket was not connected, or disconnected before the server answered. */
export const DISCONNECTED = "disconnected";
/** The server did not answer an event within the ack timeout. */
export const ACK_TIMEOUT = "ack_timeout";
/** `client.close()` was called. */
export const CLOSED = "closed";

/** Codes worth retrying with the same `clientMsgId`: the server may succeed later. */
const TRANSIENT_SERVER_CODES = new Set(["rate_limited", "overloaded", "service_unavailable", "internal_error"]);

export class ConfabError extends Error {
  override readonly name = "ConfabError";
  /** The server's snake_case code, or one of the client's (`disconnected`, `ack_timeout`, `closed`). */
  readonly code: string;
  /** The HTTP status, for REST failures. */
  readonly status?: number;
  /** When the server says to retry (rate limits, overload). */
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    extra: { status?: number; retryAfterMs?: number; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
    if (extra.details !== undefined) this.details = extra.details;
  }

  /** The connection failed under the request: resending it after a reconnect is safe. */
  get isTransport(): boolean {
    return this.code === DISCONNECTED || this.code === ACK_TIMEOUT;
  }

  /** The server refused for now (rate limit, overload, outage) and may accept a retry later. */
  get isTransient(): boolean {
    return TRANSIENT_SERVER_CODES.has(this.code);
  }

  /** Builds the error of a failed ack or REST body (`{ error: { code, message, ... } }`). */
  static fromBody(body: AckErrorBody, status?: number): ConfabError {
    const retryAfterMs = body.retryAfterMs ?? numberOr(body.details?.retryAfterMs);
    return new ConfabError(body.code, body.message, {
      ...(status === undefined ? {} : { status }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(body.details === undefined ? {} : { details: body.details }),
    });
  }
}

function numberOr(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
