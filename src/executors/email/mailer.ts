// Sends one message over SMTP with nodemailer to an operator-configured server (config/smtp-options.ts:
// the default `smtp` or a named one), with credentials from tenant secrets; shared by the email and notification steps.
import { createHash } from "node:crypto";
import nodemailer from "nodemailer";
import type { MailerOptions, SmtpServer } from "../../config/smtp-options.js";
import { DEFAULT_SMTP_TIMEOUT_MS, checkSmtpServers } from "../../config/smtp-options.js";
import { CancelledError, NonRetryableError, ValidationError, errorMessage } from "../../core/errors.js";
import type { StepContext } from "../../engine/step-executor.js";
import { resolveCredential } from "../credentials/resolve-credential.js";
import { addressDomain } from "./mail-headers.js";

/** A message whose header fields were already checked (mail-headers.ts). */
export interface MailMessage {
  from?: string | undefined;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo?: string | undefined;
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  headers?: Record<string, string> | undefined;
}

/** What an email step returns. */
export interface EmailOutput {
  message_id: string;
  accepted: string[];
  rejected: string[];
  /** The server's last reply (`250 OK: queued as ...`). */
  response: string;
  envelope: { from: string; to: string[] };
}

export interface Mailer {
  /** Whether any server is configured (the notification step's email channel needs one). */
  readonly configured: boolean;
  send(ctx: StepContext, message: MailMessage, serverName?: string): Promise<EmailOutput>;
}

export function createMailer(options: MailerOptions): Mailer {
  const servers = options.smtpServers ?? {};
  checkSmtpServers(options);
  return {
    configured: options.smtp !== undefined || Object.keys(servers).length > 0,
    async send(ctx, message, serverName) {
      const server = serverName === undefined ? options.smtp : Object.hasOwn(servers, serverName) ? servers[serverName] : undefined;
      if (!server) {
        const known = Object.keys(servers).sort();
        if (serverName === undefined) throw new NonRetryableError(`no SMTP server is configured: the operator sets the smtp option${known.length ? `, or the step names one of ${known.join(", ")} in server` : ""}`);
        throw new ValidationError([{ path: "config.server", message: `unknown SMTP server ${JSON.stringify(serverName)}; ${known.length ? `configured: ${known.join(", ")}` : "none are configured"}` }]);
      }
      return sendWith(ctx, server, message, serverName ?? "smtp");
    },
  };
}

async function sendWith(ctx: StepContext, server: SmtpServer, message: MailMessage, where: string): Promise<EmailOutput> {
  const from = message.from ?? server.from;
  if (from === undefined) throw new ValidationError([{ path: "config.from", message: `required: the SMTP server ${where} has no default sender` }]);
  const user = await resolveCredential(ctx, server.user, `SMTP server ${where} user`);
  const pass = await resolveCredential(ctx, server.password, `SMTP server ${where} password`);
  const port = server.port ?? (server.secure ? 465 : 587);
  const timeout = server.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const transport = nodemailer.createTransport({
    host: server.host,
    port,
    secure: server.secure ?? port === 465,
    requireTLS: server.requireTls ?? false,
    ...(user !== undefined && pass !== undefined ? { auth: { user, pass } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(server.tls ? { tls: server.tls } : {}),
    // Only what the step gives is sent: never a file or URL read on its behalf.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const what = `SMTP ${server.host}:${port}`;
  try {
    const info = await transport.sendMail({
      from,
      to: message.to,
      cc: message.cc,
      bcc: message.bcc,
      ...(message.replyTo ? { replyTo: message.replyTo } : {}),
      subject: message.subject,
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.html !== undefined ? { html: message.html } : {}),
      // The same attempt (a re-run after a lost lease) sends the same Message-ID, so receivers that
      // deduplicate on it see one message; the key itself travels for systems that read it.
      messageId: messageIdFor(ctx.idempotencyKey, from),
      headers: { ...message.headers, "X-Idempotency-Key": ctx.idempotencyKey },
      signal: ctx.signal,
    });
    ctx.log("info", `${what} accepted the message for ${info.accepted.length} recipient(s)`);
    return {
      message_id: info.messageId,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      response: info.response,
      envelope: { from: String(info.envelope.from), to: info.envelope.to.map(String) },
    };
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new CancelledError();
    throw smtpError(what, error);
  } finally {
    transport.close();
  }
}

/** `<hash of the idempotency key>@<sender's domain>`: stable per attempt, unguessable from outside. */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const hash = createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 40);
  return `<${hash}@${addressDomain(from) ?? "synergymesh.invalid"}>`;
}

/** A permanent SMTP refusal (5xx but 503, failed login) is final; a 4xx or a broken connection may pass. */
function smtpError(what: string, error: unknown): Error {
  const e = error as { code?: string; responseCode?: number; permanent?: boolean };
  const message = `${what}: ${errorMessage(error)}`;
  if (e.permanent === true || e.code === "EAUTH" || e.code === "ENOAUTH" || (e.code === "EENVELOPE" && e.permanent !== false)) return new NonRetryableError(message, { cause: error });
  return new Error(message, { cause: error });
}

export type { MailerOptions, SmtpServer };
