/** `tsbuild inspect [-f FORMAT] IMAGE…`, printed as `docker image inspect` prints. */
import { inspect, type ImageInspect, type InspectConfig } from '../api/inspect.js';
import { TsbuildError } from '../errors.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { goStruct, nilMap, nilSlice, parseTemplate } from './template/index.js';
import { sortedKeys } from './template/value.js';
import { alignHelp } from './help-text.js';

const HELP = alignHelp(`Usage:  tsbuild inspect [OPTIONS] IMAGE [IMAGE...]

Display detailed information on one or more images

Options:
  -f, --format string      Format the output using the given Go template
${STORE_HELP}`);

export async function inspectCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    format: { type: 'string', short: 'f' },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  requireArgs(positionals, 1, Infinity, HELP);
  // Docker's inspect errors on an unknown field ("map has no entry for key").
  const template = values.format
    ? parseTemplate(values.format, { missingKey: 'error' })
    : undefined;
  // Like docker: print what was found, then name what was not, and fail.
  const found: ImageInspect[] = [];
  const missing: string[] = [];
  for (const name of positionals) {
    try {
      found.push(...(await inspect({ root: values.root, env: io.env, images: [name] })));
    } catch (e) {
      if (e instanceof TsbuildError && e.code === 'NO_SUCH_IMAGE') missing.push(name);
      else throw e;
    }
  }
  if (template) for (const img of found) io.stdout.write(`${template.execute(goView(img))}\n`);
  else io.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  if (missing.length === 0) return 0;
  for (const name of missing) io.stderr.write(`Error: No such image: ${name}\n`);
  return 1;
}

const SLICES = ['Env', 'Cmd', 'Entrypoint', 'OnBuild', 'Shell'];
const MAPS = ['Labels'];
/** Go's map[string]struct{}: each value prints `{}`, so `map[80/tcp:{}]` as Docker prints it. */
const SETS = ['ExposedPorts', 'Volumes'];

/**
 * The inspect object as the Go struct the docker CLI runs templates on: a field
 * JSON leaves out or sets to null is still there, so `{{.Config.Env}}` of an
 * image without environment prints `[]`, `{{.Config.Labels}}` `map[]`,
 * `{{.Config.StopSignal}}` nothing — not `<no value>` or an error. Docker's
 * struct-valued fields print as Go prints structs: `{{.RootFS}}` is
 * `{layers [sha256:…]}`, `{{.GraphDriver}}` `{map[…] tsbuild}`.
 */
function goView(img: ImageInspect): unknown {
  const config = (typed: InspectConfig) => {
    const c: Record<string, unknown> = { ...typed };
    const out: Record<string, unknown> = { ...c, Healthcheck: c.Healthcheck ?? null };
    for (const k of SLICES) out[k] = c[k] ?? nilSlice();
    for (const k of MAPS) out[k] = c[k] ? sorted(c[k] as Record<string, unknown>) : nilMap();
    for (const k of SETS)
      out[k] = c[k] ? sorted(c[k] as Record<string, unknown>, goStruct({}, 'struct {}')) : nilMap();
    out.ArgsEscaped ??= false;
    out.StopSignal ??= '';
    return out;
  };
  return {
    ...img,
    Variant: img.Variant ?? '',
    OsVersion: img.OsVersion ?? '',
    Config: config(img.Config),
    ContainerConfig: config(img.ContainerConfig),
    // Field order is Go's: types.RootFS{Type, Layers}, types.GraphDriverData{Data, Name}.
    // Layers is left out of the JSON when empty; the struct still has it (a nil slice).
    RootFS: goStruct(
      { Type: img.RootFS.Type, Layers: img.RootFS.Layers ?? nilSlice() },
      'types.RootFS',
    ),
    GraphDriver: goStruct(
      { Data: img.GraphDriver.Data, Name: img.GraphDriver.Name },
      'types.GraphDriverData',
    ),
  };
}

/**
 * A Go map's copy with its keys in Go's order, which `{{json …}}` keeps (Go's
 * encoding/json sorts map keys: `{"a":"1","b":"2"}` for `LABEL b=2 a=1`);
 * with `value`, every key maps to it.
 */
function sorted(m: Record<string, unknown>, value?: unknown): Record<string, unknown> {
  return Object.fromEntries(sortedKeys(m).map((k) => [k, value === undefined ? m[k] : value]));
}
