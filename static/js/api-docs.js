// Interactive API docs (Swagger UI, vendored by drf-spectacular-sidecar).
// Started from this file rather than an inline script, so the page keeps the strict
// Content-Security-Policy (script-src 'self'). "Try it out" uses the signed-in session;
// unsafe methods need Django's CSRF token, which the page hands over in data attributes.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  const csrfHeader = root.dataset.csrfHeader;
  const csrfToken = root.dataset.csrfToken;

  SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: false,
    requestInterceptor: function (request) {
      if (request.method && request.method !== "GET" && csrfHeader && csrfToken) {
        request.headers[csrfHeader] = csrfToken;
      }
      return request;
    },
  });
})();
