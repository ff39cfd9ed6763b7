// Names of per-tenant documents (policies, scripts, message templates): short, printable, safe in a
// URL path segment once encoded, and never a path that leaves a folder.
import * as z from "zod";

export const DOCUMENT_NAME = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit");
