// agentmd board: live updates over server-sent events, filters without reloads, actions.
// No library: EventSource, fetch and the DOM are enough for this page.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var badge = document.getElementById("live");
  var wants = (document.body.getAttribute("data-live") || "").split(" ").filter(Boolean);
  var tokenMeta = document.querySelector('meta[name="agentmd-token"]');
  var token = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var loading = null;
  var again = false;

  function setState(name) {
    if (!badge) return;
    badge.className = "live " + name;
    badge.textContent = name;
  }

  function fragmentUrl() {
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    return url.toString();
  }

  function reload() {
    if (loading) { again = true; return; }
    var focused = document.activeElement;
    var focusName = focused && focused.name && main.contains(focused) ? focused.name : null;
    loading = fetch(fragmentUrl(), { headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var before = main.querySelectorAll("details");
        var wasOpen = Array.prototype.map.call(before, function (d) { return d.open; });
        main.innerHTML = html;
        var after = main.querySelectorAll("details");
        for (var i = 0; i < after.length && i < wasOpen.length; i++) {
          if (wasOpen[i]) after[i].open = true;
        }
        if (focusName) {
          var field = main.querySelector('[name="' + focusName + '"]');
          if (field) {
            field.focus();
            if (field.setSelectionRange && field.value) {
              field.setSelectionRange(field.value.length, field.value.length);
            }
          }
        }
        document.body.setAttribute("data-version", String(version));
      })
      .catch(function () { setState("error"); })
      .then(function () {
        loading = null;
        if (again) { again = false; reload(); }
      });
  }

  var version = 0;
  if (window.EventSource && wants.length) {
    var source = new EventSource("/events");
    source.addEventListener("hello", function (e) {
      var data = JSON.parse(e.data);
      if (version && data.version !== version) reload();
      version = data.version;
      document.body.setAttribute("data-version", String(version));
      setState("live");
    });
    source.addEventListener("change", function (e) {
      var data = JSON.parse(e.data);
      version = data.version;
      var hit = data.kinds.some(function (k) { return wants.indexOf(k) >= 0; });
      if (hit) reload();
      else document.body.setAttribute("data-version", String(version));
    });
    source.onerror = function () { setState("reconnecting"); };
  } else {
    setState(wants.length ? "not live" : "static");
  }

  // Filters: typing updates the address and the columns; the form still works without script.
  var timer = null;
  main.addEventListener("input", function (e) {
    var form = e.target.form;
    if (!form || !form.classList.contains("filters")) return;
    clearTimeout(timer);
    timer = setTimeout(function () { applyFilters(form); }, 150);
  });
  main.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.classList.contains("filters") && e.target.tagName === "SELECT") {
      applyFilters(form);
    }
  });
  main.addEventListener("submit", function (e) {
    if (e.target.classList.contains("filters")) {
      e.preventDefault();
      applyFilters(e.target);
    }
  });

  function applyFilters(form) {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.value) params.set(el.name, el.value);
    });
    var query = params.toString();
    history.replaceState(null, "", "/" + (query ? "?" + query : ""));
    reload();
  }

  // Actions: a POST with this run's token; the answer is shown as the CLI would print it.
  var toast = document.getElementById("toast");
  function say(text, ok) {
    if (!toast) return;
    toast.textContent = text;
    toast.className = ok ? "ok" : "refused";
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { toast.hidden = true; }, 6000);
  }
  main.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.action") : null;
    if (!button) return;
    e.preventDefault();
    button.disabled = true;
    var url = "/action/" + encodeURIComponent(button.getAttribute("data-action")) + "/" +
      encodeURIComponent(button.getAttribute("data-task"));
    fetch(url, { method: "POST", headers: { "X-Agentmd-Token": token } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var lines = (data.problems || []).concat([data.message]);
        if (data.hint) lines.push("hint: " + data.hint);
        say(lines.join("\n"), data.ok);
      })
      .catch(function () { say("the board did not answer", false); })
      .then(function () { button.disabled = false; });
  });
})();
