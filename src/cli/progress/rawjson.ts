/**
 * `--progress=rawjson`: buildx's rawjson display — each change as one BuildKit
 * SolveStatus, JSON on a line of stderr (progressui's rawJSONDisplay encodes
 * client.SolveStatus as it comes):
 *
 *   {"vertexes":[{"digest":"sha256:…","name":"[2/3] RUN make","started":"2026-…Z"}]}
 *   {"logs":[{"vertex":"sha256:…","stream":1,"data":"aGkK","timestamp":"2026-…Z"}]}
 *
 * Vertices are the steps BuildKit shows (build/vertex-name.ts) plus the Dockerfile's
 * and the export's; a vertex's digest is not an LLB digest (there is no LLB) but the
 * sha256 of `tsbuild:<step number>` (`tsbuild:definition`, `tsbuild:export`), stable
 * within a build. Log data is base64, as Go encodes bytes; lint warnings are
 * `warnings` of the Dockerfile's vertex, their `short` base64 too.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { BuildEvent } from '../../api/build-types.js';
import type { BuildOutcome, Progress, ProgressOptions } from './progress.js';

interface RawVertex {
  digest: string;
  name: string;
  started: string;
  completed?: string;
  cached?: boolean;
  error?: string;
}

export class RawJsonProgress implements Progress {
  private readonly now: () => number;
  private readonly open = new Map<string, RawVertex>();
  private readonly byStep = new Map<number, string>();

  constructor(private readonly opts: ProgressOptions) {
    this.now = opts.now ?? Date.now;
  }

  onEvent(e: BuildEvent): void {
    switch (e.type) {
      case 'definition':
        this.start('definition', `[internal] load build definition from ${basename(e.file)}`);
        return;
      case 'plan': {
        const def = digestOf('definition');
        if (e.warnings.length > 0)
          this.print({
            warnings: e.warnings.map((w) => ({
              vertex: def,
              level: 1,
              short: b64(`${w.rule}: ${w.message} (line ${w.line})`),
              ...(w.url ? { url: w.url } : {}),
            })),
          });
        this.finish(def, {});
        return;
      }
      case 'step':
        if (e.vertex === undefined) return;
        this.byStep.set(e.step, this.start(String(e.step), e.vertex));
        return;
      case 'output': {
        const vertex = this.byStep.get(e.step);
        if (vertex === undefined) return;
        this.print({
          logs: [
            {
              vertex,
              stream: e.stream === 'stdout' ? 1 : 2,
              data: b64(e.data),
              timestamp: this.time(),
            },
          ],
        });
        return;
      }
      case 'cached':
      case 'done': {
        const vertex = this.byStep.get(e.step);
        const cached = e.type === 'cached' || e.cached;
        if (vertex !== undefined) this.finish(vertex, cached ? { cached: true } : {});
        return;
      }
      case 'failed': {
        const vertex = this.byStep.get(e.step);
        if (vertex !== undefined) this.finish(vertex, { error: e.message });
        return;
      }
      case 'result': {
        const v = this.start('export', 'exporting to image');
        this.finish(v, {});
        return;
      }
      default:
        return;
    }
  }

  /** Steps still open when the build fails were cancelled, as BuildKit says. */
  end(outcome: BuildOutcome): void {
    if ('error' in outcome)
      for (const digest of [...this.open.keys()])
        this.finish(digest, { error: 'context canceled' });
  }

  private start(id: string, name: string): string {
    const v: RawVertex = { digest: digestOf(id), name, started: this.time() };
    this.open.set(v.digest, v);
    this.print({ vertexes: [v] });
    return v.digest;
  }

  private finish(digest: string, how: { cached?: boolean; error?: string }): void {
    const v = this.open.get(digest);
    if (!v) return;
    this.open.delete(digest);
    this.print({ vertexes: [{ ...v, ...how, completed: this.time() }] });
  }

  private time(): string {
    return new Date(this.now()).toISOString();
  }

  private print(status: object): void {
    this.opts.stderr.write(`${JSON.stringify(status)}\n`);
  }
}

function digestOf(id: string): string {
  return `sha256:${createHash('sha256').update(`tsbuild:${id}`).digest('hex')}`;
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}
