// Starts Swagger UI on /api/docs. Kept out of the page so the content security policy needs no inline script.
// The spec URL comes from the page; validatorUrl null stops Swagger UI asking validator.swagger.io about it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
