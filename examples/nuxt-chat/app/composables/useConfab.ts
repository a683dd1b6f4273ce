// The signed-in session, its @confab/client, presence, and a small `api` for the admin routes.
import { ConfabError, type ConfabClient, type RestClient } from "@confab/client";

export function useConfab() {
  const confab = useNuxtApp().$confab;

  function requireClient(): ConfabClient {
    const c = confab.client.value;
    if (!c) throw new ConfabError("unauthorized", "Sign in first.");
    return c;
  }

  /** The typed REST helper of the current client. */
  function rest(): RestClient {
    return requireClient().rest;
  }

  /** Calls any `/api` route with the session's token; answers the parsed JSON (or a Blob). */
  async function api<T = unknown>(
    method: string,
    path: string,
    options: { query?: Record<string, string | number | undefined | null>; body?: unknown; blob?: boolean } = {},
  ): Promise<T> {
    const s = confab.session.value;
    if (!s) throw new ConfabError("unauthorized", "Sign in first.");
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== null && v !== "") search.append(k, String(v));
    const qs = search.toString();
    const headers: Record<string, string> = { authorization: `Bearer ${s.token}` };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${s.url}/api${path}${qs ? `?${qs}` : ""}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
      throw new ConfabError(body?.error?.code ?? `http_${res.status}`, body?.error?.message ?? res.statusText, { status: res.status });
    }
    if (options.blob) return (await res.blob()) as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  return { ...confab, requireClient, rest, api };
}

/** A short, readable label for a user id ("you" for the signed-in user). */
export function userLabel(userId: string, me: string | undefined): string {
  return userId === me ? "you" : `user ${userId.slice(0, 8)}`;
}

/** An error's message for the screen. */
export function errorText(error: unknown): string {
  if (error instanceof ConfabError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
