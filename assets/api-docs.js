// /api/docs: renders Confab's OpenAPI document with the vendored Swagger UI (no CDN, no
// inline script: the page's CSP allows scripts from this origin only).
window.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The public validator would be an image from another origin (and tells us nothing).
    validatorUrl: null,
    defaultModelsExpandDepth: 1,
    docExpansion: "list",
    tryItOutEnabled: false,
  });
});
