// Kassa hosted checkout: copy buttons, countdown, live status (SSE, falling back to polling)
// and the devnet's simulate button. The page works without this script; it only saves reloads.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var key = live.getAttribute("data-key");
  var statusUrl = live.getAttribute("data-status-url");
  var eventsUrl = live.getAttribute("data-events-url");
  var timer = null;
  var pollTimer = null;
  var source = null;

  function copy(button) {
    var text = button.getAttribute("data-copy");
    var label = button.textContent;
    function done() {
      button.textContent = button.getAttribute("data-copied");
      setTimeout(function () { button.textContent = label; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* nothing to do */ }
      document.body.removeChild(area);
    }
  }

  function format(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function startCountdown() {
    if (timer) clearInterval(timer);
    var el = document.getElementById("countdown");
    if (!el) return;
    var expires = Date.parse(el.getAttribute("data-expires"));
    function tick() {
      var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      if (left <= 0) {
        el.textContent = el.getAttribute("data-expired-text");
        clearInterval(timer);
        timer = null;
        refresh();
        return;
      }
      el.textContent = format(left);
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  function bindSimulate() {
    var form = live.querySelector("form[data-simulate]");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter;
      var body = new URLSearchParams();
      body.set("mode", button && button.value ? button.value : "full");
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      fetch(form.action, {
        method: "POST",
        body: body,
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        var status = live.querySelector(".sim-status");
        if (status && response.ok) status.textContent = form.getAttribute("data-sent");
        if (!response.ok) buttons.forEach(function (b) { b.disabled = false; });
        refresh();
      }, function () { buttons.forEach(function (b) { b.disabled = false; }); });
    });
  }

  function bind() {
    live.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () { copy(button); });
    });
    startCountdown();
    bindSimulate();
  }

  function apply(state) {
    if (state.key !== key) {
      key = state.key;
      live.setAttribute("data-key", key);
      live.setAttribute("data-final", state.final ? "true" : "false");
      live.innerHTML = state.html;
      bind();
    }
    if (state.final) stop();
  }

  function stop() {
    if (source) { source.close(); source = null; }
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  function refresh() {
    return fetch(statusUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) apply(state); }, function () { /* retry on next tick */ });
  }

  function poll() {
    if (pollTimer) return;
    pollTimer = setInterval(refresh, 3000);
  }

  function listen() {
    if (!window.EventSource) { poll(); return; }
    var heard = false;
    source = new EventSource(eventsUrl);
    source.addEventListener("status", function (event) {
      heard = true;
      apply(JSON.parse(event.data));
    });
    source.onerror = function () {
      if (source && source.readyState === EventSource.CLOSED) { source = null; poll(); }
    };
    // A proxy that buffers event streams would leave us waiting forever: poll instead.
    setTimeout(function () { if (!heard && source) { source.close(); source = null; poll(); } }, 15000);
  }

  bind();
  if (live.getAttribute("data-final") !== "true") listen();
})();
