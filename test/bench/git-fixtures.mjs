// What the git bench serves: a 5,000-file / 200-commit repo written with
// `git fast-import`, and git's smart-HTTP CGI behind a loopback Node server.
// Plain-JS copies of the parts of test/setup/git-repos.ts and git-server.ts
// it needs (the bench runs without a TypeScript loader); the tests pin their
// behaviour, so keep the two in step.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { URL } from 'node:url';

const EPOCH = 1_700_000_000;
const BACKEND = '/usr/lib/git-core/git-http-backend';

/** No user or system config, so every machine makes and serves the same repo. */
function gitEnv(extra = {}) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    ...extra,
  };
}

/**
 * `root/<name>.git`: a Dockerfile `FROM scratch\nCOPY . /src/\n` and `files`
 * files over 100 folders in the first commit, then `commits - 1` commits that
 * each rewrite three files. Returns the bare repo's path.
 */
export function bigRepo(root, { files = 5000, commits = 200, name = 'big' } = {}) {
  const path = join(root, `${name}.git`);
  mkdirSync(root, { recursive: true });
  const git = (cwd, args, input) =>
    execFileSync('git', args, { cwd, env: gitEnv(), input, maxBuffer: 64 << 20 });
  git(root, ['-c', 'init.defaultBranch=main', 'init', '-q', '--bare', path]);
  const file = (i) => `dir${String(i % 100).padStart(3, '0')}/file${i}.txt`;
  const body = (i, rev) =>
    `file ${i} revision ${rev}\n` + 'x'.repeat(200 + ((i * 7919) % 1800)) + '\n';
  const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const parts = [];
  for (let c = 0; c < commits; c++) {
    parts.push('commit refs/heads/main\n');
    parts.push(`committer Fixture Committer <committer@example.test> ${EPOCH + c * 60} +0000\n`);
    parts.push(data(`commit ${c}`));
    if (c === 0) {
      parts.push(`M 100644 inline Dockerfile\n${data('FROM scratch\nCOPY . /src/\n')}`);
      for (let i = 0; i < files; i++) parts.push(`M 100644 inline ${file(i)}\n${data(body(i, 0))}`);
    } else {
      for (let k = 0; k < 3; k++) {
        const i = (c * 37 + k * 1013) % files;
        parts.push(`M 100644 inline ${file(i)}\n${data(body(i, c))}`);
      }
    }
    parts.push('\n');
  }
  git(path, ['fast-import', '--quiet'], parts.join(''));
  git(path, ['update-server-info']);
  return path;
}

/**
 * Every bare repo under `root` over git smart HTTP at `${url}/<name>.git`,
 * through `git http-backend` as CGI. `stop()` ends the server and any CGI
 * still running.
 */
export async function serveGit(root) {
  const children = new Set();
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://127.0.0.1');
    const env = gitEnv({
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(target.pathname),
      REQUEST_METHOD: req.method,
      QUERY_STRING: target.search.replace(/^\?/, ''),
      REMOTE_ADDR: '127.0.0.1',
    });
    const headers = {
      CONTENT_TYPE: 'content-type',
      CONTENT_LENGTH: 'content-length',
      HTTP_CONTENT_ENCODING: 'content-encoding',
      HTTP_GIT_PROTOCOL: 'git-protocol',
      GIT_PROTOCOL: 'git-protocol',
    };
    for (const [k, h] of Object.entries(headers)) if (req.headers[h]) env[k] = req.headers[h];
    const [cmd, args] = existsSync(BACKEND) ? [BACKEND, []] : ['git', ['http-backend']];
    const child = spawn(cmd, args, { env, detached: true });
    children.add(child);
    child.on('close', () => children.delete(child));
    child.stdin.on('error', () => {});
    req.pipe(child.stdin);
    relay(child, res).catch((err) => res.destroy(err));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const closed = new Promise((done) => server.close(done));
      server.closeAllConnections();
      for (const child of children) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await Promise.all([...children].map((c) => once(c, 'close')));
      await closed;
    },
  };
}

/** CGI output (header block, blank line, body) → the HTTP response. */
async function relay(child, res) {
  let head = Buffer.alloc(0);
  for await (const chunk of child.stdout) {
    if (head === undefined) {
      if (!res.write(chunk)) await once(res, 'drain');
      continue;
    }
    head = Buffer.concat([head, chunk]);
    const at = head.indexOf('\r\n\r\n');
    if (at < 0) continue;
    let status = 200;
    const headers = {};
    for (const line of head.subarray(0, at).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = parseInt(value, 10);
      else if (colon > 0) headers[key] = value;
    }
    res.writeHead(status, headers);
    const rest = head.subarray(at + 4);
    head = undefined;
    if (rest.length > 0 && !res.write(rest)) await once(res, 'drain');
  }
  if (head !== undefined && !res.headersSent) res.writeHead(500);
  res.end();
}
