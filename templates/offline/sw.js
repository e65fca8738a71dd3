{% load static %}/* Aula's service worker (rendered by lms.progress.offline.service_worker, so the file
   names below are the hashed ones of this release and the worker changes with them).

   Caches:
   - "aula-shell-<release>": the offline page and the files every page needs, kept at
     install; older releases' shells are deleted on activate.
   - "aula-u<learner>-c<course>": one saved course of one learner ("Guardar para estudiar
     sin conexión"), filled and emptied by offline.js; a phone shared by two learners keeps
     two caches, and each learner is only ever served their own.
   - "aula-state": which learner signed in last on this phone ("" after signing out), from
     the X-Aula-Learner header of every page it fetches (and offline.js's message, for
     the page that installed it), so offline the worker knows whose copies to serve.

   Pages: network first. Online, a saved page that comes back fresh replaces its saved copy
   (the learner sees the latest published revision). Offline, the saved copy of the learner
   who signed in last, else the offline page (never the browser's error page). Files
   (CSS, JS, pictures): the cache first, then the network. Nothing else is touched: forms,
   the API and the admin go to the network as usual. */
"use strict";
var RELEASE = "{{ release }}";
var SHELL = "aula-shell-" + RELEASE;
var STATE = "aula-state";
var LEARNER_KEY = "/__aula/learner";
var OFFLINE_URL = "{{ offline_url }}";
var SHELL_FILES = [
  OFFLINE_URL,
  "{% static 'css/aula.css' %}",
  "{% static 'js/offline.js' %}",
  "{% static 'js/progress.js' %}",
  "{% static 'js/escuchar.js' %}",
  "{% static 'img/aula.svg' %}"
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL).then(function (cache) {
      return cache.addAll(SHELL_FILES);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("aula-shell-") === 0 && name !== SHELL;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "learner" || typeof data.learner !== "string") return;
  if (data.learner && !/^u\d+$/.test(data.learner)) return;
  event.waitUntil(caches.open(STATE).then(function (cache) {
    return cache.put(LEARNER_KEY, new Response(data.learner));
  }));
});

function currentLearner() {
  return caches.open(STATE).then(function (cache) {
    return cache.match(LEARNER_KEY);
  }).then(function (response) {
    return response ? response.text() : "";
  });
}

// The saved course caches of the learner who signed in last.
function learnerCaches() {
  return currentLearner().then(function (learner) {
    if (!learner) return [];
    var prefix = "aula-" + learner + "-c";
    return caches.keys().then(function (names) {
      return names.filter(function (name) { return name.indexOf(prefix) === 0; });
    });
  });
}

function matchIn(names, request, options) {
  var i = 0;
  function next() {
    if (i >= names.length) return Promise.resolve(undefined);
    var name = names[i++];
    return caches.open(name).then(function (cache) {
      return cache.match(request, options);
    }).then(function (found) { return found || next(); });
  }
  return next();
}

function savedCopy(request) {
  return learnerCaches().then(function (names) {
    return matchIn(names, request, {ignoreSearch: true}).then(function (found) {
      return {found: found, names: names};
    });
  });
}

function isPage(request) {
  return request.mode === "navigate";
}

function isFile(url) {
  return /^\/(static|media|documentos)\//.test(url.pathname);
}

// A responsive picture is saved in one size (the smallest); offline, any other size of the
// same picture is answered with it: "name.width-720.format-webp.webp" → "name.".
function sameImage(url) {
  var match = url.pathname.match(/^(.*\/images\/[^/]+?)\.(width|fill|max|min|original)[^/]*$/);
  return match ? match[1] + "." : null;
}

function anyRendition(names, url) {
  var stem = sameImage(url);
  if (!stem) return Promise.resolve(undefined);
  var i = 0;
  function next() {
    if (i >= names.length) return Promise.resolve(undefined);
    return caches.open(names[i++]).then(function (cache) {
      return cache.keys().then(function (requests) {
        for (var k = 0; k < requests.length; k++) {
          var path = new URL(requests[k].url).pathname;
          if (path.indexOf(stem) === 0) return cache.match(requests[k]);
        }
        return next();
      });
    });
  }
  return next();
}

// Every page says who is signed in (X-Aula-Learner, lms.middleware): signing out, or
// another person signing in, changes whose copies are served offline at once.
function remember(response) {
  var who = response.type === "basic" ? response.headers.get("X-Aula-Learner") : null;
  if (who === null || (who && !/^u\d+$/.test(who))) return Promise.resolve();
  return caches.open(STATE).then(function (cache) {
    return cache.put(LEARNER_KEY, new Response(who));
  });
}

function page(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    event.waitUntil(remember(response));
    // A fresh copy of a saved page replaces the saved one (same learner only).
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      event.waitUntil(savedCopy(request).then(function (saved) {
        if (!saved.found) return;
        return matchWhere(saved.names, request).then(function (name) {
          if (name) return caches.open(name).then(function (c) { return c.put(request, copy); });
        });
      }));
    }
    return response;
  }).catch(function () {
    return savedCopy(request).then(function (saved) {
      if (saved.found) return saved.found;
      return caches.match(OFFLINE_URL, {cacheName: SHELL}).then(function (offline) {
        return offline || Response.error();
      });
    });
  });
}

function matchWhere(names, request) {
  var i = 0;
  function next() {
    if (i >= names.length) return Promise.resolve(null);
    var name = names[i++];
    return caches.open(name).then(function (cache) {
      return cache.match(request, {ignoreSearch: true});
    }).then(function (found) { return found ? name : next(); });
  }
  return next();
}

function file(request) {
  var url = new URL(request.url);
  return caches.match(request, {cacheName: SHELL}).then(function (shell) {
    if (shell) return shell;
    return learnerCaches().then(function (names) {
      return matchIn(names, request).then(function (saved) {
        if (saved) return saved;
        return fetch(request).catch(function () {
          return anyRendition(names, url).then(function (other) {
            return other || Response.error();
          });
        });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  var sameOrigin = url.origin === self.location.origin;
  if (sameOrigin && /^\/(admin|api|django-admin|_util)\//.test(url.pathname)) return;
  if (sameOrigin && isPage(request)) {
    event.respondWith(page(event));
  } else if (sameOrigin ? isFile(url) : request.destination === "image") {
    // Pictures may live on the media storage's own host (S3 in production).
    event.respondWith(file(request));
  }
});
