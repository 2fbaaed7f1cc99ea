// What no build engine written for node can beat on this machine, for the warm
// no-op: node starting and exiting (`node -e 0`), and node starting and
// lstat-ing every entry of the context, the least a warm rebuild must do to
// see that nothing changed. Timed as the builds are: one process, spawn to
// exit, median of n.
import { exec } from './build-engines.mjs';

/** Walks dir (argv[1]) with lstat, prints how many entries it saw. */
const WALK = `
const { readdirSync, lstatSync } = require('node:fs');
let n = 0;
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    n++;
    const p = d + '/' + e.name;
    lstatSync(p);
    if (e.isDirectory()) walk(p);
  }
};
walk(process.argv[1]);
console.log(n);
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** { node, walk, entries, n }: median ms of each, rounds interleaved. */
export async function floor(ctx, n) {
  const node = [];
  const walk = [];
  let entries = 0;
  for (let i = 0; i < n; i++) {
    node.push((await exec(process.execPath, ['-e', '0'])).ms);
    const r = await exec(process.execPath, ['-e', WALK, ctx], { capture: true });
    walk.push(r.ms);
    entries = Number(r.out.trim());
  }
  return { node: median(node), walk: median(walk), entries, n };
}
