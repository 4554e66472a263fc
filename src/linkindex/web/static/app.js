// linkindex: results update as you type. No framework; loaded with `defer`, never inline.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var found = document.getElementById("found");
  if (!form || !found) { return; }
  var box = form.querySelector("input[name=q]");
  var part = form.getAttribute("data-part");
  var timer = null;
  var inflight = null;
  var lastQuery = null;

  function queryString() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (String(value).trim() !== "") { params.append(key, String(value)); }
    });
    return params.toString();
  }

  function refresh() {
    var qs = queryString();
    if (qs === lastQuery) { return; }
    lastQuery = qs;
    if (inflight) { inflight.abort(); }
    inflight = new AbortController();
    found.classList.add("busy");
    fetch(part + (qs ? "?" + qs : ""), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      signal: inflight.signal
    }).then(function (response) {
      return response.text().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      // The server renders this fragment with every crawled text escaped or sanitised.
      found.innerHTML = result.body;
      found.classList.remove("busy");
      history.replaceState(null, "", "/" + (qs ? "?" + qs : ""));
      document.title = (box.value.trim() || "Search") + " · linkindex";
    }).catch(function (error) {
      if (error.name !== "AbortError") { found.classList.remove("busy"); }
    });
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    lastQuery = null;
    refresh();
  });
  lastQuery = queryString();
})();
