// A "Print" button for pages meant to be printed (no inline script: the pages' CSP allows none).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
