// ESLint flat config: typescript-eslint's recommended rules plus the layering rules of ARCHITECTURE.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Pure layers may not import I/O; store/ is the only place that knows SQL drivers. */
const ioModules = ["node:fs", "node:fs/promises", "node:net", "node:http", "node:child_process", "better-sqlite3", "pg", "kysely"];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".tmp/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", Buffer: "readonly" } },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/store/**", "src/testing/**"],
    rules: {
      "no-restricted-imports": ["error", { paths: ["better-sqlite3", "pg", "kysely"] }],
    },
  },
  // The database step's job is SQL on connections the operator names (SQLite files, PostgreSQL URLs),
  // not the store's tables: it needs the drivers themselves, and only it outside store/ and testing/.
  {
    files: ["src/executors/database/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: ["kysely"] }] },
  },
  // Last, so it wins over the block above for these files (in flat config the last match wins).
  {
    files: ["src/core/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: ioModules }] },
  },
);
