// Development only: mints an HS256 token signed with NUXT_DEV_JWT_SECRET (the confab node's
// CONFAB_JWT_SECRET), like `confab token`. Answers 404 unless that variable is set, so a
// production deployment (Supabase sessions) has no such route.
import { createHmac, randomUUID } from "node:crypto";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export default defineEventHandler(async (event) => {
  const secret = useRuntimeConfig(event).devJwtSecret as string;
  if (!secret) throw createError({ statusCode: 404, statusMessage: "Not Found" });
  const body = (await readBody<{ userId?: string; name?: string; admin?: boolean }>(event)) ?? {};
  const userId = body.userId?.trim() || randomUUID();
  if (!UUID.test(userId)) throw createError({ statusCode: 400, statusMessage: "userId must be a UUID" });
  const name = (body.name ?? "").trim().slice(0, 100);
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { sub: userId, iat: now, exp: now + 8 * 3600 };
  if (name) claims.user_metadata = { name };
  if (body.admin === true) claims.app_metadata = { role: "admin" };
  const unsigned = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(claims)}`;
  const signature = createHmac("sha256", secret).update(unsigned).digest("base64url");
  return { token: `${unsigned}.${signature}`, userId };
});
