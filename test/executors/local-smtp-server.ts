// A real SMTP server for the email tests (the `smtp-server` package): records every message with its
// envelope and raw text, and lets a test refuse recipients, check logins or hold a message unanswered.
import { SMTPServer } from "smtp-server";
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerSession } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
}

export interface LocalSmtpServer {
  port: number;
  messages: ReceivedMail[];
  /** Called for each RCPT TO; return an error (with `responseCode`) to refuse it. */
  onRecipient: (address: string) => (Error & { responseCode?: number }) | undefined;
  /** Called with each login; return false to refuse it (535). Default: any login passes. */
  onLogin: (user: string, password: string) => boolean;
  /** When set, DATA is read but never answered; resolves `held` with the session's close. */
  holdData: boolean;
  /** Resolves when a held message has been received, and when its connection closes. */
  held(): { arrived: Promise<void>; closed: Promise<void> };
  close(): Promise<void>;
}

/** An SMTP refusal as smtp-server sends it. */
export function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startLocalSmtpServer(): Promise<LocalSmtpServer> {
  let arrivedHook: (() => void) | undefined;
  let closedHook: (() => void) | undefined;
  const state: LocalSmtpServer = {
    port: 0,
    messages: [],
    onRecipient: () => undefined,
    onLogin: () => true,
    holdData: false,
    held() {
      let arrived!: () => void;
      let closed!: () => void;
      const result = { arrived: new Promise<void>((r) => (arrived = r)), closed: new Promise<void>((r) => (closed = r)) };
      arrivedHook = arrived;
      closedHook = closed;
      return result;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS offered, so logins go over the plain connection.
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, callback) {
      if (state.onLogin(auth.username ?? "", auth.password ?? "")) callback(null, { user: auth.username });
      else callback(smtpError(535, "5.7.8 authentication failed"));
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      callback(state.onRecipient(address.address) ?? null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (state.holdData) {
          arrivedHook?.();
          return; // never answered: the client waits until it gives up or is stopped
        }
        state.messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === "string" ? session.user : undefined,
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback(null, "OK: queued");
      });
    },
    onClose() {
      closedHook?.();
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  state.port = (server.server.address() as { port: number }).port;
  return state;
}

/** A header's value from a raw message (folded lines joined). */
export function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? "";
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ");
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
