// Header safety for outgoing mail: addresses and subjects with CR or LF (header injection) are
// refused with the path of the field, and every address must parse as one mailbox with a domain.
import addressparser from "nodemailer/lib/addressparser";
import type { ValidationIssue } from "../../core/errors.js";

const LINE_BREAK = /[\r\n\u2028\u2029]/;
/** A header name of printable ASCII without the colon (RFC 5322 field-name). */
const HEADER_NAME = /^[!-9;-~]+$/;
/** Headers a step may not set: the mailer owns them, or they would change where the message goes. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set(["from", "to", "cc", "bcc", "reply-to", "subject", "message-id", "sender", "return-path", "content-type", "content-transfer-encoding", "mime-version", "x-idempotency-key"]);

/** The domain of an address (`Ops <ops@example.com>` -> `example.com`), if it has one. */
export function addressDomain(address: string): string | undefined {
  const parsed = addressparser(address, { flatten: true })[0]?.address ?? "";
  const at = parsed.lastIndexOf("@");
  return at > 0 && at < parsed.length - 1 ? parsed.slice(at + 1) : undefined;
}

/** Problems of one header value: a line break anywhere is header injection. */
export function lineBreakIssue(value: string, path: string): ValidationIssue | undefined {
  return LINE_BREAK.test(value) ? { path, message: "must not contain a line break (CR or LF): that would inject mail headers" } : undefined;
}

/** Problems of an address field given as one address or a list; each entry must be one mailbox. */
export function addressIssues(value: string | string[], path: string): ValidationIssue[] {
  const list = Array.isArray(value) ? value : [value];
  const issues: ValidationIssue[] = [];
  list.forEach((entry, index) => {
    const at = Array.isArray(value) ? `${path}[${index}]` : path;
    const broken = lineBreakIssue(entry, at);
    if (broken) {
      issues.push(broken);
      return;
    }
    const parsed = addressparser(entry, { flatten: true });
    if (parsed.length !== 1 || addressDomain(entry) === undefined) {
      issues.push({ path: at, message: `must be one e-mail address such as ops@example.com or "Ops <ops@example.com>", got ${JSON.stringify(entry)}` });
    }
  });
  return issues;
}

/** Problems of extra headers: names must be plain field names the mailer does not own; values single-line. */
export function headerIssues(headers: Record<string, string>, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) issues.push({ path: `${path}.${name}`, message: "is not a valid header name" });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) issues.push({ path: `${path}.${name}`, message: "is set by the step's own fields; it cannot be given as a header" });
    const broken = lineBreakIssue(value, `${path}.${name}`);
    if (broken) issues.push(broken);
  }
  return issues;
}
