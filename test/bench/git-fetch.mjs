// One fetch of a git context as tsbuild does it, in a process of its own so
// git.bench.mjs can time it beside `git clone`: resolve the ref, fetch, write
// the tree into the cache dir given. Usage: node git-fetch.mjs URL CACHE_DIR
import { openGitUrl } from '../../dist/context/git.js';
import { withLock } from '../../dist/store/lock.js';

const [url, cacheDir] = process.argv.slice(2);
const checkout = await openGitUrl(url, { cacheDir, lock: withLock, env: process.env });
console.log(checkout.commit);
