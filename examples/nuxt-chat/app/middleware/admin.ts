export default defineNuxtRouteMiddleware(() => {
  const s = useNuxtApp().$confab.session.value;
  if (!s) return navigateTo("/");
  if (!s.admin) return navigateTo("/projects");
});
