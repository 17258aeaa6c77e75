// Save each questionnaire answer the moment it is chosen, so nothing is lost if the phone
// sleeps before "Next". The page works without this script: "Next" posts the same form.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector(".q-saved");

  function say(text, warning) {
    if (!status) { return; }
    status.textContent = text || "";
    status.classList.toggle("is-warning", Boolean(warning));
  }

  form.addEventListener("change", function (event) {
    if (!event.target || event.target.name !== "answer") { return; }
    var data = new FormData(form);
    data.delete("skip");
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok && body.saved) {
          say(status.dataset.savedText, false);
        } else if (body.reload) {
          say(status.dataset.reloadText, true);
        } else {
          say(body.message || status.dataset.offlineText, true);
        }
      });
    }).catch(function () {
      say(status.dataset.offlineText, true);
    });
  });
});
