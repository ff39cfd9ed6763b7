// Glob patterns (`*` any run, `?` one character) for event names, reasons, labels and log lines.
// Tenants write them, so they are matched in linear-ish time without regular expressions (no ReDoS).

/** Whether `text` matches `pattern` entirely; `*` matches any run (also empty), `?` one character. */
export function globMatch(pattern: string, text: string, options: { ignoreCase?: boolean } = {}): boolean {
  const p = options.ignoreCase ? pattern.toLowerCase() : pattern;
  const t = options.ignoreCase ? text.toLowerCase() : text;
  // Greedy matching with one backtrack point (the last `*`): O(|p| * |t|) at worst, no recursion.
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi++;
      mark = ti;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}
