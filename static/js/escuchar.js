/* Aula's "Escuchar": reads a lesson aloud with the phone's own Spanish voice (Web Speech
   API: the voice is on the phone, no data is spent), sentence by sentence, highlighting
   the sentence being read. Loaded (defer) by templates/courses/lesson_page.html. Plain JS,
   no dependencies, no inline script (the site's CSP forbids it). Every text it shows
   comes from the page (the <template> and data-* attributes that Django translates).

   - The controls are a <template> inside [data-escuchar]: without JS, or without a
     Spanish voice on this phone, there is nothing on the page. Voices load late in some
     browsers, so "voiceschanged" is listened to as well. Voice: one of the phone's own
     (localService) before a network one; es-MX, then es-US, then any Spanish.
   - What is read: the text of the lesson (<article>) as it is shown, block by block, so a
     heading never runs into the next paragraph; not buttons, forms, media players, closed
     transcripts, data-size notes (.meta) or anything not rendered.
   - One utterance per sentence (long utterances stop halfway in some browsers). Sentences
     end at . ! ? or … followed by a space and no lowercase letter; not after an
     abbreviation (Sr., Dra., p. ej., EE.UU.) or an initial.
   - The sentence being read is highlighted with the CSS Custom Highlight API
     (::highlight(escuchar) in aula.css), or, where the browser lacks it, wrapped in a
     <mark class="escuchar-actual"> that is taken out again before the next one.
   - Pausar/Continuar: where pausing stops the sentence (some Android phones), Continuar
     reads that sentence again. Speed: 0.8, 1 or 1.2, kept in localStorage.
   - Other languages: the lesson is Spanish, but an element with a lang attribute of
     another language (the English of a «Frase en inglés», content/blocks/phrase.html) is
     read with a voice of that language (en: en-US, then any English; a bit slower,
     FOREIGN_RATE), or left out where the phone has none: never with the Spanish voice.
   - «Escuchar en inglés» (phrase.html): each phrase's button is hidden until the phone
     has an English voice, and says that phrase with it at PHRASE_RATE, stopping a
     reading of the lesson first. It lives here, not in a file of its own, because it
     shares the one speechSynthesis queue with the reading (each stops the other) and the
     choice of voices; this file is already loaded on every lesson. */
(function () {
  "use strict";
  var root = document.querySelector("[data-escuchar]");
  var synth = window.speechSynthesis;
  if (!root || !synth || !window.SpeechSynthesisUtterance || root.dataset.escucharReady) {
    return;
  }
  root.dataset.escucharReady = "1";
  var article = root.closest("article") || document.querySelector("article");
  var template = root.querySelector("template");
  if (!article || !template) return;
  var texts = root.dataset;
  var RATE_KEY = "aula-escuchar-velocidad";
  var RATES = [0.8, 1, 1.2];
  var FOREIGN_RATE = 0.85;  // other languages, within a reading: a bit slower
  var PHRASE_RATE = 0.85;  // «Escuchar en inglés»
  // Regions preferred for each language, best first (after the phone's own voices).
  var PREFERRED = { es: ["es-mx", "es-us"], en: ["en-us"] };
  var SKIP = "button,input,select,textarea,form,label,audio,video,track,script,style," +
    "noscript,template,svg,canvas,iframe,object,img,picture,summary,nav,.meta," +
    "[data-escuchar],[aria-hidden=true],[hidden]";
  var ABBREVIATIONS = ("sr sra srta sres dr dra lic licda ing prof profa mtro mtra arq av col " +
    "cd pág págs núm art aprox ej tel ud uds fig vol depto cía sta sto gral").split(" ");
  var highlights = window.CSS && CSS.highlights && window.Highlight ? CSS.highlights : null;
  var reduceMotion = window.matchMedia &&
    window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var voice = null;  // Spanish
  var english = null;
  var voices = {};  // language → its voice for this reading (null: none, left out)
  var rate = storedRate();
  var sentences = [];
  var index = 0;
  var state = "idle";  // "reading" | "paused"
  var current = null;  // the utterance in flight, if any
  var undo = [];  // how to take the <mark> fallback out again
  var ui = null;

  function storedRate() {
    try {
      var value = parseFloat(window.localStorage.getItem(RATE_KEY));
      return RATES.indexOf(value) >= 0 ? value : 1;
    } catch (e) {
      return 1;
    }
  }

  // The primary language of a lang attribute: "en-US" → "en"; "" (unknown) → "".
  function languageOf(tag) {
    return String(tag || "").replace("_", "-").toLowerCase().split("-")[0];
  }

  // The best voice for a language ("es"): one of the phone's own (localService) before a
  // network one, then the regions in PREFERRED in order, then any region.
  function pickVoice(language) {
    var preferred = PREFERRED[language] || [];
    var best = null;
    var bestScore = 0;
    (synth.getVoices() || []).forEach(function (candidate) {
      var lang = String(candidate.lang || "").replace("_", "-").toLowerCase();
      if (languageOf(lang) !== language) return;
      var rank = preferred.indexOf(lang);
      var score = (rank < 0 ? 1 : 1 + preferred.length - rank) +
        (candidate.localService ? 10 : 0);
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    });
    return best;
  }

  // --- What is read -------------------------------------------------------------------

  // Runs of text read together, each in one language ("es" unless an element says
  // otherwise with its lang attribute: a change of language starts a new run).
  function collectGroups() {
    var groups = [];
    var group = null;
    function walk(element, language) {
      for (var node = element.firstChild; node; node = node.nextSibling) {
        if (node.nodeType === 3) {
          if (!group) {
            group = { nodes: [], starts: [], text: "", lang: language };
            groups.push(group);
          }
          group.starts.push(group.text.length);
          group.nodes.push(node);
          group.text += node.data;
        } else if (node.nodeType === 1) {
          if (node.matches(SKIP) || (node.tagName === "DETAILS" && !node.open)) continue;
          if (node.tagName === "BR") {
            group = null;
            continue;
          }
          if (!node.getClientRects().length) continue;  // not shown
          var inner = node.hasAttribute("lang") ? languageOf(node.getAttribute("lang")) || "es"
            : language;
          var apart = inner !== language ||
            !/^inline/.test(window.getComputedStyle(node).display);
          if (apart) group = null;
          walk(node, inner);
          if (apart) group = null;
        }
      }
    }
    walk(article, "es");
    return groups;
  }

  function isAbbreviation(before) {
    var word = /([^\s¿¡("«“]+)$/.exec(before);
    if (!word) return false;
    var w = word[1].toLowerCase();
    // an initial (J.), letters with dots (EE.UU., p.m.) or a known abbreviation (Dra.)
    return /^\p{L}$/u.test(w) || /^(\p{L}{1,3}\.)+\p{L}{1,3}$/u.test(w) ||
      ABBREVIATIONS.indexOf(w) >= 0;
  }

  // [start, end) of each sentence of text.
  function sentenceBounds(text) {
    var bounds = [];
    var start = 0;
    var end;
    var match;
    var re = /[.!?…]+["'»”’)\]]*/g;
    function add(from, to) {
      while (from < to && /\s/.test(text.charAt(from))) from++;
      while (to > from && /\s/.test(text.charAt(to - 1))) to--;
      if (/[\p{L}\p{N}]/u.test(text.slice(from, to))) bounds.push([from, to]);
    }
    while ((match = re.exec(text))) {
      end = match.index + match[0].length;
      var rest = text.slice(end);
      if (rest && !/^\s/.test(rest)) continue;  // 2.5, www.gob.mx
      var next = rest.replace(/^\s+/, "").charAt(0);
      if (next && next !== next.toUpperCase()) continue;  // a lowercase letter follows
      if (/^\.+$/.test(match[0].replace(/["'»”’)\]]+$/, "")) &&
          isAbbreviation(text.slice(start, match.index))) {
        continue;
      }
      add(start, end);
      start = end;
    }
    add(start, text.length);
    return bounds;
  }

  function collectSentences() {
    var result = [];
    collectGroups().forEach(function (group) {
      sentenceBounds(group.text).forEach(function (bound) {
        result.push({
          group: group,
          start: bound[0],
          end: bound[1],
          lang: group.lang,
          text: group.text.slice(bound[0], bound[1]).replace(/\s+/g, " "),
        });
      });
    });
    return result;
  }

  // --- Highlight ----------------------------------------------------------------------

  function point(group, offset, isEnd) {
    for (var i = group.nodes.length - 1; i > 0; i--) {
      if (isEnd ? group.starts[i] < offset : group.starts[i] <= offset) break;
    }
    return [group.nodes[i], offset - group.starts[i]];
  }

  function clearHighlight() {
    if (highlights) highlights.delete("escuchar");
    while (undo.length) undo.pop()();
  }

  function wrap(node, from, to) {
    var original = node.data;
    var mark = document.createElement("mark");
    mark.className = "escuchar-actual";
    mark.textContent = original.slice(from, to);
    var after = document.createTextNode(original.slice(to));
    node.data = original.slice(0, from);
    node.parentNode.insertBefore(after, node.nextSibling);
    node.parentNode.insertBefore(mark, after);
    undo.push(function () {
      mark.remove();
      after.remove();
      node.data = original;
    });
    return mark;
  }

  function highlight(sentence) {
    clearHighlight();
    var group = sentence.group;
    var rect;
    if (highlights) {
      var a = point(group, sentence.start, false);
      var b = point(group, sentence.end, true);
      var range = document.createRange();
      range.setStart(a[0], a[1]);
      range.setEnd(b[0], b[1]);
      highlights.set("escuchar", new window.Highlight(range));
      rect = range.getBoundingClientRect();
    } else {
      var first = null;
      group.nodes.forEach(function (node, i) {
        var from = Math.max(sentence.start - group.starts[i], 0);
        var to = Math.min(sentence.end - group.starts[i], node.data.length);
        if (to > from) {
          var mark = wrap(node, from, to);
          first = first || mark;
        }
      });
      rect = first && first.getBoundingClientRect();
    }
    if (rect && (rect.top < 0 || rect.bottom > window.innerHeight)) {
      window.scrollBy({
        top: rect.top - window.innerHeight / 3,
        behavior: reduceMotion ? "auto" : "smooth",
      });
    }
  }

  // --- Speaking -----------------------------------------------------------------------

  // The voice that reads a language in this reading, or null (the text is left out).
  function voiceFor(language) {
    if (!(language in voices)) voices[language] = pickVoice(language);
    return voices[language];
  }

  function speak(i) {
    while (i < sentences.length && !voiceFor(sentences[i].lang)) i++;  // no voice: skip
    if (i >= sentences.length) {
      finish(texts.msgDone);
      return;
    }
    index = i;
    var sentence = sentences[i];
    var reader = voiceFor(sentence.lang);
    var utterance = new window.SpeechSynthesisUtterance(sentence.text);
    utterance.voice = reader;
    utterance.lang = reader.lang;
    utterance.rate = sentence.lang === "es" ? rate : rate * FOREIGN_RATE;
    utterance.onend = function () {
      if (current !== utterance) return;
      current = null;
      if (state === "reading") speak(index + 1);
    };
    utterance.onerror = function () {
      if (current !== utterance) return;
      current = null;
      if (state === "reading") finish(texts.msgError);
    };
    current = utterance;
    highlight(sentence);
    if (synth.paused) synth.resume();  // Chrome stays paused after cancel() while paused
    synth.speak(utterance);
  }

  function silence() {
    current = null;
    synth.cancel();
  }

  function start() {
    voices = { es: voice, en: english };
    sentences = collectSentences();
    if (!sentences.length) return;
    silence();
    state = "reading";
    speak(0);
    render(texts.msgReading);
  }

  function pauseOrResume() {
    if (state === "reading") {
      state = "paused";
      synth.pause();
      render(texts.msgPaused);
    } else if (state === "paused") {
      state = "reading";
      if (current && synth.speaking) {
        synth.resume();
      } else {
        speak(index);  // the sentence was dropped while paused: read it again
      }
      render(texts.msgReading);
    }
  }

  function finish(message) {
    var hadFocus = ui && ui.root.contains(document.activeElement);
    state = "idle";
    silence();
    clearHighlight();
    render(message);
    if (hadFocus && document.activeElement !== ui.main) ui.main.focus();
  }

  function setRate(value) {
    rate = value;
    try {
      window.localStorage.setItem(RATE_KEY, String(value));
    } catch (e) {
      // no storage (private mode): the speed lasts for this page only
    }
    if (state !== "idle") {
      silence();  // read the sentence again at the new speed
      if (state === "reading") speak(index);
    }
    render();
  }

  // --- Controls -----------------------------------------------------------------------

  function render(message) {
    if (!ui) return;
    ui.label.textContent = state === "reading" ? texts.labelPause
      : state === "paused" ? texts.labelResume : texts.labelListen;
    ui.stop.disabled = state === "idle";
    ui.rates.forEach(function (button) {
      button.setAttribute("aria-pressed", String(parseFloat(button.dataset.rate) === rate));
    });
    if (message !== undefined) ui.status.textContent = message || "";
  }

  // --- «Escuchar en inglés» -------------------------------------------------------------

  var phraseButtons = Array.prototype.slice.call(
    article.querySelectorAll("[data-frase-escuchar]"));

  function sayPhrase(button) {
    var block = button.closest("[data-frase]");
    var source = block && block.querySelector("[data-frase-texto]");
    var text = source ? source.textContent.replace(/\s+/g, " ").trim() : "";
    if (!english || !text) return;
    if (state !== "idle") finish("");  // the lesson's reading stops
    silence();  // and so does a phrase still being said
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.voice = english;
    utterance.lang = english.lang;
    utterance.rate = PHRASE_RATE;
    if (synth.paused) synth.resume();
    synth.speak(utterance);
  }

  phraseButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      sayPhrase(button);
    });
  });

  function show() {
    var found = pickVoice("es");
    if (found) voice = found;
    found = pickVoice("en");
    if (found) english = found;
    phraseButtons.forEach(function (button) {
      button.hidden = !english;
    });
    if (!voice || ui) return;
    root.appendChild(template.content.cloneNode(true));
    ui = {
      root: root,
      main: root.querySelector("[data-escuchar-main]"),
      label: root.querySelector("[data-escuchar-label]"),
      stop: root.querySelector("[data-escuchar-stop]"),
      status: root.querySelector("[data-escuchar-status]"),
      rates: Array.prototype.slice.call(root.querySelectorAll("[data-rate]")),
    };
    ui.main.addEventListener("click", function () {
      if (state === "idle") start(); else pauseOrResume();
    });
    ui.stop.addEventListener("click", function () {
      finish(texts.msgStopped);
      ui.main.focus();
    });
    ui.rates.forEach(function (button) {
      button.addEventListener("click", function () {
        setRate(parseFloat(button.dataset.rate));
      });
    });
    render("");
    root.hidden = false;
  }

  show();
  if (synth.addEventListener) {
    synth.addEventListener("voiceschanged", show);
  } else {
    synth.onvoiceschanged = show;
  }
  // Leaving the page stops the voice (and a page restored from the back/forward cache
  // shows "Escuchar" again, not a reading that is no longer going on).
  window.addEventListener("pagehide", function () {
    if (state !== "idle") finish("");
  });
})();
