// Where a tsbuild build's wall time goes, from one run with --progress=json:
// the events carry a wall-clock `time` (ms resolution) and each `done` its
// step's `ms`, so the run splits into process start → plan (node start, CLI,
// reading the Dockerfile, opening the store), the steps, and result → exit
// (writing the image, tags, metadata, exiting). With BENCH_BUILD_CPUPROF=1 the
// same run is under `node --cpu-prof` (a little slower for it), and the main
// thread's top functions by self time follow.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Prints one line per phase and step of a tsbuild run of scenario s. */
export async function profile(s, ts, work) {
  const dir = process.env.BENCH_BUILD_CPUPROF ? mkdtempSync(join(work, 'cpuprof-')) : undefined;
  const node = dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  const { ms, start, out } = await ts.run(s.ctx, { ...(s.opts ?? {}), json: true, node });
  const events = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const at = (e) => Date.parse(e.time) - start;
  const plan = events.find((e) => e.type === 'plan');
  const result = events.find((e) => e.type === 'result');
  if (!plan || !result) throw new Error('no plan or result event in --progress=json output');
  const texts = new Map(events.filter((e) => e.type === 'step').map((e) => [e.step, e.text]));
  const done = events.filter((e) => e.type === 'done');
  const steps = done.map((e) => ({
    ms: e.ms,
    what: `step ${e.step} ${e.cached ? '(cached) ' : ''}${texts.get(e.step)}`,
  }));
  const lastDone = Math.max(...done.map(at));
  const phases = [
    { ms: at(plan), what: 'spawn → plan event (node start, CLI, Dockerfile, store)' },
    ...steps,
    { ms: at(result) - lastDone, what: 'last step done → result event (image written)' },
    { ms: ms - at(result), what: 'result event → process exit' },
  ];
  console.log(`where tsbuild's ${(ms / 1000).toFixed(2)} s go in "${s.name}" (one run):`);
  for (const p of phases) {
    console.log(`  ${String(Math.round(p.ms)).padStart(6)} ms  ${p.what.slice(0, 90)}`);
  }
  if (dir) for (const f of readdirSync(dir)) topFunctions(join(dir, f));
}

/** The main thread's top functions by self time in a .cpuprofile (Chrome's format). */
function topFunctions(file, top = 12) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  prof.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
  });
  const total = (prof.endTime - prof.startTime) / 1000;
  console.log(`  main thread, ${total.toFixed(0)} ms profiled; top self time:`);
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${String(Math.round(ms)).padStart(6)} ms  ${key.trim()}`);
  }
}
