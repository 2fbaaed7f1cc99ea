/**
 * `--provenance`, `--sbom` and `--attest`, read as buildx reads them
 * (util/buildflags/attests.go): `--provenance=VALUE` is `--attest
 * type=provenance,VALUE`, a boolean VALUE meaning `disabled=!VALUE`; the last
 * attestation of a type wins, `--provenance`/`--sbom` over `--attest`. The
 * attributes are BuildKit's (docs/attestations/slsa-provenance.md); a mode
 * left out is `max`, as BuildKit takes it.
 *
 * Provenance is off unless asked for: tsbuild's store keeps images as
 * Docker's classic store does, and buildx adds its default `mode=min` only for
 * a builder whose store holds attestations (build/opt.go), so `docker build`
 * on Docker's default store attaches none either.
 */
import type { ProvenanceOptions } from '../api/build-provenance.js';
import { UsageError } from '../errors.js';

interface Attest {
  type: string;
  disabled: boolean;
  attrs: Map<string, string>;
}

/**
 * The provenance asked for (undefined: none); a UsageError for an SBOM, which
 * tsbuild cannot make, or an attribute it does not know.
 * @example
 *   attestationsFrom({ provenance: 'mode=max' }); // { mode: 'max' }
 *   attestationsFrom({ sbom: 'false' });          // undefined
 */
export function attestationsFrom(v: {
  attest?: string[];
  provenance?: string;
  sbom?: string;
}): ProvenanceOptions | undefined {
  const list: Attest[] = (v.attest ?? []).map((text) => parseAttest(text, '--attest'));
  // An empty --provenance= / --sbom= is buildx's "not given".
  if (v.provenance) list.push(parseAttest(canonical('provenance', v.provenance), '--provenance'));
  if (v.sbom) list.push(parseAttest(canonical('sbom', v.sbom), '--sbom'));
  const last = new Map<string, Attest>();
  for (const a of list) {
    if (a.type !== 'provenance' && a.type !== 'sbom')
      throw new UsageError(`unknown attestation type "${a.type}" (provenance or sbom)`);
    last.set(a.type, a);
  }
  const sbom = last.get('sbom');
  if (sbom && !sbom.disabled)
    throw new UsageError(
      'SBOM attestations are not supported: tsbuild has no SBOM generator yet (--sbom=false is accepted)',
    );
  const prov = last.get('provenance');
  return prov && !prov.disabled ? provenanceOptions(prov.attrs) : undefined;
}

/** buildx's CanonicalizeAttest. */
function canonical(type: string, value: string): string {
  const b = parseBool(value);
  return b === undefined ? `type=${type},${value}` : `type=${type},disabled=${!b}`;
}

/** strconv.ParseBool. */
function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

function parseAttest(text: string, flag: string): Attest {
  const a: Attest = { type: '', disabled: false, attrs: new Map() };
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid value ${field} in ${flag} ${text}: want key=value`);
    const key = field.slice(0, eq).trim().toLowerCase();
    const value = field.slice(eq + 1);
    if (key === 'type') a.type = value;
    else if (key === 'disabled') {
      const b = parseBool(value);
      if (b === undefined) throw new UsageError(`invalid value ${field} in ${flag} ${text}`);
      a.disabled = b;
    } else a.attrs.set(key, value);
  }
  if (a.type === '') throw new UsageError(`attestation type not specified in ${flag} ${text}`);
  return a;
}

function provenanceOptions(attrs: Map<string, string>): ProvenanceOptions {
  const out: ProvenanceOptions = { mode: 'max' };
  for (const [key, value] of attrs) {
    if (key === 'mode') {
      if (value !== 'min' && value !== 'max' && value !== 'full')
        throw new UsageError(`invalid provenance mode "${value}" (min or max)`);
      out.mode = value === 'min' ? 'min' : 'max';
    } else if (key === 'builder-id') out.builderId = value;
    else if (key === 'reproducible') out.reproducible = boolAttr(key, value);
    else if (key === 'inline-only')
      // Provenance goes only into the image outputs (push, oci) here anyway.
      boolAttr(key, value);
    else if (key === 'version') {
      if (value !== 'v0.2')
        throw new UsageError(
          `provenance version=${value} is not supported: tsbuild writes SLSA provenance v0.2`,
        );
    } else if (key === 'filename')
      throw new UsageError(
        'provenance filename= is not supported: tsbuild attaches provenance to images (--push, --output type=oci), not to local or tar outputs',
      );
    else throw new UsageError(`unknown provenance attribute "${key}"`);
  }
  return out;
}

function boolAttr(key: string, value: string): boolean {
  const b = parseBool(value);
  if (b === undefined)
    throw new UsageError(`invalid provenance ${key}=${value}: want true or false`);
  return b;
}
