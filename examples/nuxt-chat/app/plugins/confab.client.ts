// One @confab/client per signed-in session, shared by every page through `useConfab()`.
// The session (server URL and token) is kept in localStorage so a reload stays signed in.
import { createClient, type ConfabClient, type ConfabError } from "@confab/client";

export interface Session {
  /** The confab node's base URL. */
  url: string;
  token: string;
  userId: string;
  name: string | null;
  admin: boolean;
}

const STORAGE_KEY = "confab-chat-session";

/** The claims confab reads (Supabase's layout), from a JWT's payload. No signature check: the server does that. */
export function sessionFromToken(url: string, token: string): Session {
  const part = token.trim().split(".")[1];
  if (!part) throw new Error("That is not a JWT (three dot-separated parts).");
  let claims: { sub?: string; user_metadata?: { name?: string }; email?: string; app_metadata?: { role?: string } };
  try {
    claims = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    throw new Error("The token's payload is not readable JSON.");
  }
  if (!claims.sub) throw new Error("The token has no `sub` (user id) claim.");
  return {
    url: url.replace(/\/+$/, ""),
    token: token.trim(),
    userId: claims.sub,
    name: claims.user_metadata?.name ?? claims.email ?? null,
    admin: claims.app_metadata?.role === "admin",
  };
}

function load(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export default defineNuxtPlugin(() => {
  const config = useRuntimeConfig();
  const session = ref<Session | null>(load());
  const client = shallowRef<ConfabClient | null>(null);
  const connected = ref(false);
  /** Presence as last heard: `user:online` / `user:offline` (and anyone seen typing). */
  const online = reactive(new Map<string, boolean>());
  const lastError = ref<string | null>(null);

  function start(s: Session) {
    const c = createClient({
      url: s.url,
      // Asked on every (re)connect and REST call: swap in a Supabase session's
      // `access_token` here and refreshed tokens just work.
      getToken: () => session.value?.token,
      socketOptions: { withCredentials: String(config.public.confabWithCredentials) === "true" },
    });
    c.socket.on("connect", () => (connected.value = true));
    c.socket.on("disconnect", () => (connected.value = false));
    c.on("presence", (e) => online.set(e.userId, e.online));
    c.on("typing", (e) => {
      if (e.isTyping) online.set(e.userId, true);
    });
    c.on("error", (e: ConfabError) => {
      lastError.value = `${e.code}: ${e.message}`;
    });
    client.value = c;
  }

  function signIn(url: string, token: string): Session {
    const s = sessionFromToken(url || defaultUrl(), token);
    signOut();
    session.value = s;
    localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    start(s);
    return s;
  }

  function signOut() {
    client.value?.close();
    client.value = null;
    connected.value = false;
    online.clear();
    session.value = null;
    localStorage.removeItem(STORAGE_KEY);
  }

  function defaultUrl(): string {
    return (config.public.confabUrl as string) || window.location.origin;
  }

  if (session.value) start(session.value);

  return { provide: { confab: { session, client, connected, online, lastError, signIn, signOut, defaultUrl } } };
});
