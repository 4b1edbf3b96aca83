/* Hilum Workbench: vanilla JavaScript, no dependencies, no storage. Talks only to the same-origin Hilum API.
   Spans in Hilum results count Unicode scalars (code points), so text is sliced with Array.from(text). */
(function () {
'use strict';

var ASSERTION_RANK = { present: 3, uncertain: 2, absent: 1 };

// ---- pure helpers (also run under node)

function clampSpan(span, n) {
  if (!Array.isArray(span) || span.length < 2) return null;
  var a = Number(span[0]), b = Number(span[1]);
  if (!isFinite(a) || !isFinite(b)) return null;
  a = Math.max(0, Math.min(n, Math.floor(a)));
  b = Math.max(0, Math.min(n, Math.floor(b)));
  return a < b ? [a, b] : null;
}

/* Splits the text at every span boundary (findings, evidence cues, locations, section headers) and
   groups the pieces into runs covered by the same set of findings. Each run becomes at most one
   <mark>; the leaves inside it carry the cue/location/header memberships, so nothing ever crosses. */
function buildSegments(text, result) {
  var cps = Array.from(text || '');
  var n = cps.length;
  var findings = (result && Array.isArray(result.findings)) ? result.findings : [];
  var sections = (result && Array.isArray(result.sections)) ? result.sections : [];
  var items = [];
  var cues = [];
  var cueByKey = {};
  var fspan = {};
  findings.forEach(function (f, i) {
    var id = f && f.id != null ? String(f.id) : 'f' + (i + 1);
    var s = clampSpan(f && f.span, n);
    if (s) { items.push({ type: 'finding', start: s[0], end: s[1], id: id, order: i }); fspan[id] = s; }
    (f && Array.isArray(f.evidence) ? f.evidence : []).forEach(function (ev) {
      var s2 = clampSpan(ev && ev.span, n);
      if (!s2) return;
      var key = (ev.rule || '') + '@' + s2[0] + ':' + s2[1];
      var c = cueByKey[key];
      if (!c) {
        c = { rule: String(ev.rule || ''), category: String(ev.category || ''), start: s2[0], end: s2[1], owners: [] };
        cueByKey[key] = c; cues.push(c);
        items.push({ type: 'cue', start: s2[0], end: s2[1], cue: c });
      }
      if (c.owners.indexOf(id) < 0) c.owners.push(id);
    });
    (f && Array.isArray(f.locations) ? f.locations : []).forEach(function (l) {
      var s3 = clampSpan(l && l.span, n);
      if (s3) items.push({ type: 'loc', start: s3[0], end: s3[1], name: String(l.name || l.text || ''), owner: id });
    });
  });
  sections.forEach(function (sec) {
    var s4 = clampSpan(sec && sec.header_span, n);
    if (s4) items.push({ type: 'hdr', start: s4[0], end: s4[1], kind: String(sec.kind || '') });
  });

  var bset = {}; bset[0] = true; bset[n] = true;
  items.forEach(function (it) { bset[it.start] = true; bset[it.end] = true; });
  var cuts = Object.keys(bset).map(Number).sort(function (a, b) { return a - b; });

  var runs = [];
  var cur = null;
  for (var k = 0; k + 1 < cuts.length; k++) {
    var st = cuts[k], en = cuts[k + 1];
    if (st >= en) continue;
    var leaf = { start: st, end: en, text: cps.slice(st, en).join(''), findings: [], cues: [], locs: [], hdr: null };
    items.forEach(function (it) {
      if (it.start > st || it.end < en) return;
      if (it.type === 'finding') leaf.findings.push(it);
      else if (it.type === 'cue') leaf.cues.push(it.cue);
      else if (it.type === 'loc') leaf.locs.push(it);
      else if (it.type === 'hdr') leaf.hdr = it.kind;
    });
    leaf.findings.sort(function (a, b) { return (a.end - a.start) - (b.end - b.start) || a.start - b.start || a.order - b.order; });
    var ids = leaf.findings.map(function (it) { return it.id; });
    var key = ids.slice().sort().join(' ');
    if (!cur || cur.key !== key) {
      cur = { key: key, findings: ids, primary: ids.length ? ids[0] : null, start: st, end: en, leaves: [] };
      runs.push(cur);
    }
    cur.end = en;
    cur.leaves.push(leaf);
  }
  runs.forEach(function (run) {
    run.endsFindings = run.findings.filter(function (id) { return fspan[id] && fspan[id][1] === run.end; });
  });
  return { cps: cps, runs: runs, cues: cues };
}

function sliceCP(cps, span) {
  var s = clampSpan(span, cps.length);
  return s ? cps.slice(s[0], s[1]).join('') : '';
}

/* Region names that have no shape of their own in the schematic map to the shapes that contain them. */
var REGION_FALLBACK = {
  'lung': ['right lung', 'left lung'], 'diaphragm': ['right hemidiaphragm', 'left hemidiaphragm'],
  'heart': ['cardiac silhouette'], 'heart atrium left': ['cardiac silhouette'], 'heart ventricle left': ['left cardiac silhouette'],
  'heart ventricle right': ['cardiac silhouette'], 'aorta': ['aortic arch', 'descending aorta'], 'ascending aorta': ['mediastinum'],
  'pulmonary artery': ['mediastinum'], 'esophagus': ['mediastinum'], 'lower mediastinum': ['mediastinum'],
  'anterior mediastinum': ['mediastinum'], 'middle mediastinum': ['mediastinum'], 'posterior mediastinum': ['mediastinum'],
  'sternum': ['mediastinum'], 'stomach': ['left upper abdomen'], 'liver': ['right upper abdomen'],
  'breast': ['right chest wall', 'left chest wall'], 'right breast': ['right chest wall'], 'left breast': ['left chest wall'],
  'right arm': ['right shoulder'], 'left arm': ['left shoulder'], 'right humerus': ['right shoulder'], 'left humerus': ['left shoulder'],
  'scapula right': ['right shoulder'], 'scapula left': ['left shoulder'], 'right ribs': ['right chest wall'], 'left ribs': ['left chest wall'],
  'lung upper lobe right': ['right upper lung zone'], 'lung middle lobe right': ['right mid lung zone'],
  'lung lower lobe right': ['right lower lung zone'], 'lung upper lobe left': ['left upper lung zone'],
  'lung lower lobe left': ['left lower lung zone']
};
function mapRegion(name, drawn) {
  var r = String(name || '').toLowerCase().trim();
  if (drawn[r]) return [r];
  if (REGION_FALLBACK[r]) return REGION_FALLBACK[r].filter(function (x) { return drawn[x]; });
  if (/spine|vertebra/.test(r)) return drawn.spine ? ['spine'] : [];
  if (/\brib\b/.test(r)) {
    if (/right/.test(r)) return ['right chest wall'];
    if (/left/.test(r)) return ['left chest wall'];
  }
  return [];
}

function bestAssertion(list) {
  var best = null, rank = 0;
  list.forEach(function (a) { var r = ASSERTION_RANK[a] || 0; if (r > rank) { rank = r; best = a; } });
  return best;
}

if (typeof module !== 'undefined' && module.exports) {
  module.exports = { buildSegments: buildSegments, clampSpan: clampSpan, sliceCP: sliceCP, mapRegion: mapRegion, bestAssertion: bestAssertion };
}
if (typeof document === 'undefined') return;

// ---- DOM helpers

function $(id) { return document.getElementById(id); }
function el(tag, attrs, children) {
  var e = document.createElement(tag);
  if (attrs) Object.keys(attrs).forEach(function (k) {
    var v = attrs[k];
    if (v == null || v === false) return;
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v === true ? '' : String(v));
  });
  (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return e;
}
var SVGNS = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs) {
  var e = document.createElementNS(SVGNS, tag);
  Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
  return e;
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
function str(v) { return v == null ? '' : (typeof v === 'object' ? JSON.stringify(v) : String(v)); }
function conceptName(f) { return (f && f.concept && (f.concept.name || f.concept.cui)) || (f && f.text) || ''; }
function assertionClass(a) { return ASSERTION_RANK[a] ? a : 'other'; }
function assertionBadge(a) { return el('span', { 'class': 'a a-' + assertionClass(a), text: a || '—' }); }
function idsOf(node, attr) { var v = node.getAttribute(attr); return v ? v.split(' ') : []; }

function setStatus(msg, kind) {
  var s = $('status');
  s.textContent = msg;
  s.setAttribute('data-kind', kind || 'info');
}
function setState(state) { document.body.setAttribute('data-state', state); }

// ---- API

function ApiError(code, message) { this.code = code; this.message = message; }
function describeError(e) {
  if (e instanceof ApiError) return e.code + (e.message ? ': ' + e.message : '');
  return 'client.error: ' + (e && e.message ? e.message : String(e));
}

function api(op, params, method) {
  var headers = { 'Accept': 'application/json' };
  var init = { method: method || 'POST', headers: headers, cache: 'no-store', credentials: 'same-origin' };
  if (init.method === 'POST') { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(params || {}); }
  var tok = $('token').value.trim();
  if (tok) headers['Authorization'] = 'Bearer ' + tok;
  return fetch('/v1/' + op, init).then(function (res) {
    return res.text().then(function (txt) {
      var body;
      try { body = JSON.parse(txt); } catch (e) { throw new ApiError('http.' + res.status, 'the server answered ' + res.status + ' without JSON'); }
      if (body && body.ok === true) return body.result;
      if (body && body.ok === false) {
        var err = body.error || {};
        throw new ApiError(err.code || 'error', err.message || '');
      }
      if (!res.ok) throw new ApiError('http.' + res.status, res.statusText || '');
      return body;
    });
  }, function (e) { throw new ApiError('network.error', e && e.message ? e.message : String(e)); });
}

// ---- state

var S = {
  text: '', result: null, byId: {}, cps: [], selected: null,
  regionFindings: {}, findingRegions: {}, lookups: {}, scene: null,
  query: { params: null, offset: 0, total: 0, limit: 50 }
};

var EXAMPLES = {
  en: 'EXAMINATION: Chest radiograph, PA and lateral.\n' +
      'FINDINGS: Small left pleural effusion with adjacent basilar atelectasis. No pneumothorax. ' +
      'Possible right lower lobe consolidation; pneumonia cannot be excluded. ' +
      'Moderate cardiomegaly, stable compared with the prior study. Mild pulmonary edema has improved.\n' +
      'IMPRESSION: Stable cardiomegaly. No acute osseous abnormality.',
  es: 'Radiografía de tórax PA y lateral.\n' +
      'HALLAZGOS: Derrame pleural izquierdo leve con atelectasia basal adyacente. No se aprecia neumotórax. ' +
      'Posible consolidación en el lóbulo inferior derecho, sin poder descartar neumonía. ' +
      'Cardiomegalia moderada, sin cambios respecto al estudio previo. Leve mejoría del edema intersticial.\n' +
      'CONCLUSIÓN: Cardiomegalia estable. Sin lesiones óseas agudas.'
};

// ---- analyze

function analyze() {
  var text = $('report-text').value;
  var lang = $('lang').value || 'auto';
  if (!text.trim()) {
    setStatus('Paste or type a report first.', 'error');
    setState('error');
    return Promise.resolve();
  }
  setState('busy');
  setStatus('Analyzing…', 'busy');
  $('analyze').disabled = true;
  var t0 = Date.now();
  return api('analyze', { text: text, lang: lang }).then(function (result) {
    showResult(text, result || {});
    var n = (S.result.findings || []).length;
    setStatus('Analyzed in ' + (Date.now() - t0) + ' ms: ' + n + ' finding' + (n === 1 ? '' : 's') +
      (S.result.language ? ', language ' + S.result.language : '') + '.', 'ok');
    setState('done');
  }).catch(function (e) {
    setStatus('Analyze failed — ' + describeError(e), 'error');
    setState('error');
  }).then(function () { $('analyze').disabled = false; });
}

function showResult(text, result) {
  S.text = text; S.result = result; S.selected = null; S.byId = {};
  if (!Array.isArray(result.findings)) result.findings = [];
  result.findings.forEach(function (f, i) { if (f.id == null) f.id = 'f' + (i + 1); S.byId[String(f.id)] = f; });
  $('detected-lang').textContent = result.language ? '(' + result.language + ')' : '';
  renderText();
  renderFindingsTable();
  renderLabels(result.labels || {});
  renderWarnings(result.warnings);
  shadeRegions();
  if (S.scene) renderScene();
  renderDetails();
  $('raw-json').textContent = JSON.stringify(result, null, 2);
}

function renderText() {
  var box = $('rendered');
  var model = buildSegments(S.text, S.result);
  S.cps = model.cps;
  clear(box);
  if (S.result.language) box.setAttribute('lang', S.result.language); else box.removeAttribute('lang');
  var frag = document.createDocumentFragment();
  model.runs.forEach(function (run) {
    var parent = frag;
    if (run.findings.length) {
      var f = S.byId[run.primary];
      var a = f.assertion;
      var mark = el('mark', {
        'class': 'finding ' + assertionClass(a), 'data-finding': run.primary, 'data-concept': conceptName(f),
        'data-assertion': a || '', 'data-findings': run.findings.length > 1 ? run.findings.join(' ') : null,
        tabindex: '0', title: conceptName(f) + ' — ' + (a || '?') + ' (' + run.primary + ')'
      });
      frag.appendChild(mark);
      parent = mark;
    }
    run.leaves.forEach(function (leaf) {
      if (!leaf.cues.length && !leaf.locs.length && !leaf.hdr) { parent.appendChild(document.createTextNode(leaf.text)); return; }
      var cls = [], titles = [];
      if (leaf.hdr) { cls.push('hdr'); titles.push('section: ' + leaf.hdr); }
      if (leaf.locs.length) { cls.push('loc'); titles.push('location: ' + leaf.locs.map(function (l) { return l.name; }).join(', ')); }
      var rules = [], owners = [];
      leaf.cues.forEach(function (c) {
        rules.push(c.rule);
        if (cls.indexOf('cue-' + c.category) < 0) cls.push('cue-' + c.category);
        c.owners.forEach(function (o) { if (owners.indexOf(o) < 0) owners.push(o); });
        titles.push(c.category + ' cue ' + c.rule);
      });
      if (leaf.cues.length) cls.unshift('cue');
      parent.appendChild(el('span', {
        'class': cls.join(' '), 'data-rule': rules.length ? rules.join(' ') : null,
        'data-cue-of': owners.length ? owners.join(' ') : null, title: titles.join('; '), text: leaf.text
      }));
    });
    run.endsFindings.forEach(function (id) {
      var t = tagsFor(S.byId[id], id);
      if (t) frag.appendChild(t);
    });
  });
  box.appendChild(frag);
}

/* Tags are CSS-generated (content: attr(data-label)), so #rendered's textContent stays the report text. */
function tagsFor(f, id) {
  var list = [];
  if (f.assertion === 'absent' || f.assertion === 'uncertain') list.push(['t-' + f.assertion, f.certainty ? f.assertion + ' (' + f.certainty + ')' : f.assertion]);
  if (f.change) list.push(['t-change', f.change]);
  if (f.laterality) list.push(['t-laterality', f.laterality]);
  if (f.severity) list.push(['t-severity', f.severity]);
  if (f.temporality && f.temporality !== 'current') list.push(['t-temporality', f.temporality]);
  if (f.experiencer && f.experiencer !== 'patient') list.push(['t-temporality', 'experiencer: ' + f.experiencer]);
  if (!list.length) return null;
  var wrap = el('span', { 'class': 'tags', 'data-for': id });
  list.forEach(function (t) { wrap.appendChild(el('span', { 'class': 'tag ' + t[0], 'data-label': t[1], title: (t[0] === 't-absent' || t[0] === 't-uncertain' ? 'assertion' : t[0].slice(2)) + ': ' + t[1] })); });
  return wrap;
}

function renderWarnings(w) {
  var ul = $('warnings');
  clear(ul);
  if (!Array.isArray(w) || !w.length) { ul.hidden = true; return; }
  w.forEach(function (x) { ul.appendChild(el('li', { text: typeof x === 'string' ? x : (x && (x.message || x.code)) || JSON.stringify(x) })); });
  ul.hidden = false;
}

function schemeLabelCell(labels) {
  var td = el('td', { 'class': 'labels-cell' });
  if (!labels || typeof labels !== 'object') return td;
  var names = { chexpert: 'CheXpert', chestxray14: 'CXR14', padchest: 'PadChest' };
  Object.keys(labels).forEach(function (k) {
    var v = labels[k];
    var list = Array.isArray(v) ? v : (v && typeof v === 'object' ? Object.keys(v) : [v]);
    if (list.length) td.appendChild(el('div', null, [el('span', { 'class': 'muted', text: (names[k] || k) + ': ' }), list.join(', ')]));
  });
  return td;
}

function renderFindingsTable() {
  var tb = $('findings-table').tBodies[0];
  clear(tb);
  var fs = S.result.findings;
  if (!fs.length) { tb.appendChild(el('tr', { 'class': 'empty' }, [el('td', { colspan: '9', text: 'No findings.' })])); return; }
  fs.forEach(function (f) {
    var id = String(f.id);
    tb.appendChild(el('tr', { 'data-finding': id, 'data-assertion': f.assertion || '', tabindex: '0' }, [
      el('td', { text: id }),
      el('th', { scope: 'row', text: f.text || sliceCP(S.cps, f.span) }),
      el('td', { text: conceptName(f) }),
      el('td', null, [assertionBadge(f.assertion)]),
      el('td', { text: str(f.change) }),
      el('td', { text: str(f.laterality) }),
      el('td', { text: str(f.severity) }),
      el('td', { text: (f.regions || []).join(', ') }),
      schemeLabelCell(f.labels)
    ]));
  });
}

function valueCell(v) {
  var cls = 'v-other', label = str(v);
  if (v === null || v === undefined || v === '') { cls = 'v-blank'; label = 'blank'; }
  else if (v === 1 || v === true || v === 'present' || v === '1') { cls = 'v-pos'; label = (typeof v === 'string' && v !== '1') ? v : '1 positive'; }
  else if (v === 0 || v === false || v === 'absent' || v === '0') { cls = 'v-neg'; label = (typeof v === 'string' && v !== '0') ? v : '0 negative'; }
  else if (v === -1 || v === 'uncertain' || v === '-1') { cls = 'v-unc'; label = (typeof v === 'string' && v !== '-1') ? v : '−1 uncertain'; }
  return { cls: cls, label: label };
}

function renderLabels(labels) {
  ['chexpert', 'chestxray14', 'padchest'].forEach(function (scheme) {
    var table = $('labels-' + scheme);
    var tb = table.tBodies[0];
    clear(tb);
    var obj = labels[scheme];
    if (Array.isArray(obj)) { var o = {}; obj.forEach(function (k) { o[k] = 1; }); obj = o; }
    if (!obj || typeof obj !== 'object' || !Object.keys(obj).length) {
      tb.appendChild(el('tr', null, [el('td', { colspan: '2', 'class': 'muted', text: obj ? 'no labels' : 'scheme not in result' })]));
      return;
    }
    Object.keys(obj).forEach(function (k) {
      var v = obj[k], vc = valueCell(v);
      tb.appendChild(el('tr', { 'data-label': k, 'data-value': v === undefined ? 'null' : JSON.stringify(v), 'class': vc.cls === 'v-blank' ? 'row-blank' : null }, [
        el('th', { scope: 'row', text: k }),
        el('td', null, [el('span', { 'class': 'v ' + vc.cls, text: vc.label })])
      ]));
    });
  });
}

// ---- selection, hover, details

function forEachNode(sel, fn) { Array.prototype.forEach.call(document.querySelectorAll(sel), fn); }
function markCovers(m, ids) {
  if (ids.indexOf(m.getAttribute('data-finding')) >= 0) return true;
  return idsOf(m, 'data-findings').some(function (x) { return ids.indexOf(x) >= 0; });
}

function highlight(ids, regionNames) {
  ids = ids || [];
  forEachNode('#rendered mark.finding', function (m) { m.classList.toggle('hl', ids.length > 0 && markCovers(m, ids)); });
  forEachNode('#findings-table tbody tr[data-finding]', function (r) { r.classList.toggle('hl', ids.indexOf(r.getAttribute('data-finding')) >= 0); });
  var regs = regionNames || [];
  if (!regionNames) ids.forEach(function (id) { (S.findingRegions[id] || []).forEach(function (r) { if (regs.indexOf(r) < 0) regs.push(r); }); });
  forEachNode('#chest [data-region]', function (r) { r.classList.toggle('hl', regs.indexOf(r.getAttribute('data-region')) >= 0); });
  forEachNode('#scene-view [data-scene-region]', function (b) {
    var fs = idsOf(b, 'data-findings');
    b.classList.toggle('hl', ids.length > 0 && fs.some(function (x) { return ids.indexOf(x) >= 0; }));
  });
}

function select(id) {
  if (!id || !S.byId[id]) return;
  if (S.selected === id) return;
  S.selected = id;
  forEachNode('#rendered mark.finding', function (m) { m.classList.toggle('selected', markCovers(m, [id])); });
  forEachNode('#rendered .cue', function (c) { c.classList.toggle('cue-active', idsOf(c, 'data-cue-of').indexOf(id) >= 0); });
  forEachNode('#findings-table tbody tr[data-finding]', function (r) {
    var on = r.getAttribute('data-finding') === id;
    r.classList.toggle('selected', on);
    if (on) r.setAttribute('aria-current', 'true'); else r.removeAttribute('aria-current');
  });
  var regs = S.findingRegions[id] || [];
  forEachNode('#chest [data-region]', function (r) { r.classList.toggle('selected', regs.indexOf(r.getAttribute('data-region')) >= 0); });
  renderDetails();
}

function dlRows(pairs) {
  var dl = el('dl', { 'class': 'kv' });
  pairs.forEach(function (p) {
    if (p[1] == null || p[1] === '') return;
    dl.appendChild(el('dt', { text: p[0] }));
    dl.appendChild(el('dd', null, [typeof p[1] === 'string' ? document.createTextNode(p[1]) : p[1]]));
  });
  return dl;
}

/* A table from column headers and rows of cells (strings or nodes). */
function dataTable(headers, rows, id) {
  var tb = el('tbody');
  rows.forEach(function (r) { tb.appendChild(el('tr', null, r.map(function (c) { return el('td', null, [c]); }))); });
  return el('table', { 'class': 'data', id: id }, [el('thead', null, [el('tr', null, headers.map(function (h) { return el('th', { scope: 'col', text: h }); }))]), tb]);
}

function renderDetails() {
  var body = $('details-body');
  clear(body);
  var f = S.selected && S.byId[S.selected];
  if (!f) { body.appendChild(el('p', { 'class': 'muted', text: S.result ? 'Select a finding in the text or the table.' : 'Nothing analyzed yet.' })); return; }
  var c = f.concept || {};
  body.appendChild(el('h4', { text: conceptName(f) + ' (' + f.id + ')' }));
  var span = Array.isArray(f.span) ? f.span.join('–') : '';
  body.appendChild(dlRows([
    ['Text', '“' + (f.text || sliceCP(S.cps, f.span)) + '” [' + span + ']'],
    ['Assertion', assertionBadge(f.assertion)],
    ['Certainty', str(f.certainty)],
    ['Temporality', str(f.temporality)], ['Experiencer', str(f.experiencer)], ['Change', str(f.change)], ['Laterality', str(f.laterality)], ['Severity', str(f.severity)],
    ['Section', str(f.section) + (f.sentence != null ? ', sentence ' + f.sentence : '')],
    ['CUI', str(c.cui)], ['Kind', str(c.kind)], ['PadChest', str(c.padchest)],
    ['Regions', (f.regions || []).join(', ') + (f.region_basis ? ' (basis: ' + f.region_basis + ')' : '')]
  ]));
  var names = el('div', { id: 'details-names' }, [el('p', { 'class': 'muted', text: 'Looking up concept names…' })]);
  body.appendChild(el('h4', { text: 'Concept names' }));
  body.appendChild(names);

  var locs = Array.isArray(f.locations) ? f.locations : [];
  if (locs.length) {
    body.appendChild(el('h4', { text: 'Locations' }));
    body.appendChild(dataTable(['Text', 'Name', 'CUI', 'PadChest'], locs.map(function (l) {
      return [l.text || sliceCP(S.cps, l.span), str(l.name), str(l.cui), str(l.padchest)];
    })));
  }

  body.appendChild(el('h4', { text: 'Evidence' }));
  var ev = Array.isArray(f.evidence) ? f.evidence : [];
  if (!ev.length) body.appendChild(el('p', { 'class': 'muted', text: 'No cue rules (default reading).' }));
  else body.appendChild(dataTable(['Rule', 'Category', 'Cue', 'Span'], ev.map(function (e) {
    return [el('code', { text: str(e.rule) }), str(e.category), sliceCP(S.cps, e.span), Array.isArray(e.span) ? e.span.join('–') : ''];
  }), 'details-evidence'));

  body.appendChild(el('h4', { text: 'Scheme labels' }));
  var lab = f.labels && typeof f.labels === 'object' ? f.labels : {};
  body.appendChild(dlRows(Object.keys(lab).map(function (k) { return [k, Array.isArray(lab[k]) ? (lab[k].join(', ') || '—') : str(lab[k])]; })));

  var cui = c.cui;
  if (!cui) { names.textContent = 'No CUI to look up.'; return; }
  var want = f.id;
  lookup(cui).then(function (res) {
    if (S.selected !== want) return;
    clear(names);
    names.appendChild(renderConceptNames(res, cui, c));
  }).catch(function (e) {
    if (S.selected !== want) return;
    names.textContent = 'Lookup failed — ' + describeError(e);
  });
}

function lookup(cui) {
  if (!S.lookups[cui]) {
    S.lookups[cui] = api('ontology.lookup', { query: cui });
    S.lookups[cui].catch(function () { delete S.lookups[cui]; });
  }
  return S.lookups[cui];
}

function pick(o, keys) {
  for (var i = 0; i < keys.length; i++) {
    var path = keys[i].split('.'), v = o;
    for (var j = 0; j < path.length && v != null; j++) v = v[path[j]];
    if (v != null && v !== '') return v;
  }
  return null;
}

function renderConceptNames(res, cui, fallback) {
  var list = res && Array.isArray(res.concepts) ? res.concepts : [];
  var c = list.filter(function (x) { return x && (x.cui === cui || x.id === cui); })[0] || list[0];
  var wrap = el('div');
  if (!c) { wrap.appendChild(el('p', { 'class': 'muted', text: 'No ontology entry for ' + cui + '.' })); return wrap; }
  var en = pick(c, ['preferred_en', 'names.en', 'name_en', 'name']);
  var es = pick(c, ['preferred_es', 'names.es', 'name_es']);
  var syn = c.synonyms && typeof c.synonyms === 'object' ? c.synonyms : {};
  function join(a) { return Array.isArray(a) ? a.slice(0, 12).join(', ') + (a.length > 12 ? ', …' : '') : str(a); }
  function nameList(a) { return Array.isArray(a) ? a.map(function (p) { return p && typeof p === 'object' ? (p.name || p.cui) : p; }).join(', ') : ''; }
  wrap.appendChild(dlRows([
    ['English', str(en != null ? (Array.isArray(en) ? en.join(', ') : en) : fallback.name)],
    ['Español', es != null ? (Array.isArray(es) ? es.join(', ') : str(es)) : '—'],
    ['Synonyms (en)', join(syn.en)], ['Sinónimos (es)', join(syn.es)],
    ['Parents', nameList(c.parents)], ['Children', nameList(c.children)],
    ['Anatomy regions', Array.isArray(c.regions) ? c.regions.join(', ') : '']
  ]));
  var more = el('details', null, [el('summary', { text: 'Full ontology entry' })]);
  more.appendChild(renderValue(c, 0));
  wrap.appendChild(more);
  return wrap;
}

/* Arbitrary JSON as nested tables / definition lists. */
function renderValue(v, depth) {
  if (v === null || v === undefined) return el('span', { 'class': 'muted', text: 'null' });
  if (typeof v !== 'object') return document.createTextNode(String(v));
  if (depth > 5) return el('code', { text: JSON.stringify(v) });
  if (Array.isArray(v)) {
    if (!v.length) return el('span', { 'class': 'muted', text: '(none)' });
    if (v.every(function (x) { return x === null || typeof x !== 'object'; })) {
      return document.createTextNode(v.slice(0, 60).map(str).join(', ') + (v.length > 60 ? ', … (' + v.length + ')' : ''));
    }
    var keys = [];
    v.forEach(function (x) { if (x && typeof x === 'object' && !Array.isArray(x)) Object.keys(x).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
    if (!keys.length) return el('code', { text: JSON.stringify(v) });
    return dataTable(keys, v.slice(0, 200).map(function (x) {
      return keys.map(function (k) { return x && typeof x === 'object' ? renderValue(x[k], depth + 1) : str(x); });
    }));
  }
  var ks = Object.keys(v);
  if (!ks.length) return el('span', { 'class': 'muted', text: '(empty)' });
  if (ks.every(function (k) { return v[k] === null || typeof v[k] !== 'object'; })) {
    var tt = el('table', { 'class': 'data' });
    var b = el('tbody');
    ks.forEach(function (k) { b.appendChild(el('tr', null, [el('th', { scope: 'row', text: k }), el('td', null, [renderValue(v[k], depth + 1)])])); });
    tt.appendChild(b);
    return tt;
  }
  var dl = el('dl', { 'class': 'kv' });
  ks.forEach(function (k) { dl.appendChild(el('dt', { text: k })); dl.appendChild(el('dd', null, [renderValue(v[k], depth + 1)])); });
  return dl;
}

// ---- anatomy

function drawnRegions() {
  var d = {};
  forEachNode('#chest [data-region]', function (r) { d[r.getAttribute('data-region')] = r; });
  return d;
}

function shadeRegions() {
  var drawn = drawnRegions();
  var byRegion = {}, unmapped = {};
  S.findingRegions = {};
  S.result.findings.forEach(function (f) {
    var id = String(f.id), mine = [];
    (f.regions || []).forEach(function (name) {
      var targets = mapRegion(name, drawn);
      if (!targets.length) { (unmapped[name] = unmapped[name] || []).push(id); return; }
      targets.forEach(function (t) {
        if (mine.indexOf(t) < 0) mine.push(t);
        (byRegion[t] = byRegion[t] || []);
        if (byRegion[t].indexOf(f) < 0) byRegion[t].push(f);
      });
    });
    S.findingRegions[id] = mine;
  });
  S.regionFindings = {};
  Object.keys(drawn).forEach(function (name) {
    var node = drawn[name];
    var fs = byRegion[name] || [];
    S.regionFindings[name] = fs.map(function (f) { return String(f.id); });
    node.classList.remove('present', 'uncertain', 'absent', 'hl', 'selected');
    var title = node.querySelector('title');
    var label = name;
    if (fs.length) {
      var best = bestAssertion(fs.map(function (f) { return f.assertion; }));
      if (best) node.classList.add(best);
      label = name + ': ' + fs.map(function (f) { return conceptName(f) + ' (' + (f.assertion || '?') + ')'; }).join('; ');
      node.setAttribute('tabindex', '0');
      node.setAttribute('role', 'button');
      node.setAttribute('aria-label', label);
    } else {
      node.removeAttribute('tabindex'); node.removeAttribute('role'); node.removeAttribute('aria-label');
    }
    if (title) title.textContent = label;
  });
  var other = $('regions-other');
  var names = Object.keys(unmapped);
  other.hidden = !names.length;
  other.textContent = names.length ? 'Regions without a shape in the schematic: ' + names.map(function (n) { return n + ' (' + unmapped[n].join(', ') + ')'; }).join('; ') : '';
}

function regionEvent(target) {
  var node = target && target.closest ? target.closest('[data-region]') : null;
  return node && document.getElementById('chest').contains(node) ? node : null;
}

// ---- scene

function loadSceneFile(file) {
  if (!file) return;
  var reader = new FileReader();
  reader.onload = function () {
    try {
      var scene = JSON.parse(String(reader.result));
      if (scene && scene.ok === true && scene.result) scene = scene.result;
      if (!scene || !scene.image || !Array.isArray(scene.regions)) throw new Error('not a scene: needs "image" and "regions"');
      S.scene = scene;
      renderScene();
      setStatus('Scene loaded: ' + scene.regions.length + ' regions.', 'ok');
    } catch (e) {
      setStatus('Scene file not loaded — scene.invalid: ' + (e && e.message ? e.message : e), 'error');
    }
  };
  reader.onerror = function () { setStatus('Scene file not loaded — scene.unreadable', 'error'); };
  reader.readAsText(file);
}

function renderScene() {
  var scene = S.scene, box = $('scene-view');
  clear(box);
  var w = Number(scene.image.width) || 0, h = Number(scene.image.height) || 0;
  if (!(w > 0 && h > 0)) { box.appendChild(el('p', { 'class': 'muted', text: 'Scene has no image size.' })); return; }
  var sceneFindings = {};
  (scene.findings || []).forEach(function (f) { if (f && f.id != null) sceneFindings[String(f.id)] = f; });
  var perRegion = {};
  (scene.edges || []).forEach(function (e) {
    if (!e || e.region == null) return;
    var fid = e.finding != null ? String(e.finding) : '';
    var f = sceneFindings[fid] || S.byId[fid] || {};
    var a = e.assertion || f.assertion || null;
    var p = perRegion[e.region] = perRegion[e.region] || { assertions: [], findings: [], names: [] };
    if (a) p.assertions.push(a);
    if (fid && p.findings.indexOf(fid) < 0) { p.findings.push(fid); p.names.push(conceptName(f) || fid); }
  });
  var svg = svgEl('svg', { viewBox: '0 0 ' + w + ' ' + h, role: 'group', 'aria-label': 'Scene regions on a ' + w + ' by ' + h + ' image', preserveAspectRatio: 'xMidYMid meet' });
  var fs = Math.max(8, Math.round(Math.max(w, h) / 70));
  var regs = scene.regions.filter(function (r) { return r && Array.isArray(r.bbox) && r.bbox.length === 4; })
    .slice().sort(function (a, b) { return area(b) - area(a); });
  function area(r) { return Math.abs((r.bbox[2] - r.bbox[0]) * (r.bbox[3] - r.bbox[1])); }
  regs.forEach(function (r) {
    var x0 = Math.min(r.bbox[0], r.bbox[2]), y0 = Math.min(r.bbox[1], r.bbox[3]);
    var p = perRegion[r.name] || { assertions: [], findings: [], names: [] };
    var best = bestAssertion(p.assertions);
    var rect = svgEl('rect', { x: x0, y: y0, width: Math.abs(r.bbox[2] - r.bbox[0]), height: Math.abs(r.bbox[3] - r.bbox[1]),
      'class': 'scene-box' + (best ? ' ' + best : ''), 'data-scene-region': r.name, 'data-findings': p.findings.join(' '), 'vector-effect': 'non-scaling-stroke' });
    var t = svgEl('title');
    t.textContent = r.name + (r.derived ? ' (derived' + (r.method ? ', ' + r.method : '') + ')' : '') +
      (p.names.length ? ': ' + p.names.join('; ') + ' — ' + best : '');
    rect.appendChild(t);
    svg.appendChild(rect);
  });
  var placed = [];
  function hits(a) { return placed.some(function (b) { return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h; }); }
  regs.forEach(function (r) {
    if (!perRegion[r.name] && regs.length > 12) return; // label only regions with findings when the scene is crowded
    var x = Math.min(r.bbox[0], r.bbox[2]) + fs * 0.3, top = Math.min(r.bbox[1], r.bbox[3]), bottom = Math.max(r.bbox[1], r.bbox[3]);
    var box = { x: x, y: top + fs * 0.1, w: String(r.name).length * fs * 0.58, h: fs * 1.2 };
    while (hits(box) && box.y + box.h * 2 < bottom) box.y += box.h;
    placed.push(box);
    var label = svgEl('text', { x: x, y: box.y + fs, 'class': 'scene-label', 'font-size': fs, 'aria-hidden': 'true' });
    label.textContent = r.name;
    svg.appendChild(label);
  });
  var side = Math.round(fs * 2);
  var tr = svgEl('text', { x: fs, y: side, 'class': 'scene-side', 'font-size': side }); tr.textContent = 'R';
  var tl = svgEl('text', { x: w - side, y: side, 'class': 'scene-side', 'font-size': side }); tl.textContent = 'L';
  svg.appendChild(tr); svg.appendChild(tl);
  box.appendChild(svg);
  box.appendChild(el('p', { 'class': 'hint', text: 'Image ' + w + '×' + h + ' px; ' + regs.length + ' boxes; ' + (scene.edges || []).length + ' finding–region edges. Viewer’s left is the patient’s right.' }));
  svg.addEventListener('mouseover', function (ev) {
    var b = ev.target.closest ? ev.target.closest('[data-scene-region]') : null;
    if (b) highlight(idsOf(b, 'data-findings'), []);
  });
  svg.addEventListener('mouseleave', function () { highlight([]); });
}

// ---- corpus

function checkServer() {
  api('version', null, 'GET').then(function (v) {
    var parts = [];
    if (v && v.hilum) parts.push('Hilum ' + v.hilum);
    if (v && v.ontology_version) parts.push('ontology ' + String(v.ontology_version).slice(0, 19) + '…');
    if (v && Array.isArray(v.schemes)) parts.push('schemes: ' + v.schemes.join(', '));
    if (parts.length) $('version').textContent = parts.join(' · ');
  }).catch(function (e) {
    if (e.code === 'auth.unauthorized') setStatus('This server needs an API token — ' + describeError(e), 'error');
  });
  loadStats();
}

function corpusUnavailable(msg) {
  $('corpus').classList.add('unavailable');
  $('corpus-note').textContent = msg;
  $('query-fields').disabled = true;
}

function loadStats() {
  var body = $('stats-body');
  api('stats', {}).then(function (stats) {
    $('corpus').classList.remove('unavailable');
    $('corpus-note').textContent = 'A database is attached.';
    $('query-fields').disabled = false;
    clear(body);
    body.appendChild(renderValue(stats, 0));
  }).catch(function (e) {
    clear(body);
    body.appendChild(el('p', { 'class': 'muted', text: 'No statistics.' }));
    if (e.code === 'store.not_configured') corpusUnavailable('No database is attached to this server (store.not_configured); the corpus view is off. Start hilum serve with a database to use it.');
    else if (e.code === 'request.unknown_op') corpusUnavailable('This server does not offer corpus statistics (request.unknown_op).');
    else if (e.code === 'auth.unauthorized') corpusUnavailable('Enter the API token to use the corpus view (auth.unauthorized).');
    else corpusUnavailable('Corpus view unavailable — ' + describeError(e));
  });
}

function runQuery(offset) {
  var p = {};
  var an = $('q-anatomy').value.trim(), fi = $('q-finding').value.trim(), as = $('q-assertion').value;
  var lim = parseInt($('q-limit').value, 10);
  if (!(lim >= 1)) lim = 50;
  lim = Math.min(lim, 500);
  if (an) p.anatomy = an;
  if (fi) p.finding = fi;
  if (as) p.assertion = as;
  p.limit = lim;
  p.offset = Math.max(0, offset || 0);
  S.query.params = p;
  setStatus('Querying…', 'busy');
  return api('query', p).then(function (res) {
    res = res || {};
    var hits = Array.isArray(res.hits) ? res.hits : [];
    var total = Number(res.total);
    if (!isFinite(total)) total = p.offset + hits.length;
    S.query.offset = p.offset; S.query.total = total; S.query.limit = lim;
    renderHits(hits, res, p);
    setStatus('Query: ' + total + ' matching finding' + (total === 1 ? '' : 's') + '.', 'ok');
  }).catch(function (e) {
    setStatus('Query failed — ' + describeError(e), 'error');
    if (e.code === 'store.not_configured') corpusUnavailable('No database is attached to this server (store.not_configured).');
  });
}

function renderHits(hits, res, p) {
  var tb = $('hits-table').tBodies[0];
  clear(tb);
  hits.forEach(function (h) {
    var f = h.finding || {};
    tb.appendChild(el('tr', { 'data-assertion': f.assertion || '' }, [
      el('td', { text: str(h.report_id) }), el('td', { text: str(h.patient_id) }), el('td', { text: str(h.study_date) }),
      el('td', { text: str(h.language) }), el('td', { text: (f.text || '') + (f.name ? ' (' + f.name + ')' : '') }),
      el('td', null, [assertionBadge(f.assertion)]), el('td', { text: str(f.change) }), el('td', { text: str(f.laterality) })
    ]));
  });
  if (!hits.length) tb.appendChild(el('tr', null, [el('td', { colspan: '8', 'class': 'muted', text: 'No hits.' })]));
  var from = hits.length ? p.offset + 1 : 0, to = p.offset + hits.length;
  var summary = 'Showing ' + from + '–' + to + ' of ' + S.query.total + '.';
  var r = res.resolved;
  if (r && typeof r === 'object') {
    if (r.anatomy) summary += ' Anatomy covers ' + ((r.anatomy.concepts || []).length) + ' concepts and regions: ' + ((r.anatomy.regions || []).slice(0, 12).join(', ') || 'none') + '.';
    if (Array.isArray(r.finding)) summary += ' Finding covers ' + r.finding.length + ' concepts.';
  }
  $('hits-summary').textContent = summary;
  $('q-prev').disabled = p.offset <= 0;
  $('q-next').disabled = to >= S.query.total || !hits.length;
}

// ---- wiring

function init() {
  forEachNode('#chest [data-region]', function (r) {
    var t = svgEl('title');
    t.textContent = r.getAttribute('data-region');
    r.insertBefore(t, r.firstChild);
  });
  var ta = $('report-text');
  $('analyze-form').addEventListener('submit', function (e) { e.preventDefault(); analyze(); });
  ta.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); analyze(); }
  });
  $('example-en').addEventListener('click', function () { ta.value = EXAMPLES.en; $('lang').value = 'en'; ta.focus(); });
  $('example-es').addEventListener('click', function () { ta.value = EXAMPLES.es; $('lang').value = 'es'; ta.focus(); });
  $('clear').addEventListener('click', function () { ta.value = ''; ta.focus(); });

  var rendered = $('rendered');
  rendered.addEventListener('click', function (e) { var m = e.target.closest('mark.finding'); if (m) select(m.getAttribute('data-finding')); });
  rendered.addEventListener('focusin', function (e) { var m = e.target.closest('mark.finding'); if (m) select(m.getAttribute('data-finding')); });
  rendered.addEventListener('keydown', function (e) {
    var m = e.target.closest('mark.finding');
    if (m && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); S.selected = null; select(m.getAttribute('data-finding')); }
  });
  rendered.addEventListener('mouseover', function (e) {
    var m = e.target.closest('mark.finding');
    if (m) highlight([m.getAttribute('data-finding')].concat(idsOf(m, 'data-findings'))); else highlight([]);
  });
  rendered.addEventListener('mouseleave', function () { highlight([]); });

  var tbody = $('findings-table').tBodies[0];
  tbody.addEventListener('click', function (e) { var r = e.target.closest('tr[data-finding]'); if (r) select(r.getAttribute('data-finding')); });
  tbody.addEventListener('focusin', function (e) { var r = e.target.closest('tr[data-finding]'); if (r) select(r.getAttribute('data-finding')); });
  tbody.addEventListener('mouseover', function (e) { var r = e.target.closest('tr[data-finding]'); highlight(r ? [r.getAttribute('data-finding')] : []); });
  tbody.addEventListener('mouseleave', function () { highlight([]); });
  tbody.addEventListener('keydown', function (e) {
    var r = e.target.closest('tr[data-finding]');
    if (!r) return;
    var rows = Array.prototype.slice.call(tbody.querySelectorAll('tr[data-finding]'));
    var i = rows.indexOf(r), j = -1;
    if (e.key === 'ArrowDown') j = Math.min(rows.length - 1, i + 1);
    else if (e.key === 'ArrowUp') j = Math.max(0, i - 1);
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = rows.length - 1;
    else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); S.selected = null; select(r.getAttribute('data-finding')); return; }
    if (j >= 0) { e.preventDefault(); rows[j].focus(); }
  });

  var chest = $('chest');
  chest.addEventListener('mouseover', function (e) {
    var n = regionEvent(e.target);
    if (!n) { highlight([]); return; }
    var name = n.getAttribute('data-region');
    highlight(S.regionFindings[name] || [], [name]);
  });
  chest.addEventListener('mouseleave', function () { highlight([]); });
  function pickRegion(n) {
    var ids = S.regionFindings[n.getAttribute('data-region')] || [];
    if (!ids.length) return;
    var best = ids.slice().sort(function (a, b) { return (ASSERTION_RANK[S.byId[b].assertion] || 0) - (ASSERTION_RANK[S.byId[a].assertion] || 0); })[0];
    select(best);
  }
  chest.addEventListener('click', function (e) { var n = regionEvent(e.target); if (n) pickRegion(n); });
  chest.addEventListener('focusin', function (e) {
    var n = regionEvent(e.target);
    if (n) { var name = n.getAttribute('data-region'); highlight(S.regionFindings[name] || [], [name]); }
  });
  chest.addEventListener('focusout', function () { highlight([]); });
  chest.addEventListener('keydown', function (e) {
    var n = regionEvent(e.target);
    if (n && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); pickRegion(n); }
  });

  $('scene-file').addEventListener('change', function (e) { loadSceneFile(e.target.files && e.target.files[0]); });

  $('query-form').addEventListener('submit', function (e) { e.preventDefault(); runQuery(0); });
  $('q-prev').addEventListener('click', function () { runQuery(Math.max(0, S.query.offset - S.query.limit)); });
  $('q-next').addEventListener('click', function () { runQuery(S.query.offset + S.query.limit); });
  $('token').addEventListener('change', checkServer);

  var q = new URLSearchParams(window.location.search);
  var lang = q.get('lang');
  if (lang === 'en' || lang === 'es' || lang === 'auto') $('lang').value = lang;
  if (q.has('text')) ta.value = q.get('text');
  else if (q.get('example') === 'en' || q.get('example') === 'es') {
    ta.value = EXAMPLES[q.get('example')];
    if (!lang) $('lang').value = q.get('example');
  }
  checkServer();
  if (q.get('auto') === '1') analyze();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
