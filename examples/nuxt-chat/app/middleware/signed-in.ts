export default defineNuxtRouteMiddleware(() => {
  if (!useNuxtApp().$confab.session.value) return navigateTo("/");
});
