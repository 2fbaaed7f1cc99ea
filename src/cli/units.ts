/**
 * Docker's human units (github.com/docker/go-units): `images` and `history`
 * print sizes with HumanSizeWithPrecision(n, 3) and ages with HumanDuration.
 */

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units HumanSizeWithPrecision: decimal units, Go's `%.{p}g`. */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL.length - 1) {
    size /= 1000;
    i++;
  }
  return `${goG(size, precision)}${DECIMAL[i]}`;
}

/** Go's `%.{p}g` for the non-negative values sizes are: shortest form, trailing zeros dropped. */
export function goG(x: number, precision: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Number(x.toPrecision(precision))));
  if (exp < -4 || exp >= precision) {
    const [m, e] = x.toExponential(precision - 1).split('e');
    const mant = String(Number(m));
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(Number(x.toPrecision(precision)));
}

/** go-units HumanDuration, for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/** "N units ago" from an RFC 3339 time, as `docker images` CREATED; 'N/A' without one. */
export function since(created: string, now = Date.now()): string {
  const t = Date.parse(created);
  if (!created || Number.isNaN(t) || t <= 0) return 'N/A';
  return `${humanDuration(now - t)} ago`;
}

/**
 * Go's `time.Unix(s, 0).String()` in UTC, as `{{.CreatedAt}}` prints it:
 * `2024-01-02 15:04:05 +0000 UTC`, whole seconds (go-types.ts' goTime, for
 * inspect's time.Time values, keeps the fraction).
 */
export function unixTimeString(created: string): string {
  const t = new Date(created);
  if (Number.isNaN(t.getTime())) return '';
  return `${t.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** stringid.TruncateID: the first 12 hex digits, no algorithm. */
export function shortId(id: string): string {
  const hex = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return hex.slice(0, 12);
}
