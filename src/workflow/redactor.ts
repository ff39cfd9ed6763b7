// Keeps secret values out of logs, outputs and errors: every occurrence of a known secret becomes
// `[REDACTED]`, and so does any value under a secret-looking key (`password`, `api_key`, `Authorization`).

export const REDACTED = "[REDACTED]";

/** Shorter values are ignored: redacting every "a" or "on" would destroy the text and reveal the secret's shape. */
export const MIN_SECRET_LENGTH = 4;

/**
 * A key is secret-looking when its last word (split at `_`, `-`, `.` and camelCase) is one of
 * these, or its last two words are `api key`, `private key`, `secret key` or `access key`:
 * `password`, `db_password`, `access_token`, `clientSecret`, `x-api-key`, `Authorization`, `masterKey`.
 * `input_tokens` or `token_count` are not (LLM usage counts must stay readable).
 */
const SECRET_LAST_WORDS: ReadonlySet<string> = new Set(["password", "passwd", "secret", "token", "authorization", "apikey", "credentials", "cookie"]);
const SECRET_KEY_PAIRS: ReadonlySet<string> = new Set(["api key", "private key", "secret key", "access key", "master key", "audit key"]);

export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[\s_.-]+/)
    .filter((word) => word !== "");
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (SECRET_LAST_WORDS.has(last)) return true;
  return words.length >= 2 && SECRET_KEY_PAIRS.has(`${words[words.length - 2]} ${last}`);
}

export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  constructor(values: Iterable<string> = []) {
    for (const value of values) this.add(value);
  }

  /**
   * Remembers a secret value. Its JSON-escaped and URL-encoded forms are redacted too, since
   * secrets reach logs inside JSON text and query strings.
   */
  add(value: string): this {
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) return this;
    for (const form of [value, JSON.stringify(value).slice(1, -1), urlEncoded(value)]) {
      if (!this.values.has(form)) {
        this.values.add(form);
        this.pattern = undefined;
      }
    }
    return this;
  }

  addAll(values: Iterable<string>): this {
    for (const value of values) this.add(value);
    return this;
  }

  /** Known secret forms; 0 means strings pass through untouched. */
  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    if (this.values.size === 0 || typeof text !== "string") return text;
    return text.replace(this.regex(), REDACTED);
  }

  /**
   * A copy of `value` with secrets removed from every string and every value under a secret-looking
   * key replaced. Errors inside are redacted like `redactError`; the input is never changed.
   */
  redactValue<T>(value: T): T {
    return this.visit(value, 0) as T;
  }

  /**
   * The error itself when nothing in it is secret; else a copy of the same class (so `code`,
   * `status` and `instanceof` still work) with message, stack, details and cause redacted.
   */
  redactError<E>(error: E): E {
    if (!(error instanceof Error)) return this.redactValue(error);
    const names = Object.getOwnPropertyNames(error);
    let changed = false;
    const copies: [string, PropertyDescriptor][] = names.map((name) => {
      const descriptor = Object.getOwnPropertyDescriptor(error, name) as PropertyDescriptor;
      if (!("value" in descriptor)) return [name, descriptor];
      const redacted = name === "cause" && descriptor.value instanceof Error ? this.redactError(descriptor.value) : this.visit(descriptor.value, 1);
      if (redacted !== descriptor.value) changed = true;
      return [name, { ...descriptor, value: redacted }];
    });
    if (!changed) return error;
    const copy = Object.create(Object.getPrototypeOf(error) as object) as E;
    for (const [name, descriptor] of copies) Object.defineProperty(copy, name, descriptor);
    return copy;
  }

  /** Returns the same reference when nothing changed, so unchanged values are not copied. */
  private visit(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.redact(value);
    if (value === null || typeof value !== "object" || depth > 100) return value;
    if (value instanceof Error) return this.redactError(value);
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item: unknown) => {
        const redacted = this.visit(item, depth + 1);
        if (redacted !== item) changed = true;
        return redacted;
      });
      return changed ? out : value;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    const record = value as Record<string, unknown>;
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      const item = record[key];
      const redacted = isSecretKey(key) && item !== null && item !== undefined && item !== "" ? REDACTED : this.visit(item, depth + 1);
      if (redacted !== item) changed = true;
      Object.defineProperty(out, key, { value: redacted, enumerable: true, writable: true, configurable: true });
    }
    return changed ? out : value;
  }

  /** One alternation, longest first, so a secret containing another is replaced whole. */
  private regex(): RegExp {
    if (this.pattern === undefined) {
      const sorted = [...this.values].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(sorted.map(escapeRegExp).join("|"), "g");
    }
    this.pattern.lastIndex = 0;
    return this.pattern;
  }
}

/** encodeURIComponent throws on a lone surrogate; such a value has no URL form to look for. */
function urlEncoded(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
