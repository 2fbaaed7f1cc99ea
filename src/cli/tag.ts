/** `tsbuild tag SOURCE TARGET` and `tsbuild rmi IMAGE…`. */
import { rmi, tag } from '../api/tag.js';
import { TsbuildError } from '../errors.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { alignHelp } from './help-text.js';

const TAG_HELP = alignHelp(`Usage:  tsbuild tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]

Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE

Options:
${STORE_HELP}`);

export async function tagCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, STORE_OPTIONS);
  if (values.help) {
    io.stdout.write(TAG_HELP);
    return 0;
  }
  requireArgs(positionals, 2, 2, TAG_HELP);
  await tag({ root: values.root, env: io.env, source: positionals[0]!, target: positionals[1]! });
  return 0;
}

const RMI_HELP = alignHelp(`Usage:  tsbuild rmi [OPTIONS] IMAGE [IMAGE...]

Remove one or more images

Options:
  -f, --force              Force removal of the image
      --no-prune           Do not delete untagged parents
${STORE_HELP}`);

export async function rmiCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    force: { type: 'boolean', short: 'f' },
    'no-prune': { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(RMI_HELP);
    return 0;
  }
  requireArgs(positionals, 1, Infinity, RMI_HELP);
  // Like docker: go on past an image that cannot be removed, fail at the end.
  let failed = false;
  for (const image of positionals) {
    try {
      const events = await rmi({
        root: values.root,
        env: io.env,
        image,
        force: values.force,
        noPrune: values['no-prune'],
      });
      for (const e of events)
        io.stdout.write('untagged' in e ? `Untagged: ${e.untagged}\n` : `Deleted: ${e.deleted}\n`);
    } catch (e) {
      if (!(e instanceof TsbuildError)) throw e;
      io.stderr.write(`Error: ${e.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
