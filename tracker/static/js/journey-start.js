// Start a journey: pick the approach that goes with the chosen pathway; it can still be
// changed by hand. (A file, not an inline script: the Content-Security-Policy allows no inline
// script.)
(function () {
  var template = document.getElementById("template_id");
  var approach = document.getElementById("approach");
  if (!template || !approach) { return; }
  template.addEventListener("change", function () {
    var option = template.options[template.selectedIndex];
    if (option && option.dataset.approach) { approach.value = option.dataset.approach; }
  });
})();
