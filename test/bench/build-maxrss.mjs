// Preloaded with `node --import` into a tsbuild process by the build bench:
// when the process exits, writes its own peak resident set (getrusage
// RUSAGE_SELF's ru_maxrss, KiB; every thread of the process, none of its
// children, so neither runc nor a RUN's processes count) to a file named by
// its pid in $TSBUILD_BENCH_MAXRSS_DIR. The pid keeps apart any other node
// process that inherits the variable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TSBUILD_BENCH_MAXRSS_DIR;
if (dir) {
  process.on('exit', () => {
    writeFileSync(join(dir, String(process.pid)), String(process.resourceUsage().maxRSS));
  });
}
