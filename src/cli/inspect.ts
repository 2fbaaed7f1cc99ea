/** `tsbuild inspect [-f FORMAT] IMAGE…`, printed as `docker image inspect` prints. */
import { inspect, type ImageInspect } from '../api/inspect.js';
import { TsbuildError } from '../errors.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { goContainerConfig, goTime } from './go-types.js';
import { goStruct, nilSlice } from './template/index.js';
import { InspectPrinter } from './inspect-template.js';
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
  // As the docker CLI: on the typed value (goView), else on the JSON (inspect-template.ts);
  // what was found, then an error for each name in order, and fail.
  const printer = new InspectPrinter(values.format, goView);
  for (const name of positionals) {
    let images: ImageInspect[];
    try {
      images = await inspect({ root: values.root, env: io.env, images: [name] });
    } catch (e) {
      if (e instanceof TsbuildError && e.code === 'NO_SUCH_IMAGE')
        printer.fail(`Error: No such image: ${name}`);
      else throw e;
      continue;
    }
    for (const img of images) printer.add(img);
  }
  return printer.finish(io);
}

/**
 * The inspect object as the Go struct the docker CLI runs templates on
 * (types.ImageInspect of Docker 20.10): a field JSON leaves out or sets to
 * null is still there, so `{{.Config.Env}}` of an image without environment
 * prints `[]`, `{{.Config.Labels}}` `map[]`, `{{.Config.StopSignal}}` nothing —
 * not `<no value>` or an error. Docker's struct-valued fields print as Go
 * prints structs: `{{.RootFS}}` is `{layers [sha256:…] }`, `{{.GraphDriver}}`
 * `{map[…] tsbuild}`, `{{.Metadata}}` `{2026-12-06 22:50:38.608 +0000 UTC}`.
 */
function goView(img: ImageInspect): unknown {
  // Go's field order; Variant and OsVersion are omitempty.
  const view = {
    Id: img.Id,
    RepoTags: img.RepoTags,
    RepoDigests: img.RepoDigests,
    Parent: img.Parent,
    Comment: img.Comment,
    Created: img.Created,
    Container: img.Container,
    ContainerConfig: goContainerConfig(img.ContainerConfig),
    DockerVersion: img.DockerVersion,
    Author: img.Author,
    Config: goContainerConfig(img.Config),
    Architecture: img.Architecture,
    Variant: img.Variant ?? '',
    Os: img.Os,
    OsVersion: img.OsVersion ?? '',
    Size: img.Size,
    VirtualSize: img.VirtualSize,
    GraphDriver: goStruct(
      { Data: img.GraphDriver.Data, Name: img.GraphDriver.Name },
      'types.GraphDriverData',
    ),
    // types.RootFS{Type, Layers, BaseLayer}: the last two omitempty, BaseLayer
    // (Windows) always empty here.
    RootFS: goStruct(
      { Type: img.RootFS.Type, Layers: img.RootFS.Layers ?? nilSlice(), BaseLayer: '' },
      'types.RootFS',
      ['Layers', 'BaseLayer'],
    ),
    Metadata: goStruct({ LastTagTime: goTime(img.Metadata.LastTagTime) }, 'types.ImageMetadata'),
  };
  return goStruct(view, 'types.ImageInspect', ['Variant', 'OsVersion']);
}
