// nomadlike UI: live fragments, log following, confirmations. No framework:
// the pages are rendered by the agent; this script only refreshes them.
(function () {
  "use strict";

  function status(text) {
    var s = document.getElementById("live-status");
    if (s) s.textContent = text;
  }

  // Requests in flight are aborted when the page goes away: a browser keeps
  // at most six connections to the agent, and a long poll left running by
  // each page visited would soon hold them all.
  var leaving = new AbortController();
  window.addEventListener("pagehide", function () { leaving.abort(); });

  function sleep(ms) {
    return new Promise(function (r) { setTimeout(r, ms); });
  }

  function visible() {
    if (!document.hidden) return Promise.resolve();
    return new Promise(function (r) {
      document.addEventListener("visibilitychange", function on() {
        if (!document.hidden) { document.removeEventListener("visibilitychange", on); r(); }
      });
    });
  }

  // focusKey remembers what has focus inside el so that the same element
  // (by id, or link by href) gets it back after a refresh.
  function focusKey(el) {
    var a = document.activeElement;
    if (!a || !el.contains(a)) return null;
    if (a.id) return "#" + CSS.escape(a.id);
    if (a.getAttribute("href")) return 'a[href="' + CSS.escape(a.getAttribute("href")) + '"]';
    return null;
  }

  // Live: ask for the page's fragment with the last index; the agent answers
  // once the page's data changed past it (or after its live wait).
  async function live(el) {
    var url = el.getAttribute("data-live");
    var index = el.getAttribute("data-index") || "0";
    var failures = 0;
    var last = 0;
    for (;;) {
      await visible();
      // At most one refresh a second: on a busy cluster the index moves
      // all the time, and each refresh re-reads the page's lists.
      var since = Date.now() - last;
      if (since < 1000) await sleep(1000 - since);
      last = Date.now();
      var resp;
      try {
        resp = await fetch(url + "&index=" + encodeURIComponent(index), { credentials: "same-origin", signal: leaving.signal });
      } catch (e) {
        if (leaving.signal.aborted) return;
        resp = null;
      }
      if (!resp || !resp.ok) {
        failures++;
        status("Live updates paused: " + (resp ? "the agent answered " + resp.status : "the agent is unreachable") + "; retrying.");
        await sleep(Math.min(30000, 1000 * Math.pow(2, failures)));
        continue;
      }
      failures = 0;
      var html;
      try {
        html = await resp.text();
      } catch (e) {
        return; // the page is going away
      }
      var next = resp.headers.get("X-UI-Index") || index;
      if (next !== index || el.innerHTML.trim() !== html.trim()) {
        var key = focusKey(el);
        el.innerHTML = html;
        if (key) {
          var f = el.querySelector(key);
          if (f) f.focus();
        }
        bind(el);
        status("Updated at " + new Date().toLocaleTimeString());
      }
      index = next;
    }
  }

  // Logs: follow the chosen task's stdout or stderr as server-sent events.
  function logs(form) {
    var pre = document.getElementById("log");
    var state = document.getElementById("log-state");
    var src = null;
    var max = 256 * 1024;
    function follow() {
      if (src) src.close();
      pre.textContent = "";
      var task = form.querySelector("[name=task]").value;
      var type = form.querySelector("[name=type]:checked").value;
      var url = form.getAttribute("data-logs") + "?task=" + encodeURIComponent(task) + "&type=" + encodeURIComponent(type);
      state.textContent = "Following " + task + " " + type + ".";
      src = new EventSource(url);
      src.onmessage = function (e) {
        var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.appendChild(document.createTextNode(e.data));
        if (pre.textContent.length > max) pre.textContent = pre.textContent.slice(-max / 2);
        if (atEnd) pre.scrollTop = pre.scrollHeight;
      };
      src.addEventListener("end", function () { state.textContent = "The log ended (the task is done)."; src.close(); });
      src.addEventListener("failure", function (e) { state.textContent = "Cannot follow the log: " + e.data; src.close(); });
      src.onerror = function () {
        if (src.readyState === EventSource.CLOSED || src.readyState === EventSource.CONNECTING) {
          src.close();
          state.textContent = "Disconnected. Press Follow to follow again.";
        }
      };
    }
    window.addEventListener("pagehide", function () { if (src) src.close(); });
    form.addEventListener("change", follow);
    form.querySelector("[data-follow]").addEventListener("click", follow);
    follow();
  }

  // bind wires forms that need a confirmation, and remembers the page for
  // the token form to come back to.
  function bind(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
    root.querySelectorAll("input[data-next]").forEach(function (i) {
      if (location.pathname !== "/ui/settings/tokens") i.value = location.pathname + location.search;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bind(document);
    var el = document.getElementById("live");
    if (el && el.getAttribute("data-live")) live(el);
    var lf = document.querySelector("form[data-logs]");
    if (lf) logs(lf);
  });
})();
