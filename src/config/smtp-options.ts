// The SMTP servers the operator configures for `email` steps and the notification step's email
// channel (options `smtp`, `smtpServers`), checked once when options are resolved.
import { ConfigError } from "../core/errors.js";
import type { Credential } from "./credential.js";
import { isCredential } from "./credential.js";

/** An SMTP server the operator configures (SPEC D "Egress": trusted by config, no egress policy). */
export interface SmtpServer {
  host: string;
  /** Default 465 when `secure`, else 587. */
  port?: number;
  /** TLS from the first byte (port 465). Default: true on port 465. Otherwise STARTTLS is used when offered. */
  secure?: boolean;
  /** Refuse to send unless the server upgrades with STARTTLS (default false). */
  requireTls?: boolean;
  /** Login user and password: literals, `{ secret: NAME }` or a string with `{{secrets.NAME}}`. */
  user?: Credential;
  password?: Credential;
  /** Sender used when a step gives no `from`. */
  from?: string;
  /** Limit for connecting, the greeting and each wait on the socket (default 30 s). */
  timeoutMs?: number;
  /** Passed to TLS: `rejectUnauthorized: false` accepts a self-signed certificate (tests, internal relays). */
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

export interface MailerOptions {
  /** The default server. */
  smtp?: SmtpServer | undefined;
  /** Servers a step picks by name (`server: alerts`). */
  smtpServers?: Record<string, SmtpServer> | undefined;
}

export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;

/** Checks the operator's servers once, when the executor is made. */
function checkServer(server: SmtpServer, path: string): void {
  if (typeof server?.host !== "string" || server.host.trim() === "") throw new ConfigError(`${path}.host`, "must be a host name or address");
  if (server.port !== undefined && !(Number.isInteger(server.port) && server.port > 0 && server.port < 65536)) throw new ConfigError(`${path}.port`, "must be a port number (1-65535)");
  if (server.timeoutMs !== undefined && !(Number.isInteger(server.timeoutMs) && server.timeoutMs > 0)) throw new ConfigError(`${path}.timeoutMs`, "must be a positive integer of milliseconds");
  for (const key of ["user", "password"] as const) if (server[key] !== undefined && !isCredential(server[key])) throw new ConfigError(`${path}.${key}`, "must be a string or { secret: NAME }");
  if ((server.user === undefined) !== (server.password === undefined)) throw new ConfigError(`${path}.password`, "user and password go together");
}

/** Throws ConfigError naming the first bad field of the operator's SMTP servers. */
export function checkSmtpServers(options: MailerOptions): void {
  if (options.smtp) checkServer(options.smtp, "smtp");
  for (const [name, server] of Object.entries(options.smtpServers ?? {})) checkServer(server, `smtpServers.${name}`);
}

