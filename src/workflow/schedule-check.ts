// Checks of a schedule trigger's settings: a cron pattern of 5 or 6 fields (or a croner nickname
// such as @daily) that can fire at all, and an IANA time zone. Pure: croner only parses here.
import { Cron } from "croner";

/** A fixed instant to look for the next fire from, so the answer never depends on today's date. */
const REFERENCE = new Date(Date.UTC(2000, 0, 1));

/** undefined when `expression` is a usable cron pattern, else what is wrong with it. */
export function cronProblem(expression: string): string | undefined {
  const text = expression.trim();
  if (!text.startsWith("@")) {
    const fields = text.split(/\s+/).filter(Boolean).length;
    if (fields !== 5 && fields !== 6) {
      return `${JSON.stringify(expression)} has ${fields} field${fields === 1 ? "" : "s"}; a cron pattern has 5 (minute hour day month weekday) or 6 (with seconds first)`;
    }
  }
  let cron: Cron;
  try {
    cron = new Cron(text);
  } catch (error) {
    if (text.startsWith("@")) return `${JSON.stringify(expression)} is not a cron nickname (@yearly, @monthly, @weekly, @daily, @hourly)`;
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
    return `${JSON.stringify(expression)} is not a valid cron pattern: ${reason}`;
  }
  try {
    if (cron.nextRun(REFERENCE) === null) return `${JSON.stringify(expression)} never fires (no date matches it)`;
  } finally {
    cron.stop();
  }
  return undefined;
}

/** undefined when `zone` is a time zone this runtime knows (IANA names such as Asia/Shanghai, UTC). */
export function timezoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return undefined;
  } catch {
    return `${JSON.stringify(zone)} is not a known IANA time zone (such as UTC, Europe/Berlin or Asia/Shanghai)`;
  }
}
