// Whether the sign-in screen offers to mint development tokens (see token.post.ts).
export default defineEventHandler((event) => ({ enabled: Boolean(useRuntimeConfig(event).devJwtSecret) }));
