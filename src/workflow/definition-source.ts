// Definition text -> plain data, with syntax errors at line:column and a locator that maps a path
// (`steps[2].timeout`) back to where it was written, so shape problems can point at their line too.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import type { DefinitionIssue } from "./definition-issue.js";
import type { PathSegment } from "./definition-paths.js";

/** yaml's guard against "billion laughs": more alias expansions than this refuse the document. */
export const MAX_ALIAS_COUNT = 100;

export type DefinitionFormat = "yaml" | "json";

export interface SourcePosition {
  line: number;
  column: number;
}

export interface SourceDocument {
  data: unknown;
  /** Where the node at `segments` (or its nearest written ancestor) starts; undefined without positions. */
  locate(segments: readonly PathSegment[], atKey?: boolean): SourcePosition | undefined;
}

export type SourceResult = { ok: true; document: SourceDocument } | { ok: false; issues: DefinitionIssue[] };

function positionOf(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: Math.min(offset, text.length) - lineStart + 1 };
}

export function describePosition(position: SourcePosition): string {
  return `line ${position.line}, column ${position.column}`;
}

function syntaxIssue(language: string, position: SourcePosition, message: string): DefinitionIssue {
  return { segments: [], message: `${language} syntax error at ${describePosition(position)}: ${message}`, code: "syntax" };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

/** Walks the YAML node tree along `segments`; stops at the deepest node that exists. */
function locateOffset(document: Document, segments: readonly PathSegment[], atKey: boolean): number | undefined {
  let node: unknown = document.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (isMap(node) && typeof segment === "string") {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
      if (!pair) return offset;
      if (atKey && i === segments.length - 1) return rangeStart(pair.key) ?? offset;
      node = pair.value;
      offset = rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) return offset;
      node = item;
      offset = rangeStart(item) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function locator(document: Document | undefined, lineCounter: LineCounter): SourceDocument["locate"] {
  return (segments, atKey = false) => {
    if (!document) return undefined;
    const offset = locateOffset(document, segments, atKey);
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
}

function readYaml(text: string): SourceResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return syntaxIssue("YAML", { line, column: col }, error.message);
      }),
    };
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [{ segments: [], message: `YAML refused: ${reason} (aliases may expand at most ${MAX_ALIAS_COUNT} times)`, code: "syntax" }],
    };
  }
  return { ok: true, document: { data, locate: locator(document, lineCounter) } };
}

const JSON_POSITION = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/;

function readJson(text: string): SourceResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const match = JSON_POSITION.exec(message);
    const offset = match ? Number(match[1]) : text.length;
    return { ok: false, issues: [syntaxIssue("JSON", positionOf(text, offset), match ? message.slice(0, match.index) : message)] };
  }
  // JSON is YAML: a second, YAML read gives positions for shape problems and catches duplicate
  // keys, which JSON.parse silently lets the last one win.
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const duplicates = document.errors.filter((error) => error.code === "DUPLICATE_KEY");
  if (duplicates.length > 0) {
    return {
      ok: false,
      issues: duplicates.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return syntaxIssue("JSON", { line, column: col }, "duplicate key: each key may appear once in an object");
      }),
    };
  }
  return { ok: true, document: { data, locate: locator(document.errors.length === 0 ? document : undefined, lineCounter) } };
}

/** Text starting with `{` is read as JSON (clearer errors) unless `format` says otherwise. */
export function readDefinitionText(text: string, format?: DefinitionFormat): SourceResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a byte-order mark is not content
  const chosen = format ?? (body.trimStart().startsWith("{") ? "json" : "yaml");
  return chosen === "json" ? readJson(body) : readYaml(body);
}

/** An object given directly has no text positions. */
export function sourceFromData(data: unknown): SourceDocument {
  return { data, locate: () => undefined };
}
