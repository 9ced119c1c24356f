const fs = require('fs');
const file = process.argv[2];
const p = JSON.parse(fs.readFileSync(file));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; const samples = p.samples;
for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) || 0) + (dt[i] || 0));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
const total = new Map(); const selfBy = new Map();
const key = n => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(node_modules\/)?/, '')}:${n.callFrame.lineNumber}`;
let sum = 0;
for (const [id, t] of self) {
  sum += t;
  const n = byId.get(id);
  selfBy.set(key(n), (selfBy.get(key(n)) || 0) + t);
  const seen = new Set();
  let cur = id;
  while (cur !== undefined) { const k = key(byId.get(cur)); if (!seen.has(k)) { seen.add(k); total.set(k, (total.get(k) || 0) + t); } cur = parent.get(cur); }
}
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(v / 1000).toFixed(0).padStart(7)}ms ${(100 * v / sum).toFixed(1).padStart(5)}% ${k}`).join('\n');
console.log('total', (sum/1000).toFixed(0), 'ms\n--- self'); console.log(top(selfBy, 30)); console.log('--- inclusive'); console.log(top(total, 60));
