// The confab chat example: a single-page Nuxt app (the socket and the token live in the
// browser), served by Nitro's node server (`nuxt build`, then `nuxt preview` or
// `node .output/server/index.mjs`).
export default defineNuxtConfig({
  compatibilityDate: "2026-11-01",
  ssr: false,
  devtools: { enabled: false },
  telemetry: false,
  app: {
    head: {
      title: "confab chat",
      htmlAttrs: { lang: "en" },
      meta: [{ name: "viewport", content: "width=device-width, initial-scale=1" }],
      link: [{ rel: "icon", href: "data:," }],
    },
  },
  css: ["~/assets/chat.css"],
  runtimeConfig: {
    // NUXT_DEV_JWT_SECRET: development only, the node's CONFAB_JWT_SECRET; the sign-in screen
    // then mints tokens (server/routes/_dev/token.post.ts). Never set it in production.
    devJwtSecret: "",
    public: {
      // The confab node's base URL (NUXT_PUBLIC_CONFAB_URL at run time); the sign-in
      // screen can change it. Empty: the origin the app is served from (behind a proxy).
      confabUrl: "",
      // NUXT_PUBLIC_CONFAB_WITH_CREDENTIALS=true: Socket.IO requests carry cookies, so the
      // sticky-session cookie of a load balancer in front of several nodes (docker/nginx.conf)
      // reaches it from another origin. The nodes must then list the app's origin in
      // CONFAB_CORS_ORIGINS. Not needed when the app is served from the API's origin.
      confabWithCredentials: false,
    },
  },
});
