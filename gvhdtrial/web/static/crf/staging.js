// Live staging on the GVHD assessment form: every change posts the raw measurements to
// /api/protocol/stage, where the protocol engine (Python) stages them; this script only shows
// the answer. No rule lives here.
(function () {
  "use strict";
  var form = document.getElementById("crf-form");
  if (!form) return;
  var NUMBERS = ["skin_bsa_percent", "skin_desquamation_percent", "bilirubin",
                 "stool_ml_per_day", "stool_episodes_per_day", "weight_kg"];
  var FLAGS = ["skin_bullae", "upper_gi_persistent", "stool_mixed_with_urine",
               "severe_abdominal_pain", "ileus", "bloody_stool"];
  var ORGANS = ["skin", "liver", "upper_gi", "lower_gi"];
  var seq = 0, timer = null;

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }
  function payload() {
    var body = { patient_id: Number(form.dataset.patient) };
    if (form.dataset.row) body.assessment_id = Number(form.dataset.row);
    NUMBERS.forEach(function (name) {
      var el = form.elements[name];
      if (!el || el.value.trim() === "") return;
      var x = Number(el.value);
      if (!isNaN(x)) body[name] = x;
    });
    FLAGS.forEach(function (name) {
      var el = form.elements[name];
      if (el) body[name] = el.checked;
    });
    var unit = form.elements["bilirubin_unit"];
    if (unit && unit.value) body.bilirubin_unit = unit.value;
    return body;
  }
  function show(data) {
    var panel = document.getElementById("live-staging");
    if (data.ok && data.assessed === false) {
      // A blank assessment: no stage, grade or response (the server says which organs).
      text("staging-error", "");
      ORGANS.forEach(function (organ) {
        var stage = data.stages ? data.stages[organ] : undefined;
        text("stage-" + organ, stage === undefined ? "–" : String(stage));
      });
      text("grade", panel.dataset.notAssessed);
      text("response", panel.dataset.notAssessed);
      text("baseline-stages", "");
      text("lower-gi-note", "");
      panel.dataset.seq = String(seq);
      return;
    }
    text("staging-error", data.ok ? "" : data.error);
    ORGANS.forEach(function (organ) {
      text("stage-" + organ, data.ok ? String(data.stages[organ]) : "–");
    });
    text("grade", data.ok ? data.grade_roman : "–");
    text("response", data.is_baseline ? panel.dataset.isBaseline
      : (data.ok && data.response ? data.response : "–"));
    // The words come from the page (translated there); the stages fill their {organ} places.
    text("baseline-stages", data.is_baseline ? "" : data.baseline_stages ?
      panel.dataset.baselineStages.replace(/\{(\w+)\}/g, function (all, organ) {
        return String(data.baseline_stages[organ]);
      }) : panel.dataset.noBaseline);
    text("lower-gi-note", data.lower_gi_note || "");
    document.getElementById("live-staging").dataset.seq = String(seq);
  }
  function update() {
    var mine = ++seq;
    fetch("/api/protocol/stage", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(payload())
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (mine === seq) show(data);
    }).catch(function () {
      text("staging-error", document.getElementById("live-staging").dataset.noAnswer);
    });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  update();
})();
